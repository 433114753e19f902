"""The matrix's operations done the way a WebMail user does them: pages and forms of the Standard
interface through Flask's test client, signed in as the guest.

Each operation gives (done, answer): ``done`` is what the user got done; ``answer`` is what they were
shown when refused (the status and the page, CSRF tokens blanked), compared with the answer for a
folder that does not exist.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.sharing.matrix import SUBJECT

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
Outcome = tuple[bool, str]


def _answer(status: int, body: str) -> str:
    return f"{status} {CSRF.sub('', body)}"


class WebmailGuest:
    """The guest's browser session (already signed in)."""

    def __init__(self, client: FlaskClient, inbox_id: int, inbox_uid: int) -> None:
        self.client = client
        self.inbox_id = inbox_id
        self.inbox_uid = inbox_uid  # a message of the guest's own, to copy into the shared folder
        found = CSRF.search(client.get("/mail/folders").get_data(as_text=True))
        assert found, "no CSRF token on Manage folders"
        self.token = found.group(1)

    def _post(self, url: str, **fields: str | int) -> Outcome:
        reply = self.client.post(
            url, data={"csrf_token": self.token, **{k: str(v) for k, v in fields.items()}}
        )
        if reply.status_code == 302:
            return True, ""
        return False, _answer(reply.status_code, reply.get_data(as_text=True))

    def run(self, box_id: int, gone_id: int, uid: int, third: str) -> dict[str, Outcome]:
        """Every operation of the matrix, in order, on the folders with these ids."""
        out: dict[str, Outcome] = {}
        tree = self.client.get("/mail/folders").get_data(as_text=True)
        out["list"] = (f'/mail/folder/{box_id}"' in tree, "absent")
        page = self.client.get(f"/mail/folder/{box_id}/{uid}")
        body = page.get_data(as_text=True)
        out["read"] = (page.status_code == 200 and SUBJECT in body, _answer(page.status_code, body))
        out["add"] = self._post(
            f"/mail/folder/{self.inbox_id}/messages", action="copy", uid=self.inbox_uid, target=box_id
        )
        out["change"] = self._post(f"/mail/folder/{box_id}/messages", action="flag", uid=uid)
        out["delete_item"] = self._post(f"/mail/folder/{box_id}/messages", action="delete", uid=uid)
        out["create_subfolder"] = self._post("/mail/folders/create", parent=box_id, name="Sub")
        out["share"] = self._post(
            f"/mail/folders/{box_id}/sharing", action="grant", who="address", address=third, role="viewer"
        )
        out["delete_folder"] = self._post("/mail/folders/delete", folder=gone_id)
        return out
