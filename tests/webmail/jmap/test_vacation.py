"""VacationResponse/get and /set (RFC 8621 8): the reply is WebMail's out-of-office entry, so a change
made through JMAP shows on the settings page, one made on the page reads back through JMAP, and the Sieve
engine answers incoming mail with it."""

from __future__ import annotations

import email
from datetime import date
from email import policy

from flask.testing import FlaskClient

from filters.user_rules import OutOfOffice, UserFilters
from mailflow.submission import Envelope, Origin, submit
from sidecars.processing.worker import Worker
from tests.webmail.conftest import AuthActions, Seeded
from tests.webmail.jmap.send_calls import call_for, invoke
from tests.webmail.test_settings import post


def test_default_is_off_and_the_singleton_is_the_only_object(seeded: Seeded) -> None:
    call = call_for(seeded.store, seeded.alice)
    got = invoke(call, "VacationResponse/get", ids=None)
    assert got["list"] == [
        {
            "id": "singleton",
            "isEnabled": False,
            "fromDate": None,
            "toDate": None,
            "subject": None,
            "textBody": None,
            "htmlBody": None,
        }
    ]
    assert invoke(call, "VacationResponse/get", ids=["other"])["notFound"] == ["other"]
    done = invoke(call, "VacationResponse/set", create={"v": {"isEnabled": True}}, destroy=["singleton"])
    assert done["notCreated"]["v"]["type"] == "singleton"
    assert done["notDestroyed"]["singleton"]["type"] == "singleton"


def test_set_through_jmap_shows_on_the_settings_page(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    store, alice = seeded.store, seeded.alice
    store.for_user(alice.id).preferences.set("user.timezone", "Europe/Berlin")
    call = call_for(store, alice)
    state = invoke(call, "VacationResponse/get", ids=None)["state"]
    done = invoke(
        call,
        "VacationResponse/set",
        ifInState=state,
        update={
            "singleton": {
                "isEnabled": True,
                "fromDate": "2027-01-03T23:00:00Z",  # midnight in Berlin: the 4th
                "toDate": "2027-01-10T23:00:00Z",  # the 11th begins: the 10th is the last day
                "subject": "Away until the 11th",
                "textBody": "I am away; Bob stands in.",
            }
        },
    )
    assert done["updated"] == {"singleton": None}, done
    assert done["newState"] != state
    entry = UserFilters(store.for_user(alice.id)).state()
    assert entry.in_force
    ooo = entry.data.out_of_office
    assert (ooo.enabled, ooo.start, ooo.end, ooo.subject) == (
        True,
        date(2027, 1, 4),
        date(2027, 1, 10),
        "Away until the 11th",
    )
    assert ooo.internal_text == ooo.external_text == "I am away; Bob stands in."
    auth.login()
    page = client.get("/mail/settings/out-of-office").get_data(as_text=True)
    assert (
        "I am away; Bob stands in." in page and 'value="2027-01-04"' in page and 'value="2027-01-10"' in page
    )
    back = invoke(call, "VacationResponse/get", ids=["singleton"])["list"][0]
    assert (back["fromDate"], back["toDate"]) == ("2027-01-03T23:00:00Z", "2027-01-10T23:00:00Z")


def test_set_on_the_settings_page_reads_back_through_jmap(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    reply = post(
        client,
        "/mail/settings/out-of-office",
        {
            "enabled": "y",
            "subject": "Holiday",
            "external_text": "Back on Monday",
            "start": "2027-02-01",
            "days": "7",
        },
    )
    assert reply.status_code == 302
    got = invoke(call_for(seeded.store, seeded.alice), "VacationResponse/get", ids=None)["list"][0]
    assert got["isEnabled"] is True and got["subject"] == "Holiday" and got["textBody"] == "Back on Monday"
    assert got["fromDate"] == "2027-02-01T00:00:00Z" and got["toDate"] is None  # alice's zone is UTC


def test_bad_values_are_refused_and_nothing_changes(seeded: Seeded) -> None:
    call = call_for(seeded.store, seeded.alice)
    for patch, prop in (
        ({"fromDate": "next week"}, "fromDate"),
        ({"isEnabled": "yes"}, "isEnabled"),
        ({"isEnabled": True, "textBody": ""}, "textBody"),
        ({"subject": "two\nlines"}, "subject"),
        ({"fromDate": "2027-03-10T00:00:00Z", "toDate": "2027-03-01T00:00:00Z"}, "toDate"),
        ({"id": "other"}, "id"),
    ):
        done = invoke(call, "VacationResponse/set", update={"singleton": patch})
        assert done["notUpdated"]["singleton"]["type"] == "invalidProperties", patch
        assert done["notUpdated"]["singleton"]["properties"] == [prop], patch
    assert UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.out_of_office == OutOfOffice()
    assert invoke(call, "VacationResponse/set", ifInState="stale", update={})["error"] == "stateMismatch"


def test_an_html_body_becomes_the_text_and_incoming_mail_is_answered(seeded: Seeded) -> None:
    store = seeded.store
    call = call_for(store, seeded.alice)
    done = invoke(
        call,
        "VacationResponse/set",
        update={"singleton": {"isEnabled": True, "subject": "Out", "htmlBody": "<p>Gone <b>fishing</b></p>"}},
    )
    assert done["updated"] == {"singleton": None}, done
    assert "Gone fishing" in invoke(call, "VacationResponse/get", ids=None)["list"][0]["textBody"]
    raw = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Lunch?\r\nMessage-ID: <l1@example.test>\r\n\r\nToday?\r\n"
    origin = Origin(
        "127.0.0.1", 0, "mail.example.test", "submission", "t1", "t1.1", "ESMTPSA", True, "client"
    )
    submit(store, seeded.bob, Envelope("bob@example.test", ["alice@example.test"]), raw, origin)
    worker = Worker(store, hostname="mail.example.test")
    while worker.run_once():
        pass
    replies = [
        email.message_from_bytes(body, policy=policy.default)
        for _u, body, _d, _f in store.mail.iter_raw("bob@example.test", "INBOX")
    ]
    (reply,) = [m for m in replies if m["Subject"] == "Out"]
    assert "Gone fishing" in reply.get_body(("plain",)).get_content()
    assert reply["Auto-Submitted"] == "auto-replied"
