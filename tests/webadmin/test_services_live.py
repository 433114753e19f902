"""WebAdmin's services page against a running supervisor (``fieldpost serve`` with SMTP and IMAP on a
random port offset): the states it shows are the supervisor's, and restart / stop / start go through its
control socket and really replace, stop and start the service's processes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from fieldpost import config as configuration
from fieldpost import control_client
from tests.interop.conftest import Server, start_supervisor, wait_for
from tests.support.service import init_demo
from tests.webadmin.conftest import post_form, sign_in
from webadmin import create_app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("services") / "data"
    init_demo(data, "mx.example.test")
    config_file = data / "fieldpost.toml"
    text = re.sub(r"^services = .*$", 'services = ["smtp", "imap"]', config_file.read_text(), flags=re.M)
    config_file.write_text(text)
    running = start_supervisor(data, ("smtp", "imap"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def admin(server: Server) -> FlaskClient:
    config = configuration.load(server.data, server.offset)
    app = create_app({"TESTING": True, "DATA_DIR": str(server.data), "FIELDPOST_CONFIG": config})
    client = app.test_client()
    assert sign_in(client, "admin", "adminpass1").status_code == 302
    return client


def pid_of(server: Server, service: str) -> int | None:
    config = configuration.load(server.data, server.offset)
    info = control_client.request(config, "status")["services"][service]
    return info["pid"] if info["state"] == "running" else None


def test_states_restart_stop_start(server: Server, admin: FlaskClient) -> None:
    page = admin.get("/services").get_data(as_text=True)
    row = page[page.index('id="service-imap"') :]
    assert 'class="state running"' in row[: row.index("</tr>")]
    assert f"127.0.0.1:{1993 + server.offset}/tcp" in page
    before = pid_of(server, "imap")
    assert before

    post_form(admin, "/services", "/services/imap/restart", {})
    assert "imap: running" in admin.get("/services").get_data(as_text=True)
    wait_for(lambda: pid_of(server, "imap") not in (None, before), 30, "a new IMAP process")

    post_form(admin, "/services", "/services/smtp/stop", {})
    assert "smtp: stopped" in admin.get("/services").get_data(as_text=True)
    assert pid_of(server, "smtp") is None
    post_form(admin, "/services", "/services/smtp/start", {})
    wait_for(lambda: pid_of(server, "smtp"), 30, "SMTP to run again")
