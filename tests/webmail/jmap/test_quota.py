"""JMAP Quotas (RFC 9425) against a real store: the Quota objects are the settings pages' mailbox size
meter (used bytes and messages against quota.storage_bytes and quota.messages), none for a limit of 0;
/changes, /query (filters and sorts) and /queryChanges; the Session announces the capability."""

from __future__ import annotations

from tests.storage.conftest import build_message
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.conftest import Jmap
from tests.webmail.jmap.send_calls import call_for, invoke
from webmail.jmap.quota import QUOTA  # registers the Quota methods (the app imports it in init_app)

ALICE = "alice@example.test"


def test_no_limit_no_quota_then_the_meters_values(seeded: Seeded) -> None:
    call = call_for(seeded.store, seeded.alice)
    empty = invoke(call, "Quota/get", ids=None)
    assert empty["list"] == [] and empty["notFound"] == []
    seeded.store.settings.set("quota.storage_bytes", 1_000_000, account=ALICE)
    seeded.store.settings.set("quota.messages", 50, account=ALICE)
    meter = seeded.store.for_user(seeded.alice.id).preferences.quota()
    got = invoke(call, "Quota/get", ids=None)
    octets, count = got["list"]
    assert octets == {
        "id": "qoctets",
        "resourceType": "octets",
        "used": meter.used_bytes,
        "hardLimit": 1_000_000,
        "scope": "account",
        "name": "mailbox size",
        "types": ["Email"],
        "warnLimit": 800_000,  # the meter's first warning, 80 %
        "softLimit": None,
        "description": "bytes of mail stored; new mail is refused at the hard limit",
    }
    assert (count["id"], count["resourceType"], count["used"], count["hardLimit"]) == (
        "qcount", "count", meter.messages, 50,
    )  # fmt: skip
    some = invoke(call, "Quota/get", ids=["qcount", "nope"], properties=["used"])
    assert some["list"] == [{"id": "qcount", "used": meter.messages}] and some["notFound"] == ["nope"]
    assert invoke(call, "Quota/get", ids=None, properties=["size"])["error"] == "invalidArguments"


def test_changes_follow_delivery_and_a_removed_limit(seeded: Seeded) -> None:
    store = seeded.store
    store.settings.set("quota.storage_bytes", 1_000_000, account=ALICE)
    call = call_for(store, seeded.alice)
    before = invoke(call, "Quota/get", ids=None)["state"]
    same = invoke(call, "Quota/changes", sinceState=before)
    assert (same["created"], same["updated"], same["destroyed"]) == ([], [], [])
    store.mail.deliver(build_message("One more"), [ALICE])
    grown = invoke(call, "Quota/changes", sinceState=before)
    assert grown["updated"] == ["qoctets"] and grown["newState"] != before
    store.settings.set("quota.messages", 10, account=ALICE)
    store.settings.set("quota.storage_bytes", 0, account=ALICE)
    moved = invoke(call, "Quota/changes", sinceState=before)
    assert (moved["created"], moved["updated"], moved["destroyed"]) == (["qcount"], [], ["qoctets"])
    assert invoke(call, "Quota/changes", sinceState="garbage")["error"] == "cannotCalculateChanges"


def test_query_filters_and_sorts(seeded: Seeded) -> None:
    store = seeded.store
    store.settings.set("quota.storage_bytes", 1_000_000, account=ALICE)
    store.settings.set("quota.messages", 50, account=ALICE)
    call = call_for(store, seeded.alice)
    everything = invoke(call, "Quota/query", calculateTotal=True)
    assert everything["ids"] == ["qcount", "qoctets"] and everything["total"] == 2
    by_name = invoke(call, "Quota/query", sort=[{"property": "name", "isAscending": False}])
    assert by_name["ids"] == ["qcount", "qoctets"]  # "messages" after "mailbox size", reversed
    by_use = invoke(call, "Quota/query", sort=[{"property": "used"}])
    assert by_use["ids"] == ["qcount", "qoctets"]  # a few messages, many bytes
    assert invoke(call, "Quota/query", filter={"resourceType": ["octets"]})["ids"] == ["qoctets"]
    assert invoke(call, "Quota/query", filter={"name": "SIZE"})["ids"] == ["qoctets"]
    assert invoke(call, "Quota/query", filter={"type": ["Calendar"]})["ids"] == []
    assert invoke(call, "Quota/query", filter={"scope": ["account"], "type": ["Email"]})["ids"] == [
        "qcount",
        "qoctets",
    ]
    either = {"operator": "NOT", "conditions": [{"resourceType": ["count"]}]}
    assert invoke(call, "Quota/query", filter=either)["ids"] == ["qoctets"]
    assert invoke(call, "Quota/query", filter={"colour": "red"})["error"] == "unsupportedFilter"
    assert invoke(call, "Quota/query", filter={"scope": "account"})["error"] == "invalidArguments"
    assert invoke(call, "Quota/query", sort=[{"property": "hardLimit"}])["error"] == "unsupportedSort"
    state = everything["queryState"]
    none = invoke(call, "Quota/queryChanges", sinceQueryState=state)
    assert (none["added"], none["removed"], none["newQueryState"]) == ([], [], state)
    store.mail.deliver(build_message("One more"), [ALICE])
    assert invoke(call, "Quota/queryChanges", sinceQueryState=state)["error"] == "cannotCalculateChanges"


def test_the_session_announces_quotas_and_the_api_answers(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    assert session["capabilities"][QUOTA] == {}
    account = jmap.account_id()
    assert session["accounts"][account]["accountCapabilities"][QUOTA] == {}
    assert session["primaryAccounts"][QUOTA] == account
    answer = jmap.call(
        [["Quota/get", {"accountId": account, "ids": None}, "0"]],
        using=("urn:ietf:params:jmap:core", QUOTA),
    )
    assert answer["methodResponses"][0][0] == "Quota/get"
    refused = jmap.call([["Quota/get", {"accountId": account, "ids": None}, "0"]])
    assert refused["methodResponses"][0][1]["type"] == "unknownMethod"  # not "using" the capability
