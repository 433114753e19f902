"""Email/query, Email/changes, Thread/get, Thread/changes and SearchSnippet/get (RFC 8621 3-5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.storage.test_contract_message_list import raw
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.mail.conftest import Jmap

ALICE = "alice@example.test"
BOB = "bob@example.test"


def deliver(seeded: Seeded, message: bytes, to: str = ALICE) -> str:
    folder, uid = seeded.store.mail.deliver(message, [to]).delivered[to]
    return f"e{folder}_{uid}"


def when(day: int) -> str:
    return datetime(2025, 1, day, 10, 0, tzinfo=UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def mailbox(jmap: Jmap, name: str) -> str:
    return next(m["id"] for m in jmap("Mailbox/get", {"ids": None})["list"] if m["name"] == name)


def test_query_filters_sorts_and_pages(jmap: Jmap, seeded: Seeded) -> None:
    welcome = jmap("Email/query", {})["ids"]
    a = deliver(
        seeded,
        raw(
            "Invoice March",
            sender="Jürgen Müller <jm@x.test>",
            when=when(13),
            body="pay now",
            msgid="<inv@x>",
        ),
    )
    b = deliver(seeded, raw("Lunch", sender="Ann <ann@x.test>", when=when(15), body="pizza " + "x" * 500))
    c = deliver(
        seeded,
        raw("Re: Invoice March", sender="Ann <ann@x.test>", when=when(14), body="paid", refs="<inv@x>"),
    )
    inbox = mailbox(jmap, "INBOX")
    by_sent = [{"property": "sentAt", "isAscending": False}]
    out = jmap("Email/query", {"filter": {"inMailbox": inbox}, "sort": by_sent, "calculateTotal": True})
    assert out["ids"][:3] == [b, c, a] and out["total"] == 4 and out["position"] == 0
    assert out["limit"] == 1000  # no limit given: capped, and said so
    assert jmap("Email/query", {"filter": {"from": "muller"}})["ids"] == [a]
    assert set(jmap("Email/query", {"filter": {"subject": "invoice"}})["ids"]) == {a, c}
    assert jmap("Email/query", {"filter": {"body": "pizza"}})["ids"] == [b]
    assert jmap("Email/query", {"filter": {"minSize": 500}})["ids"] == [b]
    either = {"operator": "OR", "conditions": [{"body": "pizza"}, {"from": "jm@x.test"}]}
    assert set(jmap("Email/query", {"filter": either})["ids"]) == {a, b}
    neither = {"operator": "NOT", "conditions": [either]}
    assert set(jmap("Email/query", {"filter": neither})["ids"]) == {c, *welcome}
    seeded.store.for_user(seeded.alice.id).set_flags(int(inbox[1:]), [2], ["\\Flagged", "\\Seen"])
    assert jmap("Email/query", {"filter": {"hasKeyword": "$flagged"}})["ids"] == [a]
    assert a not in jmap("Email/query", {"filter": {"notKeyword": "$seen"}})["ids"]
    first = jmap(
        "Email/query", {"sort": [{"property": "hasKeyword", "keyword": "$flagged", "isAscending": False}]}
    )
    assert first["ids"][0] == a
    by_subject = jmap("Email/query", {"sort": [{"property": "subject"}], "position": 1, "limit": 2})
    assert by_subject["ids"] == [c, b] and "limit" not in by_subject  # (Re:) Invoice March x2, Lunch, Welcome
    assert jmap("Email/query", {"sort": by_sent, "anchor": c, "anchorOffset": 0, "limit": 1})["ids"] == [c]
    assert jmap("Email/query", {"sort": by_sent, "position": -1})["ids"] == welcome
    later = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(jmap("Email/query", {"filter": {"after": later}})["ids"]) == 4
    assert jmap("Email/query", {"filter": {"before": later}})["ids"] == []
    threads = jmap("Email/query", {"sort": by_sent, "collapseThreads": True, "calculateTotal": True})
    assert threads["ids"][:2] == [b, c] and threads["total"] == 3
    assert jmap("Email/query", {"filter": {"hasAttachment": True}})["ids"] == []
    assert jmap.error("Email/query", {"sort": [{"property": "colour"}]}) == "unsupportedSort"
    assert jmap.error("Email/query", {"filter": {"colour": 1}}) == "unsupportedFilter"
    assert jmap.error("Email/query", {"filter": {"before": "yesterday"}}) == "invalidArguments"
    assert jmap.error("Email/query", {"anchor": "e1_999"}) == "anchorNotFound"
    assert jmap.error("Email/queryChanges", {"sinceQueryState": "x"}) == "cannotCalculateChanges"


def test_shared_read_only_folder_is_queried_but_not_bobs_inbox(jmap: Jmap, seeded: Seeded) -> None:
    bob = seeded.store.for_user(seeded.bob.id)
    shared = bob.create_folder(BOB, "Shared")
    deliver(seeded, raw("secret plans", body="confidential"), BOB)
    deliver(seeded, raw("shared plans", body="confidential"), BOB)
    bob.copy(seeded.store.folders.get(BOB, "INBOX").id, [2], shared.id)
    bob.change_entry(shared.id, ALICE, "lr")
    found = jmap("Email/query", {"filter": {"text": "confidential"}})["ids"]
    assert found == [f"e{shared.id}_1"]
    email = jmap("Email/get", {"ids": found, "properties": ["subject", "mailboxIds"]})["list"][0]
    assert email["subject"] == "shared plans" and email["mailboxIds"] == {f"m{shared.id}": True}
    hidden = seeded.store.folders.get(BOB, "INBOX").id
    assert jmap("Email/query", {"filter": {"inMailbox": f"m{hidden}"}})["ids"] == []


def test_big_folder_pages(jmap: Jmap, seeded: Seeded) -> None:
    """1,920 messages (60 delivered, copied 5 times over: 60 dates, each shared by 32 copies), half of them
    moved to Work; pages agree with a sort of every message in Python, by (sent date, mailbox, UID)."""
    alice = seeded.store.for_user(seeded.alice.id)
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    work = alice.create_folder(ALICE, "Work").id
    alice.set_flags(inbox, [1], ["\\Deleted"])
    alice.expunge(inbox)
    for i in range(60):
        stamp = (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=i)).strftime(
            "%a, %d %b %Y %H:%M:%S +0000"
        )
        deliver(seeded, raw(f"message {i:04d}", when=stamp))
    for _ in range(5):
        alice.copy(inbox, alice.reader(inbox).uids(), inbox)
    alice.move(inbox, alice.reader(inbox).uids()[::2], work)
    keys = [(inbox, u) for u in alice.reader(inbox).uids()] + [(work, u) for u in alice.reader(work).uids()]
    assert len(keys) == 1920
    rows = alice.sync.messages(keys)
    expected = [
        f"e{f}_{u}" for f, u in sorted(keys, key=lambda k: (rows[k].sent_at, k[0], k[1]), reverse=True)
    ]
    only_work = [e for e in expected if e.startswith(f"e{work}_")]
    newest = [{"property": "sentAt", "isAscending": False}]
    for position in (0, 430, 910):
        page = jmap("Email/query", {"filter": {"inMailbox": f"m{work}"}, "sort": newest, "position": position,
                                    "limit": 50, "calculateTotal": True})  # fmt: skip
        assert page["total"] == 960 and page["ids"] == only_work[position : position + 50]
    for prop in ("receivedAt", "sentAt", "size", "subject", "from"):  # deep pages walk from the end
        for ascending in (True, False):
            by = {"filter": {"inMailbox": f"m{work}"}, "sort": [{"property": prop, "isAscending": ascending}]}
            whole = jmap("Email/query", {**by, "limit": 960})["ids"]
            for position, limit in ((700, 50), (935, 50), (959, 1), (481, 7)):
                deep = jmap("Email/query", {**by, "position": position, "limit": limit})["ids"]
                assert deep == whole[position : position + limit], (prop, ascending, position)
    for position in (0, 999, 1900):
        merged = jmap("Email/query", {"sort": newest, "position": position, "limit": 50})["ids"]
        assert merged == expected[position : position + 50]
    oldest = jmap("Email/query", {"sort": [{"property": "sentAt"}], "limit": 3})["ids"]
    assert oldest == [f"e{f}_{u}" for f, u in sorted(keys, key=lambda k: (rows[k].sent_at, k[0], k[1]))][:3]


def test_changes_after_store_append_expunge_and_paging(jmap: Jmap, seeded: Seeded) -> None:
    alice = seeded.store.for_user(seeded.alice.id)
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    for i in range(4):
        deliver(seeded, raw(f"m{i}"))
    state = jmap("Email/get", {"ids": []})["state"]
    assert jmap("Email/changes", {"sinceState": state})["created"] == []
    alice.set_flags(inbox, [2], ["\\Seen"])  # STORE
    alice.set_flags(inbox, [3], ["\\Deleted"])
    alice.expunge(inbox)  # EXPUNGE
    new = deliver(seeded, raw("new"))  # APPEND / delivery
    gone = deliver(seeded, raw("short-lived"))
    alice.set_flags(inbox, [int(gone.split("_")[1])], ["\\Deleted"])
    alice.expunge(inbox)
    out = jmap("Email/changes", {"sinceState": state})
    assert (
        out["created"] == [new] and out["updated"] == [f"e{inbox}_2"] and out["destroyed"] == [f"e{inbox}_3"]
    )
    assert out["hasMoreChanges"] is False and out["newState"] == jmap("Email/get", {"ids": []})["state"]
    # the same in pages of one change
    seen: list[str] = []
    current, more = state, True
    while more:
        page = jmap("Email/changes", {"sinceState": current, "maxChanges": 1})
        seen += page["created"] + page["updated"] + page["destroyed"]
        current, more = page["newState"], page["hasMoreChanges"]
    assert sorted(seen) == sorted([new, f"e{inbox}_2", f"e{inbox}_3"])
    assert current == out["newState"]
    # a move is a destroy and a create; Thread/changes then asks for a reload
    archive = seeded.store.folders.get(ALICE, "Archive").id
    alice.move(inbox, [1], archive)
    moved = jmap("Email/changes", {"sinceState": current})
    assert moved["destroyed"] == [f"e{inbox}_1"] and moved["created"] == [f"e{archive}_1"]
    assert jmap.error("Thread/changes", {"sinceState": current}) == "cannotCalculateChanges"
    assert jmap.error("Email/changes", {"sinceState": "nonsense"}) == "cannotCalculateChanges"


def test_changes_when_a_share_is_withdrawn(jmap: Jmap, seeded: Seeded) -> None:
    bob = seeded.store.for_user(seeded.bob.id)
    shared = bob.create_folder(BOB, "Shared")
    bob.change_entry(shared.id, ALICE, "lr")
    state = jmap("Email/get", {"ids": []})["state"]
    bob.delete_entry(shared.id, ALICE)
    assert jmap.error("Email/changes", {"sinceState": state}) == "cannotCalculateChanges"


def test_threads(jmap: Jmap, seeded: Seeded) -> None:
    root = deliver(seeded, raw("plan", msgid="<p@x>", when=when(1)))
    state = jmap("Email/get", {"ids": []})["state"]
    reply = deliver(seeded, raw("Re: plan", msgid="<q@x>", refs="<p@x>", when=when(2)))
    other = deliver(seeded, raw("other", msgid="<o@x>", when=when(3)))
    emails = jmap("Email/get", {"ids": [root, reply, other], "properties": ["threadId"]})["list"]
    tid, _, other_tid = (e["threadId"] for e in emails)
    assert emails[1]["threadId"] == tid != other_tid
    out = jmap("Thread/get", {"ids": [tid, other_tid, "tnothing", "x"]})
    assert out["list"] == [{"id": tid, "emailIds": [root, reply]}, {"id": other_tid, "emailIds": [other]}]
    assert out["notFound"] == ["tnothing", "x"]
    changes = jmap("Thread/changes", {"sinceState": state})
    assert changes["created"] == [other_tid] and changes["updated"] == [tid]


def test_search_snippets(jmap: Jmap, seeded: Seeded) -> None:
    eid = deliver(seeded, raw("Müller <report>", body="The quarterly report from Müller & sons is late."))
    out = jmap("SearchSnippet/get", {"emailIds": [eid, "e1_999"], "filter": {"text": "muller"}})
    snippet = out["list"][0]
    assert snippet["emailId"] == eid
    assert snippet["subject"] == "<mark>Müller</mark> &lt;report&gt;"
    assert snippet["preview"] == "The quarterly report from <mark>Müller</mark> &amp; sons is late."
    assert out["notFound"] == ["e1_999"]
    only_body = jmap("SearchSnippet/get", {"emailIds": [eid], "filter": {"body": "quarterly"}})["list"][0]
    assert only_body["subject"] is None and "<mark>quarterly</mark>" in only_body["preview"]
