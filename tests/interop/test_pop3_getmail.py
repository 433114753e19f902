"""getmail6 with its POP3-over-TLS retriever (``SimplePOP3SSLRetriever``, the data directory's certificate
as ``ca_certs``) delivering alice's INBOX (500 messages plus the demo's) into a local Maildir.

getmail remembers the UIDLs it has retrieved in its state file, so a second run retrieves nothing, and
RETR marks what it read \\Seen over IMAP; a message delivered afterwards is the only one the third run
gets; with ``delete = true`` a last run removes every retrieved message at QUIT. getmail's own fork race
is handled as in test_imap_getmail (its ``retrieve`` is reused, with a POP3 retriever section).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interop.imap_clients import (
    ALICE,
    maildir_state,
    message_id,
    need,
    run_client,
    sample_message,
    server_state,
)
from tests.interop.pop3_clients import Pop3Target, pop3_target  # noqa: F401  (fixture)
from tests.interop.test_imap_getmail import GETMAIL_PATCH, LOST_CHILD, maildir  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

#: getmail runs tried when its own fork race strikes (a 500-message run on a loaded machine met it twice)
ATTEMPTS = 4


def retrieve(getmail: str, tmp: Path, maildir: Path, target: Pop3Target, *, delete: bool = False) -> str:  # noqa: F811
    """One getmail run; returns its output (on failure, a traced rerun's output is in the message)."""
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    deliver_as = "user = nobody\n" if os.geteuid() == 0 else ""
    rc = tmp / "getmailrc"
    rc.write_text(
        "[retriever]\ntype = SimplePOP3SSLRetriever\ntimeout = 30\n"
        f"server = {target.host}\nport = {target.pop3s_port}\n"
        f"username = {ALICE}\npassword = {target.password}\nca_certs = {target.cafile}\n\n"
        f"[destination]\ntype = Maildir\npath = {maildir}/\n{deliver_as}\n"
        f"[options]\nverbose = 1\nread_all = false\ndelete = {'true' if delete else 'false'}\n"
    )
    argv = [getmail, "--getmaildir", str(tmp), "--rcfile", str(rc)]
    env = {**os.environ, "PYTHONPATH": str(GETMAIL_PATCH)}
    before = {sub: set((maildir / sub).iterdir()) for sub in ("cur", "new", "tmp")}
    states = {path.name: path.read_bytes() for path in tmp.glob("oldmail-*")}
    result = run_client(argv, timeout=240, env=env)
    for _attempt in range(ATTEMPTS - 1):
        if result.returncode == 0 or delete or LOST_CHILD not in result.stdout:
            break
        for sub, old in before.items():  # getmail's own race (see test_imap_getmail): undo, run again
            for path in set((maildir / sub).iterdir()) - old:
                path.unlink()
        for state in tmp.glob("oldmail-*"):
            if state.name in states:
                state.write_bytes(states[state.name])
            else:
                state.unlink()
        result = run_client(argv, timeout=240, env=env)
    if result.returncode != 0:
        raise AssertionError(f"getmail failed:\n{result.stdout[-4000:]}\n--- pop3.log ---\n{target.log()}")
    return result.stdout


def test_retrieve_then_nothing_then_only_the_new_then_delete(
    pop3_target: Pop3Target,  # noqa: F811
    tmp_path: Path,
    maildir: Path,  # noqa: F811
) -> None:
    getmail = need("getmail", "getmail6")
    total = len(pop3_target.imap.initial)
    out = retrieve(getmail, tmp_path, maildir, pop3_target)
    assert f"{total} messages (" in out, out[-3000:]
    local = maildir_state(maildir)
    assert {mid for mid, _f in local.values()} == pop3_target.imap.initial
    copy = next(p for p in (maildir / "new").iterdir() if message_id(p.read_bytes()) == "<pop.5@example.org>")
    body = pop3_target.messages[5].replace(b"\r\n", b"\n").partition(b"\n\n")[2]
    assert copy.read_bytes().replace(b"\r\n", b"\n").endswith(b"\n\n" + body)
    state = server_state(pop3_target.imap)
    assert len(state) == total and all("\\Seen" in flags for _mid, flags in state.values())

    out = retrieve(getmail, tmp_path, maildir, pop3_target)
    assert "0 messages (" in out, out[-3000:]

    client = pop3_target.imap.connect()
    try:
        client.append("INBOX", None, None, sample_message(1, tag="later"))
    finally:
        client.logout()
    out = retrieve(getmail, tmp_path, maildir, pop3_target)
    assert "1 messages (" in out, out[-3000:]
    assert "<later.1@example.org>" in {mid for mid, _f in maildir_state(maildir).values()}

    retrieve(getmail, tmp_path, maildir, pop3_target, delete=True)
    assert server_state(pop3_target.imap) == {}
    assert len(maildir_state(maildir)) == total + 1
