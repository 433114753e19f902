"""Email/queryChanges (RFC 8620 5.6, RFC 8621 4.5): applying ``removed`` then ``added`` (RFC 8620's own
procedure: drop every removed id, then insert each added id at its index, lowest index first) to the old
results must give the new results, whatever happened in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.usermail import UserMail
from tests.storage.test_contract_message_list import raw
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.mail.conftest import Jmap

ALICE = "alice@example.test"
NEWEST = [{"property": "receivedAt", "isAscending": False}]


def apply_changes(old: list[str], changes: dict[str, Any]) -> list[str]:
    """RFC 8620 5.6's client procedure."""
    removed = set(changes["removed"])
    out = [i for i in old if i not in removed]
    for item in sorted(changes["added"], key=lambda a: a["index"]):
        out.insert(item["index"], item["id"])
    return out


class Box:
    """Alice's INBOX and a folder beside it, messages appended with chosen arrival times."""

    def __init__(self, jmap: Jmap, seeded: Seeded) -> None:
        self.jmap = jmap
        self.user: UserMail = seeded.store.for_user(seeded.alice.id)
        self.inbox = seeded.store.folders.get(ALICE, "INBOX").id
        self.archive = self.user.create_folder(ALICE, "Elsewhere").id
        self.start = datetime(2030, 1, 1, tzinfo=UTC)  # after the Welcome message, which sorts last

    def add(self, folder: int, day: int, subject: str = "", refs: str | None = None, msgid: str = "") -> int:
        message = raw(subject or f"day {day}", msgid=msgid or None, refs=refs)
        return self.user.append(folder, message, internal_date=self.start + timedelta(days=day)).uid

    def expunge(self, uids: list[int]) -> None:
        self.user.set_flags(self.inbox, uids, ["\\Deleted"])
        assert self.user.expunge(self.inbox, uids) == uids

    def query(self, **extra: Any) -> tuple[list[str], str]:
        args = {"filter": {"inMailbox": f"m{self.inbox}"}, "sort": NEWEST, **extra}
        got = self.jmap("Email/query", args)
        return got["ids"], got["queryState"]

    def changes(self, state: str, **extra: Any) -> dict[str, Any]:
        args = {"filter": {"inMailbox": f"m{self.inbox}"}, "sort": NEWEST, "sinceQueryState": state, **extra}
        return self.jmap("Email/queryChanges", args)

    def check(self, old: list[str], state: str, **extra: Any) -> dict[str, Any]:
        """queryChanges from ``state`` replayed on ``old`` equals the query now; its answer."""
        changes = self.changes(state, **extra)
        new, new_state = self.query(**extra)
        assert apply_changes(old, changes) == new
        assert changes["oldQueryState"] == state and changes["newQueryState"] == new_state
        return changes


@pytest.fixture
def box(jmap: Jmap, seeded: Seeded) -> Box:
    return Box(jmap, seeded)


def test_arrival_expunge_flags_and_moves_replay_to_the_new_results(box: Box) -> None:
    uids = [box.add(box.inbox, day) for day in range(1, 8)]
    elsewhere = box.add(box.archive, 3)  # arrived on day 3, moved in later: lands mid-list
    old, state = box.query()
    assert box.jmap("Email/query", {"filter": {"inMailbox": f"m{box.inbox}"}})["canCalculateChanges"]
    new_uid = box.add(box.inbox, 30)
    box.expunge([uids[2]])
    box.user.set_flags(box.inbox, [uids[4]], ["\\Flagged"])
    moved = box.user.move(box.archive, [elsewhere], box.inbox)[elsewhere]
    gone = box.user.move(box.inbox, [uids[5]], box.archive)
    assert gone
    changes = box.check(old, state)
    inbox = box.inbox
    added = {a["id"]: a["index"] for a in changes["added"]}
    assert added == {f"e{inbox}_{new_uid}": 0, f"e{inbox}_{moved}": 4}
    assert {f"e{inbox}_{uids[2]}", f"e{inbox}_{uids[5]}"} <= set(changes["removed"])
    assert f"e{inbox}_{uids[4]}" not in changes["removed"]  # a flag does not move a receivedAt row


def test_a_flag_change_alone_changes_nothing_and_the_same_state_is_empty(box: Box) -> None:
    uid = box.add(box.inbox, 1)
    old, state = box.query()
    box.user.set_flags(box.inbox, [uid], ["\\Seen"])
    changes = box.check(old, state, calculateTotal=True)
    assert (changes["removed"], changes["added"], changes["total"]) == ([], [], 2)
    _, now = box.query()
    assert box.changes(now) | {"newQueryState": ""} == {
        "accountId": changes["accountId"], "oldQueryState": now, "newQueryState": "", "removed": [], "added": [],
    }  # fmt: skip


def test_a_keyword_filter_removes_and_re_adds_what_changed(box: Box) -> None:
    uids = [box.add(box.inbox, day) for day in range(1, 6)]
    unread = {"operator": "AND", "conditions": [{"inMailbox": f"m{box.inbox}"}, {"notKeyword": "$seen"}]}
    box.user.set_flags(box.inbox, uids[:2], ["\\Seen"])
    old = box.jmap("Email/query", {"filter": unread, "sort": NEWEST})
    box.user.set_flags(box.inbox, uids[:1], ["\\Seen"], "remove")  # back into the results
    box.user.set_flags(box.inbox, [uids[3]], ["\\Seen"])  # out of them
    args = {"filter": unread, "sort": NEWEST, "sinceQueryState": old["queryState"]}
    changes = box.jmap("Email/queryChanges", args)
    new = box.jmap("Email/query", {"filter": unread, "sort": NEWEST})["ids"]
    assert apply_changes(old["ids"], changes) == new
    assert f"e{box.inbox}_{uids[3]}" in changes["removed"]
    assert [a["id"] for a in changes["added"]] == [f"e{box.inbox}_{uids[0]}"]


def test_up_to_id_leaves_out_what_lies_past_the_clients_page(box: Box) -> None:
    for day in range(10, 20):
        box.add(box.inbox, day)
    top, state = box.query(limit=3)
    deep = box.add(box.archive, 2)
    box.user.move(box.archive, [deep], box.inbox)
    fresh = box.add(box.inbox, 40)
    changes = box.changes(state, upToId=top[-1])
    assert [a["id"] for a in changes["added"]] == [f"e{box.inbox}_{fresh}"]
    assert apply_changes(top, changes) == box.query(limit=4)[0]
    whole = box.changes(state)
    assert len(whole["added"]) == 2


def test_conversations_collapsed_follow_a_reply(box: Box) -> None:
    first = box.add(box.inbox, 1, "Plan", msgid="<plan@x>")
    box.add(box.inbox, 2, "Other")
    old, state = box.query(collapseThreads=True)
    assert f"e{box.inbox}_{first}" in old
    reply = box.add(box.inbox, 5, "Re: Plan", refs="<plan@x>")
    changes = box.check(old, state, collapseThreads=True)
    assert f"e{box.inbox}_{first}" in changes["removed"]
    assert changes["added"] == [{"id": f"e{box.inbox}_{reply}", "index": 0}]
    box.expunge([first])
    assert box.jmap.error(
        "Email/queryChanges",
        {"filter": {"inMailbox": f"m{box.inbox}"}, "collapseThreads": True, "sinceQueryState": state},
    ) == "cannotCalculateChanges"  # fmt: skip


def test_limits_and_bad_arguments(box: Box) -> None:
    for day in range(1, 4):
        box.add(box.inbox, day)
    _, state = box.query()
    for day in range(5, 9):
        box.add(box.inbox, day)
    err = box.jmap.error
    assert box.changes(state, maxChanges=4)["added"]
    assert err("Email/queryChanges", {"filter": {"inMailbox": f"m{box.inbox}"}, "sinceQueryState": state,
                                       "maxChanges": 3}) == "tooManyChanges"  # fmt: skip
    assert err("Email/queryChanges", {"sinceQueryState": state}) == "cannotCalculateChanges"
    text = {"inMailbox": f"m{box.inbox}", "text": "day"}
    assert err("Email/queryChanges", {"filter": text, "sinceQueryState": state}) == "cannotCalculateChanges"
    assert not box.jmap("Email/query", {"filter": text})["canCalculateChanges"]
    inbox = {"inMailbox": f"m{box.inbox}"}
    assert err("Email/queryChanges", {"filter": inbox, "sinceQueryState": "x"}) == "cannotCalculateChanges"
    assert err("Email/queryChanges", {"filter": inbox}) == "invalidArguments"
    assert err("Email/queryChanges", {"filter": inbox, "sinceQueryState": state, "upToId": 3}) == (
        "invalidArguments"
    )
    other = {"inMailbox": f"m{box.archive}"}
    assert box.jmap("Email/queryChanges", {"filter": other, "sinceQueryState": state})["added"] == []
