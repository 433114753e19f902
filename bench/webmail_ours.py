"""The Fieldpost side of bench/webmail.py: a browser on WebMail's Standard interface (no JavaScript).

It uses only what a page shows: the login form at ``/login`` (every field the page gives, the CSRF
token among them, posted back with the address and password), the folder list at
``/mail/folder/<folder_id>``, the reader at ``/mail/folder/<folder_id>/<uid>`` (with the frame of an HTML
body, which a browser loads with the page). The paging parameter is
read from the list page's link to page 2, the search parameter from the list page's search form (its
``subject`` field when it has one), so the bench follows the routes as built rather than guessing their
parameter names (``page`` and ``q`` are the fall-backs). :class:`Unavailable` says which of them is not served yet.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from bench.webmail_load import HttpError, Session, forms, login_form


class Unavailable(Exception):
    """A route the benchmark needs answers 404 (not on main yet)."""


class OursUser:
    def __init__(self, session: Session, folder_id: int) -> None:
        self.session, self.folder_id = session, folder_id
        self.list_path = f"/mail/folder/{folder_id}"
        self.page_param = "page"
        self.search_key = "q"
        self.search_fields: dict[str, str] = {}
        self._row = re.compile(rf"/mail/folder/{folder_id}/(\d+)(?=[\"'?#/])")

    @classmethod
    def login(cls, port: int, address: str, password: str, folder_id: int) -> OursUser:
        session = Session(port)
        page = session.get("/login")
        if page.status == 404:
            raise Unavailable("GET /login answers 404")
        form = login_form(page.text, address, password)
        action = urljoin("/login", form.action or "/login")
        response = session.request("POST" if form.method == "post" else "GET", action, form.fields)
        if response.status >= 400 or urlsplit(response.url).path.rstrip("/") == "/login":
            raise HttpError(f"login failed: HTTP {response.status} at {response.url}")
        return cls(session, folder_id)

    def rows(self, html: str) -> int:
        return len(set(self._row.findall(html)))

    def discover(self) -> None:
        """Paging and search parameters from the first list page."""
        page = self.session.get(self.list_path)
        if page.status == 404:
            raise Unavailable(f"GET {self.list_path} answers 404")
        if page.status != 200 or not self.rows(page.text):
            raise Unavailable(
                f"GET {self.list_path}: HTTP {page.status}, {self.rows(page.text)} message links"
            )
        for href in re.findall(rf"href=[\"']([^\"']*{self.list_path}\?[^\"']*)", page.text):
            pairs = parse_qsl(urlsplit(href.replace("&amp;", "&")).query)
            keys = [k for k, v in pairs if v == "2"]
            if keys:
                self.page_param = next((k for k in keys if "page" in k), keys[0])
                break
        for form in forms(page.text):
            texts = [n for n, t in form.types.items() if t in ("search", "text")]
            if (
                form.method == "get"
                and texts
                and urlsplit(urljoin(self.list_path, form.action)).path
                in (self.list_path, self.list_path + "/")
            ):
                wanted = ("subject", "q", "query", "search")  # Subject, as Roundcube is asked to search
                self.search_key = next((n for w in wanted for n in texts if n == w), texts[0])
                self.search_fields = {k: v for k, v in form.fields.items() if k != self.search_key}
                break

    def _get_list(self, params: dict[str, str]) -> int:
        response = self.session.get(f"{self.list_path}?{urlencode(params)}")
        if response.status != 200:
            raise HttpError(f"list {params}: HTTP {response.status}")
        return self.rows(response.text)

    def list_page(self, page: int) -> int:
        return self._get_list({self.page_param: str(page)})

    def open_message(self, uid: int) -> int:
        """The reader page, then what a browser loads with it from this site: the frame(s) holding an HTML
        body (Roundcube's preview has the body in its one page, so both sides show the whole message)."""
        response = self.session.get(f"{self.list_path}/{uid}")
        if response.status != 200:
            raise HttpError(f"open {uid}: HTTP {response.status}")
        for src in re.findall(r"<iframe[^>]*\ssrc=[\"']([^\"']+)", response.text):
            src = src.replace("&amp;", "&")
            if src.startswith("/") and not src.startswith("//"):
                frame = self.session.get(src)
                if frame.status != 200:
                    raise HttpError(f"open {uid}: body frame {src}: HTTP {frame.status}")
        return -1

    def search(self, word: str) -> int:
        return self._get_list({**self.search_fields, self.search_key: word})
