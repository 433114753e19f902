"""The permissions dialog beyond one folder's entries (webmail/sharing.py, webmail/delegation.py): the
organizer folders, "apply to subfolders", the whole mailbox, an exception on a subfolder, a deny, and
delegation (send as, send on behalf, free/busy), in Standard and Mobile, as the users see it."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token
from tests.webmail.test_mobile_xhtml import well_formed

ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"


def _post(client: FlaskClient, url: str, **fields: str) -> str:
    token = csrf_token(client.get(url))
    reply = client.post(url, data={"csrf_token": token, **fields}, follow_redirects=True)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_data(as_text=True)


def _rights(seeded: Seeded, account_id: int, folder_id: int) -> str:
    return str(seeded.store.acl.rights_on(account_id, folder_id))


def test_organizer_folders_have_the_dialog_in_both_interfaces(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    calendar = seeded.store.folders.get(ALICE, "Calendar")
    contacts = seeded.store.folders.get(ALICE, "Contacts")
    auth.login()
    manage = client.get("/mail/folders").get_data(as_text=True)
    assert f"/mail/folders/{calendar.id}/sharing" in manage and "(calendar)" in manage
    page = _post(
        client,
        f"/mail/folders/{calendar.id}/sharing",
        action="grant",
        who="address",
        address=BOB,
        role="viewer",
        inherit="1",
    )
    assert "(calendar)" in page and BOB in page and ">lrs<" in page
    assert f"/m/folders/{contacts.id}/sharing" in client.get("/m/folders/manage").get_data(as_text=True)
    page = _post(
        client, f"/m/folders/{contacts.id}/sharing", action="grant", who="domain", role="contributor"
    )
    assert "All users of example.test" in page and "this folder only" in page
    auth.logout()
    assert _rights(seeded, seeded.bob.id, calendar.id) == "lrs"
    assert _rights(seeded, seeded.carol.id, contacts.id) == "lrsip"
    auth.login(BOB, "pass-bob")
    manage = client.get("/mail/folders").get_data(as_text=True)
    assert f"{ALICE}: Calendar" in manage  # in bob's list of organizer folders, read-only
    assert f"/mail/folders/{calendar.id}/sharing" not in manage


def test_whole_mailbox_grant_then_an_exception_on_a_subfolder(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    mine = seeded.store.for_user(seeded.alice.id)
    projects = mine.create_folder(ALICE, "Projects").id
    secret = mine.create_folder(ALICE, "Projects/Secret").id
    deeper = mine.create_folder(ALICE, "Projects/Secret/Deeper").id
    auth.login()
    manage = client.get("/mail/folders").get_data(as_text=True)
    root = mine.sharing.mailbox_root().id
    assert f"/mail/folders/{root}/sharing" in manage
    page = _post(
        client,
        f"/mail/folders/{root}/sharing",
        action="grant",
        who="address",
        address=BOB,
        role="editor",
        inherit="1",
    )
    assert "sharing-whole-mailbox" in page and ">lrswipkte<" in page
    assert _rights(seeded, seeded.bob.id, secret) == "lrswipkte"
    page = client.get(f"/mail/folders/{secret}/sharing").get_data(as_text=True)
    assert "from the whole mailbox" in page and "Set exception here" in page
    page = _post(
        client, f"/mail/folders/{secret}/sharing", action="exception", name=BOB, role="viewer", inherit="1"
    )
    assert "Exception set" in page and "denied" in page and ">wipkxtea<" in page
    assert [_rights(seeded, seeded.bob.id, f) for f in (projects, secret, deeper)] == [
        "lrswipkte",
        "lrs",
        "lrs",
    ]
    # nothing at all on Secret alone: bob no longer sees it, Deeper keeps the whole mailbox's grant
    _post(client, f"/mail/folders/{secret}/sharing", action="exception", name=BOB, role="none")
    auth.logout()
    auth.login(BOB, "pass-bob")
    tree = client.get("/mail/folders").get_data(as_text=True)
    assert "Projects/Secret/Deeper" in tree and f'/mail/folder/{secret}"' not in tree
    assert client.get(f"/mail/folder/{secret}").status_code == 404
    assert client.get(f"/mail/folder/{deeper}").status_code == 200


def test_a_deny_entry_and_this_folder_only(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    mine = seeded.store.for_user(seeded.alice.id)
    projects = mine.create_folder(ALICE, "Projects").id
    child = mine.create_folder(ALICE, "Projects/Child").id
    auth.login()
    url = f"/m/folders/{projects}/sharing"
    _post(client, url, action="grant", who="domain", role="viewer", inherit="1")
    page = _post(
        client, url, action="grant", who="address", address=CAROL, role="custom", letters="r", effect="deny"
    )
    assert "denied" in page
    assert _rights(seeded, seeded.bob.id, child) == "lrs"
    assert _rights(seeded, seeded.carol.id, projects) == "ls"  # deny wins over the domain's allow
    assert _rights(seeded, seeded.carol.id, child) == "lrs"  # the deny is this folder's alone
    page = _post(client, url, action="change", name="@example.test", allow="1", role="viewer")  # box unticked
    assert "this folder only" in page
    assert _rights(seeded, seeded.bob.id, child) == ""


def test_delegation_send_on_behalf_and_free_busy(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    root = seeded.store.for_user(seeded.alice.id).sharing.mailbox_root().id
    auth.login()
    url = f"/mail/folders/{root}/sharing"
    assert "delegation-none" in client.get(url).get_data(as_text=True)
    page = _post(
        client, url, action="delegate", who="address", address=BOB, send_on_behalf="1", free_busy="1"
    )
    assert "Delegation changed" in page and BOB in page
    assert seeded.store.senders.on_behalf_of(seeded.bob.id) == [ALICE]
    assert _rights(seeded, seeded.bob.id, root) == "12"
    token = csrf_token(client.get(url))
    bad = client.post(
        url,
        data={
            "csrf_token": token,
            "action": "delegate",
            "who": "address",
            "address": "zed@example.test",
            "send_as": "1",
        },
    )
    assert bad.status_code == 400 and "delegate-error" in bad.get_data(as_text=True)
    page = _post(client, url, action="delegate", name=BOB)  # every box unticked: no longer a delegate
    assert "delegation-none" in page and _rights(seeded, seeded.bob.id, root) == ""
    # removing bob's whole-mailbox share leaves his delegation alone, and the other way round
    _post(client, url, action="delegate", name=BOB, send_as="1")
    _post(client, url, action="grant", who="address", address=BOB, role="viewer", inherit="1")
    assert _rights(seeded, seeded.bob.id, root) == "lrs0"
    page = _post(client, url, action="remove", name=BOB, allow="1")
    assert _rights(seeded, seeded.bob.id, root) == "0" and "delegation-none" not in page
    page = _post(client, url, action="delegate", name=BOB)
    assert _rights(seeded, seeded.bob.id, root) == "" and "delegation-none" in page
    # a delegation posted to another folder's page is not taken
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    _post(
        client, f"/mail/folders/{inbox}/sharing", action="delegate", who="address", address=BOB, send_as="1"
    )
    assert _rights(seeded, seeded.bob.id, root) == ""
    auth.logout()
    auth.login(BOB, "pass-bob")
    assert client.get(url).status_code == 404  # alice's mailbox root is nothing bob may look up


def test_mobile_pages_with_every_part_are_well_formed(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    mine = seeded.store.for_user(seeded.alice.id)
    root = mine.sharing.mailbox_root().id
    child = mine.create_folder(ALICE, "Projects").id
    mine.change_entry(root, BOB, "lrs")
    mine.change_entry(child, CAROL, "lr", allow=False, inherit=False)
    mine.sharing.set_delegate(BOB, send_as=True, send_on_behalf=True, free_busy=True)
    auth.login()
    for url in (f"/m/folders/{root}/sharing", f"/m/folders/{child}/sharing", "/m/folders/manage"):
        page = client.get(url).get_data(as_text=True)
        well_formed(page)
        assert "Set exception here" in page or url != f"/m/folders/{child}/sharing"


def test_the_reader_says_who_sent_on_behalf(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    raw = (
        b"From: Bob <bob@example.test>\r\nSender: Carol <carol@example.test>\r\nTo: alice@example.test\r\n"
        b"Subject: For Bob\r\nDate: Mon, 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <behalf@x>\r\n\r\nhi\r\n"
    )
    seeded.store.mail.deliver(raw, [ALICE])
    plain = (
        b"From: Bob <bob@example.test>\r\nSender: bob@example.test\r\nTo: alice@example.test\r\n"
        b"Subject: Bob himself\r\nDate: Mon, 06 Jan 2025 11:00:00 +0000\r\nMessage-ID: <own@x>\r\n\r\nhi\r\n"
    )
    seeded.store.mail.deliver(plain, [ALICE])
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    uids = seeded.store.for_user(seeded.alice.id).reader(inbox).uids()
    auth.login()
    behalf = client.get(f"/mail/folder/{inbox}/{uids[-2]}").get_data(as_text=True)
    assert 'class="h-sender"' in behalf and "Carol &lt;carol@example.test&gt;, on behalf of" in behalf
    own = client.get(f"/m/folder/{inbox}/{uids[-1]}").get_data(as_text=True)
    assert "Bob himself" in own and 'class="h-sender"' not in own


def test_postmaster_shares_a_public_calendar_with_the_domain(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    """The manual's room booking set-up: a public calendar the postmaster (all rights on public folders,
    implicitly) lets every user of the domain add to; the users see it among their calendars."""
    seeded.store.accounts.set_password("postmaster@example.test", "pass-postmaster")
    seeded.store.folders.create("@example.test", "Rooms", kind="calendar")
    rooms = seeded.store.folders.get("@example.test", "Rooms").id
    auth.login("postmaster@example.test", "pass-postmaster")
    url = f"/mail/folders/{rooms}/sharing"
    page = client.get(url).get_data(as_text=True)
    assert "from all public folders" in page  # the domain's default "l" from the public root
    page = _post(client, url, action="grant", who="domain", role="contributor", inherit="1")
    assert ">lrsip<" in page
    auth.logout()
    (listed,) = [
        c for c in seeded.store.for_user(seeded.bob.id).organizer.collections("calendar") if c.public
    ]
    assert listed.folder_id == rooms and str(listed.rights) == "lrsip"
    auth.login(BOB, "pass-bob")
    assert client.get(url).status_code == 403  # bob may add bookings, not change who may
