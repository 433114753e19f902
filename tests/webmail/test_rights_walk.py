"""Every route of WebMail, requested by bob with alice's ids: nothing of alice's comes back, nothing of
hers changes, and nothing fails with a 500 (issue 11: "a test walks the routes as bob on alice's ids").

The walk is driven by ``app.url_map``, so a new route is walked as soon as it exists. It cannot be
forgotten: every argument name a route takes must have a filler in ``FILLERS`` (alice's real ids where the
argument names one of her things), and a route that takes none of alice's ids must be listed in
``OWN_PAGES`` (it shows only the requester's own data, or nothing private at all) -- otherwise the test
fails and names the route.

What is asserted:

* a route with ``folder_id`` (and ``uid``...) answers 404 to bob: alice's folder does not exist for him
  (RFC 4314 4: no "l"), or 403 for the routes of ``DOCUMENTED_403``;
* every route, GET and (for POST routes) POST with a valid CSRF token and a form holding alice's ids,
  answers something other than 500 and no body holds alice's folder name, subject or text;
* afterwards alice's folder, message, flags and (empty) ACL are as they were.

A second walk gives bob a viewer grant (lrs) on the folder first: he reads it, and no form he posts with
her ids changes her messages, folders or entries, nor fails with a 500.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token

ALICE = "alice@example.test"
SECRET_FOLDER = "Plans-7f3c"
SECRET_SUBJECT = "Acquisition-9d21"
SECRET_TEXT = "the-price-is-4411"
MARKERS = (SECRET_FOLDER, SECRET_SUBJECT, SECRET_TEXT)

#: A value for every argument name a route may take; "{folder}" and "{uid}" become alice's real ids.
FILLERS: dict[str, str] = {
    "folder_id": "{folder}",
    "uid": "{uid}",
    "section": "1",
    "key": "{uid}",
    "kind": "reply",
    "number": "1",
    "change": "delete",
    "name": "standard",
    "skin": "base",
    "filename": "base.css",
    "item": "walk-item.ics",  # an organizer item's name; bob meets the 404 of alice's folder first
    "sub": "calendars/alice@example.test/",  # the DAV tree: HTTP Basic only, a session cookie gets 401
    "account_id": "a1",  # a JMAP accountId (not bob's: 404)
    "blob_id": "b{folder}_{uid}",  # a JMAP blob id of alice's message (webmail/jmap/ids.py)
    "folder": "{folder}",  # /ajax/sharing/<folder>: a folder id, or "mailbox" for the whole mailbox
}
#: The arguments that name something of alice's: a route taking one must answer 404 (or 403) to bob.
ALICE_ARGUMENTS = {"folder_id", "uid", "blob_id", "folder"}
#: Routes answering 403 rather than 404 to bob on alice's ids (none today).
DOCUMENTED_403: set[str] = set()
#: Routes taking none of alice's ids: they show the requester's own data (or nothing private).
OWN_PAGES = {
    "auth.index",
    "auth.login",
    "auth.logout",
    "auth.login_code",
    "auth.switch_interface",
    "ajax.home",
    "ajax.clean",  # the user's own text through the sanitiser
    # the Ajax calendar's due reminders and free/busy lookup: the Standard pages' own code (the
    # requester's readable calendars; free/busy through organizer.free_busy's rights), as JSON
    "ajax.calendar_reminders",
    "ajax.calendar_freebusy",
    # the Ajax settings pane: the Standard settings tabs' own code, on the requester's account only
    "ajax.settings_general",
    "ajax.settings_general_save",
    "ajax.settings_signature",
    "ajax.settings_signature_save",
    "ajax.settings_out_of_office",
    "ajax.settings_out_of_office_save",
    "ajax.settings_senders",
    "ajax.settings_senders_save",
    "ajax.settings_aliases",
    "ajax.settings_aliases_create",
    "ajax.settings_aliases_delete",
    "ajax.settings_password",
    "ajax.settings_rules",
    "ajax.settings_rule_save",
    "ajax.settings_rule_change",
    "ajax.settings_filters_activate",
    "ajax.settings_two_step",
    "ajax.settings_two_step_enrol",
    "ajax.settings_two_step_confirm",
    "ajax.settings_two_step_disable",
    "ajax.settings_two_step_recovery",
    "ajax.settings_app_passwords",
    "ajax.settings_app_password_create",
    "ajax.settings_app_password_revoke",
    "ajax.settings_remote",
    "ajax.settings_remote_save",
    "ajax.settings_remote_delete",
    "ajax.settings_remote_fetch",
    "ajax.organizer_import",  # the folder named in its body is the requester's or one shared to them (404)
    "autoconfig.apple",
    "autoconfig.outlook",
    "autoconfig.thunderbird",
    "dav.serve",  # /dav/...: answers only its own Basic-authenticated user (tests/webmail/dav/)
    "dav_well_known_caldav",
    "dav_well_known_carddav",
    "jmap.session",  # /jmap/...: only the signed-in account (tests/webmail/jmap/)
    "jmap.api",
    "jmap.upload",  # into the signed-in account's own upload area only
    "jmap.eventsource",  # the signed-in account's changes (a 400 here: the walk sends no types)
    "jmap_well_known",
    "health",
    "skin_static",
    "mobile.home",
    "mobile.freebusy",
    "mobile.compose",
    "mobile.compose_post",
    "mobile.contacts",
    "mobile.tasks",
    "mobile.task_new",
    "mobile.task_create",
    "mobile.notes",
    "mobile.notes_new",
    "mobile.notes_create",
    "mobile.journal",
    "mobile.journal_new",
    "mobile.journal_create",
    "mobile.contacts_directory",
    "mobile.contact_new",
    "mobile.contact_create",
    "mobile.pim_import",
    "mobile.pim_import_post",
    "mobile.folders_manage",
    "mobile.folder_create",
    "mobile.folder_delete",
    "mobile.folder_rename",
    "mobile.settings",
    "mobile.settings_filters_activate",
    "mobile.settings_out_of_office",
    "mobile.settings_password",
    "mobile.settings_rules",
    "mobile.settings_rule_new",
    "mobile.settings_rule_change",
    "mobile.settings_senders",
    "mobile.settings_aliases",
    "mobile.settings_alias_delete",
    "mobile.settings_two_step",
    "mobile.settings_app_passwords",
    "mobile.settings_app_password_revoke",
    "mobile.calendar",
    "mobile.calendar_calendars",
    "mobile.calendar_event_new",
    "mobile.calendar_reminders",
    "standard.home",
    "standard.freebusy",
    "standard.compose",
    "standard.compose_post",
    "standard.compose_suggest",
    "standard.contacts",
    "standard.tasks",
    "standard.task_new",
    "standard.task_create",
    "standard.notes",
    "standard.notes_new",
    "standard.notes_create",
    "standard.journal",
    "standard.journal_new",
    "standard.journal_create",
    "standard.contacts_directory",
    "standard.contact_new",
    "standard.contact_create",
    "standard.pim_import",
    "standard.pim_import_post",
    "standard.folders",
    "standard.folder_create",
    "standard.folder_delete",
    "standard.folder_rename",
    "standard.settings_general",
    "standard.settings_aliases",
    "standard.settings_alias_delete",
    "standard.settings_filters_activate",
    "standard.settings_out_of_office",
    "standard.settings_password",
    "standard.settings_rules",
    "standard.settings_rule",
    "standard.settings_rule_change",
    "standard.settings_senders",
    "standard.settings_two_step",
    "standard.settings_two_step_enrol",
    "standard.settings_two_step_confirm",
    "standard.settings_two_step_disable",
    "standard.settings_two_step_recovery",
    "standard.settings_app_passwords",
    "standard.settings_app_password_revoke",
    "standard.settings_remote",
    "standard.settings_remote_delete",
    "standard.settings_remote_fetch",
    "standard.calendar",
    "standard.calendar_calendars",
    "standard.calendar_event_new",
    "standard.calendar_reminders",
}
#: The ``action`` a POST carries, per endpoint (without its interface); the others get "delete".
FORM_ACTIONS = {"folder_sharing": "grant", "compose_post": "save"}


def _alice_data(seeded: Seeded) -> tuple[int, int]:
    mine = seeded.store.for_user(seeded.alice.id)
    folder = mine.create_folder(ALICE, SECRET_FOLDER)
    raw = (
        f"From: Dan <dan@example.test>\r\nTo: {ALICE}\r\nSubject: {SECRET_SUBJECT}\r\n"
        f"Date: 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <walk@x>\r\n\r\n{SECRET_TEXT}\r\n"
    ).encode()
    return folder.id, mine.append(folder.id, raw).uid


def _form(endpoint: str, token: str, folder: int, uid: int) -> dict[str, str]:
    """A POST body naming alice's things in every field a WebMail form uses for a folder or message."""
    action = FORM_ACTIONS.get(endpoint.rpartition(".")[2], "delete")
    ids = {"folder": str(folder), "parent": str(folder), "target": str(folder), "uid": str(uid)}
    grant = {"who": "anyone", "role": "master", "address": "bob@example.test", "name": "anyone"}
    text = {"subject": "x", "to": "bob@example.test", "body": "x", "draft": str(uid)}
    return {"csrf_token": token, "action": action, **ids, **grant, **text}


def test_every_route_is_covered_by_the_walk(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        missing = set(rule.arguments) - set(FILLERS)
        assert not missing, f"{rule.rule}: add a filler for {sorted(missing)} to FILLERS"
        if not set(rule.arguments) & ALICE_ARGUMENTS:
            assert rule.endpoint in OWN_PAGES, (
                f"{rule.endpoint} ({rule.rule}) takes none of alice's ids: walk it with one, "
                "or list it in OWN_PAGES if it shows only the requester's own data"
            )


def _walk(
    app: Flask, client: FlaskClient, auth: AuthActions, folder: int, uid: int, *, posts: bool = True
) -> list[tuple[str, str, int, str]]:
    """Request every route as bob (signed in already): (endpoint, "METHOD url", status, text body)."""
    token = csrf_token(client.get("/mail/folders"))
    answers = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        values = {a: FILLERS[a].format(folder=folder, uid=uid) for a in rule.arguments}
        url = rule.rule
        for name, value in values.items():
            url = url.replace(f"<{name}>", value)
            for conv in ("int", "string", "path"):
                url = url.replace(f"<{conv}:{name}>", value)
        url += f"?draft={uid}&folder={folder}"
        methods = [m for m in ("GET", "POST") if m in (rule.methods or set()) and (posts or m == "GET")]
        for method in methods:
            if method == "GET":
                answer = client.get(url)
            elif rule.rule.startswith("/ajax/"):  # the Ajax page posts JSON with its token in a header
                body = _form(rule.endpoint, token, folder, uid)
                answer = client.post(url, json=body, headers={"X-CSRFToken": token})
            else:
                answer = client.post(url, data=_form(rule.endpoint, token, folder, uid))
            body = answer.get_data(as_text=True) if answer.mimetype.startswith("text") else ""
            answers.append((rule.endpoint, f"{method} {url}", answer.status_code, body))
            if rule.endpoint == "auth.logout":
                auth.login("bob@example.test", "pass-bob")
                token = csrf_token(client.get("/mail/folders"))
    return answers


def test_bob_walks_every_route_on_alice_ids(
    app: Flask, client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    folder, uid = _alice_data(seeded)
    alice = seeded.store.for_user(seeded.alice.id)
    before = alice.open(folder)
    auth.login("bob@example.test", "pass-bob")
    failures = []
    takes_ids = {r.endpoint for r in app.url_map.iter_rules() if set(r.arguments) & ALICE_ARGUMENTS}
    for endpoint, request_line, status, body in _walk(app, client, auth, folder, uid):
        where = f"{request_line} ({endpoint})"
        if status >= 500:
            failures.append(f"{where}: {status}")
        if any(marker in body for marker in MARKERS):
            failures.append(f"{where}: alice's data in the answer")
        if endpoint in takes_ids:
            allowed = {404, 403} if endpoint in DOCUMENTED_403 else {404}
            if status not in allowed:
                failures.append(f"{where}: {status}, expected {sorted(allowed)}")
    assert not failures, "\n".join(failures)
    after = alice.open(folder)
    assert after.folder.path == before.folder.path and after.messages == before.messages
    assert [m.uid for m in after.messages] == [uid]
    assert alice.acl_entries(folder) == []
    assert [e.name for e in alice.acl_entries(alice.find(ALICE, "INBOX")[0].id)] == []


def test_a_viewer_walking_every_route_changes_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    """With a viewer grant (lrs) bob reads alice's folder, and every form he can post, with her ids in
    every field, leaves her messages, her folders and their entries as they were, without a 500."""
    folder, uid = _alice_data(seeded)
    alice = seeded.store.for_user(seeded.alice.id)
    alice.change_entry(folder, "bob@example.test", "lrs")
    auth.login("bob@example.test", "pass-bob")
    answers = _walk(app, client, auth, folder, uid)
    assert not [f"{line} ({endpoint}): {status}" for endpoint, line, status, _ in answers if status >= 500]
    assert any(status == 200 and SECRET_TEXT in body for _, _, status, body in answers)  # he does read it
    after = alice.open(folder)
    assert after.folder.path == SECRET_FOLDER and [m.uid for m in after.messages] == [uid]
    assert [(e.name, str(e.rights)) for e in alice.acl_entries(folder)] == [("bob@example.test", "lrs")]
    assert [e.name for e in alice.acl_entries(alice.find(ALICE, "INBOX")[0].id)] == []
