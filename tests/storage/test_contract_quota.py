"""Quotas (storage size, message count, folder count) set through the settings at domain and account level,
enforced where mail is delivered, appended, copied and folders are made."""

from __future__ import annotations

import pytest

from storage.errors import QuotaExceeded
from storage.models import DeliveryProblem
from tests.storage.conftest import Demo, build_message

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"


def message_of(size: int, subject: str = "sized") -> bytes:
    """A new message of exactly ``size`` bytes."""
    base = build_message(subject=subject, body="")
    return base + b"y" * (size - len(base) - 2) + b"\r\n"


def test_storage_quota_at_domain_level_fails_only_the_full_recipient(demo: Demo) -> None:
    store = demo.store
    store.settings.set("quota.storage_bytes", 5000, domain="example.test")
    store.settings.set("quota.storage_bytes", 0, account=CAROL)  # account overrides: unlimited
    store.mail.deliver(message_of(4000), [ALICE])
    assert store.accounts.get(ALICE).used_bytes == 4000
    result = store.mail.deliver(message_of(2000), [ALICE, BOB, CAROL])
    assert set(result.delivered) == {BOB, CAROL}
    assert set(result.failed) == {ALICE}
    assert result.failed[ALICE].problem is DeliveryProblem.MAILBOX_FULL
    assert "quota" in result.failed[ALICE].text.lower()
    assert store.accounts.get(ALICE).used_bytes == 4000
    assert store.folders.get(ALICE, "INBOX").message_count == 1
    store.mail.deliver(message_of(10_000), [CAROL])
    assert store.accounts.get(CAROL).used_bytes == 12_000
    assert store.check().ok, store.check().problems


def test_account_quota_overrides_domain(demo: Demo) -> None:
    store = demo.store
    store.settings.set("quota.storage_bytes", "1M", domain="example.test")
    store.settings.set("quota.storage_bytes", 3000, account=BOB)
    assert store.accounts.get(BOB).quota_bytes == 3000
    assert store.accounts.get(ALICE).quota_bytes == 1024 * 1024
    result = store.mail.deliver(message_of(3500), [ALICE, BOB])
    assert set(result.delivered) == {ALICE} and set(result.failed) == {BOB}
    store.settings.clear("quota.storage_bytes", account=BOB)
    assert BOB in store.mail.deliver(message_of(3500), [BOB]).delivered


def test_message_count_quota(demo: Demo) -> None:
    store = demo.store
    store.settings.set("quota.messages", 2, domain="example.test")
    store.settings.set("quota.messages", 3, account=BOB)
    for _ in range(2):
        assert ALICE in store.mail.deliver(build_message(), [ALICE]).delivered
    result = store.mail.deliver(build_message(), [ALICE, BOB])
    assert result.failed[ALICE].problem is DeliveryProblem.MAILBOX_FULL
    assert "quota" in result.failed[ALICE].text.lower()
    assert BOB in result.delivered
    with pytest.raises(QuotaExceeded):
        store.mail.append(ALICE, "Drafts", build_message())
    for _ in range(2):  # bob's second and third of three
        assert BOB in store.mail.deliver(build_message(), [BOB]).delivered
    assert BOB in store.mail.deliver(build_message(), [BOB]).failed
    # expunging makes room again
    inbox = store.folders.get(ALICE, "INBOX")
    store.mail.set_flags(inbox.id, store.mail.uids(inbox.id)[:1], ["\\Deleted"])
    store.mail.expunge(inbox.id)
    assert ALICE in store.mail.deliver(build_message(), [ALICE]).delivered


def test_append_over_quota_raises_and_leaves_nothing(demo: Demo) -> None:
    store = demo.store
    store.settings.set("quota.storage_bytes", 2000, account=ALICE)
    store.mail.append(ALICE, "Drafts", message_of(1500))
    blobs_before = sorted(store.blobs)
    with pytest.raises(QuotaExceeded):
        store.mail.append(ALICE, "Drafts", message_of(1000))
    assert store.folders.get(ALICE, "Drafts").message_count == 1
    assert store.accounts.get(ALICE).used_bytes == 1500
    assert sorted(store.blobs) == blobs_before  # the refused message left no blob file behind
    assert store.check().ok, store.check().problems


def test_copy_over_quota_refused(demo: Demo) -> None:
    store = demo.store
    fid, uid = store.mail.deliver(message_of(3000), [ALICE]).delivered[ALICE]
    store.settings.set("quota.storage_bytes", 5000, account=ALICE)
    archive = store.folders.get(ALICE, "Archive")
    with pytest.raises(QuotaExceeded):
        store.mail.copy(fid, [uid], archive.id)
    assert store.mail.uids(archive.id) == []
    store.mail.move(fid, [uid], archive.id)  # a move within the mailbox needs no extra room
    assert store.accounts.get(ALICE).used_bytes == 3000
    store.settings.set("quota.storage_bytes", 2000, account=BOB)
    with pytest.raises(QuotaExceeded):
        store.mail.move(archive.id, store.mail.uids(archive.id), store.folders.get(BOB, "INBOX").id)
    assert store.check().ok, store.check().problems


def test_folder_quota_limits_folder_create(demo: Demo) -> None:
    store = demo.store
    count = store.folders.count(ALICE)
    store.settings.set("quota.folders", count + 2, domain="example.test")
    store.folders.create(ALICE, "One")
    store.folders.create(ALICE, "Two")
    with pytest.raises(QuotaExceeded):
        store.folders.create(ALICE, "Three")
    with pytest.raises(QuotaExceeded):
        store.folders.create(ALICE, "Four/Five")
    assert store.folders.count(ALICE) == count + 2
    assert store.accounts.get(ALICE).folder_count == count + 2
    store.folders.delete(ALICE, "One")
    store.folders.create(ALICE, "Three")
    store.settings.set("quota.folders", 0, account=ALICE)  # account level: unlimited
    store.folders.create(ALICE, "Many/Levels/Deep")
    assert store.check().ok, store.check().problems


def test_used_bytes_accounting(demo: Demo) -> None:
    store = demo.store
    a, b = message_of(1111, "a"), message_of(2222, "b")
    fid, ua = store.mail.deliver(a, [ALICE, BOB]).delivered[ALICE]
    _, ub = store.mail.deliver(b, [ALICE]).delivered[ALICE]
    # single-instance storage does not change what each mailbox is charged
    assert store.accounts.get(ALICE).used_bytes == 3333
    assert store.accounts.get(BOB).used_bytes == 1111
    assert store.accounts.get(ALICE).message_count == 2
    sent = store.folders.get(ALICE, "Sent")
    store.mail.copy(fid, [ua], sent.id)
    assert store.accounts.get(ALICE).used_bytes == 4444
    store.mail.set_flags(fid, [ua, ub], ["\\Deleted"])
    store.mail.expunge(fid)
    assert store.accounts.get(ALICE).used_bytes == 1111
    store.folders.delete(ALICE, "Sent")
    account = store.accounts.get(ALICE)
    assert (account.used_bytes, account.message_count) == (0, 0)
    assert store.accounts.get(BOB).used_bytes == 1111


def test_public_folders_are_not_charged(demo: Demo) -> None:
    store = demo.store
    store.settings.set("quota.storage_bytes", 1000, domain="example.test")
    store.folders.create("@example.test", "Shared")
    store.mail.append("@example.test", "Shared", message_of(5000))
    assert store.folders.get("@example.test", "Shared").total_bytes == 5000
