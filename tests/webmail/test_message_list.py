"""The message list and folder management pages of both interfaces, through the test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token

ALICE = "alice@example.test"


def message(
    subject: str, sender: str = "Jürgen Müller <jm@x.test>", day: int = 6, body: str = "hello"
) -> bytes:
    return (
        f"From: {sender}\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Date: {day:02d} Jan 2025 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@x>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def inbox_id(seeded: Seeded, address: str = ALICE) -> int:
    return seeded.store.folders.get(address, "INBOX").id


def subjects(html: str) -> list[str]:
    rows = re.findall(r'<input type="checkbox" name="uid" value="(\d+)"', html)
    return rows


def test_list_sorts_and_pages(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    for i in range(1, 56):
        seeded.store.mail.deliver(message(f"Note {i:03d}", day=1 + i % 28), [ALICE])
    auth.login()
    fid = inbox_id(seeded)
    first = client.get(f"/mail/folder/{fid}").get_data(as_text=True)
    assert "56 messages" in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert len(subjects(first)) == 50
    second = client.get(f"/mail/folder/{fid}?page=2").get_data(as_text=True)
    assert len(subjects(second)) == 6 and "Page 2 of 2" in second
    up = client.get(f"/mail/folder/{fid}?sort=subject&order=asc").get_data(as_text=True)
    assert up.index("Note 001") < up.index("Note 002") < up.index("Note 050")
    assert 'aria-sort="ascending"' in up
    down = client.get(f"/mail/folder/{fid}?sort=subject").get_data(as_text=True)
    assert down.index("Note 055") < down.index("Note 054")
    assert client.get(f"/mail/folder/{fid}?sort=nonsense&page=x").status_code == 200  # ignored, not an error
    assert "Page 2 of 2" in client.get(f"/mail/folder/{fid}?page=99").get_data(as_text=True)


def test_search_form_folds_diacritics(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.mail.deliver(message("Quarterly report"), [ALICE])
    seeded.store.mail.deliver(message("Lunch", sender="Bob <bob@x.test>"), [ALICE])
    auth.login()
    fid = inbox_id(seeded)
    page = client.get(f"/mail/folder/{fid}?from=muller").get_data(as_text=True)
    assert "Quarterly report" in page and "Lunch" not in page and "1 message found" in page
    assert 'name="from" value="muller"' in page
    none = client.get(f"/mail/folder/{fid}?subject=zzz").get_data(as_text=True)
    assert "No message matches the search." in none
    unread = client.get(f"/mail/folder/{fid}?unseen=1&since=2025-01-01").get_data(as_text=True)
    assert "3 messages found" in unread


def test_conversations_toggle(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    store = seeded.store
    store.mail.deliver(message("Plan"), [ALICE])
    reply = message("Re: Plan", day=7).replace(b"MIME-Version", b"References: <Plan@x>\r\nMIME-Version")
    store.mail.deliver(reply, [ALICE])
    auth.login()
    fid = inbox_id(seeded)
    page = client.get(f"/mail/folder/{fid}?threads=1").get_data(as_text=True)
    assert "2 conversations" in page and "(2)</a>" in page
    link = re.search(r'href="(/mail/folder/\d+/thread/[0-9a-f]+)"', page)
    assert link
    thread = client.get(link.group(1)).get_data(as_text=True)
    assert thread.index(">Plan<") < thread.index("Re: Plan")


def test_move_delete_and_mark(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    store = seeded.store
    uids = [store.mail.deliver(message(f"M{i}"), [ALICE]).delivered[ALICE][1] for i in range(3)]
    auth.login()
    fid = inbox_id(seeded)
    archive = store.folders.get(ALICE, "Archive").id
    page = client.get(f"/mail/folder/{fid}")
    token = csrf_token(page)
    url = f"/mail/folder/{fid}/messages?sort=subject"
    done = client.post(url, data={"csrf_token": token, "uid": [uids[0]], "action": "move", "target": archive})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/mail/folder/{fid}?sort=subject")
    assert store.folders.get(ALICE, "Archive").message_count == 1
    assert "1 message moved." in client.get(done.headers["Location"]).get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "uid": [uids[1]], "action": "seen"})
    client.post(url, data={"csrf_token": token, "uid": [uids[1]], "action": "flag"})
    flags = store.mail.flags(fid, [uids[1]])[0].flags
    assert {"\\Seen", "\\Flagged"} <= flags
    client.post(url, data={"csrf_token": token, "uid": [uids[1], uids[2]], "action": "delete"})
    assert store.folders.get(ALICE, "Trash").message_count == 2
    assert client.post(url, data={"uid": [uids[0]], "action": "seen"}).status_code == 400  # no CSRF token
    assert (
        client.post(url, data={"csrf_token": token, "action": "seen"}).status_code == 400
    )  # nothing checked


def test_bob_gets_404_on_alice_ids(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    alice_inbox = inbox_id(seeded)
    uid = seeded.store.mail.flags(alice_inbox)[0].uid
    bob_inbox = inbox_id(seeded, "bob@example.test")
    auth.login("bob@example.test", "pass-bob")
    token = csrf_token(client.get(f"/mail/folder/{bob_inbox}"))
    assert client.get(f"/mail/folder/{alice_inbox}").status_code == 404
    assert client.get(f"/m/folder/{alice_inbox}").status_code == 404
    assert client.get(f"/mail/folder/{alice_inbox}/thread/abc").status_code == 404
    for path in (f"/mail/folder/{alice_inbox}/messages", f"/m/folder/{alice_inbox}/messages"):
        for action in ("move", "delete", "seen"):
            data = {"csrf_token": token, "uid": [uid], "action": action, "target": bob_inbox}
            assert client.post(path, data=data).status_code == 404
    move_in = {"csrf_token": token, "uid": [uid], "action": "move", "target": alice_inbox}
    assert client.post(f"/mail/folder/{bob_inbox}/messages", data=move_in).status_code in (400, 404)
    for form, path in (
        ({"folder": alice_inbox, "name": "X"}, "/mail/folders/rename"),
        ({"folder": alice_inbox}, "/mail/folders/delete"),
        ({"parent": alice_inbox, "name": "X"}, "/mail/folders/create"),
    ):
        assert client.post(path, data={"csrf_token": token, **form}).status_code == 404
    assert seeded.store.folders.get(ALICE, "INBOX").message_count == 1  # nothing happened to alice's mail


def test_read_only_shared_folder(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    alice = seeded.store.for_user(seeded.alice.id)
    fid = inbox_id(seeded)
    alice.change_entry(fid, "bob@example.test", "lr")
    auth.login("bob@example.test", "pass-bob")
    page = client.get(f"/mail/folder/{fid}").get_data(as_text=True)
    assert "Welcome to WebMail" in page
    assert 'value="delete"' not in page and 'value="flag"' not in page and 'value="move"' not in page
    manage = client.get("/mail/folders").get_data(as_text=True)
    assert "alice@example.test: " in manage and "read-only" in manage
    alice.change_entry(fid, "bob@example.test", "l")
    assert client.get(f"/mail/folder/{fid}").status_code == 403


def test_folder_management(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    store = seeded.store
    auth.login()
    token = csrf_token(client.get("/mail/folders"))
    assert client.post("/mail/folders/create", data={"csrf_token": token, "name": "Work"}).status_code == 302
    work = store.folders.get(ALICE, "Work").id
    client.post("/mail/folders/create", data={"csrf_token": token, "name": "2024", "parent": work})
    year = store.folders.get(ALICE, "Work/2024").id
    client.post("/mail/folders/create", data={"csrf_token": token, "name": "Old"})
    old = store.folders.get(ALICE, "Old").id
    client.post(
        "/mail/folders/rename", data={"csrf_token": token, "folder": year, "name": "Y2024", "parent": old}
    )
    assert store.folders.get(ALICE, "Old/Y2024").id == year  # renamed and moved, same folder
    client.post(
        "/mail/folders/rename", data={"csrf_token": token, "folder": old, "name": "Older", "parent": ""}
    )
    assert store.folders.get(ALICE, "Older/Y2024").id == year  # the subtree moved along
    bad = client.post("/mail/folders/create", data={"csrf_token": token, "name": "a/b"})
    assert bad.status_code == 400
    client.post("/mail/folders/delete", data={"csrf_token": token, "folder": old})
    names = [f.path for f in store.folders.list(ALICE)]
    assert "Older" not in names and "Older/Y2024" not in names and "Work" in names


def test_mobile_list(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    for i in range(25):
        seeded.store.mail.deliver(message(f"Phone {i:02d}"), [ALICE])
    auth.login(interface="mobile")
    fid = inbox_id(seeded)
    page = client.get(f"/m/folder/{fid}").get_data(as_text=True)
    assert len(subjects(page)) == 20 and "Page 1 of 2" in page and "interface-mobile" in page
    found = client.get(f"/m/folder/{fid}?subject=phone+07").get_data(as_text=True)
    assert "Phone 07" in found and "Phone 08" not in found
    uid = int(subjects(found)[0])
    token = csrf_token(client.get(f"/m/folder/{fid}"))
    done = client.post(
        f"/m/folder/{fid}/messages", data={"csrf_token": token, "uid": [uid], "action": "delete"}
    )
    assert done.headers["Location"].startswith(f"/m/folder/{fid}")
    assert seeded.store.folders.get(ALICE, "Trash").message_count == 1


def test_mobile_folder_management(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    store = seeded.store
    auth.login(interface="mobile")
    assert "/m/folders/manage" in client.get("/m/").get_data(as_text=True)
    token = csrf_token(client.get("/m/folders/manage"))
    client.post("/m/folders/manage/create", data={"csrf_token": token, "name": "Trips"})
    trips = store.folders.get(ALICE, "Trips").id
    client.post("/m/folders/manage/create", data={"csrf_token": token, "name": "Rome", "parent": trips})
    rome = store.folders.get(ALICE, "Trips/Rome").id
    client.post(
        "/m/folders/manage/rename", data={"csrf_token": token, "folder": rome, "name": "Roma", "parent": ""}
    )
    assert store.folders.get(ALICE, "Roma").id == rome
    client.post("/m/folders/manage/delete", data={"csrf_token": token, "folder": trips})
    assert "Trips" not in [f.path for f in store.folders.list(ALICE)]
    page = client.get("/m/folders/manage").get_data(as_text=True)
    inbox = store.folders.get(ALICE, "INBOX").id
    assert ">Roma</a>" in page and f'name="folder" value="{inbox}"' not in page  # INBOX stays
