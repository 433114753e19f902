"""The ACL matrix (issue 16): every role against every operation, over WebMail and IMAP (mail folders),
over CalDAV and through the organizer API (tasks folders: what WebMail's organizer pages and DAV call),
with the same answer everywhere and no leak.

Roles (tests/sharing/matrix.py): none, viewer, contributor, editor, master, a viewer through a group, an
editor through "all users of the domain", a deny over an inherited allow, and an exception (viewer)
under an inherited master. Operations: see the folder in a listing, read an item, add one, change one
(flag it), delete one, create a subfolder, delete the folder, share it. Each protocol works on a fresh
tree made for it, so what one protocol does never decides what the next one sees.

No leak: where the guest lacks "l", every refusal must be word for word the refusal for a folder that
does not exist (WebMail: the same status and page; IMAP: the same status and text).

Organizer folders are not IMAP mailboxes (sidecars/imap/names.py): a calendar shared with the guest never
shows up in an IMAP listing, whatever the role; that is checked too. DAV offers neither sharing nor making a
collection inside someone else's home, so its column leaves those two operations out.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from tests.sharing.dav_ops import NOT_OFFERED, DavGuest
from tests.sharing.imap_ops import ImapGuest
from tests.sharing.matrix import (
    CHANGE_ITEM,
    NEEDS,
    OPERATIONS,
    RIGHTS,
    ROLES,
    People,
    Setup,
    expected,
    message,
    prepare,
)
from tests.sharing.organizer_ops import OrganizerGuest
from tests.sharing.webmail_ops import WebmailGuest
from tests.sidecars.imap.conftest import DOMAIN, PASSWORD, ImapService
from webmail import create_app

MISSING_ID = 2**31 - 1


@pytest.fixture(scope="module")
def people(imap_service: ImapService) -> People:
    store = imap_service.store
    owner, guest, third = (imap_service.new_account(p) for p in ("own", "gst", "thd"))
    group = f"team{secrets.token_hex(4)}@{DOMAIN}"
    store.groups.add(group)
    store.groups.add_member(group, guest)
    return People(owner, store.accounts.get(owner).id, guest, store.accounts.get(guest).id, third, group)


@pytest.fixture
def webmail_guest(imap_service: ImapService, people: People) -> Iterator[WebmailGuest]:
    store = imap_service.store
    app = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "matrix-secret"})
    client: FlaskClient = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    signed_in = client.post(
        "/login", data={"username": people.guest, "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    inbox = store.folders.get(people.guest, "INBOX")
    uid = store.mail.deliver(message("Mine to copy"), [people.guest])
    uids = store.for_user(people.guest_id).reader(inbox.id).uids()
    assert uids, uid
    yield WebmailGuest(client, inbox.id, uids[-1])


@pytest.fixture
def imap_guest(imap_service: ImapService, people: People) -> Iterator[ImapGuest]:
    client = imap_service.imaplib(people.guest)
    try:
        yield ImapGuest(client, people.owner)
    finally:
        client.logout()


def _check(role: str, got: dict[str, tuple[bool, str]], missing: dict[str, tuple[bool, str]]) -> None:
    want = expected(role)
    assert {op: done for op, (done, _) in got.items()} == want, role
    if not want["list"]:  # no "l": exactly like a folder that does not exist
        assert got == missing, role


@pytest.mark.parametrize("role", ROLES)
def test_webmail_answers_as_the_rights_say(
    imap_service: ImapService, people: People, webmail_guest: WebmailGuest, role: str
) -> None:
    setup: Setup = prepare(imap_service.store, people, "web", role)
    got = webmail_guest.run(setup.box_id, setup.gone_id, setup.uid, people.third)
    missing = webmail_guest.run(MISSING_ID, MISSING_ID - 1, setup.uid, people.third)
    assert not any(done for done, _ in missing.values())
    _check(role, got, missing)


@pytest.mark.parametrize("role", ROLES)
def test_imap_answers_as_the_rights_say(
    imap_service: ImapService, people: People, imap_guest: ImapGuest, role: str
) -> None:
    setup = prepare(imap_service.store, people, "imap", role)
    got = imap_guest.run(f"{setup.top}/Box", f"{setup.top}/Gone", people.third)
    missing = imap_guest.run(f"{setup.top}-missing/Box", f"{setup.top}-missing/Gone", people.third)
    assert not any(done for done, _ in missing.values())
    _check(role, got, missing)


@pytest.mark.parametrize("role", ROLES)
def test_organizer_folders_answer_as_the_rights_say(
    imap_service: ImapService, people: People, role: str
) -> None:
    """The same roles on tasks folders, through the organizer API WebMail's organizer pages and DAV call."""
    store = imap_service.store
    setup = prepare(store, people, "org", role, kind="tasks")
    etag = store.for_user(people.owner_id).organizer.get(setup.box_id, "item.ics").etag
    guest = OrganizerGuest(store, people.guest_id, people.owner)
    item_uid = f"{setup.top}-item"
    got = guest.run(setup.box_id, setup.gone_id, f"{setup.top}/Box/Sub", people.third, item_uid, etag)
    missing = guest.run(
        MISSING_ID, MISSING_ID - 1, f"{setup.top}-missing/Box/Sub", people.third, item_uid, etag
    )
    assert not any(done for done, _ in missing.values())
    _check(role, got, missing)


@pytest.mark.parametrize("role", ROLES)
def test_dav_answers_as_the_rights_say(imap_service: ImapService, people: People, role: str) -> None:
    """The same roles on tasks folders over CalDAV (HTTP to webmail/dav); DAV offers no sharing and no
    collection inside someone else's, so those two columns are left out."""
    store = imap_service.store
    setup = prepare(store, people, "dav", role, kind="tasks")
    etag = store.for_user(people.owner_id).organizer.get(setup.box_id, "item.ics").etag
    app = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "matrix-secret"})
    guest = DavGuest(app.test_client(), people.guest, PASSWORD, people.owner)
    got = guest.run(f"{setup.top}/Box", f"{setup.top}/Gone", etag)
    missing = guest.run(f"{setup.top}-missing/Box", f"{setup.top}-missing/Gone", etag)
    assert not any(done for done, _ in missing.values())
    want = {op: ok for op, ok in expected(role).items() if op not in NOT_OFFERED}
    assert {op: done for op, (done, _) in got.items()} == want, (role, got)
    if not want["list"]:
        assert got == missing, role


def test_change_needs_the_same_under_every_role() -> None:
    """Flagging a message (w) and replacing an organizer item (i t e) are allowed to the same roles."""
    for role in ROLES:
        held = set(RIGHTS[role])
        assert (set(NEEDS["change"]) <= held) == (set(CHANGE_ITEM) <= held), role


@pytest.mark.parametrize("role", ["none", "viewer", "master"])
def test_a_shared_calendar_is_no_imap_mailbox(
    imap_service: ImapService, people: People, imap_guest: ImapGuest, role: str
) -> None:
    """Never listed and never opened over IMAP; without "l" every answer is the one for nothing at all,
    with it the client is told the folder holds no mail (it may know the folder exists)."""
    store = imap_service.store
    path = f"Cal-{role}"
    calendar = store.folders.create(people.owner, path, kind="calendar")
    if role != "none":
        store.for_user(people.owner_id).change_entry(calendar.id, people.guest, RIGHTS[role])
    got = imap_guest.run(path, path, people.third)
    missing = imap_guest.run(f"{path}-missing", f"{path}-missing", people.third)
    # a (mail) subfolder may be made below it with "k", as below any folder; nothing else is done
    assert [op for op, (done, _) in got.items() if done] == (
        ["create_subfolder"] if "k" in RIGHTS[role] else []
    )
    if role == "none":
        assert got == missing
    else:
        told = [op for op, (_, answer) in got.items() if "holds calendar, not mail" in answer]
        assert told == ["read", "add", "change", "delete_item", "share", "delete_folder"]
        if "k" not in RIGHTS[role]:  # the one answer every refused CREATE gets
            assert got["create_subfolder"] == missing["create_subfolder"]


def test_the_operations_are_the_matrix_columns() -> None:
    assert OPERATIONS[-1] == "delete_folder" and len(set(OPERATIONS)) == 8
