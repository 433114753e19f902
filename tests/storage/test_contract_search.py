"""Full-text search as IMAP SEARCH and WebMail use it: case- and diacritic-insensitive, headers vs body,
per folder, and over the decoded text of encoded bodies."""

from __future__ import annotations

import base64
import quopri
from dataclasses import replace

import pytest
from sqlalchemy import update

from storage import mime
from storage import schema as s
from storage.store import Store
from tests.storage.conftest import Demo, build_message, release_holds

ALICE = "alice@example.test"


@pytest.fixture
def inbox(demo: Demo) -> tuple[Demo, int, dict[str, int]]:
    """alice's INBOX with a few messages; returns (demo, folder id, name -> uid)."""
    store = demo.store
    messages = {
        "dessert": build_message(
            subject="Recette de la Crème brûlée",
            body="Bonjour, voici la recette que Herr Müller m'a donnée.\nIl faut du sucre.",
            sender="Jean Dupont <jean@outside.test>",
        ),
        "meeting": build_message(
            subject="Project meeting",
            body="The budget review moves to Thursday.",
            sender="Zoë Ångström <zoe@outside.test>",
        ),
        "invoice": build_message(subject="Invoice 2024-117", body="Please find the amount due below."),
    }
    uids = {}
    for name, raw in messages.items():
        fid, uid = store.mail.deliver(raw, [ALICE]).delivered[ALICE]
        uids[name] = uid
    return demo, fid, uids


def test_diacritics_and_case_insensitive(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, uids = inbox
    for query in ("muller", "MÜLLER", "Müller", "müll"):
        assert demo.store.mail.search(fid, query) == [uids["dessert"]], query
    assert demo.store.mail.search(fid, "mueller muller") == []  # every word must match


def test_words_with_accents_in_subject(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, uids = inbox
    for query in ("creme brulee", "CRÈME BRÛLÉE", "brulee creme", "Crème"):
        assert demo.store.mail.search(fid, query) == [uids["dessert"]], query


def test_accented_sender_name(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, uids = inbox
    assert demo.store.mail.search(fid, "zoe angstrom") == [uids["meeting"]]


def test_headers_versus_body(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, uids = inbox
    mail = demo.store.mail
    assert mail.search(fid, "recette", where="headers") == [uids["dessert"]]  # subject and body
    assert mail.search(fid, "recette", where="body") == [uids["dessert"]]
    assert mail.search(fid, "sucre", where="body") == [uids["dessert"]]
    assert mail.search(fid, "sucre", where="headers") == []
    assert mail.search(fid, "budget", where="headers") == []
    assert mail.search(fid, "meeting", where="headers") == [uids["meeting"]]
    assert mail.search(fid, "meeting", where="body") == []
    assert mail.search(fid, "jean", where="headers") == [uids["dessert"]]
    assert mail.search(fid, "invoice") == [uids["invoice"]]


def test_non_matching_and_empty_queries(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, _ = inbox
    assert demo.store.mail.search(fid, "zebra") == []
    assert demo.store.mail.search(fid, "") == []
    assert demo.store.mail.search(fid, "  ...  ") == []
    assert demo.store.mail.search(fid, "budget zebra") == []


def test_special_characters_do_not_break_the_query(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, uids = inbox
    for query in ['"budget', "budget'", "budget OR zebra", "budget*", "(budget)", "budget & | !", "NOT x"]:
        found = demo.store.mail.search(fid, query)
        assert set(found) <= set(uids.values()), query


@pytest.mark.parametrize("query", ["2024-117", "117", "2024 117"])
def test_hyphenated_numbers_found(inbox: tuple[Demo, int, dict[str, int]], query: str) -> None:
    """Invoice numbers, dates and phone numbers are searched for as typed, on both backends alike."""
    demo, fid, uids = inbox
    assert demo.store.mail.search(fid, query) == [uids["invoice"]]


def test_search_is_per_folder(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, uids = inbox
    store = demo.store
    archive = store.folders.get(ALICE, "Archive")
    mapping = store.mail.copy(fid, [uids["meeting"]], archive.id)
    assert store.mail.search(archive.id, "budget") == [mapping[uids["meeting"]]]
    assert store.mail.search(archive.id, "muller") == []
    assert store.mail.search(fid, "budget") == [uids["meeting"]]
    bob_inbox = store.folders.get("bob@example.test", "INBOX")
    assert store.mail.search(bob_inbox.id, "budget") == []


def test_search_follows_expunge(inbox: tuple[Demo, int, dict[str, int]]) -> None:
    demo, fid, uids = inbox
    demo.store.mail.set_flags(fid, [uids["meeting"]], ["\\Deleted"])
    demo.store.mail.expunge(fid)
    assert demo.store.mail.search(fid, "budget") == []


def test_quoted_printable_body_found_by_decoded_words(demo: Demo) -> None:
    text = "Der Schlüssel für das Büro liegt beim Empfang. Grüße aus Zürich!"
    encoded = quopri.encodestring(text.encode("utf-8")).decode("ascii")
    assert "Schl=C3=BCssel" in encoded
    raw = build_message(
        subject="Info",
        body=encoded,
        headers={
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Transfer-Encoding": "quoted-printable",
        },
    )
    fid, uid = demo.store.mail.deliver(raw, [ALICE]).delivered[ALICE]
    for query in ("schlussel", "Schlüssel", "buro", "zurich", "grüße"):
        assert demo.store.mail.search(fid, query) == [uid], query
    assert demo.store.mail.search(fid, "C3") == []


def test_base64_body_and_encoded_subject_found(demo: Demo) -> None:
    text = "Wir treffen uns im Café am Marktplatz um acht Uhr."
    encoded = base64.encodebytes(text.encode("utf-8")).decode("ascii")
    raw = build_message(
        subject="=?utf-8?q?Verabredung_f=C3=BCr_heute?=",
        body=encoded,
        headers={
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Transfer-Encoding": "base64",
        },
    )
    fid, uid = demo.store.mail.deliver(raw, [ALICE]).delivered[ALICE]
    for query in ("cafe", "marktplatz", "treffen uns"):
        assert demo.store.mail.search(fid, query, where="body") == [uid], query
    assert demo.store.mail.search(fid, "verabredung fur", where="headers") == [uid]
    assert demo.store.mail.search(fid, encoded.split()[0][:12]) == []  # not the base64 text


def test_multipart_text_parts_found(demo: Demo) -> None:
    raw = (
        "From: a@outside.test\r\nTo: alice@example.test\r\nSubject: News\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain words: pamplemousse.\r\n"
        "--b1\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n"
        "<html><body><p>Html words: <b>cl\xe9mentine</b></p></body></html>\r\n"
        "--b1--\r\n"
    ).encode("latin-1")
    fid, uid = demo.store.mail.deliver(raw, [ALICE]).delivered[ALICE]
    assert demo.store.mail.search(fid, "pamplemousse") == [uid]
    assert demo.store.mail.search(fid, "clementine") == [uid]
    assert demo.store.mail.search(fid, "Clémentine") == [uid]


def test_reindex_rebuilds_the_index_from_the_blobs(store: Store) -> None:
    store.domains.add("example.test")
    store.accounts.add("zoe@example.test", None)
    keep = store.mail.deliver("Subject: Crème brûlée\r\n\r\nfor Zoë\r\n".encode(), ["zoe@example.test"])
    gone = store.mail.deliver("Subject: crème anglaise\r\n\r\nbye\r\n".encode(), ["zoe@example.test"])
    fid, gone_uid = gone.delivered["zoe@example.test"]
    store.mail.set_flags(fid, [gone_uid], ["\\Deleted"])
    store.mail.expunge(fid)
    release_holds(store)  # its body was held for IMAP sessions (storage.holds) until now
    assert store.mail.reindex() == 1
    assert store.mail.search(fid, "creme") == [keep.delivered["zoe@example.test"][1]]
    assert store.mail.search(fid, "zoe") == [keep.delivered["zoe@example.test"][1]]
    assert store.check().ok


def test_reindex_recomputes_the_envelope_cached_at_delivery(store: Store) -> None:
    """Mail stored by an older parser (here: an ENVELOPE without the comment's display name) gets
    today's parse from `fieldpost storage reindex`, so IMAP ENVELOPE, SEARCH and SORT see it."""
    store.domains.add("example.test")
    store.accounts.add("zoe@example.test", None)
    raw = b"From: zoe@example.test (Zoe Example)\r\nSubject: hi\r\n\r\nbody\r\n"
    fid, uid = store.mail.deliver(raw, ["zoe@example.test"]).delivered["zoe@example.test"]
    (info,) = store.mail.info(fid, [uid])
    envelope, root = mime.from_json(info.structure)
    assert envelope.from_ == (mime.Address("Zoe Example", None, "zoe", "example.test"),)
    assert info.from_display == "Zoe Example"
    stale = replace(mime.parse_message(raw), envelope=without_names(envelope))
    with store.db.write() as conn:
        conn.execute(
            update(s.bodies)
            .where(s.bodies.c.id == info.body_id)
            .values(structure=mime.to_json(stale), from_display="zoe@example.test")
        )
    (info,) = store.mail.info(fid, [uid])
    assert mime.from_json(info.structure)[0].from_[0].name is None
    assert store.mail.reindex() == 1
    (info,) = store.mail.info(fid, [uid])
    assert mime.from_json(info.structure) == (envelope, root)
    assert info.from_display == "Zoe Example"


def without_names(envelope: mime.Envelope) -> mime.Envelope:
    unnamed = tuple(replace(a, name=None) for a in envelope.from_)
    return replace(envelope, from_=unnamed, sender=unnamed, reply_to=unnamed)
