"""RFC 9670 Principal/get and Principal/query (webmail/jmap/principals.py): the accounts and groups of the
signed-in account's own domain, the capability in the Session, filters, sort, and no other domain's
accounts."""

from __future__ import annotations

import pytest

from tests.webmail.jmap.conftest import CORE, Jmap
from webmail.jmap import principals

PRINCIPALS = "urn:ietf:params:jmap:principals"
USING = (CORE, PRINCIPALS)


def seed(jmap: Jmap) -> None:
    store = jmap.seeded.store
    store.groups.add("team@example.test", "The Team")
    store.domains.add("other.test")
    store.accounts.add("stranger@other.test", None)
    store.accounts.add("dora@example.test", None, display_name="Dora Explorer")


def query(jmap: Jmap, **args: object) -> dict:
    body = jmap.call([["Principal/query", {"accountId": jmap.account_id(), **args}, "q"]], using=USING)
    kind, answer, _ = body["methodResponses"][0]
    assert kind == "Principal/query", answer
    return answer


def get(jmap: Jmap, ids: list[str] | None, **args: object) -> dict:
    body = jmap.call(
        [["Principal/get", {"accountId": jmap.account_id(), "ids": ids, **args}, "g"]], using=USING
    )
    kind, answer, _ = body["methodResponses"][0]
    assert kind == "Principal/get", answer
    return answer


def test_the_session_announces_principals(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    assert PRINCIPALS in session["capabilities"]
    account = session["accounts"][jmap.account_id()]
    assert account["accountCapabilities"][PRINCIPALS] == {"currentUserPrincipalId": None}


def test_query_and_get_list_the_domain_people_and_groups(jmap: Jmap) -> None:
    seed(jmap)
    everyone = get(jmap, None)
    by_email = {p["email"]: p for p in everyone["list"]}
    assert "stranger@other.test" not in by_email
    assert {"alice@example.test", "bob@example.test", "carol@example.test", "dora@example.test",
            "team@example.test"} <= set(by_email)  # fmt: skip
    assert by_email["team@example.test"]["type"] == "group"
    assert by_email["team@example.test"]["name"] == "The Team"
    assert by_email["dora@example.test"] == {
        "id": by_email["dora@example.test"]["id"], "type": "individual", "name": "Dora Explorer",
        "description": None, "email": "dora@example.test", "timeZone": None, "capabilities": {}, "accounts": None,
    }  # fmt: skip
    found = query(jmap, filter={"text": "expl"})
    assert found["ids"] == [by_email["dora@example.test"]["id"]]
    groups = query(jmap, filter={"type": "group"}, calculateTotal=True)
    assert groups["ids"] == [by_email["team@example.test"]["id"]] and groups["total"] == 1
    assert query(jmap, filter={"text": "stranger"})["ids"] == []
    either = query(jmap, filter={"operator": "OR", "conditions": [{"email": "bob@"}, {"name": "team"}]})
    assert set(either["ids"]) == {by_email["bob@example.test"]["id"], by_email["team@example.test"]["id"]}
    by_address = query(jmap, sort=[{"property": "email", "isAscending": False}], limit=2)
    assert by_address["ids"] == [by_email[e]["id"] for e in ("team@example.test", "postmaster@example.test")]
    picked = get(jmap, [by_email["bob@example.test"]["id"], "pu999999", "nonsense"], properties=["email"])
    assert picked["list"] == [{"id": by_email["bob@example.test"]["id"], "email": "bob@example.test"}]
    assert picked["notFound"] == ["pu999999", "nonsense"]


def test_bad_filters_are_refused_as_the_rfc_words_it(jmap: Jmap) -> None:
    body = jmap.call(
        [
            ["Principal/query", {"accountId": jmap.account_id(), "filter": {"colour": "red"}}, "a"],
            ["Principal/query", {"accountId": jmap.account_id(), "filter": {"type": "robot"}}, "b"],
            ["Principal/query", {"accountId": jmap.account_id(), "sort": [{"property": "timeZone"}]}, "c"],
            ["Principal/get", {"accountId": "a999", "ids": None}, "d"],
        ],
        using=USING,
    )
    errors = [(r[0], r[1]["type"]) for r in body["methodResponses"]]
    assert errors == [
        ("error", "unsupportedFilter"),
        ("error", "invalidArguments"),
        ("error", "unsupportedSort"),
        ("error", "accountNotFound"),
    ]
    without = jmap.call(
        [["Principal/get", {"accountId": jmap.account_id(), "ids": None}, "x"]], using=(CORE,)
    )
    assert without["methodResponses"][0][1]["type"] == "unknownMethod"


def test_query_caps_the_page_and_says_the_limit_it_used(jmap: Jmap, monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 8620 5.5: a larger or missing ``limit`` is capped at the server's and the answer names it."""
    seed(jmap)
    every = query(jmap, calculateTotal=True)
    assert every["limit"] == principals.MAX_QUERY_LIMIT and every["total"] == len(every["ids"]) > 2
    monkeypatch.setattr(principals, "MAX_QUERY_LIMIT", 2)  # instead of making 201 accounts
    capped = query(jmap, limit=50, calculateTotal=True)
    assert capped["ids"] == every["ids"][:2] and capped["limit"] == 2 and capped["total"] == every["total"]
    small = query(jmap, position=1, limit=1)
    assert small["ids"] == every["ids"][1:2] and "limit" not in small
