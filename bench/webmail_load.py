"""The load generator of bench/webmail.py: browser-like HTTP sessions and a timed loop, the same for both
WebMails.

A :class:`Session` is one user's browser tab: one kept-alive HTTP/1.1 connection to 127.0.0.1 (http.client;
reconnected when the server closes it), the cookies the server set, redirects followed. :func:`forms`
reads the forms of a page (hidden inputs such as CSRF tokens included), so logging in is what a browser
does: fetch the page, fill the user and password fields, post every other field as the page gave it.

:func:`run` gives each of U users its own thread and session; each sends request after request (its
``step``) for S seconds; the figures are requests/s over the wall time and the p50/p95 of each request's
latency (send to the last body byte). Threads rather than gevent: the servers, not the client, should
be the bottleneck, and at a few hundred requests/s one Python process keeps up.
"""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

TIMEOUT = 600.0  # a loaded peer answered lists after a minute; a slow answer is measured, not dropped
MAX_REDIRECTS = 5


class HttpError(Exception):
    """A response that is not what the step expected (status, or a page that says the login failed)."""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Session:
    """One browser: a kept-alive connection to ``http://127.0.0.1:port`` and its cookie jar."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, url: str, body: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        """``url`` is a path (with query); redirects (301-303, 307) are followed like a browser."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._once(method, url, body, headers or {})
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307) or not location:
                return response
            url = urljoin(url, location)
            parts = urlsplit(url)
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            if response.status != 307:
                method, body = "GET", None
        raise HttpError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", url, None, headers)

    def _once(self, method: str, url: str, body: dict[str, str] | None, extra: dict[str, str]) -> Response:
        data = urlencode(body).encode() if body is not None else None
        headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) fieldpost-bench", "Accept": "*/*", **extra}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):  # a kept-alive connection the server closed meanwhile is opened again
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, url, body=data, headers=headers)
                raw = self.conn.getresponse()
                payload = raw.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
                continue
            if raw.will_close:
                self.close()
            self._keep_cookies(raw.headers)
            return Response(raw.status, raw.headers, payload, url)
        raise AssertionError("unreachable")

    def _keep_cookies(self, headers: http.client.HTTPMessage) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                gone = morsel.value in ("", "deleted", "-del-") or morsel["max-age"] == "0"
                if gone or _expired(morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _expired(expires: str) -> bool:
    match = re.search(r"(\d{4})", expires or "")
    return bool(match) and int(match.group(1)) < 2000


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # field name -> input type ("select" for a select)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag in ("input", "textarea") and a.get("name"):
            kind = a.get("type", "text").lower() if tag == "input" else "textarea"
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "reset"):
                self.forms[-1].fields.setdefault(a["name"], a.get("value", ""))
                self.forms[-1].types.setdefault(a["name"], kind)
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1].types[a["name"]] = "select"
        elif tag == "option" and self._select:
            form = self.forms[-1]
            if self._select not in form.fields or "selected" in a:
                form.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def login_form(html: str, address: str, password: str) -> Form:
    """The page's form with a password field, filled like a person would: the address in the user field."""
    for form in forms(html):
        names = [n for n, t in form.types.items() if t == "password"]
        if not names:
            continue
        form.fields[names[0]] = password
        users = [n for n, t in form.types.items() if t in ("text", "email") and not form.fields[n]]
        users = users or [n for n, t in form.types.items() if t in ("text", "email")]
        if not users:
            raise HttpError(f"the login form has no user field: {sorted(form.types)}")
        form.fields[users[0]] = address
        return form
    raise HttpError("no login form on the page")


@dataclass
class Tally:
    """What the users of one measurement did."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # rows in each list/search answer, to show both list 50
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, other: Tally) -> None:
        """Another run's requests and wall time (rounds of the same measurement)."""
        self.latencies += other.latencies
        self.errors += other.errors
        self.rows += other.rows
        self.wall += other.wall

    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


#: One request of a user: (session, user index, request number) -> rows shown (or -1), raising on failure.
Step = Callable[[Session, int, int], int]


def run(sessions: list[Session], step: Step, seconds: float, max_requests: int = 0) -> Tally:
    """Every session runs ``step`` in its own thread until ``seconds`` passed (or ``max_requests`` in all)."""
    tally = Tally()
    start = time.perf_counter()
    deadline = start + seconds
    counter = iter(range(10**9))

    def user(index: int, session: Session) -> None:
        while time.perf_counter() < deadline:
            with tally.lock:
                n = next(counter)
            if max_requests and n >= max_requests:
                return
            t = time.perf_counter()
            try:
                rows = step(session, index, n)
            except Exception as exc:  # noqa: BLE001 (counted and printed, the run goes on)
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                session.close()
                time.sleep(0.05)
                continue
            elapsed = time.perf_counter() - t
            with tally.lock:
                tally.latencies.append(elapsed)
                if rows >= 0:
                    tally.rows.append(rows)

    threads = [threading.Thread(target=user, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + TIMEOUT + 10)
    tally.wall = time.perf_counter() - start
    return tally
