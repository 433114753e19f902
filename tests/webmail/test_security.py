"""Headers, cookies and CSRF as a browser sees them."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from storage.store import Store
from tests.webmail.conftest import AuthActions, Seeded, csrf_token
from webmail import create_app
from webmail.security import SECRET_FILE


def test_every_response_has_the_security_headers(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    for path in ("/login", "/health", "/mail/", "/m/", "/nowhere", "/skins/classic/skin.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_of_a_signed_in_user_are_not_cached(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    assert client.get("/m/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/skins/classic/skin.css").headers.get("Cache-Control", "")


def test_session_cookie_is_httponly_and_samesite(auth: AuthActions) -> None:
    cookie = auth.login().headers["Set-Cookie"]
    assert cookie.startswith("fieldpost_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in "auto" mode


def test_cookie_is_secure_over_https(client: FlaskClient) -> None:
    page = client.get("/login", base_url="https://localhost")
    data = {"username": "alice@example.test", "password": "pass-alice", "csrf_token": csrf_token(page)}
    reply = client.post(
        "/login", data=data, base_url="https://localhost", headers={"Referer": "https://localhost/login"}
    )
    assert "Secure" in reply.headers["Set-Cookie"]
    assert reply.headers["Strict-Transport-Security"].startswith("max-age=")


def test_secure_cookies_always(seeded: Seeded) -> None:
    app = create_app({"STORE": seeded.store, "SECRET_KEY": "k", "FIELDPOST_SECURE_COOKIES": "always"})
    assert "Secure" in app.test_client().get("/login").headers["Set-Cookie"]


def test_csrf_is_required_on_every_post(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(client.get("/m/"))}).status_code == 302


def test_secret_key_lives_in_the_data_dir(tmp_path: Path, seeded: Seeded) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "fieldpost.toml").write_text('hostname = "mail.example.test"\n')
    first = create_app({"STORE": seeded.store, "DATA_DIR": str(data)})
    second = create_app({"STORE": seeded.store, "DATA_DIR": str(data)})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (data / SECRET_FILE).stat().st_mode & 0o777 == 0o600


def test_storage_errors_map_to_pages(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    store: Store = seeded.store
    bobs_inbox = store.for_user(seeded.bob.id).find("bob@example.test", "INBOX")[0]
    auth.login()
    reply = client.get(f"/mail/folder/{bobs_inbox.id}")
    assert reply.status_code == 404  # not alice's to see: same answer as a folder that does not exist
    assert "does not exist" in reply.get_data(as_text=True)
    assert client.get("/mail/folder/999999").status_code == 404
