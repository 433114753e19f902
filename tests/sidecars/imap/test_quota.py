"""QUOTA (RFC 9208, RFC 2087): GETQUOTAROOT/GETQUOTA reporting the account's limits from the settings
registry in the RFC's units, and APPEND/COPY refused with [OVERQUOTA] (RFC 9208 4.3, RFC 5530)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.sidecars.imap.conftest import ImapService, Raw, code_of, parse, plain

LIMIT_KB = 8  # quota.storage_bytes = 8192: STORAGE limit 8 in 1024-octet units
LIMIT_MESSAGES = 4


@pytest.fixture
def limited(imap_service: ImapService) -> Iterator[Raw]:
    address = imap_service.new_account("quota")
    imap_service.set_setting("quota.storage_bytes", LIMIT_KB * 1024, account=address)
    imap_service.set_setting("quota.messages", LIMIT_MESSAGES, account=address)
    conn = imap_service.login(address)
    yield conn
    conn.close()


def quota(line: bytes) -> tuple[str, dict[str, tuple[int, int]]]:
    values = parse(line)
    assert values[1] == "QUOTA"
    root = values[2].decode() if isinstance(values[2], bytes) else str(values[2])
    items = values[3]
    assert isinstance(items, list) and len(items) % 3 == 0, line
    return root, {str(items[i]).upper(): (items[i + 1], items[i + 2]) for i in range(0, len(items), 3)}  # type: ignore[misc]


def test_getquotaroot_reports_storage_and_messages(limited: Raw) -> None:
    limited.append("INBOX", plain("small", "x" * 2000))
    reply = limited.command("GETQUOTAROOT INBOX")
    assert reply.ok, reply
    (root_line,) = reply.named("QUOTAROOT")
    roots = parse(root_line)[3:]
    assert parse(root_line)[2] in ("INBOX", b"INBOX") and len(roots) >= 1  # RFC 9208 4.1.2
    (quota_line,) = reply.named("QUOTA")
    root, resources = quota(quota_line)
    assert root in {r.decode() if isinstance(r, bytes) else str(r) for r in roots}
    used_kb, limit_kb = resources["STORAGE"]
    assert limit_kb == LIMIT_KB and used_kb in (1, 2, 3)  # about 2.1 KB used, in 1024-octet units
    assert resources["MESSAGE"] == (1, LIMIT_MESSAGES)


def test_getquota_by_root(limited: Raw) -> None:
    (root_line,) = limited.command("GETQUOTAROOT INBOX").named("QUOTAROOT")
    root = parse(root_line)[3]
    root_text = root.decode() if isinstance(root, bytes) else str(root)
    reply = limited.command(f'GETQUOTA "{root_text}"')
    assert reply.ok, reply
    assert quota(reply.named("QUOTA")[0])[1]["STORAGE"][1] == LIMIT_KB


def test_append_over_storage_quota_is_overquota(limited: Raw) -> None:
    reply = limited.literal_command("APPEND INBOX", plain("too big", "y" * (LIMIT_KB * 1024 + 100)))
    assert reply.status == "NO" and code_of(reply.tagged) == "OVERQUOTA", reply
    assert limited.command("NOOP").ok
    assert b"MESSAGES 0" in limited.command("STATUS INBOX (MESSAGES)").named("STATUS")[0]


def test_message_count_quota(limited: Raw) -> None:
    for n in range(LIMIT_MESSAGES):
        limited.append("INBOX", plain(f"n{n}"))
    reply = limited.literal_command("APPEND INBOX", plain("one too many"))
    assert reply.status == "NO" and code_of(reply.tagged) == "OVERQUOTA", reply


def test_copy_over_quota_is_refused(limited: Raw) -> None:
    for n in range(3):
        limited.append("INBOX", plain(f"c{n}"))
    limited.select("INBOX")
    reply = limited.command("COPY 1:3 Archive")  # 6 messages > 4
    assert reply.status == "NO" and code_of(reply.tagged) == "OVERQUOTA", reply
    assert b"MESSAGES 0" in limited.command("STATUS Archive (MESSAGES)").named("STATUS")[0]


def test_users_cannot_set_their_own_quota(limited: Raw) -> None:
    (root_line,) = limited.command("GETQUOTAROOT INBOX").named("QUOTAROOT")
    root = parse(root_line)[3]
    root_text = root.decode() if isinstance(root, bytes) else str(root)
    assert limited.command(f'SETQUOTA "{root_text}" (STORAGE 999999)').status in ("NO", "BAD")


def test_quota_capability_names_resources(limited: Raw) -> None:
    (line,) = limited.command("CAPABILITY").named("CAPABILITY")
    assert re.search(rb" QUOTA=RES-STORAGE\b", line) and re.search(
        rb" QUOTA=RES-MESSAGE\b", line
    )  # RFC 9208 5: one capability per resource


def test_mailbox_count_quota(imap_service: ImapService) -> None:
    """QUOTA=RES-MAILBOX (RFC 9208 5.3): the folder limit is reported and enforced on CREATE."""
    address = imap_service.new_account("folders")
    count = imap_service.store.folders.count(address)
    imap_service.set_setting("quota.folders", count + 1, account=address)
    conn = imap_service.login(address)
    try:
        assert conn.command("CREATE OneMore").ok
        reply = conn.command("CREATE OneTooMany")
        assert reply.status == "NO" and code_of(reply.tagged) == "OVERQUOTA", reply
        (line,) = conn.command("GETQUOTAROOT INBOX").named("QUOTA")
        assert quota(line)[1]["MAILBOX"] == (count + 1, count + 1)
    finally:
        conn.close()
