"""The Ajax sharing dialog's route (webmail/ajax/sharing_views.py) through the test client: what it reads
and writes is what storage's ACL engine then answers (bob's rights, read back through his own facade),
the CSRF check, a folder the user may not administer, an unknown principal, deny entries, exceptions
and the whole mailbox's delegation."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token


def signed_in(client: FlaskClient, user: str = "alice") -> str:
    """Sign ``user`` in to the Ajax interface; the page's CSRF token."""
    AuthActions(client).login(f"{user}@example.test", f"pass-{user}", interface="ajax")
    return csrf_token(client.get("/ajax/"))


def post(client: FlaskClient, token: str, folder: int | str, **fields: str) -> Any:
    return client.post(f"/ajax/sharing/{folder}", json=fields, headers={"X-CSRFToken": token})


def folder_id(seeded: Seeded, owner: str, path: str) -> int:
    return seeded.store.folders.get(f"{owner}@example.test", path).id


def bobs_rights(seeded: Seeded, folder: int) -> str:
    try:
        return str(seeded.store.for_user(seeded.bob.id).rights(folder))
    except Exception as exc:  # NotFound: bob cannot see it
        return type(exc).__name__


def test_grant_as_viewer_then_remove(client: FlaskClient, seeded: Seeded) -> None:
    seeded.store.folders.create("alice@example.test", "Projects")
    projects = folder_id(seeded, "alice", "Projects")
    token = signed_in(client)
    page = client.get(f"/ajax/sharing/{projects}").get_json()
    assert page["mayAdmin"] is True and page["entries"] == []
    assert page["folder"]["path"] == "Projects" and page["roles"]["viewer"].endswith("lrs")
    assert bobs_rights(seeded, projects) == "NotFound"
    answer = post(client, token, projects, action="grant", who="address", address="bob@example.test",
                  role="viewer", effect="allow", inherit="1")  # fmt: skip
    assert answer.status_code == 200, answer.get_data(as_text=True)
    entries = answer.get_json()["entries"]
    assert [(e["name"], e["rights"], e["role"], e["allow"], e["inherit"]) for e in entries] == [
        ("bob@example.test", "lrs", "viewer", True, True)
    ]
    assert bobs_rights(seeded, projects) == "lrs"
    gone = post(client, token, projects, action="remove", name="bob@example.test", allow="1")
    assert gone.status_code == 200 and gone.get_json()["entries"] == []
    assert bobs_rights(seeded, projects) == "NotFound"


def test_a_deny_entry_wins_over_an_allow(client: FlaskClient, seeded: Seeded) -> None:
    seeded.store.folders.create("alice@example.test", "Team")
    team = folder_id(seeded, "alice", "Team")
    token = signed_in(client)
    assert (
        post(client, token, team, action="grant", who="domain", role="editor", inherit="1").status_code == 200
    )
    assert "w" in bobs_rights(seeded, team)
    denied = post(client, token, team, action="grant", who="address", address="bob@example.test",
                  role="custom", letters="wte", effect="deny", inherit="1")  # fmt: skip
    assert denied.status_code == 200
    rows = {(e["name"], e["allow"]): e for e in denied.get_json()["entries"]}
    assert rows[("@example.test", True)]["label"] == "All users of example.test"
    assert rows[("bob@example.test", False)]["rights"] == "wte"
    assert bobs_rights(seeded, team) == "lrsipk"  # editor less the denied letters
    assert "w" in str(seeded.store.for_user(seeded.carol.id).rights(team))  # carol is not denied


def test_exception_on_a_subfolder_caps_what_comes_from_above(client: FlaskClient, seeded: Seeded) -> None:
    seeded.store.folders.create("alice@example.test", "Work")
    seeded.store.folders.create("alice@example.test", "Work/Private")
    work, private = folder_id(seeded, "alice", "Work"), folder_id(seeded, "alice", "Work/Private")
    token = signed_in(client)
    post(client, token, work, action="grant", who="address", address="bob@example.test", role="editor",
         inherit="1")  # fmt: skip
    page = client.get(f"/ajax/sharing/{private}").get_json()
    assert [(e["name"], e["from"], e["rights"]) for e in page["inherited"]] == [
        ("bob@example.test", "Work", "lrswipkte")
    ]
    capped = post(
        client, token, private, action="exception", name="bob@example.test", role="none", inherit="1"
    )
    assert capped.status_code == 200
    assert bobs_rights(seeded, private) == "NotFound"
    assert bobs_rights(seeded, work) == "lrswipkte"


def test_change_an_entry_to_custom_letters_not_applied_below(client: FlaskClient, seeded: Seeded) -> None:
    seeded.store.folders.create("alice@example.test", "Shared")
    shared = folder_id(seeded, "alice", "Shared")
    token = signed_in(client)
    post(client, token, shared, action="grant", who="address", address="bob@example.test", role="viewer",
         inherit="1")  # fmt: skip
    changed = post(client, token, shared, action="change", name="bob@example.test", allow="1", role="custom",
                   letters="lri")  # fmt: skip
    assert changed.status_code == 200
    [entry] = changed.get_json()["entries"]
    assert (set(entry["rights"]), entry["role"], entry["inherit"]) == (set("lri"), None, False)
    assert set(bobs_rights(seeded, shared)) == set("lri")


def test_writes_need_the_csrf_token(client: FlaskClient, seeded: Seeded) -> None:
    signed_in(client)
    inbox = folder_id(seeded, "alice", "INBOX")
    refused = client.post(
        f"/ajax/sharing/{inbox}", json={"action": "grant", "who": "anyone", "role": "viewer"}
    )
    assert refused.status_code == 400
    assert bobs_rights(seeded, inbox) == "NotFound"


def test_a_user_cannot_change_a_folder_they_do_not_administer(client: FlaskClient, seeded: Seeded) -> None:
    seeded.store.folders.create("alice@example.test", "Projects")
    projects = folder_id(seeded, "alice", "Projects")
    seeded.store.acl.grant(
        "alice@example.test", "Projects", "bob@example.test", "lrswipkte"
    )  # editor, no "a"
    token = signed_in(client, "bob")
    page = client.get(f"/ajax/sharing/{projects}")
    assert (
        page.status_code == 200
        and page.get_json()["mayAdmin"] is False
        and page.get_json()["entries"] is None
    )
    forged = post(client, token, projects, action="grant", who="address", address="carol@example.test",
                  role="master")  # fmt: skip
    assert forged.status_code == 403
    assert "NotFound" in str(_carol_rights(seeded, projects))
    # a folder he cannot see at all is "not found", like one that does not exist
    inbox = folder_id(seeded, "alice", "INBOX")
    assert client.get(f"/ajax/sharing/{inbox}").status_code == 404
    assert post(client, token, inbox, action="remove", name="bob@example.test").status_code == 404
    assert client.get("/ajax/sharing/999999").status_code == 404


def _carol_rights(seeded: Seeded, folder: int) -> str:
    try:
        return str(seeded.store.for_user(seeded.carol.id).rights(folder))
    except Exception as exc:
        return type(exc).__name__


def test_unknown_principal_and_bad_fields_are_errors_by_field(client: FlaskClient, seeded: Seeded) -> None:
    inbox = folder_id(seeded, "alice", "INBOX")
    token = signed_in(client)
    nobody = post(client, token, inbox, action="grant", who="address", address="nobody@example.test",
                  role="viewer")  # fmt: skip
    assert nobody.status_code == 400
    assert nobody.get_json()["errors"] == {"address": "There is no user or group of that name."}
    letters = post(client, token, inbox, action="grant", who="address", address="bob@example.test",
                   role="custom", letters="lz")  # fmt: skip
    assert letters.status_code == 400 and "letters" in letters.get_json()["errors"]
    assert post(client, token, inbox, action="dance").get_json()["errors"] == {"action": "Unknown action."}
    not_strings = client.post(
        f"/ajax/sharing/{inbox}", json={"action": ["grant"]}, headers={"X-CSRFToken": token}
    )
    assert not_strings.status_code == 400
    assert client.get(f"/ajax/sharing/{inbox}").get_json()["entries"] == []


def test_whole_mailbox_page_carries_delegation(client: FlaskClient, seeded: Seeded) -> None:
    token = signed_in(client)
    page = client.get("/ajax/sharing/mailbox").get_json()
    assert page["folder"]["wholeMailbox"] is True and page["delegates"] == []
    root = page["folder"]["id"]
    done = post(client, token, "mailbox", action="delegate", who="address", address="bob@example.test",
                send_on_behalf="1", free_busy="1")  # fmt: skip
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["delegates"] == [
        {"name": "bob@example.test", "label": "bob@example.test", "sendAs": False, "sendOnBehalf": True,
         "freeBusy": True}
    ]  # fmt: skip
    outsider = post(client, token, root, action="delegate", who="anyone", send_as="1")
    assert outsider.status_code == 400 and "delegate" in outsider.get_json()["errors"]
    inbox = folder_id(seeded, "alice", "INBOX")
    elsewhere = post(client, token, inbox, action="delegate", name="bob@example.test", send_as="1")
    assert elsewhere.status_code == 400 and "action" in elsewhere.get_json()["errors"]
    withdrawn = post(client, token, root, action="delegate", name="bob@example.test")
    assert withdrawn.get_json()["delegates"] == []
