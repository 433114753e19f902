"""JMAP for Contacts (RFC 9610) over the real endpoint: AddressBook/get, /changes, ContactCard/get,
/changes, /query, /set, with cards shaped like the RFC's examples, and the same cards seen by the
organizer (what the Standard interface and CardDAV read)."""

from __future__ import annotations

from typing import Any

from tests.webmail.jmap.conftest import CORE, Jmap
from webmail.jmap import standard_methods as std

CONTACTS = "urn:ietf:params:jmap:contacts"
USING = (CORE, CONTACTS)

JANE = {
    "@type": "Card",
    "kind": "individual",
    "name": {
        "components": [{"kind": "given", "value": "Jane"}, {"kind": "surname", "value": "Doe"}],
        "full": "Jane Doe",
    },
    "emails": {"e1": {"address": "jane@example.com", "contexts": {"work": True}}},
    "phones": {"p1": {"number": "+1-555-555-5555", "features": {"mobile": True}}},
    "organizations": {"o1": {"name": "ABC, Inc.", "units": [{"name": "North American Division"}]}},
    "addresses": {
        "a1": {
            "components": [
                {"kind": "name", "value": "Main Street 1"},
                {"kind": "locality", "value": "Anytown"},
                {"kind": "postcode", "value": "12345"},
                {"kind": "country", "value": "USA"},
            ],
            "contexts": {"private": True},
        }
    },
    "notes": {"n1": {"note": "Met at the conference"}},
}


def call(jmap: Jmap, name: str, args: dict[str, Any], *, user: str = "alice") -> tuple[str, dict[str, Any]]:
    body = jmap.call([[name, {"accountId": jmap.account_id(user), **args}, "c0"]], user=user, using=USING)
    kind, answer, _ = body["methodResponses"][0]
    return kind, answer


def ok(jmap: Jmap, name: str, args: dict[str, Any], *, user: str = "alice") -> dict[str, Any]:
    kind, answer = call(jmap, name, args, user=user)
    assert kind == name, answer
    return answer


def default_book(jmap: Jmap, user: str = "alice") -> str:
    books = ok(jmap, "AddressBook/get", {"ids": None}, user=user)["list"]
    return next(b["id"] for b in books if b["isDefault"])


def create(jmap: Jmap, card: dict[str, Any], *, user: str = "alice", book: str | None = None) -> str:
    body = {**card, "addressBookIds": {book or default_book(jmap, user): True}}
    answer = ok(jmap, "ContactCard/set", {"create": {"k1": body}}, user=user)
    assert answer["notCreated"] is None, answer["notCreated"]
    return str(answer["created"]["k1"]["id"])


def test_session_announces_contacts(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    assert session["capabilities"][CONTACTS] == {}
    account = session["accounts"][jmap.account_id()]
    assert account["accountCapabilities"][CONTACTS]["maxAddressBooksPerCard"] == 1
    assert session["primaryAccounts"][CONTACTS] == jmap.account_id()


def test_address_book_get_lists_own_book_with_rights(jmap: Jmap) -> None:
    answer = ok(jmap, "AddressBook/get", {"ids": None})
    books = answer["list"]
    assert [b["isDefault"] for b in books].count(True) == 1
    default = next(b for b in books if b["isDefault"])
    assert default["name"] == "Contacts"
    assert default["myRights"] == {"mayRead": True, "mayWrite": True, "mayShare": True, "mayDelete": True}
    missing = ok(jmap, "AddressBook/get", {"ids": ["ab999999", "nonsense"], "properties": ["name"]})
    assert missing["list"] == [] and missing["notFound"] == ["ab999999", "nonsense"]


def test_address_book_changes_sees_a_new_book(jmap: Jmap) -> None:
    state = ok(jmap, "AddressBook/get", {"ids": None})["state"]
    assert ok(jmap, "AddressBook/changes", {"sinceState": state})["created"] == []
    organizer = jmap.seeded.store.for_user(jmap.seeded.alice.id).organizer
    made = organizer.create_collection("Work contacts", "contacts")
    changes = ok(jmap, "AddressBook/changes", {"sinceState": state})
    assert changes["created"] == [f"ab{made.folder_id}"] and changes["newState"] != state
    kind, error = call(jmap, "AddressBook/changes", {"sinceState": "bogus"})
    assert kind == "error" and error["type"] == "cannotCalculateChanges"


def test_create_get_round_trip_and_organizer_sees_the_vcard(jmap: Jmap) -> None:
    card_id = create(jmap, JANE)
    got = ok(jmap, "ContactCard/get", {"ids": [card_id, "k1_bm9uZQ"]})
    assert got["notFound"] == ["k1_bm9uZQ"]
    card = got["list"][0]
    assert card["name"]["full"] == "Jane Doe"
    assert {"kind": "surname", "value": "Doe"} in card["name"]["components"]
    assert card["emails"]["e1"] == {"address": "jane@example.com", "contexts": {"work": True}}
    assert card["phones"]["p1"]["features"] == {"mobile": True}
    assert card["organizations"]["o1"] == {
        "name": "ABC, Inc.",
        "units": [{"name": "North American Division"}],
    }
    assert {"kind": "locality", "value": "Anytown"} in card["addresses"]["a1"]["components"]
    assert card["notes"]["n1"]["note"] == "Met at the conference"
    assert card["uid"].startswith("urn:uuid:") and card["updated"].endswith("Z")
    organizer = jmap.seeded.store.for_user(jmap.seeded.alice.id).organizer
    found = organizer.search_contacts("jane")
    assert len(found) == 1 and b"FN:Jane Doe" in found[0].data and b"jane@example.com" in found[0].data
    only = ok(jmap, "ContactCard/get", {"ids": [card_id], "properties": ["name"]})["list"][0]
    assert set(only) == {"id", "name"}


def test_set_refuses_bad_cards_and_unknown_books(jmap: Jmap) -> None:
    book = default_book(jmap)
    answer = ok(
        jmap,
        "ContactCard/set",
        {
            "create": {
                "nobook": {"name": {"full": "X"}},
                "badmail": {"addressBookIds": {book: True}, "emails": {"e": {"address": "not-an-address"}}},
                "unknown": {"addressBookIds": {book: True}, "name": {"full": "Y"}, "cryptoKeys": {}},
                "empty": {"addressBookIds": {book: True}},
            }
        },
    )
    errors = answer["notCreated"]
    assert errors["nobook"]["properties"] == ["addressBookIds"]
    assert errors["badmail"]["properties"] == ["emails"]
    assert errors["unknown"]["properties"] == ["cryptoKeys"]
    assert errors["empty"]["type"] == "invalidProperties"
    assert answer["created"] is None


def test_update_by_patch_keeps_what_jscontact_does_not_carry(jmap: Jmap) -> None:
    organizer = jmap.seeded.store.for_user(jmap.seeded.alice.id).organizer
    book = next(c for c in organizer.collections("contacts"))
    vcard = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:keep-1\r\nFN:Old Name\r\nN:Name;Old;;;\r\n"
        "EMAIL;TYPE=INTERNET:old@example.com\r\nX-CUSTOM:kept\r\nEND:VCARD\r\n"
    )
    ref = organizer.put(book.folder_id, "keep-1.vcf", vcard.encode())
    card_id = ok(jmap, "ContactCard/query", {"filter": {"uid": "keep-1"}})["ids"][0]
    answer = ok(
        jmap,
        "ContactCard/set",
        {"update": {card_id: {"name/full": "New Name", "emails/e1/address": "new@example.com"}}},
    )
    assert answer["updated"] == {card_id: None}
    stored = organizer.get(book.folder_id, "keep-1.vcf")
    assert stored.etag != ref.etag
    assert b"FN:New Name" in stored.data and b"new@example.com" in stored.data
    assert b"X-CUSTOM:kept" in stored.data and b"old@example.com" not in stored.data
    again = ok(jmap, "ContactCard/get", {"ids": [card_id], "properties": ["name", "emails"]})["list"][0]
    assert again["name"]["full"] == "New Name" and again["emails"]["e1"]["address"] == "new@example.com"
    refused = ok(
        jmap, "ContactCard/set", {"update": {card_id: {"uid": "other"}, "k1_eA": {"name/full": "Z"}}}
    )
    assert refused["notUpdated"][card_id]["properties"] == ["uid"]
    assert refused["notUpdated"]["k1_eA"]["type"] == "notFound"
    bad = ok(jmap, "ContactCard/set", {"update": {card_id: {"nothere/x": 1}}})
    assert bad["notUpdated"][card_id]["type"] == "invalidPatch"


def test_query_filters_and_sorts(jmap: Jmap) -> None:
    book = default_book(jmap)
    for given, family, address in (("Zoe", "Adams", "zoe@x.test"), ("Anna", "Müller", "anna@y.test")):
        create(
            jmap,
            {
                "name": {
                    "components": [{"kind": "given", "value": given}, {"kind": "surname", "value": family}]
                },
                "emails": {"e1": {"address": address}},
            },
            book=book,
        )
    everyone = ok(jmap, "ContactCard/query", {"calculateTotal": True})
    assert everyone["total"] == 2 and everyone["canCalculateChanges"] is False
    names = ok(jmap, "ContactCard/get", {"ids": everyone["ids"], "properties": ["name"]})["list"]
    assert [n["name"]["full"] for n in names] == ["Anna Müller", "Zoe Adams"]  # by full name
    by_surname = ok(jmap, "ContactCard/query", {"sort": [{"property": "name/surname"}]})["ids"]
    assert by_surname == list(reversed(everyone["ids"]))
    assert ok(jmap, "ContactCard/query", {"filter": {"text": "muller"}})["ids"] == everyone["ids"][:1]
    assert ok(jmap, "ContactCard/query", {"filter": {"email": "x.test"}})["ids"] == everyone["ids"][1:]
    assert ok(jmap, "ContactCard/query", {"filter": {"name/given": "zoe"}})["ids"] == everyone["ids"][1:]
    either = {"operator": "OR", "conditions": [{"name": "anna"}, {"name": "zoe"}]}
    assert len(ok(jmap, "ContactCard/query", {"filter": either})["ids"]) == 2
    assert ok(jmap, "ContactCard/query", {"filter": {"inAddressBook": "ab999999"}})["ids"] == []
    page = ok(jmap, "ContactCard/query", {"position": 1, "limit": 1})
    assert page["ids"] == everyone["ids"][1:] and page["position"] == 1 and "limit" not in page
    assert everyone["limit"] == std.MAX_QUERY_LIMIT  # no limit asked: the server's cap is the one used
    kind, error = call(jmap, "ContactCard/query", {"filter": {"onlineService": "x"}})
    assert kind == "error" and error["type"] == "unsupportedFilter"
    kind, error = call(jmap, "ContactCard/query", {"sort": [{"property": "created"}]})
    assert kind == "error" and error["type"] == "unsupportedSort"


def test_changes_created_updated_destroyed(jmap: Jmap) -> None:
    state = ok(jmap, "ContactCard/get", {"ids": []})["state"]
    first = create(jmap, JANE)
    changes = ok(jmap, "ContactCard/changes", {"sinceState": state})
    assert changes["created"] == [first] and changes["updated"] == [] and changes["destroyed"] == []
    state = changes["newState"]
    assert ok(jmap, "ContactCard/changes", {"sinceState": state})["created"] == []
    ok(jmap, "ContactCard/set", {"update": {first: {"name/full": "Jane Q. Doe"}}})
    changes = ok(jmap, "ContactCard/changes", {"sinceState": state})
    assert changes["updated"] == [first] and changes["created"] == []
    state = changes["newState"]
    answer = ok(jmap, "ContactCard/set", {"destroy": [first], "ifInState": state})
    assert answer["destroyed"] == [first]
    changes = ok(jmap, "ContactCard/changes", {"sinceState": state})
    assert changes["destroyed"] == [first] and changes["updated"] == []
    assert ok(jmap, "ContactCard/get", {"ids": [first]})["notFound"] == [first]
    kind, error = call(jmap, "ContactCard/set", {"destroy": [first], "ifInState": state})
    assert kind == "error" and error["type"] == "stateMismatch"


def test_group_with_members(jmap: Jmap) -> None:
    group_id = create(
        jmap, {"kind": "group", "name": {"full": "Team"}, "members": {"mailto:bob@example.test": True}}
    )
    card = ok(jmap, "ContactCard/get", {"ids": [group_id]})["list"][0]
    assert card["kind"] == "group" and card["members"] == {"mailto:bob@example.test": True}
    assert ok(jmap, "ContactCard/query", {"filter": {"kind": "group"}})["ids"] == [group_id]
    assert ok(jmap, "ContactCard/query", {"filter": {"hasMember": "mailto:bob@example.test"}})["ids"] == [
        group_id
    ]


def test_shared_book_follows_the_rights(jmap: Jmap) -> None:
    store = jmap.seeded.store
    bob = store.for_user(jmap.seeded.bob.id)
    book = next(c for c in bob.organizer.collections("contacts"))
    bob.organizer.put(
        book.folder_id, "b.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b\r\nFN:Bob Friend\r\nEND:VCARD\r\n"
    )
    assert ok(jmap, "ContactCard/query", {"filter": {"name": "friend"}})["ids"] == []
    bob.change_entry(book.folder_id, "alice@example.test", "lr")
    shared = next(
        b for b in ok(jmap, "AddressBook/get", {"ids": None})["list"] if b["id"] == f"ab{book.folder_id}"
    )
    assert shared["myRights"]["mayRead"] is True and shared["myRights"]["mayWrite"] is False
    ids = ok(jmap, "ContactCard/query", {"filter": {"name": "friend"}})["ids"]
    assert len(ids) == 1
    refused = ok(jmap, "ContactCard/set", {"destroy": ids})
    assert refused["notDestroyed"][ids[0]]["type"] == "forbidden"
    made = ok(
        jmap,
        "ContactCard/set",
        {"create": {"x": {"addressBookIds": {f"ab{book.folder_id}": True}, "name": {"full": "Nope"}}}},
    )
    assert made["notCreated"]["x"]["type"] == "forbidden"
    assert ok(jmap, "ContactCard/get", {"ids": ids}, user="carol")["notFound"] == ids


def test_methods_need_the_capability(jmap: Jmap) -> None:
    body = jmap.call([["AddressBook/get", {"accountId": jmap.account_id()}, "c0"]], using=(CORE,))
    assert body["methodResponses"][0][1]["type"] == "unknownMethod"
