"""Identity/get, /changes, /set (RFC 8621 6) against a real store: the identities are the ones WebMail's
composer offers (own address, aliases, "send as" and "send on behalf" grants), and a signature set through
JMAP is the one the composer and the settings page use."""

from __future__ import annotations

from mailflow import outbox
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.send_calls import call_for, invoke


def test_identities_are_the_composers_choices(seeded: Seeded) -> None:
    store = seeded.store
    store.accounts.add_alias("alice@example.test", "sales@example.test")
    store.for_user(seeded.bob.id).sharing.set_delegate(
        "alice@example.test", send_as=True, send_on_behalf=False, free_busy=False
    )
    store.for_user(seeded.carol.id).sharing.set_delegate(
        "alice@example.test", send_as=False, send_on_behalf=True, free_busy=False
    )
    got = invoke(call_for(store, seeded.alice), "Identity/get", ids=None)
    emails = [i["email"] for i in got["list"]]
    assert emails == ["alice@example.test", "sales@example.test", "bob@example.test", "carol@example.test"]
    assert all(i["mayDelete"] is False for i in got["list"])
    assert len({i["id"] for i in got["list"]}) == 4
    # only the on-behalf identity names the Sender its Email needs; its From carries no name of alice's
    senders = {i["email"]: i["fieldpost:sender"] for i in got["list"]}
    assert senders == {
        "alice@example.test": None, "sales@example.test": None, "bob@example.test": None,
        "carol@example.test": {"name": seeded.alice.display_name or None, "email": "alice@example.test"},
    }  # fmt: skip
    assert [i["name"] for i in got["list"]][2:] == ["", ""]
    # bob was granted nothing: his own address only
    bobs = invoke(call_for(store, seeded.bob), "Identity/get", ids=None)["list"]
    assert [i["email"] for i in bobs] == ["bob@example.test"]


def test_a_withdrawn_grant_removes_the_identity_and_changes_the_state(seeded: Seeded) -> None:
    store = seeded.store
    sharing = store.for_user(seeded.bob.id).sharing
    sharing.set_delegate("alice@example.test", send_as=True, send_on_behalf=False, free_busy=False)
    call = call_for(store, seeded.alice)
    before = invoke(call, "Identity/get", ids=None)
    same = invoke(call, "Identity/changes", sinceState=before["state"])
    assert (same["created"], same["updated"], same["destroyed"]) == ([], [], [])
    sharing.set_delegate("alice@example.test", send_as=False, send_on_behalf=False, free_busy=False)
    after = invoke(call, "Identity/get", ids=None)
    assert [i["email"] for i in after["list"]] == ["alice@example.test"]
    assert invoke(call, "Identity/changes", sinceState=before["state"])["error"] == "cannotCalculateChanges"
    bob_id = next(i["id"] for i in before["list"] if i["email"] == "bob@example.test")
    assert invoke(call, "Identity/get", ids=[bob_id])["notFound"] == [bob_id]


def test_a_signature_set_through_jmap_is_the_composers(seeded: Seeded) -> None:
    store, alice = seeded.store, seeded.alice
    call = call_for(store, alice)
    mine = invoke(call, "Identity/get", ids=None)["list"][0]
    done = invoke(call, "Identity/set", update={mine["id"]: {"textSignature": "Alice\nSales team"}})
    assert done["updated"] == {mine["id"]: None}
    assert done["newState"] != done["oldState"]
    assert outbox.identities(store, alice)[0].signature == "Alice\nSales team"
    assert store.for_user(alice.id).preferences.signatures()["alice@example.test"] == "Alice\nSales team"
    again = invoke(call, "Identity/get", ids=[mine["id"]], properties=["textSignature"])
    assert again["list"] == [{"id": mine["id"], "textSignature": "Alice\nSales team"}]


def test_what_cannot_be_changed_is_refused_per_object(seeded: Seeded) -> None:
    call = call_for(seeded.store, seeded.alice)
    mine = invoke(call, "Identity/get", ids=None)["list"][0]
    done = invoke(
        call,
        "Identity/set",
        create={"k1": {"email": "alice@example.test", "name": "Second"}},
        update={mine["id"]: {"name": "Someone else"}, "inope": {"textSignature": "x"}},
        destroy=[mine["id"]],
    )
    assert done["notCreated"]["k1"]["type"] == "forbidden"
    assert done["notUpdated"][mine["id"]] == {
        "type": "invalidProperties",
        "properties": ["name"],
        "description": "only textSignature can be changed on this server",
    }
    assert done["notUpdated"]["inope"]["type"] == "notFound"
    assert done["notDestroyed"][mine["id"]]["type"] == "forbidden"
    assert done["updated"] is None
    assert invoke(call, "Identity/get", ids=None)["list"] == [mine]
    assert invoke(call, "Identity/set", ifInState="old", update={})["error"] == "stateMismatch"
    assert invoke(call, "Identity/get", accountId="a999999", ids=None)["error"] == "accountNotFound"
