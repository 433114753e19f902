"""mutt over POP3, driven by keystrokes on a pseudo-terminal of its own (``push`` in its muttrc), against
alice's INBOX of 500 messages: over pops:// (implicit TLS) and over pop:// with STLS required. The server
certificate is checked against the data directory's, never accepted blindly; mutt picks its own way to
log in (SASL first, as installed).

What mutt does, as a user would: lists the INBOX (UIDL, LIST, and TOP for the headers), finds message 42
by its subject and copies it to a local mbox (RETR, which marks it \\Seen), deletes message 43, syncs
(DELE, QUIT) and quits. The INBOX is checked afterwards over IMAP.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interop.imap_clients import ALICE, ids, message_id, need, run_in_pty, server_state
from tests.interop.pop3_clients import Pop3Target, pop3_target  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def write_muttrc(tmp: Path, target: Pop3Target, scheme: str, out: Path) -> Path:
    port = target.pop3s_port if scheme == "pops" else target.pop3_port
    keys = (
        "<limit>~s 'pop message 42$'<enter><copy-message>" + str(out) + "<enter>"
        "<limit>~s 'pop message 43$'<enter><delete-message>"
        "<sync-mailbox><quit>"
    )
    muttrc = tmp / "muttrc"
    muttrc.write_text(
        f'set spoolfile="{scheme}://{ALICE.replace("@", "%40")}@{target.host}:{port}/"\n'
        f'set folder="{tmp}"\nset pop_pass="{target.password}"\n'
        f'set ssl_ca_certificates_file="{target.cafile}"\nset certificate_file="{target.cafile}"\n'
        "set ssl_verify_host=yes\nset ssl_force_tls=yes\nset ssl_starttls=yes\n"
        "set confirmappend=no\nset confirmcreate=no\nset delete=yes\nset quit=yes\nset move=no\n"
        "set mbox_type=mbox\nset wait_key=no\nset header_cache=\nset message_cachedir=\n"
        f'push "{keys}"\n'
    )
    return muttrc


@pytest.mark.parametrize("scheme", ["pops", "pop"])
def test_list_copy_delete_and_sync(pop3_target: Pop3Target, tmp_path: Path, scheme: str) -> None:  # noqa: F811
    mutt = need("mutt", "mutt")
    out = tmp_path / "copied.mbox"
    muttrc = write_muttrc(tmp_path, pop3_target, scheme, out)
    env = {"HOME": str(tmp_path), "TERM": "xterm", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    status, screen = run_in_pty([mutt, "-n", "-F", str(muttrc), "-d", "3"], 180, env)
    debug = tmp_path / ".muttdebug0"
    transcript = debug.read_text(errors="replace")[-8000:] if debug.exists() else "(no debug file)"
    assert status == 0, (
        f"{screen[-2000:]}\n--- mutt -d 3 ---\n{transcript}\n--- pop3.log ---\n{pop3_target.log()}"
    )

    copied = out.read_bytes()
    assert message_id(copied) == "<pop.42@example.org>", transcript
    assert pop3_target.messages[42].replace(b"\r\n", b"\n").split(b"\n\n", 1)[1] in copied

    inbox = server_state(pop3_target.imap)
    assert ids(inbox) == pop3_target.imap.initial - {"<pop.43@example.org>"}, transcript
    flags = {mid: f for mid, f in inbox.values()}
    assert "\\Seen" in flags["<pop.42@example.org>"]
    assert "\\Seen" not in flags["<pop.44@example.org>"]  # only listed (TOP): left unseen
