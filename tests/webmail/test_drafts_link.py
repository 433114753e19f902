"""A message of the user's own Drafts opens in the composer from the list (Standard and Mobile)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded

ALICE = "alice@example.test"


def test_a_draft_in_the_list_opens_the_composer(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    mine = seeded.store.for_user(seeded.alice.id)
    drafts = mine.folder_with_role("drafts")
    raw = (
        f"From: {ALICE}\r\nTo: bob@example.test\r\nSubject: Half-written note\r\n"
        "Date: 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <draft@x>\r\n\r\nto be continued\r\n"
    ).encode()
    uid = mine.append(drafts.id, raw, ["\\Draft"]).uid
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    auth.login()
    for prefix in ("/mail", "/m"):
        listing = client.get(f"{prefix}/folder/{drafts.id}").get_data(as_text=True)
        assert f'href="{prefix}/compose?draft={uid}"' in listing
        assert f"{prefix}/folder/{drafts.id}/{uid}" not in listing
        composer = client.get(f"{prefix}/compose?draft={uid}").get_data(as_text=True)
        assert "Half-written note" in composer
        # any other folder's messages still open in the reader
        assert f"{prefix}/folder/{inbox}/1" in client.get(f"{prefix}/folder/{inbox}").get_data(as_text=True)
