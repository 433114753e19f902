"""Backup and restore through the admin facade (storage/admin_backup.py), on both backends.

A server's tree exported document by document and message by message, restored into an empty store,
gives back the same documents and messages; a delegated administrator reaches only their domains."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import open_store
from storage.admin_backup import AdminBackup
from storage.adminscope import DomainScope
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.store import Store

DOMAIN = "example.test"
MESSAGE = b"From: a@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nbody\r\n"


@pytest.fixture
def source(store: Store) -> Store:
    store.admins.set_password("admin", "adminpass1")
    store.domains.add(DOMAIN)
    store.domains.add("other.test")
    store.accounts.add(f"alice@{DOMAIN}", "alicepass1", display_name="Alice")
    store.accounts.add(f"bob@{DOMAIN}", "bobpass123")
    store.accounts.add("zed@other.test", "zedpass123")
    store.accounts.add_alias(f"alice@{DOMAIN}", f"al@{DOMAIN}")
    store.accounts.add_class(DOMAIN, "staff")
    store.accounts.set_class(f"bob@{DOMAIN}", "staff")
    store.settings.set("quota.messages", 500, domain=DOMAIN, account_class="staff")
    store.settings.set("quota.messages", 900, account=f"alice@{DOMAIN}")
    store.settings.set("quota.messages", 1000, domain=DOMAIN)
    store.folders.create(f"alice@{DOMAIN}", "Work/2024")
    store.folders.create(f"@{DOMAIN}", "Announcements")
    store.acl.grant(f"alice@{DOMAIN}", "Work", f"bob@{DOMAIN}", "lrs")
    store.groups.add(f"team@{DOMAIN}")
    store.groups.add_member(f"team@{DOMAIN}", f"bob@{DOMAIN}")
    store.groups.add_member(f"team@{DOMAIN}", "outside@elsewhere.test")
    store.acl.grant(f"@{DOMAIN}", "Announcements", f"team@{DOMAIN}", "lri")
    store.for_admin("admin").public_folders.add_recipient(f"news@{DOMAIN}", "Announcements")
    store.forwarders.add(f"fw@{DOMAIN}", ["someone@elsewhere.test"])
    store.scripts.put("account", f"alice@{DOMAIN}", "main", "keep;\n")
    store.scripts.activate("account", f"alice@{DOMAIN}", "main")
    for i in range(3):
        store.mail.append(f"alice@{DOMAIN}", "Work/2024", MESSAGE + b"%d\r\n" % i, ["\\Seen", "$Label1"])
    work = store.folders.get(f"alice@{DOMAIN}", "Work/2024").id
    store.mail.set_flags(work, [1], ["\\Deleted"])
    store.mail.expunge(work, [1])
    store.mail.append(f"@{DOMAIN}", "Announcements", MESSAGE, ["\\Flagged"])
    return store


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Store]:
    st = open_store(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target-blobs")
    st.admins.set_password("admin", "adminpass1")
    yield st
    st.close()


def copy_domain(src: AdminBackup, dst: AdminBackup, source: Store, domain: str) -> None:
    """What a mirror upload does, in reverse order to show that order does not matter."""
    for lp in reversed(src.groups(domain)):
        dst.restore_group(f"{lp}@{domain}", src.group_document(f"{lp}@{domain}"))
    for lp in reversed(src.accounts(domain)):
        address = f"{lp}@{domain}"
        for folder in src.folders(address):
            for m in src.messages(address, folder.path):
                dst.restore_message(
                    address, folder.path, m.uid, m.flags, source.blobs.read(m.sha256), m.internal_date
                )
        dst.restore_account(address, src.account_document(address))
    for lp in src.forwarders(domain):
        dst.restore_forwarder(f"{lp}@{domain}", src.forwarder_document(f"{lp}@{domain}"))
    for folder in src.folders(f"@{domain}"):
        for m in src.messages(f"@{domain}", folder.path):
            dst.restore_message(
                f"@{domain}", folder.path, m.uid, m.flags, source.blobs.read(m.sha256), m.internal_date
            )
    dst.restore_domain(domain, src.domain_document(domain))


def test_a_domain_restored_into_an_empty_store_compares_equal(source: Store, target: Store) -> None:
    src, dst = source.for_admin("admin").backup, target.for_admin("admin").backup
    copy_domain(src, dst, source, DOMAIN)
    assert dst.domains() == [DOMAIN]
    assert dst.domain_document(DOMAIN) == src.domain_document(DOMAIN)
    assert dst.accounts(DOMAIN) == src.accounts(DOMAIN)
    for lp in src.accounts(DOMAIN):
        address = f"{lp}@{DOMAIN}"
        assert dst.account_document(address) == src.account_document(address)
        for folder in src.folders(address):
            assert dst.messages(address, folder.path) == src.messages(address, folder.path)
    assert dst.group_document(f"team@{DOMAIN}") == src.group_document(f"team@{DOMAIN}")
    assert dst.forwarder_document(f"fw@{DOMAIN}") == src.forwarder_document(f"fw@{DOMAIN}")
    assert dst.messages(f"@{DOMAIN}", "Announcements") == src.messages(f"@{DOMAIN}", "Announcements")
    assert b'"news"' in dst.domain_document(DOMAIN)  # the folder recipient came back
    # users keep logging in with their passwords, and keep their rights and scripts
    assert target.auth.verify(f"alice@{DOMAIN}", "alicepass1").address == f"alice@{DOMAIN}"
    assert "r" in str(target.acl.rights(f"bob@{DOMAIN}", f"alice@{DOMAIN}", "Work"))
    assert target.scripts.active("account", f"alice@{DOMAIN}") is not None
    kept = [m.uid for m in dst.messages(f"alice@{DOMAIN}", "Work/2024")]
    assert kept == [2, 3]  # UIDs kept, the expunged one stays a gap
    assert target.folders.get(f"alice@{DOMAIN}", "Work/2024").uidvalidity == (
        source.folders.get(f"alice@{DOMAIN}", "Work/2024").uidvalidity
    )


def test_restoring_twice_adds_nothing(source: Store, target: Store) -> None:
    src, dst = source.for_admin("admin").backup, target.for_admin("admin").backup
    copy_domain(src, dst, source, DOMAIN)
    copy_domain(src, dst, source, DOMAIN)
    assert [m.uid for m in dst.messages(f"alice@{DOMAIN}", "Work/2024")] == [2, 3]


def test_a_message_into_a_live_folder_gets_the_next_uid(source: Store) -> None:
    backup = source.for_admin("admin").backup
    uid = backup.restore_message(
        f"alice@{DOMAIN}", "Work/2024", 1, frozenset({"\\Seen"}), b"Subject: x\r\n\r\ny\r\n"
    )
    assert uid == 4
    assert backup.message(f"alice@{DOMAIN}", "Work/2024", 4).flags == {"\\Seen"}


def test_documents_are_checked(source: Store) -> None:
    backup = source.for_admin("admin").backup
    with pytest.raises(InvalidInput, match="not a JSON"):
        backup.restore_account(f"alice@{DOMAIN}", b"\xff not json")
    with pytest.raises(InvalidInput, match="format"):
        backup.restore_account(f"alice@{DOMAIN}", b'{"address": "alice@example.test"}')
    with pytest.raises(InvalidInput, match="describes"):
        backup.restore_account(f"bob@{DOMAIN}", backup.account_document(f"alice@{DOMAIN}"))


def test_a_delegated_administrator_reaches_only_their_domains(source: Store) -> None:
    backup = source.for_admin("admin", DomainScope.of(DOMAIN)).backup
    assert backup.domains() == [DOMAIN]
    with pytest.raises(NotFound):
        backup.accounts("other.test")
    with pytest.raises(NotFound):
        backup.account_document("zed@other.test")
    with pytest.raises(NotFound):
        backup.restore_message("zed@other.test", "INBOX", None, frozenset(), MESSAGE)
    with pytest.raises(NotFound):
        backup.create_folder("zed@other.test", "Stolen")
    with pytest.raises(PermissionDenied):
        backup.create_domain("new.test")
    assert source.folders.list("zed@other.test") == source.folders.list("zed@other.test")
    assert source.mail.uids(source.folders.get("zed@other.test", "INBOX").id) == []
