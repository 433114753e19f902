"""The real web service and a real browser, for tests that drive WebMail as a person does.

``live_server``: a demo data directory (``fieldpost init --demo``, passwords ``demopass1``) served by the
web service exactly as the supervisor starts it (``fieldpost.processes.service_argv(config, "web")``:
gunicorn with the gevent worker on ``wsgi:app``, WebMail and WebAdmin on their two
listeners, the environment from ``Config.child_environment``), on a free port offset. One per xdist
worker; tests that change settings set them back, or use an account of their own.

``page``: a fresh Playwright page (sync API) on Debian's Chromium (``/usr/bin/chromium``) in a new browser
context per test; ``mobile_page`` is 360 px wide with a phone's User-Agent. ``shot(page, name)`` keeps a
screenshot in the artifacts directory: ``$FIELDPOST_ARTIFACTS``, else ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fieldpost import config as configuration
from fieldpost.processes import service_argv
from tests.fieldpost.conftest import REPO, pick_port_offset
from tests.support.service import init_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from storage.store import Store

PASSWORD = "demopass1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
START_TIMEOUT = 60.0


@dataclass
class LiveServer:
    url: str  # WebMail, no trailing slash
    admin_url: str  # the WebAdmin listener
    data: Path
    config: configuration.Config
    process: subprocess.Popen[bytes]
    _store: Store | None = None

    @property
    def store(self) -> Store:
        """A Store of this test process on the server's data directory (settings apply live)."""
        if self._store is None:
            from storage.store import open_store

            self._store = open_store(self.config.database_url, self.config.blob_dir)
        return self._store


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def start_web_service(data: Path) -> LiveServer:
    """Run the web service of ``data`` as the supervisor does; returns once /health answers."""
    config = configuration.load(data, pick_port_offset())
    ports = {listener.name: listener.port for listener in config.listeners("web")}
    log = data.parent / "web.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            service_argv(config, "web"),
            cwd=REPO,
            env=config.child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(
        f"http://127.0.0.1:{ports['webmail']}", f"http://127.0.0.1:{ports['webadmin']}", data, config, proc
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not _healthy(server.url):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_web_service(server)
            raise AssertionError(f"the web service did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return server


def stop_web_service(server: LiveServer) -> None:
    if server._store is not None:
        server._store.close()
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the workers
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("live") / "data"
    init_demo(data, "mail.example.test")
    server = start_web_service(data)
    try:
        yield server
    finally:
        stop_web_service(server)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("FIELDPOST_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


#: The one Playwright and Chromium of this process, shared by every conftest that imports ``browser``
#: (tests/webmail and tests/webadmin each register the fixture, so pytest holds two session fixtures;
#: a second sync_playwright() in one process fails with "Sync API inside the asyncio loop").
_SHARED: dict[str, Any] = {}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    # assertions wait as long as actions do: on a CI machine running two workers and their servers, a
    # page that needs three round trips can take more than Playwright's default of 5 s
    expect.set_options(timeout=15_000)
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make deps installs Debian's chromium)")
    if not _SHARED:
        playwright = sync_playwright().start()
        _SHARED.update(
            playwright=playwright,
            browser=playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS),
            users=0,
        )
    _SHARED["users"] += 1
    try:
        yield _SHARED["browser"]
    finally:
        _SHARED["users"] -= 1
        if not _SHARED["users"]:
            _SHARED["browser"].close()
            _SHARED["playwright"].stop()
            _SHARED.clear()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def mobile_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, user_agent=PHONE_AGENT, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, artifacts: Path, name: str) -> Path:
    """Keep a full-page screenshot of what the browser shows now."""
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def forget_the_session(page: Page) -> None:
    """Leave the page, then drop the browser's cookies, so the next sign-in is someone else's.

    Why leave first: the Ajax page keeps requests in flight (its push channel, a body being read), and
    one that answers after ``clear_cookies`` sets the session cookie again; the login page then takes
    the browser for signed in and sends it back to /ajax/ (a CI run failed on exactly that)."""
    page.goto("about:blank")
    page.context.clear_cookies()


def sign_in(page: Page, server: LiveServer, address: str = "alice@example.test") -> None:
    """Sign in through the login form (the interface preselected for this browser)."""
    page.goto(f"{server.url}/login")
    page.fill("#username", address)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)  # signed in: the session cookie is set
