"""The web service as the supervisor runs it: gunicorn serving WebMail and the WebAdmin placeholder."""

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
    with pytest.raises(urllib.error.HTTPError) as placeholder:
        urllib.request.urlopen(live_server.admin_url + "/", timeout=10)
    assert placeholder.value.code == 503
    assert "WebAdmin is not built yet" in placeholder.value.read().decode()
    with pytest.raises(urllib.error.HTTPError) as not_webmail:  # WebMail is not reachable on that port
        urllib.request.urlopen(live_server.admin_url + "/login", timeout=10)
    assert "WebAdmin is not built yet" in not_webmail.value.read().decode()


def test_secret_key_is_kept_in_the_data_dir(live_server: LiveServer) -> None:
    key = live_server.data / "web-secret.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32
