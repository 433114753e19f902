"""The matrix's operations done the way a CalDAV client does them: HTTP requests to the DAV endpoints
(webmail/dav) of the WebMail application, with the guest's Basic credentials, on the tasks folders the
owner shared (``/dav/calendars/<guest>/<owner>:<path with ":" for "/">/``, webmail/dav/paths.py).

DAV has no way to share a collection or to make one inside someone else's (MKCALENDAR makes collections
in one's own home only): those two columns are not offered over DAV, and the test leaves them out.

Each operation gives (done, answer): ``answer`` is the HTTP status and body when refused, compared with
the answer for a collection that does not exist.
"""

from __future__ import annotations

import base64
import re

from flask.testing import FlaskClient

from tests.sharing.matrix import SUBJECT, task

Outcome = tuple[bool, str]
NOT_OFFERED = ("create_subfolder", "share")
LISTING = '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>'


class DavGuest:
    def __init__(self, client: FlaskClient, guest: str, password: str, owner: str) -> None:
        self.client = client
        self.guest = guest
        self.owner = owner
        token = base64.b64encode(f"{guest}:{password}".encode()).decode()
        self.auth = {"Authorization": f"Basic {token}"}

    def collection(self, path: str) -> str:
        return f"/dav/calendars/{self.guest}/{self.owner}:{path.replace('/', ':')}/"

    def _send(self, method: str, url: str, body: bytes | str = b"", **headers: str) -> tuple[int, str]:
        data = body.encode() if isinstance(body, str) else body
        sent = {**self.auth, **{name.replace("_", "-"): value for name, value in headers.items()}}
        reply = self.client.open(url, method=method, data=data, headers=sent)
        return reply.status_code, reply.get_data(as_text=True)

    def _done(self, method: str, url: str, body: bytes | str = b"", **headers: str) -> Outcome:
        status, text = self._send(method, url, body, **headers)
        if status < 300:
            return True, ""
        return False, f"{status} {text.replace(url, '<url>')}"

    def run(self, box: str, gone: str, etag: str) -> dict[str, Outcome]:
        """Every operation DAV offers, in the matrix's order, on the collections at these paths."""
        out: dict[str, Outcome] = {}
        box_url = self.collection(box)
        status, listing = self._send(
            "PROPFIND", f"/dav/calendars/{self.guest}/", LISTING, Depth="1", Content_Type="application/xml"
        )
        assert status == 207, listing
        hrefs = re.findall(r"<(?:\w+:)?href>([^<]*)</(?:\w+:)?href>", listing)
        out["list"] = (box_url in hrefs, "absent")
        status, text = self._send("GET", box_url + "item.ics")
        out["read"] = (status == 200 and SUBJECT in text, "" if status == 200 else f"{status} {text}")
        out["add"] = self._done(
            "PUT",
            box_url + "added.ics",
            task(f"added-{box}"),
            Content_Type="text/calendar",
            If_None_Match="*",
        )
        out["change"] = self._done(
            "PUT", box_url + "item.ics", task(f"{box.split('/')[0]}-item", "Changed"),
            Content_Type="text/calendar", If_Match=f'"{etag}"',
        )  # fmt: skip
        out["delete_item"] = self._done("DELETE", box_url + "item.ics")
        out["delete_folder"] = self._done("DELETE", self.collection(gone))
        return out
