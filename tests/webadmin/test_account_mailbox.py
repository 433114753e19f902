"""Import and export of an account's mail in WebAdmin (webadmin/pages/account_mailbox.py): an mbox upload
lands in a folder (created if missing, flags kept), a folder downloads as the same messages; bad files,
CSRF, a delegated administrator without "backup" and another tenant's account answered as a user sees."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fieldpost import mailfiles
from storage.store import Store
from tests.webadmin.conftest import ADMIN, csrf_token, delegate, sign_in

ALICE = "alice@example.test"
PAGE = f"/accounts/{ALICE}/mailbox"
MBOX = (
    b"From bob@example.test Mon Jan  1 10:00:00 2024\n"
    b"From: Bob <bob@example.test>\nSubject: one\nStatus: RO\n\nFirst body\n>From the start\n\n"
    b"From carol@example.test Tue Jan  2 11:00:00 2024\n"
    b"From: carol@example.test\nSubject: two\n\nSecond body\n\n"
    b"From dave@remote.test Wed Jan  3 12:00:00 2024\n"
    b"From: dave@remote.test\nSubject: three\nX-Status: F\n\nThird body\n"
)


def upload(
    client: FlaskClient, content: bytes, folder: str = "Archive/2024", url: str = PAGE
) -> TestResponse:
    token = csrf_token(client.get(PAGE))
    return client.post(
        f"{url}/import",
        data={"csrf_token": token, "folder": folder, "file": (BytesIO(content), "old.mbox")},
        content_type="multipart/form-data",
    )


def test_an_upload_lands_in_a_new_folder_and_downloads_the_same(
    admin_client: FlaskClient, store: Store, tmp_path: Path
) -> None:
    reply = upload(admin_client, MBOX)
    assert reply.status_code == 302
    page = admin_client.get(PAGE).get_data(as_text=True)
    assert "3 message(s) imported into Archive/2024." in page and "Archive/2024" in page
    entries = store.for_admin(ADMIN).backup.messages(ALICE, "Archive/2024")
    assert [sorted(e.flags) for e in entries] == [["\\Seen"], [], ["\\Flagged"]]

    download = admin_client.get(f"{PAGE}/export", query_string={"folder": "Archive/2024"})
    assert download.status_code == 200 and download.mimetype == "application/mbox"
    assert "attachment" in download.headers["Content-Disposition"]
    (tmp_path / "back.mbox").write_bytes(download.get_data())
    back = list(mailfiles.read_mbox(tmp_path / "back.mbox"))
    sent = list(mailfiles.read_mbox(_written(tmp_path, MBOX)))
    assert [m.raw for m in back] == [m.raw for m in sent]
    assert b">From the start" not in back[0].raw and b"\r\nFrom the start" in back[0].raw
    assert [m.flags for m in back] == [m.flags for m in sent]


def _written(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "sent.mbox"
    path.write_bytes(content)
    return path


def test_the_account_page_links_here(admin_client: FlaskClient) -> None:
    assert f'href="{PAGE}"' in admin_client.get(f"/accounts/{ALICE}").get_data(as_text=True)


def test_bad_files_and_names_are_shown_on_the_form(admin_client: FlaskClient, store: Store) -> None:
    reply = upload(admin_client, b"Subject: not an mbox\n\nhello\n")
    assert (
        reply.status_code == 400
        and "This is neither an mbox file nor a zip archive of a Maildir." in reply.get_data(as_text=True)
    )
    reply = upload(admin_client, b"")
    assert reply.status_code == 400 and "The file holds no messages." in reply.get_data(as_text=True)
    reply = upload(admin_client, MBOX, folder="a//b")
    assert reply.status_code == 400 and "empty component" in reply.get_data(as_text=True)
    paths = [f.path for f in store.for_admin(ADMIN).mailboxes.mail_folders(ALICE)]
    assert "a" not in paths and "a/b" not in paths
    assert admin_client.get(f"{PAGE}/export").status_code == 400
    assert admin_client.get(f"{PAGE}/export", query_string={"folder": "Nope"}).status_code == 404


def test_an_upload_without_the_token_is_refused(admin_client: FlaskClient, store: Store) -> None:
    reply = admin_client.post(
        f"{PAGE}/import",
        data={"folder": "INBOX", "file": (BytesIO(MBOX), "old.mbox")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True)
    assert store.for_admin(ADMIN).backup.messages(ALICE, "INBOX") == []


def _tenant(app: Flask, store: Store, rights: str) -> FlaskClient:
    store.domains.add("other.test")
    store.accounts.add("dave@other.test", "pass-dave-1")
    delegate(store, "tenant", "example.test", rights=rights)
    client = app.test_client()
    assert sign_in(client, "tenant").status_code == 302
    return client


def test_a_delegate_without_backup_may_not_import_or_export(app: Flask, store: Store) -> None:
    client = _tenant(app, store, "accounts settings")
    assert client.get(PAGE).status_code == 200
    assert upload(client, MBOX, folder="INBOX").status_code == 403
    assert client.get(f"{PAGE}/export", query_string={"folder": "INBOX"}).status_code == 403
    assert store.for_admin(ADMIN).backup.messages(ALICE, "INBOX") == []


def test_a_delegate_with_backup_may(app: Flask, store: Store) -> None:
    client = _tenant(app, store, "backup")
    assert upload(client, MBOX, folder="INBOX").status_code == 302
    assert len(store.for_admin(ADMIN).backup.messages(ALICE, "INBOX")) == 3
    assert client.get(f"{PAGE}/export", query_string={"folder": "INBOX"}).get_data().count(b"\nFrom ") == 2


def test_another_tenants_account_is_not_found(app: Flask, store: Store) -> None:
    other = "/accounts/dave@other.test/mailbox"
    client = _tenant(app, store, "all")
    assert client.get(other).status_code == 404
    assert upload(client, MBOX, folder="INBOX", url=other).status_code == 404
    assert client.get(f"{other}/export", query_string={"folder": "INBOX"}).status_code == 404
    assert store.for_admin(ADMIN).backup.messages("dave@other.test", "INBOX") == []


def test_the_quota_stops_an_import_and_says_how_far_it_got(admin_client: FlaskClient, store: Store) -> None:
    store.for_admin(ADMIN).set_setting("quota.messages", 2, account=ALICE)
    reply = upload(admin_client, MBOX, folder="INBOX")
    assert reply.status_code == 400
    assert "2 message(s) imported, then the account&#39;s quota was reached" in reply.get_data(as_text=True)
    assert len(store.for_admin(ADMIN).backup.messages(ALICE, "INBOX")) == 2


def _zip(files: dict[str, bytes]) -> bytes:
    import zipfile

    out = BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2023, 5, 6, 7, 8, 9)), content)
    return out.getvalue()


def test_a_zipped_maildir_lands_with_its_subfolders_flags_and_dates(
    admin_client: FlaskClient, store: Store
) -> None:
    archive = _zip(
        {
            "Maildir/cur/1.host:2,S": b"Subject: seen\n\nread one\n",
            "Maildir/new/2.host": b"Subject: new\n\nnew one\n",
            "Maildir/tmp/": b"",
            "Maildir/.Lists.python/cur/3.host:2,F": b"Subject: flagged\n\nlist mail\n",
        }
    )
    reply = upload(admin_client, archive, folder="Old")
    assert reply.status_code == 302
    view = store.for_admin(ADMIN).backup
    top = view.messages(ALICE, "Old")
    assert sorted(sorted(e.flags) for e in top) == [[], ["\\Seen"]]
    assert {e.internal_date.year for e in top} == {2023}
    (listed,) = view.messages(ALICE, "Old/Lists/python")
    assert listed.flags == frozenset({"\\Flagged"})


def test_an_unsafe_or_empty_archive_is_refused(admin_client: FlaskClient, store: Store) -> None:
    reply = upload(admin_client, _zip({"../evil/cur/1": b"Subject: x\n\nx\n"}), folder="Old")
    assert reply.status_code == 400 and "unsafe path in the archive" in reply.get_data(as_text=True)
    reply = upload(admin_client, _zip({"notes/readme.txt": b"hello"}), folder="Old")
    assert reply.status_code == 400 and "the archive holds no Maildir" in reply.get_data(as_text=True)
    assert "Old" not in [f.path for f in store.for_admin(ADMIN).mailboxes.mail_folders(ALICE)]
