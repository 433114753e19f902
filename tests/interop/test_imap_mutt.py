"""mutt, driven by keystrokes on a pseudo-terminal of its own (``push`` in its muttrc), against alice's
INBOX of 300 messages: once over imaps:// (implicit TLS) and once over imap:// with STARTTLS required.
The server certificate is checked against the data directory's certificate (``ssl_ca_certificates_file``
and ``certificate_file``), never accepted blindly.

What mutt does, as a user would: opens the INBOX (all headers fetched), copies one message to a local
mbox, saves another to a new IMAP folder "Archive" (CREATE, UID COPY, then \\Deleted and EXPUNGE on
sync), flags a third, syncs and quits. Everything is checked afterwards with imaplib and in the mbox.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interop.imap_clients import (
    Target,
    ids,
    imap_target,  # noqa: F401  (fixture)
    message_id,
    need,
    run_in_pty,
    server_state,
)

pytestmark = pytest.mark.slow


def write_muttrc(tmp: Path, target: Target, scheme: str, out: Path) -> Path:
    port = target.imaps_port if scheme == "imaps" else target.imap_port
    keys = (
        "<limit>~s 'message 42$'<enter><copy-message>" + str(out) + "<enter>"
        "<limit>~s 'message 43$'<enter><save-message>=Archive<enter>"
        "<limit>~s 'message 44$'<enter><flag-message>"
        "<sync-mailbox><quit>"
    )
    muttrc = tmp / "muttrc"
    muttrc.write_text(
        f'set folder="{scheme}://alice%40example.test@{target.host}:{port}/"\n'
        f'set spoolfile="+INBOX"\nset imap_pass="{target.password}"\n'
        f'set ssl_ca_certificates_file="{target.cafile}"\nset certificate_file="{target.cafile}"\n'
        "set ssl_verify_host=yes\nset ssl_force_tls=yes\nset ssl_starttls=yes\n"
        "set confirmappend=no\nset confirmcreate=no\nset delete=yes\nset quit=yes\nset move=no\n"
        "set mbox_type=mbox\nset wait_key=no\nset imap_passive=yes\nset header_cache=\n"
        f'push "{keys}"\n'
    )
    return muttrc


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_read_copy_save_flag_and_expunge(imap_target: Target, tmp_path: Path, scheme: str) -> None:  # noqa: F811
    mutt = need("mutt", "mutt")
    out = tmp_path / "copied.mbox"
    muttrc = write_muttrc(tmp_path, imap_target, scheme, out)
    env = {"HOME": str(tmp_path), "TERM": "xterm", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    status, screen = run_in_pty([mutt, "-n", "-F", str(muttrc), "-d", "3"], 90, env)
    debug = tmp_path / ".muttdebug0"
    transcript = debug.read_text(errors="replace")[-8000:] if debug.exists() else "(no debug file)"
    assert status == 0, f"{screen[-2000:]}\n--- mutt -d 3 ---\n{transcript}"

    # the copy in the local mbox is the whole message (mutt writes LF line ends)
    copied = out.read_bytes()
    assert message_id(copied) == "<interop.42@example.org>", transcript
    messages = imap_target.extra["messages"]
    assert isinstance(messages, list)
    assert messages[42].replace(b"\r\n", b"\n").split(b"\n\n", 1)[1] in copied

    inbox = server_state(imap_target)
    assert len(inbox) == len(imap_target.initial) - 1, transcript
    assert ids(inbox) == imap_target.initial - {"<interop.43@example.org>"}
    flags = {mid: f for mid, f in inbox.values()}
    assert "\\Flagged" in flags["<interop.44@example.org>"]
    assert "\\Flagged" not in flags["<interop.45@example.org>"]
    archive = server_state(imap_target, "Archive")
    assert ids(archive) == {"<interop.43@example.org>"}
