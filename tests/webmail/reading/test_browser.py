"""The proof of issue 11's reader security: every XSS corpus message, delivered over real SMTP, opened in
real Chromium, runs nothing and fetches nothing from another host.

The world: ``fieldpost init --demo`` and ``fieldpost serve`` (SMTP and processing services as separate
processes, on a random port offset), the test DNS for the sender checks, smtplib handing each corpus
message to the MX listener, and WebMail's app on the same data directory served by werkzeug on
127.0.0.1. Chromium (Debian's, through Playwright) signs in as alice through the login form and opens
every message of her INBOX in the Standard reader (HTML in the sandboxed frame), in the Mobile reader
(sanitised HTML in the page), each HTML body document on its own as a top-level page, and all of them
in one print view.

What "ran nothing" means here: no dialog opened (alert/confirm/prompt), no document's title became
``PWNED`` (what the payloads set), and no request left for a host other than 127.0.0.1 (the payloads
and trackers aim at evil.test; every such request is recorded and aborted). Screenshots of every page go
to ``build/artifacts/webmail-reader/``.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Route
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import find_free_port
from tests.interop.conftest import (
    DEMO_PASSWORD,
    Server,
    fieldpost,
    make_demo_data,
    start_supervisor,
    wait_for,
)
from tests.support.dnsserver import TEST_ZONE, DnsServer
from tests.webmail.reading.xss_corpus import Case, corpus
from webmail import create_app

# Under a loaded machine the start-up, 60 SMTP deliveries and ~190 page loads take minutes.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ALICE = "alice@example.test"
ARTIFACTS = Path(__file__).resolve().parents[3] / "build" / "artifacts" / "webmail-reader"


@dataclass
class Live:
    server: Server
    web: BaseWSGIServer
    base: str
    inbox_id: int
    uids: list[int]


@dataclass
class Watch:
    """What the browser did that it must not."""

    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def _send(port: int, case: Case) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("mx.outside.test")
        options = ["BODY=8BITMIME"] if client.has_extn("8bitmime") else []
        client.sendmail("mallory@outside.test", [ALICE], case.raw, mail_options=options)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = make_demo_data(tmp_path_factory.mktemp("reader") / "data")
    with DnsServer({"test.": TEST_ZONE}) as dns:
        fieldpost(data, "settings", "set", "dns.nameservers", dns.address)
        server = start_supervisor(data)
        web: BaseWSGIServer | None = None
        try:
            store = server.store()
            try:
                before = store.folders.get(ALICE, "INBOX").message_count
                cases = corpus()
                for case in cases:
                    _send(server.port("smtp"), case)
                _wait_inbox(server, before + len(cases))
                inbox = store.folders.get(ALICE, "INBOX")
                uids = store.mail.uids(inbox.id)
            finally:
                store.close()
            app = create_app({"DATA_DIR": str(data), "FIELDPOST_SECURE_COOKIES": "never"})
            port = find_free_port()
            web = make_server("127.0.0.1", port, app, threaded=True)
            threading.Thread(target=web.serve_forever, daemon=True).start()
            yield Live(server, web, f"http://127.0.0.1:{port}", inbox.id, uids)
        finally:
            if web is not None:
                web.shutdown()
            assert server.stop() == 0, server.output()


def _wait_inbox(server: Server, count: int) -> None:
    def arrived() -> bool:
        store = server.store()
        try:
            return int(store.folders.get(ALICE, "INBOX").message_count) >= count
        finally:
            store.close()

    wait_for(arrived, 90, "every corpus message in alice's INBOX")


def _is_outside(url: str) -> bool:
    return not url.startswith(("data:", "about:")) and urlsplit(url).hostname != "127.0.0.1"


def _watch(context: BrowserContext) -> Watch:
    """Record every request for another host (from any page or frame) and abort it."""
    watch = Watch()

    def route(r: Route) -> None:
        if _is_outside(r.request.url):
            r.abort()
        else:
            r.continue_()

    def request(url: str) -> None:
        if _is_outside(url) and url not in watch.outside:
            watch.outside.append(url)

    context.route("**/*", route)
    context.on("request", lambda req: request(req.url))
    return watch


def _attach(page: Page, watch: Watch) -> None:
    def dialog(d: Dialog) -> None:
        watch.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("console", lambda m: watch.console.append(f"{page.url}: {m.text}"))
    page.on("popup", lambda p: watch.outside.append(f"popup {p.url}"))


def _titles(page: Page) -> list[str]:
    titles = []
    for frame in page.frames:
        try:
            titles.append(frame.title())
        except Exception:  # a frame that navigated away meanwhile
            continue
    return titles


def test_corpus_runs_nothing_in_chromium(live: Live, browser: Browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        watch = _watch(context)
        page = context.new_page()
        _attach(page, watch)
        # Control: the listeners do see a dialog, a title change and a request to evil.test.
        page.goto(
            "data:text/html,<title>t</title><img src='http://evil.test/control.png'>"
            "<script>alert('control');document.title='PWNED'</script>"
        )
        assert watch.dialogs == ["control"] and "PWNED" in _titles(page)
        assert watch.outside == ["http://evil.test/control.png"]
        watch.dialogs.clear()
        watch.outside.clear()

        page.goto(f"{live.base}/login")
        page.fill("#username", ALICE)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live.base}/mail/**")

        for uid in live.uids:
            for prefix, shot in (("/mail", "standard"), ("/m", "mobile")):
                page.goto(f"{live.base}{prefix}/folder/{live.inbox_id}/{uid}", wait_until="load")
                page.wait_for_timeout(50)
                assert "PWNED" not in _titles(page), (prefix, uid)
                page.screenshot(path=str(ARTIFACTS / f"{shot}-{uid:03d}.png"), full_page=True)
                if prefix == "/mail":
                    bodies = [f.url for f in page.frames if "/body/" in f.url]
            for url in bodies:  # the body document opened on its own, outside the frame's sandbox
                page.goto(url, wait_until="load")
                page.wait_for_timeout(50)
                assert "PWNED" not in _titles(page), url
        query = "&".join(f"uid={u}" for u in live.uids[:50])
        page.goto(f"{live.base}/mail/folder/{live.inbox_id}/print?{query}", wait_until="load")
        page.screenshot(path=str(ARTIFACTS / "print.png"), full_page=True)
        assert "PWNED" not in _titles(page)
    finally:
        context.close()
    (ARTIFACTS / "console.txt").write_text("\n".join(watch.console))
    assert watch.dialogs == []
    assert watch.outside == []
    assert len(live.uids) >= len(corpus())
