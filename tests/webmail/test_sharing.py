"""Sharing my folders (webmail/sharing.py): alice grants, bob sees, alice withdraws, bob no longer sees."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token

ALICE = "alice@example.test"
BOB = "bob@example.test"


def _projects(seeded: Seeded) -> tuple[int, int]:
    """Alice's folder "Projects" holding one message; its id and the message's uid."""
    mine = seeded.store.for_user(seeded.alice.id)
    folder = mine.create_folder(ALICE, "Projects")
    raw = (
        f"From: Carol <carol@example.test>\r\nTo: {ALICE}\r\nSubject: Roadmap draft\r\n"
        "Date: 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <roadmap@x>\r\n\r\nthe plan\r\n"
    ).encode()
    return folder.id, mine.append(folder.id, raw).uid


def _post(client: FlaskClient, url: str, **fields: str) -> str:
    token = csrf_token(client.get(url))
    return client.post(url, data={"csrf_token": token, **fields}, follow_redirects=True).get_data(
        as_text=True
    )


def test_alice_shares_a_folder_with_bob_as_viewer(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    folder_id, uid = _projects(seeded)
    auth.login()
    url = f"/mail/folders/{folder_id}/sharing"
    assert "sharing-link" in client.get("/mail/folders").get_data(as_text=True)
    page = _post(client, url, action="grant", who="address", address=BOB, role="viewer")
    assert BOB in page and ">lrs<" in page
    auth.logout()

    auth.login(BOB, "pass-bob")
    tree = client.get("/mail/folders").get_data(as_text=True)
    assert f"{ALICE}: " in tree and "Projects" in tree
    assert "read-only" in tree
    assert f'name="folder" value="{folder_id}"' not in tree  # no rename/move/delete form for it
    listing = client.get(f"/mail/folder/{folder_id}").get_data(as_text=True)
    assert "Roadmap draft" in listing
    assert 'value="move"' not in listing and 'value="delete"' not in listing
    reading = client.get(f"/mail/folder/{folder_id}/{uid}")
    assert reading.status_code == 200 and "Roadmap draft" in reading.get_data(as_text=True)
    # bob holds no "a": the page says so, and a forged grant is refused
    denied = client.get(url)
    assert denied.status_code == 403 and "sharing-denied" in denied.get_data(as_text=True)
    token = csrf_token(client.get("/mail/folders"))
    forged = client.post(
        url, data={"csrf_token": token, "action": "grant", "who": "anyone", "role": "master"}
    )
    assert forged.status_code == 403
    auth.logout()

    auth.login()
    page = _post(client, url, action="remove", name=BOB, allow="1")
    assert "sharing-none" in page
    auth.logout()

    auth.login(BOB, "pass-bob")
    assert "Projects" not in client.get("/mail/folders").get_data(as_text=True)
    assert client.get(f"/mail/folder/{folder_id}").status_code == 404
    assert client.get(f"/mail/folder/{folder_id}/{uid}").status_code == 404


def test_shared_folder_shows_under_its_owner_in_bob_tree(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    folder_id, _uid = _projects(seeded)
    seeded.store.for_user(seeded.alice.id).change_entry(folder_id, BOB, "lrs")
    auth.login(BOB, "pass-bob")
    home = client.get("/mail/", follow_redirects=True).get_data(as_text=True)
    assert f"Shared by {ALICE}" in home and f"/mail/folder/{folder_id}" in home
    mobile = client.get("/m/").get_data(as_text=True)
    assert f"/m/folder/{folder_id}" in mobile
    manage = client.get("/m/folders/manage").get_data(as_text=True)
    assert "read-only" in manage and f'name="folder" value="{folder_id}"' not in manage
    assert f"/m/folders/{folder_id}/sharing" not in manage  # no "a": no Sharing link
    listing = client.get(f"/m/folder/{folder_id}").get_data(as_text=True)
    assert "Roadmap draft" in listing
    assert 'value="move"' not in listing and 'value="delete"' not in listing


def test_roles_custom_letters_and_errors_next_to_fields(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    folder_id, _uid = _projects(seeded)
    auth.login()
    url = f"/m/folders/{folder_id}/sharing"
    token = csrf_token(client.get(url))
    bad = client.post(
        url, data={"csrf_token": token, "action": "grant", "who": "address", "address": "nobody"}
    )
    assert bad.status_code == 400 and "sharing-address-error" in bad.get_data(as_text=True)
    bad = client.post(
        url,
        data={"csrf_token": token, "action": "grant", "who": "anyone", "role": "custom", "letters": "lrz"},
    )
    assert bad.status_code == 400 and "sharing-letters-error" in bad.get_data(as_text=True)
    unknown = client.post(
        url, data={"csrf_token": token, "action": "grant", "who": "address", "address": "zed@example.test"}
    )
    assert unknown.status_code == 400 and "sharing-address-error" in unknown.get_data(as_text=True)
    page = _post(client, url, action="grant", who="domain", role="editor")
    assert "All users of example.test" in page and ">lrswipkte<" in page
    page = _post(client, url, action="change", name="@example.test", allow="1", role="custom", letters="lr")
    assert ">lr<" in page
    entries = seeded.store.for_user(seeded.alice.id).acl_entries(folder_id)
    assert [(e.name, str(e.rights)) for e in entries] == [("@example.test", "lr")]
    # the owner's own rights are implicit: changing them is refused with storage's words
    page = _post(client, url, action="change", name=ALICE, allow="1", role="viewer")
    assert "implicit" in page


def test_no_csrf_token_no_change(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    folder_id, _uid = _projects(seeded)
    auth.login()
    answer = client.post(
        f"/mail/folders/{folder_id}/sharing", data={"action": "grant", "who": "anyone", "role": "viewer"}
    )
    assert answer.status_code == 400
    assert seeded.store.for_user(seeded.alice.id).acl_entries(folder_id) == []
