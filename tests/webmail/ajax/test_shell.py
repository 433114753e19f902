"""The Ajax interface's server side through the test client: the login choice, the shell page, the
reader's body documents and the composer's sanitiser."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token

DATA_BLOCK = re.compile(r'<script type="application/json" id="fp-(\w+)">(.*?)</script>', re.S)


def inbox_and_uid(seeded: Seeded) -> tuple[int, int]:
    inbox = seeded.store.folders.get("alice@example.test", "INBOX").id
    return inbox, 1  # the seeded store's one message


def test_ajax_is_offered_at_login_and_remembered_for_the_session(
    client: FlaskClient, auth: AuthActions
) -> None:
    login = client.get("/login").get_data(as_text=True)
    assert 'name="interface" value="ajax"' in login
    assert 'value="standard" checked="checked"' in login  # not the default while it is a preview
    assert auth.login(interface="ajax").headers["Location"] == "/ajax/"
    assert client.get("/").headers["Location"] == "/ajax/"
    assert client.get("/interface/standard").headers["Location"] == "/mail/"


def test_the_shell_carries_its_settings_and_strings_as_data_not_script(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(interface="ajax")
    page = client.get("/ajax/")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    text = page.get_data(as_text=True)
    blocks = {name: json.loads(body) for name, body in DATA_BLOCK.findall(text)}
    assert blocks["config"]["address"] == "alice@example.test"
    assert blocks["config"]["session"] == "/.well-known/jmap"
    assert blocks["config"]["csrf"]
    assert blocks["strings"]["key_next"] == "Next message"
    assert 'type="module" src="/skins/base/ajax/main.js"' in text
    script = client.get("/skins/base/ajax/main.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]


def test_the_top_bar_links_to_the_other_interfaces_the_account_may_use(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    """As the Standard and Mobile frames: a link to each other interface the account is allowed, which
    switches the session to it."""
    mobile = '<a href="/interface/mobile">Mobile view</a>'
    standard = '<a href="/interface/standard">Standard view</a>'
    auth.login(interface="ajax")
    links = client.get("/ajax/").get_data(as_text=True).split('<nav class="ax-links">')[1].split("</nav>")[0]
    assert mobile in links and standard in links
    assert client.get("/interface/mobile").headers["Location"] == "/m/"
    assert client.get("/").headers["Location"] == "/m/"
    client.get("/interface/ajax")
    seeded.store.settings.set("webmail.interfaces", ["standard", "ajax"], domain="example.test")
    links = client.get("/ajax/").get_data(as_text=True).split('<nav class="ax-links">')[1].split("</nav>")[0]
    assert mobile not in links and standard in links


def test_the_shell_needs_a_login(client: FlaskClient) -> None:
    assert "/login" in client.get("/ajax/").headers["Location"]


def test_reader_points_at_the_sanitised_body_documents(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    folder, uid = inbox_and_uid(seeded)
    auth.login(interface="ajax")
    view = client.get(f"/ajax/read/{folder}/{uid}").get_json()
    assert view["sections"], view
    body = client.get(view["sections"][0]["url"])
    assert body.status_code == 200
    assert "default-src 'none'" in body.headers["Content-Security-Policy"]
    assert "Welcome to WebMail" in body.get_data(as_text=True)
    # the Standard reader's source, download and print pages, for the same message
    source = client.get(view["source"])
    assert source.status_code == 200 and source.mimetype == "text/plain"
    assert b"Welcome to WebMail" in source.data and b"Subject:" in source.data
    assert client.get(view["download"]).mimetype == "message/rfc822"
    assert "Welcome to WebMail" in client.get(view["print"]).get_data(as_text=True)


def test_another_users_message_is_not_found(client: FlaskClient, seeded: Seeded) -> None:
    folder, uid = inbox_and_uid(seeded)
    AuthActions(client).login("bob@example.test", "pass-bob", interface="ajax")
    assert client.get(f"/ajax/read/{folder}/{uid}").status_code == 404


def test_composer_html_goes_through_the_sanitiser(client: FlaskClient, auth: AuthActions) -> None:
    auth.login(interface="ajax")
    token = csrf_token(client.get("/ajax/"))
    dirty = '<p onclick="x()">Hi <b>there</b><script>alert(1)</script></p>'
    answer = client.post("/ajax/compose/clean", json={"html": dirty}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    clean = answer.get_json()
    assert "<b>there</b>" in clean["html"]
    assert "script" not in clean["html"] and "onclick" not in clean["html"]
    assert "Hi there" in clean["text"]
    assert client.post("/ajax/compose/clean", json={"html": "x"}).status_code == 400  # no CSRF token
    refused = client.post("/ajax/compose/clean", json={"nothing": 1}, headers={"X-CSRFToken": token})
    assert refused.status_code == 400
