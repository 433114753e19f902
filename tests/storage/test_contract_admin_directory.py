"""WebAdmin's directory through the admin facade (storage.admin_directory, storage.admin_public_folders,
storage.account_import), on SQLite and PostgreSQL: paged account lists, details, classes, public folders,
folder recipients that really receive mail, and the CSV import's per-line report."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage import account_import, passwords
from storage.admin_directory import FieldProblem
from storage.adminscope import DomainScope
from storage.errors import AlreadyExists, InvalidInput, NotFound
from storage.store import Store
from tests.storage.conftest import _reused_demo_hash

MINE, THEIRS = "example.test", "other.test"


@pytest.fixture
def tenants(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(passwords, "hash_password", _reused_demo_hash)
    store.admins.set_password("admin", "admin-password-1")
    for domain in (MINE, THEIRS):
        store.domains.add(domain)
        store.accounts.add(f"alice@{domain}", "alice-password-1")
    return store


def test_accounts_are_listed_a_page_at_a_time_with_a_filter(tenants: Store) -> None:
    for n in range(30):
        tenants.accounts.add(f"user{n:02d}@{MINE}", None, display_name=f"Person {n:02d}")
    tenants.accounts.add(f"odd_one@{MINE}", None, display_name="Zoë 100% Müller")
    directory = tenants.for_admin("admin").directory
    first = directory.accounts_page(MINE, limit=10)
    assert first.total == 33  # 30 users, alice, odd_one, postmaster
    assert [r.address for r in first.rows][:2] == [f"alice@{MINE}", f"odd_one@{MINE}"]
    assert len(first.rows) == 10
    last = directory.accounts_page(MINE, offset=30, limit=10)
    assert [r.address for r in last.rows] == [f"user{n:02d}@{MINE}" for n in (27, 28, 29)]
    found = directory.accounts_page(MINE, search="PERSON 1")
    assert found.total == 10 and {r.display_name for r in found.rows} == {f"Person 1{d}" for d in range(10)}
    assert [r.address for r in directory.accounts_page(MINE, search="100%").rows] == [f"odd_one@{MINE}"]
    assert directory.accounts_page(MINE, search="user_").total == 0  # "_" is no wildcard
    assert directory.accounts_page(THEIRS).total == 2
    with pytest.raises(InvalidInput):
        directory.accounts_page(MINE, limit=0)
    with pytest.raises(InvalidInput):
        directory.accounts_page(MINE, offset=-1)


def test_a_domain_administrator_pages_only_their_domain(tenants: Store) -> None:
    directory = tenants.for_admin("admin", DomainScope.of(MINE)).directory
    assert directory.accounts_page(MINE).total == 2
    with pytest.raises(NotFound, match=f"domain {THEIRS} does not exist"):
        directory.accounts_page(THEIRS)
    with pytest.raises(NotFound):
        directory.account_details(f"alice@{THEIRS}")
    with pytest.raises(NotFound):
        directory.add_account(f"bob@{THEIRS}", "bob-password-1")
    with pytest.raises(NotFound):
        directory.classes(THEIRS)
    with pytest.raises(NotFound):
        tenants.for_admin("admin", DomainScope.of(MINE)).public_folders.create(THEIRS, "Shared")
    assert [a.address for a in tenants.accounts.list(THEIRS)] == [f"alice@{THEIRS}", f"postmaster@{THEIRS}"]


def test_account_details_split_aliases_and_show_quota_and_services(tenants: Store) -> None:
    admin = tenants.for_admin("admin")
    alice = f"alice@{MINE}"
    admin.add_account_alias(alice, f"ally@{MINE}")
    aid = tenants.accounts.get(alice).id
    temporary = tenants.for_user(aid).temporary_aliases.create("shop", days=3)
    admin.set_setting("quota.storage_bytes", "5M", account=alice)
    admin.set_setting("services.pop3", False, account=alice)
    admin.directory.add_class(MINE, "staff")
    admin.set_account_class(alice, "staff")
    admin.directory.set_display_name(alice, "  Alice Liddell ")
    details = admin.directory.account_details(alice)
    assert details.aliases == (f"ally@{MINE}",)
    assert [t.address for t in details.temporary_aliases] == [temporary.address]
    assert details.quota_bytes == 5 * 1024 * 1024 and details.quota_messages == 0
    assert details.services == {"imap": True, "pop3": False, "smtp": True, "webmail": True, "dav": True}
    assert details.account.display_name == "Alice Liddell"
    assert details.account.account_class == "staff"
    admin.directory.remove_temporary_alias(alice, temporary.address)
    assert admin.directory.account_details(alice).temporary_aliases == ()
    with pytest.raises(NotFound):
        admin.directory.remove_temporary_alias(alice, f"ally@{MINE}")  # permanent: not this way
    with pytest.raises(InvalidInput):
        admin.directory.set_display_name(alice, "x" * 201)


def test_adding_an_account_with_class_and_quota_is_all_or_nothing(tenants: Store) -> None:
    directory = tenants.for_admin("admin").directory
    refusals = [
        ({"account_class": "nope"}, "bob-password-1", "account_class", "account class 'nope' does not exist"),
        ({"quota": "lots"}, "bob-password-1", "quota", "."),
        ({}, "short", "password", "too short"),
        ({"display_name": "\x01"}, "bob-password-1", "display_name", "control"),
    ]
    for extra, password, field, words in refusals:
        with pytest.raises(FieldProblem, match=words) as refused:
            directory.add_account(f"bob@{MINE}", password, **extra)
        assert refused.value.field == field
    with pytest.raises(FieldProblem) as refused:
        directory.add_account("bob@", "bob-password-1")
    assert refused.value.field == "address"
    assert f"bob@{MINE}" not in [a.address for a in tenants.accounts.list(MINE)]
    directory.add_class(MINE, "staff")
    new = directory.add_account(f"bob@{MINE}", None, display_name="Bob", account_class="staff", quota="2M")
    assert new.password is not None and len(new.password) >= 8
    assert new.account.account_class == "staff" and new.account.quota_bytes == 2 * 1024 * 1024
    tenants.auth.verify(f"bob@{MINE}", new.password)
    again = directory.reset_password(f"bob@{MINE}")
    assert again != new.password
    tenants.auth.verify(f"bob@{MINE}", again)
    with pytest.raises(FieldProblem, match="already taken") as refused:
        directory.add_account(f"bob@{MINE}", "bob-password-2")
    assert refused.value.field == "address"


def test_the_edit_form_is_saved_whole_or_not_at_all(tenants: Store) -> None:
    admin = tenants.for_admin("admin")
    alice = f"alice@{MINE}"
    admin.directory.add_class(MINE, "staff")
    services = {"imap": True, "pop3": False, "smtp": True, "webmail": True, "dav": True}
    with pytest.raises(FieldProblem) as refused:
        admin.directory.update_account(
            alice, display_name="A", enabled=False, account_class="staff", quota="much", services=services
        )
    assert refused.value.field == "quota"
    unchanged = admin.directory.account_details(alice)
    assert unchanged.account.enabled and unchanged.account.account_class is None
    assert unchanged.account.display_name is None
    admin.directory.update_account(
        alice, display_name="A", enabled=False, account_class="staff", quota="3M", services=services
    )
    saved = admin.directory.account_details(alice)
    assert not saved.account.enabled and saved.account.account_class == "staff"
    assert saved.quota_bytes == 3 * 1024 * 1024 and not saved.services["pop3"]
    assert admin.explicit_settings(account=alice) == {
        "quota.storage_bytes": 3 * 1024 * 1024,
        "services.pop3": False,
    }
    admin.directory.update_account(
        alice, display_name="", enabled=True, account_class=None, quota="", services=services
    )
    assert admin.explicit_settings(account=alice) == {"services.pop3": False}


def test_a_forwarder_gets_new_targets_or_keeps_its_old_ones(tenants: Store) -> None:
    admin = tenants.for_admin("admin")
    admin.add_forwarder(f"fwd@{MINE}", ["a@far.test"])
    with pytest.raises(FieldProblem) as refused:
        admin.directory.replace_forwarder(f"fwd@{MINE}", ["not an address"])
    assert refused.value.field == "targets"
    assert admin.list_forwarders(MINE)[0].targets == ("a@far.test",)
    admin.directory.replace_forwarder(f"fwd@{MINE}", ["b@far.test", f"alice@{MINE}"])
    assert admin.list_forwarders(MINE)[0].targets == ("b@far.test", f"alice@{MINE}")


def test_random_passwords_follow_the_domains_minimum_length(tenants: Store) -> None:
    admin = tenants.for_admin("admin")
    admin.set_setting("auth.password_min_length", 40, domain=MINE)
    new = admin.directory.add_account(f"long@{MINE}", None)
    assert new.password is not None and len(new.password) >= 40


def test_account_classes_are_listed_renamed_and_deleted(tenants: Store) -> None:
    admin = tenants.for_admin("admin")
    directory = admin.directory
    directory.add_class(MINE, "staff")
    directory.add_class(MINE, "guests")
    admin.set_account_class(f"alice@{MINE}", "staff")
    admin.set_setting("quota.messages", 7, domain=MINE, account_class="staff")
    assert [(c.name, c.account_count) for c in directory.classes(MINE)] == [("guests", 0), ("staff", 1)]
    with pytest.raises(AlreadyExists):
        directory.rename_class(MINE, "staff", "guests")
    directory.rename_class(MINE, "staff", "team")
    assert tenants.accounts.get(f"alice@{MINE}").account_class == "team"
    assert admin.setting("quota.messages", account=f"alice@{MINE}") == 7
    directory.delete_class(MINE, "team")
    assert tenants.accounts.get(f"alice@{MINE}").account_class is None
    assert admin.setting("quota.messages", account=f"alice@{MINE}") == 0
    directory.add_class(MINE, "team")  # no leftover values come back with the name
    assert admin.explicit_settings(domain=MINE, account_class="team") == {}
    with pytest.raises(NotFound):
        directory.delete_class(MINE, "team-x")
    with pytest.raises(InvalidInput):
        directory.add_class(MINE, " ")
    assert [c.name for c in directory.classes(THEIRS)] == []


def test_public_folders_and_folder_recipients_receive_mail(
    tenants: Store, make_message: Callable[..., bytes]
) -> None:
    folders = tenants.for_admin("admin").public_folders
    folders.create(MINE, "Support/Tickets")
    assert [f.path for f in folders.list(MINE)] == ["Support", "Support/Tickets"]
    added = folders.add_recipient(f"tickets@{MINE}", "Support/Tickets")
    assert added.address == f"tickets@{MINE}"
    with pytest.raises(AlreadyExists):
        folders.add_recipient(f"alice@{MINE}", "Support")
    with pytest.raises(NotFound):
        folders.add_recipient(f"nowhere@{MINE}", "Nope")
    result = tenants.mail.deliver(make_message(to=f"tickets@{MINE}"), [f"tickets@{MINE}", f"alice@{MINE}"])
    assert not result.failed
    tickets = tenants.folders.get(f"@{MINE}", "Support/Tickets")
    assert tickets.message_count == 1
    assert tenants.folders.get(f"alice@{MINE}", "INBOX").message_count == 1
    assert tenants.accounts.get(f"alice@{MINE}").message_count == 1
    assert [(r.address, r.folder) for r in folders.recipients(MINE)] == [
        (f"tickets@{MINE}", "Support/Tickets")
    ]
    listed = {f.path: f for f in folders.list(MINE)}
    assert listed["Support/Tickets"].recipients == (f"tickets@{MINE}",)
    assert listed["Support/Tickets"].message_count == 1
    # a group reaching the folder recipient delivers there too
    tenants.groups.add(f"team@{MINE}")
    tenants.forwarders.add(f"help@{MINE}", [f"tickets@{MINE}"])
    tenants.mail.deliver(make_message(), [f"help@{MINE}"])
    assert tenants.folders.get(f"@{MINE}", "Support/Tickets").message_count == 2
    folders.rename(MINE, "Support", "Helpdesk")
    assert folders.recipients(MINE)[0].folder == "Helpdesk/Tickets"
    tenants.mail.deliver(make_message(), [f"tickets@{MINE}"])
    assert tenants.folders.get(f"@{MINE}", "Helpdesk/Tickets").message_count == 3
    folders.remove_recipient(f"tickets@{MINE}")
    with pytest.raises(NotFound):
        folders.remove_recipient(f"tickets@{MINE}")
    folders.add_recipient(f"tickets@{MINE}", "Helpdesk/Tickets")
    folders.delete(MINE, "Helpdesk")
    assert folders.list(MINE) == [] and folders.recipients(MINE) == []
    assert tenants.mail.deliver(make_message(), [f"tickets@{MINE}"]).failed


def test_csv_import_adds_the_good_lines_and_reports_each(tenants: Store) -> None:
    admin = tenants.for_admin("admin")
    admin.directory.add_class(MINE, "staff")
    data = (
        "\ufeffaddress,password,display_name,class,quota\r\n"
        "carol@example.test,carol-password-1,Carol,staff,1M\r\n"
        'dave,,"Dave, Jr.",,\r\n'
        "\r\n"
        "alice@example.test,alice-password-2,,,\r\n"
        "erin@example.test,short,,,\r\n"
        "frank@example.test,frank-password-1,,nope,\r\n"
        "gina@other.test,gina-password-1,,,\r\n"
        "hank@example.test,hank-password-1,,,10X\r\n"
        "ivan@example.test,ivan-password-1,,,,extra\r\n"
    ).encode()
    report = account_import.import_accounts(admin, data, domain=MINE)
    lines = [(x.line, x.address, x.status) for x in report.lines]
    assert lines[0] == (2, f"carol@{MINE}", "added")
    assert lines[1] == (3, f"dave@{MINE}", "added")
    assert lines[2] == (5, f"alice@{MINE}", "address alice is already taken in this domain")
    assert lines[3][:2] == (6, f"erin@{MINE}") and "too short" in lines[3][2]
    assert lines[4] == (7, f"frank@{MINE}", "account class 'nope' does not exist")
    assert lines[5] == (8, "gina@other.test", f"gina@other.test is not in domain {MINE}")
    assert lines[6][:2] == (9, f"hank@{MINE}") and lines[6][2] != "added"
    assert lines[7] == (10, "ivan@example.test", "more fields than columns in the header")
    assert report.added == 2 and report.failed == 6
    assert report.lines[0].password is None and report.lines[1].password
    tenants.auth.verify(f"dave@{MINE}", report.lines[1].password or "")
    assert tenants.accounts.get(f"dave@{MINE}").display_name == "Dave, Jr."
    carol = tenants.accounts.get(f"carol@{MINE}")
    assert carol.account_class == "staff" and carol.quota_bytes == 1024 * 1024
    for missing in ("erin", "frank", "hank", "ivan"):
        with pytest.raises(NotFound):
            tenants.accounts.get(f"{missing}@{MINE}")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "the file is empty"),
        (b"name,password\r\nx,y\r\n", "unknown column 'name'"),
        (b"password\r\nx\r\n", "no 'address' column"),
        (b"address,address\r\n", "named twice"),
        (b"address\r\n\xff\r\n", "not UTF-8"),
        (b"address\r\n" + b"a\r\n" * (account_import.MAX_LINES + 1), "more than 500 accounts"),
        (b"address\r\n" + b"a" * account_import.MAX_BYTES, "larger than 1024 KiB"),
    ],
)
def test_a_csv_file_that_cannot_be_read_adds_nothing(tenants: Store, data: bytes, error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        account_import.import_accounts(tenants.for_admin("admin"), data, domain=MINE)
    assert len(tenants.accounts.list(MINE)) == 2
