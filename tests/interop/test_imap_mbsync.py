"""isync's ``mbsync``: two-way sync of alice's INBOX (300 messages) with a local Maildir over implicit TLS,
the server certificate checked against the data directory's certificate.

What a user relies on: the first run copies everything, a second run finds nothing to do, and then
flag changes, deletions and new messages made on either side reach the other side (RFC 3501 STORE,
EXPUNGE, APPEND with flags; UIDPLUS for the new UIDs), after which a further run is again a no-op.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.interop.imap_clients import (
    ALICE,
    Target,
    ids,
    imap_target,  # noqa: F401  (fixture)
    maildir_state,
    message_id,
    need,
    run_client,
    run_in_pty,
    sample_message,
    server_state,
)

pytestmark = pytest.mark.slow

# the progress line mbsync draws on a terminal: "F: +done/todo *done/todo #done/todo  N: ..." (new
# messages, flag changes, messages trashed; far side then near side); the last one drawn is the total
_COUNTS = re.compile(r"F: \+(\d+)/\d+ \*(\d+)/\d+ #(\d+)/\d+\s+N: \+(\d+)/\d+ \*(\d+)/\d+ #(\d+)/\d+")


def write_config(tmp: Path, target: Target) -> Path:
    local = tmp / "mail"
    local.mkdir()
    config = tmp / "mbsyncrc"
    config.write_text(
        "IMAPAccount fp\n"
        f"Host {target.host}\nPort {target.imaps_port}\nUser {ALICE}\nPass {target.password}\n"
        f"SSLType IMAPS\nCertificateFile {target.cafile}\n\n"
        "IMAPStore fp-remote\nAccount fp\n\n"
        f"MaildirStore fp-local\nPath {local}/\nInbox {local}/INBOX\n\n"
        "Channel fp\nFar :fp-remote:\nNear :fp-local:\nPatterns INBOX\n"
        "Create Both\nExpunge Both\nSync All\nSyncState *\n"
    )
    return config


def sync(mbsync: str, config: Path, target: Target) -> tuple[int, ...]:
    """One ``mbsync -V`` run on a terminal; returns its closing counters (far: new, flag changes,
    trashed; near: the same). On failure the protocol exchange (a rerun with ``-Dn``) is in the message."""
    status, output = run_in_pty([mbsync, "-V", "-c", str(config), "fp"], 90, dict(os.environ))
    if status != 0:
        debug = run_client([mbsync, "-Dn", "-c", str(config), "fp"])
        raise AssertionError(
            f"mbsync failed:\n{output[-3000:]}\n--- rerun with -Dn ---\n{debug.stdout[-6000:]}"
        )
    found = _COUNTS.findall(output)
    assert found, output[-3000:]
    return tuple(int(n) for n in found[-1])


def test_two_way_sync_twice_then_changes_both_ways(imap_target: Target, tmp_path: Path) -> None:  # noqa: F811
    mbsync = need("mbsync", "isync")
    config = write_config(tmp_path, imap_target)
    inbox = tmp_path / "mail" / "INBOX"
    messages = imap_target.extra["messages"]
    assert isinstance(messages, list)

    # first run: every message copied to the Maildir, nothing changed on the server
    assert sync(mbsync, config, imap_target) == (0, 0, 0, len(imap_target.initial), 0, 0)
    before = server_state(imap_target)
    local = maildir_state(inbox)
    assert len(local) == len(imap_target.initial)
    assert ids(local) == ids(before) == imap_target.initial
    copied = {message_id(p.read_bytes()): p.read_bytes() for p in (inbox / "cur").iterdir()}
    copied |= {message_id(p.read_bytes()): p.read_bytes() for p in (inbox / "new").iterdir()}
    # the same bytes (mbsync stores LF line ends and adds its X-TUID tracking field while copying)
    stored = re.sub(rb"^X-TUID: .*\n", b"", copied["<interop.5@example.org>"], flags=re.MULTILINE)
    assert stored == messages[5].replace(b"\r\n", b"\n")

    # second run: nothing to do on either side
    assert sync(mbsync, config, imap_target) == (0,) * 6
    assert server_state(imap_target) == before
    assert maildir_state(inbox) == local

    # changes on the near side: one message seen+flagged, one deleted, one new
    by_id = {mid: base for base, (mid, _f) in local.items()}
    seen_base, gone_base = by_id["<interop.10@example.org>"], by_id["<interop.11@example.org>"]
    for path in [*(inbox / "cur").iterdir(), *(inbox / "new").iterdir()]:
        base = path.name.partition(":2,")[0]
        if base == seen_base:
            path.rename(inbox / "cur" / f"{base}:2,FS")
        elif base == gone_base:
            path.unlink()
    (inbox / "new" / "1800000000.local.new").write_bytes(sample_message(1, tag="near"))

    # changes on the far side: one message answered, one expunged, one appended
    client = imap_target.connect()
    try:
        client.select("INBOX")
        uid_of = {mid: uid for uid, (mid, _f) in before.items()}
        client.uid("STORE", str(uid_of["<interop.20@example.org>"]), "+FLAGS", "(\\Answered)")
        client.uid("STORE", str(uid_of["<interop.21@example.org>"]), "+FLAGS", "(\\Deleted)")
        client.expunge()
        client.append("INBOX", "(\\Seen)", None, sample_message(1, tag="far"))
    finally:
        client.logout()

    # one new message each way; two flag changes each way (mbsync propagates a deletion as \Deleted,
    # then expunges it: its "#" counter is for a trash folder, not used here)
    assert sync(mbsync, config, imap_target) == (1, 2, 0, 1, 2, 0)
    after = server_state(imap_target)
    near = maildir_state(inbox)
    expected = ids(before) - {"<interop.11@example.org>", "<interop.21@example.org>"}
    expected |= {"<near.1@example.org>", "<far.1@example.org>"}
    assert ids(after) == ids(near) == expected
    far_flags = {mid: flags for mid, flags in after.values()}
    near_flags = {mid: flags for mid, flags in near.values()}
    assert {"\\Seen", "\\Flagged"} <= far_flags["<interop.10@example.org>"]
    assert "R" in near_flags["<interop.20@example.org>"]
    assert "S" in near_flags["<far.1@example.org>"]

    # and once more: nothing to do
    assert sync(mbsync, config, imap_target) == (0,) * 6
    assert server_state(imap_target) == after
