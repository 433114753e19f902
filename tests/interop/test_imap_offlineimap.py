"""offlineimap3: two-way sync of alice's INBOX (300 messages) with a local Maildir over implicit TLS, the
server certificate checked against the data directory's certificate (``sslcacertfile``).

A first run copies everything; a second run copies, flags and deletes nothing on either side; then a
flag set and a message deleted locally, and a flag set, a message expunged and one appended on the server,
each reach the other side; a last run is again a no-op.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.interop.imap_clients import (
    ALICE,
    Target,
    ids,
    imap_target,  # noqa: F401  (fixture)
    maildir_state,
    need,
    run_client,
    sample_message,
    server_state,
)

pytestmark = pytest.mark.slow

# what offlineimap's "basic" UI prints for each thing it does to a message
_ACTIONS = re.compile(r"^\s*(Copy message|Adding flag|Deleting flag|Deleting \d+ messages?)", re.MULTILINE)


def write_config(tmp: Path, target: Target) -> Path:
    config = tmp / "offlineimaprc"
    config.write_text(
        f"[general]\naccounts = fp\nmetadata = {tmp}/meta\n\n"
        "[Account fp]\nlocalrepository = local\nremoterepository = remote\n\n"
        f"[Repository local]\ntype = Maildir\nlocalfolders = {tmp}/mail\n\n"
        f"[Repository remote]\ntype = IMAP\nremotehost = {target.host}\nremoteport = {target.imaps_port}\n"
        f"ssl = yes\nsslcacertfile = {target.cafile}\n"
        f"remoteuser = {ALICE}\nremotepass = {target.password}\n"
        "folderfilter = lambda name: name == 'INBOX'\n"
    )
    return config


def sync(offlineimap: str, config: Path) -> list[str]:
    """One run (``-o`` once, basic UI); returns the actions it reports. On failure, the protocol
    exchange (a rerun with ``-d imap``) is in the message."""
    result = run_client([offlineimap, "-c", str(config), "-o", "-u", "basic"])
    if result.returncode != 0 or "ERROR" in result.stdout:
        debug = run_client([offlineimap, "-c", str(config), "-o", "-u", "basic", "-d", "imap"])
        raise AssertionError(
            f"offlineimap failed:\n{result.stdout[-3000:]}\n--- -d imap ---\n{debug.stdout[-6000:]}"
        )
    return [m.group(1) for m in _ACTIONS.finditer(result.stdout)]


def test_two_way_sync_twice_then_changes_both_ways(imap_target: Target, tmp_path: Path) -> None:  # noqa: F811
    offlineimap = need("offlineimap", "offlineimap3")
    config = write_config(tmp_path, imap_target)
    inbox = tmp_path / "mail" / "INBOX"

    actions = sync(offlineimap, config)
    assert actions.count("Copy message") == len(imap_target.initial), actions[:20]
    before = server_state(imap_target)
    local = maildir_state(inbox)
    assert ids(local) == ids(before) == imap_target.initial

    assert sync(offlineimap, config) == []
    assert server_state(imap_target) == before
    assert maildir_state(inbox) == local

    # near side: one message flagged, one deleted, one new; far side: one answered, one expunged, one new
    by_id = {mid: base for base, (mid, _f) in local.items()}
    for path in [*(inbox / "cur").iterdir(), *(inbox / "new").iterdir()]:
        base, _, info = path.name.partition(":2,")
        if base == by_id["<interop.10@example.org>"]:
            path.rename(inbox / "cur" / f"{base}:2,{''.join(sorted(set(info) | {'F'}))}")
        elif base == by_id["<interop.11@example.org>"]:
            path.unlink()
    (inbox / "new" / "1800000000.local.new").write_bytes(sample_message(1, tag="near"))
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

    actions = sync(offlineimap, config)
    assert actions.count("Copy message") == 2, actions
    after = server_state(imap_target)
    near = maildir_state(inbox)
    expected = ids(before) - {"<interop.11@example.org>", "<interop.21@example.org>"}
    expected |= {"<near.1@example.org>", "<far.1@example.org>"}
    assert ids(after) == ids(near) == expected
    far_flags = {mid: flags for mid, flags in after.values()}
    near_flags = {mid: flags for mid, flags in near.values()}
    assert "\\Flagged" in far_flags["<interop.10@example.org>"]
    assert "R" in near_flags["<interop.20@example.org>"]
    assert "S" in near_flags["<far.1@example.org>"]

    assert sync(offlineimap, config) == []
    assert server_state(imap_target) == after
    assert maildir_state(inbox) == near
