"""The mail client's list calls (store.for_user(...).view, storage.mailbox_view) on both backends: pages
and sorts, conversations, folded search, the folder tree, message parts, mass operations and rights."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.message_list import ListFilter
from tests.storage.conftest import Demo

ALICE = "alice@example.test"
BOB = "bob@example.test"


def raw(
    subject: str,
    *,
    sender: str = "Sender <sender@outside.test>",
    when: str = "Mon, 06 Jan 2025 10:00:00 +0000",
    msgid: str | None = None,
    refs: str | None = None,
    body: str = "plain words",
    to: str = "Alice <alice@example.test>",
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {when}"]
    if msgid:
        lines.append(f"Message-ID: {msgid}")
    if refs:
        lines += [f"References: {refs}", f"In-Reply-To: {refs.split()[-1]}"]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def deliver(demo: Demo, message: bytes, to: str = ALICE) -> int:
    return demo.store.mail.deliver(message, [to]).delivered[to][1]


@pytest.fixture
def listed(demo: Demo) -> tuple[Demo, int, dict[str, int]]:
    """Five messages in alice's INBOX with distinct dates, senders, subjects and sizes."""
    specs = [
        ("c", "Re: Charlie", "Zed <z@x.test>", "Tue, 07 Jan 2025 10:00:00 +0000", 300),
        ("a", "alpha", "Jürgen Müller <jm@x.test>", "Fri, 10 Jan 2025 10:00:00 +0000", 100),
        ("e", "Échos", "bea@x.test", "Mon, 06 Jan 2025 10:00:00 +0000", 500),
        ("b", "[list] Bravo", "Anna <anna@x.test>", "Thu, 09 Jan 2025 10:00:00 +0000", 200),
        ("d", "delta", "Mia <mia@x.test>", "Wed, 08 Jan 2025 10:00:00 +0000", 400),
    ]
    uids = {}
    for name, subject, sender, when, pad in specs:
        uids[name] = deliver(
            demo, raw(subject, sender=sender, when=when, body=f"word{name} " + "x" * pad, msgid=f"<{name}@x>")
        )
    return demo, demo.folder(ALICE).id, uids


def names(page: object, uids: dict[str, int]) -> str:
    back = {v: k for k, v in uids.items()}
    return "".join(back[r.uid] for r in page.rows)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sort", "ascending"),
    [("date", "ecdba"), ("from", "beadc"), ("subject", "abcde"), ("size", "abcde"), ("arrival", "caebd")],
)
def test_each_sort_both_ways(listed: tuple[Demo, int, dict[str, int]], sort: str, ascending: str) -> None:
    demo, inbox, uids = listed
    view = demo.store.for_user(demo.alice.id).view
    up = view.page(inbox, sort=sort, descending=False)
    assert names(up, uids) == ascending
    assert names(view.page(inbox, sort=sort, descending=True), uids) == ascending[::-1]
    assert up.total == 5 and up.exact


def test_paging_from_either_end_gives_the_same_rows(listed: tuple[Demo, int, dict[str, int]]) -> None:
    demo, inbox, uids = listed
    view = demo.store.for_user(demo.alice.id).view
    pages = [names(view.page(inbox, sort="date", offset=o, limit=2), uids) for o in (0, 2, 4, 6)]
    assert pages == ["ab", "dc", "e", ""]  # the later pages are read from the other end of the index


def test_a_row_carries_what_the_list_shows(listed: tuple[Demo, int, dict[str, int]]) -> None:
    demo, inbox, uids = listed
    view = demo.store.for_user(demo.alice.id).view
    demo.store.mail.set_flags(inbox, [uids["a"]], ["\\Seen", "\\Flagged"])
    row = next(r for r in view.page(inbox).rows if r.uid == uids["a"])
    assert (row.subject, row.from_display, row.from_addr) == ("alpha", "Jürgen Müller", "jm@x.test")
    assert row.seen and row.flagged and not row.has_attachments
    assert row.to == "alice@example.test" and row.date.isoformat().startswith("2025-01-10T10:00")
    assert row.snippet.startswith("worda xxx") and row.thread_count == 1


def test_bad_paging_is_refused(listed: tuple[Demo, int, dict[str, int]]) -> None:
    demo, inbox, _ = listed
    view = demo.store.for_user(demo.alice.id).view
    for kwargs in ({"sort": "colour"}, {"offset": -1}, {"limit": 0}, {"limit": 201}):
        with pytest.raises(InvalidInput):
            view.page(inbox, **kwargs)  # type: ignore[arg-type]


def test_search_is_folded_and_field_specific(listed: tuple[Demo, int, dict[str, int]]) -> None:
    demo, inbox, uids = listed
    view = demo.store.for_user(demo.alice.id).view

    def found(**kw: object) -> str:
        return names(view.page(inbox, sort="arrival", descending=False, filters=ListFilter(**kw)), uids)  # type: ignore[arg-type]

    assert found(from_="muller") == "a"
    assert found(from_="MÜLL") == "a"
    assert found(subject="echos") == "e"
    assert found(subject="muller") == ""  # the sender's name is not in the subject
    assert found(to="alice") == "caebd"
    assert found(text="jurgen") == "a"
    assert found(body="WORDA") == "a"  # a word of the body text
    assert found(since=date(2025, 1, 8), before=date(2025, 1, 10)) == "bd"
    demo.store.mail.set_flags(inbox, [uids["b"]], ["\\Seen"])
    demo.store.mail.set_flags(inbox, [uids["d"]], ["\\Flagged"])
    assert found(unseen=True) == "caed"
    assert found(flagged=True) == "d"
    assert found(flagged=True, subject="delta") == "d"
    page = view.page(inbox, filters=ListFilter(unseen=True), limit=2)
    assert page.total == 4 and len(page.rows) == 2


def test_has_attachment_filter_and_message_parts(demo: Demo) -> None:
    payload = bytes(range(256)) * 40
    encoded = base64.encodebytes(payload).decode().replace("\n", "\r\n")
    message = (
        "From: a@x.test\r\nTo: alice@example.test\r\nSubject: =?utf-8?q?R=C3=A9sum=C3=A9?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Gr=C3=BC=C3=9Fe\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''M%C3%BCller%2Fdata.bin\r\n\r\n"
        f"{encoded}--B--\r\n"
    ).encode()
    uid = deliver(demo, message)
    plain = deliver(demo, raw("no attachment"))
    inbox = demo.folder(ALICE).id
    view = demo.store.for_user(demo.alice.id).view
    assert [r.uid for r in view.page(inbox, filters=ListFilter(has_attachment=True)).rows] == [uid]
    msg = view.message(inbox, uid)
    assert msg.subject == "Résumé" and msg.from_[0].address == "a@x.test" and msg.to[0].address == ALICE
    assert [(p.id, p.content_type) for p in msg.parts] == [
        ("", "multipart/mixed"),
        ("1", "text/plain"),
        ("2", "application/octet-stream"),
    ]
    assert [p.filename for p in msg.attachments] == ["Müller_data.bin"]
    part, chunks = view.part(inbox, uid, "2")
    assert part.is_attachment and b"".join(chunks) == payload
    text_part, chunks = view.part(inbox, uid, "1")
    assert text_part.charset == "utf-8" and b"".join(chunks).decode().startswith("Grüße")
    _, chunks = view.part(inbox, plain, "1")
    assert b"".join(chunks) == b"plain words\r\n"
    assert view.header_bytes(inbox, plain).endswith(b"charset=utf-8\r\n\r\n")
    with pytest.raises(NotFound):
        view.part(inbox, uid, "9")
    with pytest.raises(NotFound):
        view.message(inbox, 999)


def test_conversations(demo: Demo) -> None:
    a = deliver(demo, raw("Plan", msgid="<a@x>", when="Mon, 06 Jan 2025 10:00:00 +0000"))
    other = deliver(demo, raw("Other", msgid="<o@x>", when="Tue, 07 Jan 2025 10:00:00 +0000"))
    b = deliver(demo, raw("Re: Plan", msgid="<b@x>", refs="<a@x>", when="Wed, 08 Jan 2025 10:00:00 +0000"))
    c = deliver(
        demo, raw("Re: Plan", msgid="<c@x>", refs="<a@x> <b@x>", when="Thu, 09 Jan 2025 10:00:00 +0000")
    )
    inbox = demo.folder(ALICE).id
    view = demo.store.for_user(demo.alice.id).view
    page = view.page(inbox, threaded=True)
    assert page.threaded and page.total == 2
    assert [(r.uid, r.thread_count) for r in page.rows] == [(c, 3), (other, 1)]
    assert [r.uid for r in view.thread(inbox, page.rows[0].thread_key)] == [a, b, c]
    assert [r.uid for r in view.page(inbox, threaded=True, descending=False).rows] == [other, c]
    # removing the newest message makes the previous one the conversation's face
    view.delete(inbox, [c], expunge=True)
    page = view.page(inbox, threaded=True)
    assert [(r.uid, r.thread_count) for r in page.rows] == [(b, 2), (other, 1)]
    # moving the whole conversation away empties it here and builds it there
    archive = demo.folder(ALICE, "Archive").id
    moved = view.move(inbox, [a, b], archive)
    assert [(r.uid, r.thread_count) for r in view.page(inbox, threaded=True).rows] == [(other, 1)]
    there = view.page(archive, threaded=True)
    assert there.total == 1 and [(r.uid, r.thread_count) for r in there.rows] == [(moved[b], 2)]
    # a filtered list is flat
    assert not view.page(inbox, threaded=True, filters=ListFilter(subject="other")).threaded


def test_mass_operations(listed: tuple[Demo, int, dict[str, int]]) -> None:
    demo, inbox, uids = listed
    view = demo.store.for_user(demo.alice.id).view
    changed = view.mark(inbox, [uids["a"], uids["b"]], seen=True, flagged=True)
    assert len(changed) == 4
    assert demo.folder(ALICE).unseen_count == 3
    view.mark(inbox, [uids["a"]], seen=False)
    assert demo.folder(ALICE).unseen_count == 4
    archive = demo.folder(ALICE, "Archive").id
    copied = view.copy(inbox, [uids["c"]], archive)
    assert demo.folder(ALICE, "Archive").message_count == 1 and list(copied) == [uids["c"]]
    assert view.delete(inbox, [uids["c"], uids["d"]]) == sorted([uids["c"], uids["d"]])
    assert demo.folder(ALICE, "Trash").message_count == 2
    assert names(view.page(inbox, sort="arrival", descending=False), uids) == "aeb"
    trash = demo.folder(ALICE, "Trash").id
    view.delete(trash, [r.uid for r in view.page(trash).rows])  # in Trash: gone for good
    assert demo.folder(ALICE, "Trash").message_count == 0


def test_rights(listed: tuple[Demo, int, dict[str, int]]) -> None:
    demo, inbox, uids = listed
    alice, bob = demo.store.for_user(demo.alice.id), demo.store.for_user(demo.bob.id)
    bob_inbox = demo.folder(BOB).id
    for call in (
        lambda: bob.view.page(inbox),
        lambda: bob.view.thread(inbox, "x"),
        lambda: bob.view.message(inbox, uids["a"]),
        lambda: bob.view.part(inbox, uids["a"], "1"),
        lambda: bob.view.raw(inbox, uids["a"]),
        lambda: bob.view.move(inbox, [uids["a"]], bob_inbox),
        lambda: bob.view.delete(inbox, [uids["a"]]),
        lambda: bob.view.mark(inbox, [uids["a"]], seen=True),
    ):
        with pytest.raises(NotFound):
            call()
    assert all(f.owner != ALICE for f in bob.view.folder_tree())
    alice.change_entry(inbox, BOB, "l")
    with pytest.raises(PermissionDenied):
        bob.view.page(inbox)
    with pytest.raises(PermissionDenied):
        bob.view.message(inbox, uids["a"])
    shared = [f for f in bob.view.folder_tree() if f.owner == ALICE]
    assert [(f.section, f.path, f.total, f.unread) for f in shared] == [("shared", "INBOX", None, None)]
    alice.change_entry(inbox, BOB, "lr")
    assert bob.view.page(inbox).total == 5
    shared = [f for f in bob.view.folder_tree() if f.owner == ALICE]
    assert [(f.total, f.unread) for f in shared] == [(5, 5)]
    with pytest.raises(PermissionDenied):  # moving out needs "t" and "e" too
        bob.view.move(inbox, [uids["a"]], bob_inbox)
    with pytest.raises(PermissionDenied):
        bob.view.mark(inbox, [uids["a"]], flagged=True)


def test_folder_tree(demo: Demo) -> None:
    alice = demo.store.for_user(demo.alice.id)
    alice.create_folder(ALICE, "Work/2024/Q1")
    deliver(demo, raw("one"))
    demo.store.folders.create("@example.test", "News")
    tree = alice.view.folder_tree()
    mine = [(f.path, f.depth, f.name) for f in tree if f.section == "personal"]
    assert ("Work/2024/Q1", 2, "Q1") in mine and ("INBOX", 0, "INBOX") in mine
    inbox = next(f for f in tree if f.path == "INBOX" and f.section == "personal")
    assert (inbox.total, inbox.unread, inbox.role) == (1, 1, "inbox")
    assert [f.section for f in tree].index("public") > [f.section for f in tree].index("personal")
    assert all(f.kind == "mail" for f in tree)
    news = next(f for f in tree if f.section == "public")
    assert (news.owner, news.path, news.total) == ("@example.test", "News", None)  # "l" only: no counts


def test_migration_fills_the_keys_of_existing_messages(demo: Demo) -> None:
    """Downgrade to 0009 and upgrade again: every key and conversation is rebuilt from the body rows."""
    from alembic import command
    from alembic.config import Config

    from storage.db import MIGRATIONS_DIR

    b1 = deliver(demo, raw("Re: Zeta", sender="Ölaf <o@x.test>", msgid="<z1@x>"))
    b2 = deliver(demo, raw("alpha", msgid="<z2@x>", refs="<z1@x>", when="Tue, 07 Jan 2025 10:00:00 +0000"))
    inbox = demo.folder(ALICE).id
    view = demo.store.for_user(demo.alice.id).view
    before = [(r.uid, r.thread_count) for r in view.page(inbox, threaded=True).rows]
    with demo.store.db.engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        command.upgrade(cfg, "head")
    assert [r.uid for r in view.page(inbox, sort="subject", descending=False).rows] == [b2, b1]
    assert [r.uid for r in view.page(inbox, sort="from", descending=False).rows] == [b1, b2]
    assert [(r.uid, r.thread_count) for r in view.page(inbox, threaded=True).rows] == before == [(b2, 2)]


def test_check_repairs_conversation_counts(demo: Demo) -> None:
    """`fieldpost storage check --repair` recounts conversations that disagree with the messages."""
    from sqlalchemy import update

    from storage import schema

    a = deliver(demo, raw("Plan", msgid="<a@x>"))
    b = deliver(demo, raw("Re: Plan", msgid="<b@x>", refs="<a@x>", when="Tue, 07 Jan 2025 10:00:00 +0000"))
    assert demo.store.check().problems == []
    with demo.store.db.write() as conn:
        conn.execute(update(schema.folder_threads).values(message_count=7, latest_uid=a))
        conn.execute(update(schema.folders).values(thread_count=3))
    assert demo.store.check().problems
    demo.store.check(repair=True)
    assert demo.store.check().problems == []
    inbox = demo.folder(ALICE).id
    rows = demo.store.for_user(demo.alice.id).view.page(inbox, threaded=True).rows
    assert [(r.uid, r.thread_count) for r in rows] == [(b, 2)]


def test_filtered_counts_stop_at_the_cap(
    listed: tuple[Demo, int, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import message_list

    demo, inbox, uids = listed
    view = demo.store.for_user(demo.alice.id).view
    demo.store.mail.set_flags(inbox, list(uids.values()), ["\\Flagged"])
    monkeypatch.setattr(message_list, "COUNT_CAP", 3)
    page = view.page(inbox, filters=ListFilter(flagged=True), limit=2)
    assert (page.total, page.exact, len(page.rows)) == (3, False, 2)
    unseen = view.page(inbox, filters=ListFilter(unseen=True), limit=2)  # the folder's own count
    assert (unseen.total, unseen.exact) == (5, True)
