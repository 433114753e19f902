"""The Ajax settings pane's routes for signing in and other mailboxes: two-step sign-in
(``/ajax/settings/two-step...``), app passwords (``/ajax/settings/app-passwords...``) and the remote
POP3/IMAP mailboxes fetched into this one (``/ajax/settings/remote...``), over the Standard tabs' own code
(webmail/two_step_settings.py, webmail/remote_mailboxes.py, the user's facade).

Secrets are shown once, as on the Standard pages: the recovery codes only in the answer to the POST that
made them, a new app password only in the answer to the POST that created it; no GET answers either.
The authenticator's key and QR code (an SVG ``data:`` image, which the page's CSP allows) are answered
while it waits for its first code, as the Standard page shows them.
"""

from __future__ import annotations

from typing import Any

from webmail import remote_mailboxes as remote
from webmail import sessions
from webmail import two_step_settings as pages
from webmail.ajax.blueprint import bp
from webmail.ajax.settings_forms import body, done, form_from_json, refused
from webmail.ajax.settings_routes import fresh_csrf, utc
from webmail.binding import current_store, current_user_account


def two_step_json() -> dict[str, Any]:
    page = pages.two_step_page()
    state = page.state
    return {
        "on": state.on,
        "pending": state.pending,
        "since": utc(state.confirmed_at),
        "recovery_left": state.recovery_left,
        "secret": page.enrolment.secret if page.enrolment else None,
        "qr": page.qr,
    }


@bp.get("/settings/two-step")
def settings_two_step() -> Any:
    return done(**two_step_json())


@bp.post("/settings/two-step/enrol")
def settings_two_step_enrol() -> Any:
    """Start setting up an authenticator: its key and QR code come back, to be confirmed by a code."""
    body()  # a JSON request like the others (CSRF checked by CSRFProtect)
    pages.enrol()
    return done(**two_step_json())


@bp.post("/settings/two-step/confirm")
def settings_two_step_confirm() -> Any:
    """Turn it on with the app's first code (``code``): the ten recovery codes, answered this once.
    Every other session of the account ends; this one goes on with the new token ``csrf``."""
    form = form_from_json(pages.CodeForm)
    codes = pages.confirm(form)
    if codes is None:
        return refused(form)
    sessions.start(
        current_store().accounts.by_id(current_user_account().account_id), sessions.current_interface()
    )
    return done(recovery_codes=codes, csrf=fresh_csrf(), **two_step_json())


@bp.post("/settings/two-step/disable")
def settings_two_step_disable() -> Any:
    """Turn it off with a current code or a recovery code (``code``); the app passwords go too."""
    form = form_from_json(pages.CodeForm)
    if not pages.disable(form):
        return refused(form)
    return done(**two_step_json())


@bp.post("/settings/two-step/recovery-codes")
def settings_two_step_recovery() -> Any:
    """Ten new recovery codes in place of the old ones, with a current code (``code``); answered once."""
    form = form_from_json(pages.CodeForm)
    codes = pages.new_recovery_codes(form)
    if codes is None:
        return refused(form)
    return done(recovery_codes=codes, **two_step_json())


def app_passwords_json() -> dict[str, Any]:
    return {
        "two_step_on": pages.two_step_page().state.on,
        "passwords": [
            {
                "id": item.id,
                "name": item.name,
                "created": utc(item.created_at),
                "last_used": utc(item.last_used_at),
                "last_used_from": item.last_used_from,
            }
            for item in pages.app_passwords()
        ],
    }


@bp.get("/settings/app-passwords")
def settings_app_passwords() -> Any:
    return done(**app_passwords_json())


@bp.post("/settings/app-passwords")
def settings_app_password_create() -> Any:
    """A new app password named ``name``: the password is in this answer only (``created``)."""
    form = form_from_json(pages.AppPasswordForm)
    created = pages.create_app_password(form)
    if created is None:
        return refused(form)
    return done(
        created={"id": created.id, "name": created.name, "password": created.password}, **app_passwords_json()
    )


@bp.post("/settings/app-passwords/revoke")
def settings_app_password_revoke() -> Any:
    """Revoke one of the user's own (``id``); another's, or an unknown id, is 404."""
    pages.revoke_app_password(str(body().get("id", "")))
    return done(**app_passwords_json())


# -- Other mailboxes (remote POP3/IMAP fetched into this one) ---------------------------------------------


def remotes_json() -> dict[str, Any]:
    shown = remote.new_form()  # its choices: the providers, protocols, security modes, the user's folders
    return {
        "remotes": [
            {
                "id": r.id,
                "label": r.label,
                "protocol": r.protocol,
                "host": r.host,
                "port": r.port,
                "security": r.tls_mode,
                "username": r.username,
                "folder": r.folder,
                "minutes": r.interval_seconds // 60,
                "keep_on_server": r.keep_on_server,
                "enabled": r.enabled,
                "last_fetched": utc(r.last_run_at),
                "last_error": r.last_error,
            }
            for r in remote.remotes()
        ],
        "choices": {
            name: [[value, str(label)] for value, label in getattr(shown, name).choices]
            for name in ("template", "protocol", "security", "folder")
        },
    }


@bp.get("/settings/remote")
def settings_remote() -> Any:
    return done(**remotes_json())


@bp.post("/settings/remote")
def settings_remote_save() -> Any:
    """Add a remote mailbox, or change one (``remote_id``; an empty ``password`` keeps the stored one):
    the Standard "Other mailboxes" form's fields."""
    form = form_from_json(remote.RemoteForm)
    saved = remote.save(form)
    if saved is None:
        return refused(form)
    return done(saved=saved.label, **remotes_json())


@bp.post("/settings/remote/delete")
def settings_remote_delete() -> Any:
    """Remove one of the user's remote mailboxes (``id``; another's: 404); fetched mail stays."""
    remote.delete(str(body().get("id", "")))
    return done(**remotes_json())


@bp.post("/settings/remote/fetch")
def settings_remote_fetch() -> Any:
    """Fetch one of the user's remote mailboxes (``id``) within a minute."""
    remote.fetch_now(str(body().get("id", "")))
    return done(**remotes_json())
