"""The Session resource (RFC 8620 2) and who may call the API: Basic over TLS, app passwords for
two-step accounts, the throttle, the service switch, and the WebMail cookie with its CSRF token."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from storage import totp
from tests.webmail.conftest import AuthActions, Seeded, csrf_token, reload_throttle
from tests.webmail.jmap.conftest import CORE, HTTPS, MAIL, Jmap, basic

SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"
CONTACTS = "urn:ietf:params:jmap:contacts"
CALENDARS = "urn:ietf:params:jmap:calendars"
ECHO = json.dumps({"using": [CORE], "methodCalls": [["Core/echo", {"x": 1}, "0"]]})


def test_well_known_redirects_to_the_session(client: FlaskClient) -> None:
    answer = client.get("/.well-known/jmap")
    assert answer.status_code in (301, 302, 307, 308)
    assert answer.headers["Location"].endswith("/jmap/session")


def test_the_session_object_names_the_account_limits_and_urls(jmap: Jmap) -> None:
    answer = jmap.get("/jmap/session")
    assert answer.status_code == 200
    session = answer.get_json()
    core = session["capabilities"][CORE]
    assert set(core) == {
        "maxSizeUpload",
        "maxConcurrentUpload",
        "maxSizeRequest",
        "maxConcurrentRequests",
        "maxCallsInRequest",
        "maxObjectsInGet",
        "maxObjectsInSet",
        "collationAlgorithms",
    }
    assert all(isinstance(core[k], int) and core[k] > 0 for k in core if k != "collationAlgorithms")
    account_id = jmap.account_id()
    assert session["accounts"] == {
        account_id: {
            "name": "alice@example.test",
            "isPersonal": True,
            "isReadOnly": False,
            "accountCapabilities": session["accounts"][account_id]["accountCapabilities"],
        }
    }
    # the mail ones, and those the data-type packages add (contacts, ...): every one primary for the account
    announced = set(session["accounts"][account_id]["accountCapabilities"])
    assert {MAIL, SUBMISSION, VACATION, CONTACTS, CALENDARS} <= announced
    assert session["primaryAccounts"] == dict.fromkeys(announced, account_id)
    assert session["username"] == "alice@example.test"
    assert session["apiUrl"] == f"{HTTPS}/jmap/api"
    assert session["downloadUrl"].startswith(f"{HTTPS}/jmap/download/{{accountId}}/{{blobId}}/{{name}}")
    assert "{type}" in session["downloadUrl"]
    assert session["uploadUrl"] == f"{HTTPS}/jmap/upload/{{accountId}}/"
    for variable in ("{types}", "{closeafter}", "{ping}"):
        assert variable in session["eventSourceUrl"]
    assert session["state"]
    bob = jmap.get("/jmap/session", user="bob").get_json()
    assert list(bob["accounts"]) == [jmap.account_id("bob")] != [account_id]


def test_without_credentials_the_client_is_challenged(client: FlaskClient) -> None:
    answer = client.get("/jmap/session", base_url=HTTPS)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic ")
    assert answer.mimetype == "application/problem+json"


def test_a_wrong_password_is_401_and_repeated_failures_429_with_retry_after(
    jmap: Jmap, seeded: Seeded
) -> None:
    seeded.store.settings.set("auth.free_failures", 1)
    seeded.store.settings.set("auth.base_delay_seconds", 30)
    reload_throttle(seeded.store)
    codes = [jmap.post(ECHO, password="wrong").status_code for _ in range(3)]
    assert codes[0] == 401 and codes[-1] == 429
    throttled = jmap.post(ECHO)  # even the right password waits
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "WWW-Authenticate" not in throttled.headers


def test_basic_over_plain_http_is_refused_unless_the_operator_allows_it(
    client: FlaskClient, seeded: Seeded
) -> None:
    auth = {"Authorization": basic("alice@example.test", "pass-alice")}
    plain = client.get("/jmap/session", headers=auth)
    assert plain.status_code == 403
    assert "https" in plain.get_json()["detail"]
    client.application.config["FIELDPOST_SECURE_COOKIES"] = "never"
    assert client.get("/jmap/session", headers=auth).status_code == 200
    client.application.config["FIELDPOST_SECURE_COOKIES"] = "auto"
    proxied = client.get("/jmap/session", headers=auth, base_url=HTTPS)
    assert proxied.status_code == 200


def test_the_jmap_switch_turns_the_api_off_for_one_account(jmap: Jmap, seeded: Seeded) -> None:
    seeded.store.settings.set("services.jmap", False, account="alice@example.test")
    assert jmap.post(ECHO).status_code == 401
    assert jmap.post(ECHO, user="bob").status_code == 200


def test_a_two_step_account_signs_in_with_an_app_password_only(jmap: Jmap, seeded: Seeded) -> None:
    mine = seeded.store.for_user(seeded.alice.id)
    factor = mine.second_factor
    factor.confirm(totp.code_at(factor.enrol().secret, seeded.store.second_factors.now().timestamp()))
    made = mine.app_passwords.create("JMAP client")
    refused = jmap.post(ECHO)
    assert refused.status_code == 401
    assert "app password" in refused.get_json()["detail"]
    taken = jmap.post(ECHO, password=made.password)
    assert taken.status_code == 200
    assert taken.get_json()["methodResponses"] == [["Core/echo", {"x": 1}, "0"]]


def test_bearer_tokens_are_not_taken(client: FlaskClient) -> None:
    answer = client.get("/jmap/session", headers={"Authorization": "Bearer abc"}, base_url=HTTPS)
    assert answer.status_code == 401


def test_the_webmail_cookie_signs_in_and_a_post_needs_the_csrf_token(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    session = client.get("/jmap/session")
    assert session.status_code == 200
    assert session.get_json()["username"] == "alice@example.test"
    assert "WWW-Authenticate" not in session.headers
    refused = client.post("/jmap/api", data=ECHO, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.get_json()["detail"]
    token = csrf_token(client.get("/mail/", follow_redirects=True))
    wrong = client.post(
        "/jmap/api", data=ECHO, content_type="application/json", headers={"X-CSRFToken": token + "x"}
    )
    assert wrong.status_code == 403
    taken = client.post(
        "/jmap/api", data=ECHO, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert taken.status_code == 200
    assert taken.get_json()["methodResponses"] == [["Core/echo", {"x": 1}, "0"]]


def test_after_logout_the_cookie_gets_401_without_a_password_dialog(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    auth.logout()
    answer = client.get("/jmap/session", headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 401
    assert "WWW-Authenticate" not in answer.headers


def test_an_ended_session_gets_401_from_the_api_not_the_login_page(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    seeded.store.settings.set("web.session_idle_seconds", 120)
    auth.login()
    assert client.get("/jmap/session").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] = int(session["seen_at"] - 121)
    answer = client.get("/jmap/session")
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert "WWW-Authenticate" not in answer.headers  # the cookie was sent: no browser password dialog
