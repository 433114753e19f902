"""The web service as the supervisor runs it: gunicorn serving WebMail and WebAdmin on their own listeners."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from tests.webmail.live import LiveServer

pytestmark = pytest.mark.slow


def test_webmail_and_webadmin_answer_on_their_own_listeners(live_server: LiveServer) -> None:
    with urllib.request.urlopen(live_server.url + "/login", timeout=10) as reply:
        page = reply.read().decode()
        assert reply.headers["Server"].startswith("gunicorn")
        assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    assert re.search(r'name="csrf_token"', page)
    with urllib.request.urlopen(live_server.admin_url + "/login", timeout=10) as reply:
        admin_page = reply.read().decode()
        assert "Sign in to WebAdmin" in admin_page
        cookie = reply.headers["Set-Cookie"]  # the form's CSRF token lives in WebAdmin's own cookie
        assert cookie.startswith("fieldpost_admin=") and "SameSite=Strict" in cookie
    with pytest.raises(urllib.error.HTTPError) as not_webmail:  # WebMail is not reachable on that port
        urllib.request.urlopen(live_server.admin_url + "/mail/", timeout=10)
    assert not_webmail.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as not_webadmin:  # nor WebAdmin on WebMail's
        urllib.request.urlopen(live_server.url + "/dashboard", timeout=10)
    assert not_webadmin.value.code == 404


def test_secret_key_is_kept_in_the_data_dir(live_server: LiveServer) -> None:
    key = live_server.data / "web-secret.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32
    admin_key = live_server.data / "webadmin-secret.key"  # WebAdmin signs with a key of its own
    assert admin_key.stat().st_mode & 0o777 == 0o600
    assert admin_key.read_bytes() != key.read_bytes()
