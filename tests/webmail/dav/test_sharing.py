"""Shared and public collections through DAV, rights applied by storage: bob sees alice's calendar in
his own home once it is shared, with privileges that follow the grant; without a grant he sees nothing."""

from __future__ import annotations

from tests.webmail.dav.conftest import Dav, event, props
from webmail.dav.names import dav as d

ALICE_CAL = "/dav/calendars/alice@example.test/team/"
BOB_HOME = "/dav/calendars/bob@example.test/"
SHARED = BOB_HOME + "alice@example.test:team/"
ASK = (
    '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/><d:current-user-privilege-set/></d:prop></d:propfind>'
)


def share(dav: Dav, rights: str) -> int:
    organizer = dav.organizer()
    folder = next(c for c in organizer.collections() if c.path == "team")
    dav.seeded.store.for_user(dav.seeded.alice.id).change_entry(folder.folder_id, "bob@example.test", rights)
    return folder.folder_id


def privileges(dav: Dav) -> set[str]:
    found = props(dav.request("PROPFIND", SHARED, ASK, user="bob", Depth="0"))[SHARED]
    return {p[0].tag for p in found[d("current-user-privilege-set")]}


def test_unshared_is_invisible_then_viewer_reads_only(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", ALICE_CAL).status_code == 201
    dav.request("PUT", ALICE_CAL + "plan.ics", event("plan", summary="Planning"))
    home = props(dav.request("PROPFIND", BOB_HOME, ASK, user="bob", Depth="1"))
    assert SHARED not in home
    assert dav.request("GET", SHARED + "plan.ics", user="bob").status_code == 404
    share(dav, "lr")
    home = props(dav.request("PROPFIND", BOB_HOME, ASK, user="bob", Depth="1"))
    assert SHARED in home
    assert privileges(dav) >= {d("read")} and d("bind") not in privileges(dav)
    got = dav.request("GET", SHARED + "plan.ics", user="bob")
    assert got.status_code == 200 and b"Planning" in got.get_data()
    assert dav.request("PUT", SHARED + "mine.ics", event("bob-1"), user="bob").status_code == 403
    assert dav.request("DELETE", SHARED + "plan.ics", user="bob").status_code == 403
    assert dav.request("PROPFIND", SHARED, ASK, user="carol", Depth="0").status_code == 404


def test_editor_writes_and_lookup_only_hides_contents(dav: Dav) -> None:
    dav.request("MKCALENDAR", ALICE_CAL)
    dav.request("PUT", ALICE_CAL + "plan.ics", event("plan"))
    share(dav, "lrsiwte")
    assert {d("bind"), d("unbind"), d("write-content")} <= privileges(dav)
    assert dav.request("PUT", SHARED + "bob.ics", event("bob-2"), user="bob").status_code == 201
    assert b"bob-2" in dav.request("GET", ALICE_CAL + "bob.ics").get_data()
    share(dav, "l")
    listing = props(dav.request("PROPFIND", SHARED, ASK, user="bob", Depth="1"))
    assert list(listing) == [SHARED]
    assert dav.request("GET", SHARED + "plan.ics", user="bob").status_code == 403


def test_a_withdrawn_grant_hides_the_collection_at_once(dav: Dav) -> None:
    """The process remembers where a segment points; storage's rights still decide every request."""
    dav.request("MKCALENDAR", ALICE_CAL)
    dav.request("PUT", ALICE_CAL + "plan.ics", event("plan"))
    folder_id = share(dav, "lr")
    assert dav.request("GET", SHARED + "plan.ics", user="bob").status_code == 200
    dav.seeded.store.for_user(dav.seeded.alice.id).delete_entry(folder_id, "bob@example.test")
    assert dav.request("GET", SHARED + "plan.ics", user="bob").status_code == 404
    assert dav.request("PROPFIND", SHARED, ASK, user="bob", Depth="0").status_code == 404


def test_a_collection_made_again_under_the_same_name_is_found(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", ALICE_CAL).status_code == 201
    dav.request("PUT", ALICE_CAL + "a.ics", event("a"))
    assert dav.request("DELETE", ALICE_CAL).status_code == 204
    assert dav.request("GET", ALICE_CAL + "a.ics").status_code == 404
    assert dav.request("MKCALENDAR", ALICE_CAL).status_code == 201
    assert dav.request("PUT", ALICE_CAL + "b.ics", event("b")).status_code == 201
    assert dav.request("GET", ALICE_CAL + "b.ics").status_code == 200
