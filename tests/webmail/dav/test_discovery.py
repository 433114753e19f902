"""Discovery and sign-in: RFC 6764 well-known redirects, current-user-principal, the home sets,
OPTIONS, Depth limits, HTTP Basic with 401/429, the per-account switch, app passwords."""

from __future__ import annotations

from flask.testing import FlaskClient

from storage import totp
from tests.webmail.conftest import Seeded, reload_throttle
from tests.webmail.dav.conftest import Dav, props
from webmail.dav.names import caldav, carddav
from webmail.dav.names import dav as d

PRINCIPAL = "/dav/principals/alice@example.test/"
T0 = 1_900_000_005.0
ASK_PRINCIPAL = '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>'
ASK_HOMES = (
    '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="urn:ietf:params:xml:ns:carddav">'
    "<d:prop><c:calendar-home-set/><a:addressbook-home-set/><c:calendar-user-address-set/>"
    "<c:schedule-outbox-URL/><d:resourcetype/><d:nonsense/></d:prop></d:propfind>"
)


def test_well_known_redirects_to_the_context_path(client: FlaskClient) -> None:
    for name in ("caldav", "carddav"):
        answer = client.open(f"/.well-known/{name}", method="PROPFIND")
        assert answer.status_code == 301
        assert answer.headers["Location"].endswith("/dav/")


def test_options_names_the_dav_classes(client: FlaskClient) -> None:
    answer = client.open("/dav/", method="OPTIONS")
    assert answer.status_code == 200
    assert "calendar-access" in answer.headers["DAV"] and "addressbook" in answer.headers["DAV"]
    assert "REPORT" in answer.headers["Allow"]


def test_principal_discovery(dav: Dav) -> None:
    root = dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, Depth="0")
    assert root.status_code == 207
    found = props(root)["/dav/"][d("current-user-principal")]
    assert found.findtext(d("href")) == PRINCIPAL
    principal = dav.request("PROPFIND", PRINCIPAL, ASK_HOMES, Depth="0")
    assert principal.status_code == 207
    values = props(principal)[PRINCIPAL]
    assert values[caldav("calendar-home-set")].findtext(d("href")) == "/dav/calendars/alice@example.test/"
    assert (
        values[carddav("addressbook-home-set")].findtext(d("href")) == "/dav/addressbooks/alice@example.test/"
    )
    assert values[caldav("calendar-user-address-set")].findtext(d("href")) == "mailto:alice@example.test"
    assert values[d("resourcetype")].find(d("principal")) is not None
    assert b"nonsense" in principal.get_data() and b"404 Not Found" in principal.get_data()


def test_depth_infinity_is_refused_with_the_precondition(dav: Dav) -> None:
    for headers in ({"Depth": "infinity"}, {}):
        answer = dav.request("PROPFIND", "/dav/calendars/alice@example.test/", ASK_PRINCIPAL, **headers)
        assert answer.status_code == 403
        assert b"propfind-finite-depth" in answer.get_data()


def test_another_users_tree_is_not_found(dav: Dav) -> None:
    answer = dav.request("PROPFIND", "/dav/calendars/bob@example.test/", ASK_PRINCIPAL, Depth="0")
    assert answer.status_code == 404


def test_sign_in_is_required_and_refusals_read_the_same(dav: Dav, client: FlaskClient) -> None:
    bare = client.open("/dav/", method="PROPFIND", headers={"Depth": "0"})
    assert bare.status_code == 401
    assert bare.headers["WWW-Authenticate"].startswith("Basic realm=")
    wrong = dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, password="nope", Depth="0")
    unknown = dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, user="nobody", Depth="0")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_data() == unknown.get_data()
    assert "Set-Cookie" not in wrong.headers


def test_the_throttle_answers_429_with_retry_after(dav: Dav, seeded: Seeded) -> None:
    seeded.store.settings.set("auth.free_failures", 1)
    seeded.store.settings.set("auth.base_delay_seconds", 30)
    reload_throttle(seeded.store)
    codes = [
        dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, password="bad", Depth="0").status_code
        for _ in range(3)
    ]
    assert codes[-1] == 429
    last = dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, Depth="0")  # even the right password waits
    assert last.status_code == 429 and int(last.headers["Retry-After"]) >= 1


def test_the_service_switch_turns_dav_off(dav: Dav, seeded: Seeded) -> None:
    seeded.store.settings.set("services.dav", False, account="alice@example.test")
    assert dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, Depth="0").status_code == 401
    assert dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, user="bob", Depth="0").status_code == 207


def test_no_csrf_token_is_needed_for_writes(dav: Dav) -> None:
    made = dav.request("MKCALENDAR", "/dav/calendars/alice@example.test/Work/")
    assert made.status_code == 201


def test_two_step_accounts_sign_in_with_an_app_password(dav: Dav, seeded: Seeded) -> None:
    seeded.store.second_factors.clock = lambda: T0
    factor = seeded.store.for_user(seeded.alice.id).second_factor
    factor.confirm(totp.code_at(factor.enrol().secret, T0))
    refused = dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, Depth="0")
    assert refused.status_code == 401 and b"app password" in refused.get_data()
    made = seeded.store.for_user(seeded.alice.id).app_passwords.create("calendar")
    allowed = dav.request("PROPFIND", "/dav/", ASK_PRINCIPAL, password=made.password, Depth="0")
    assert allowed.status_code == 207
