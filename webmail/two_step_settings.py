"""What the "Two-step sign-in" and "App passwords" settings pages do, for both interfaces (Standard
``/mail/settings/two-step`` and ``/app-passwords``, Mobile ``/m/settings/...``): everything goes through
the user's own facade (``user_mail().second_factor`` and ``.app_passwords``, storage/second_factor.py and
storage/app_passwords.py); storage's refusals come back next to the field at fault.

Secrets are shown once: recovery codes in the answer to the confirming POST, a new app password in the
answer to the POST that made it (neither is a redirect, and neither is kept anywhere to show again). The
authenticator's secret and QR code are shown while it waits for its first code; the QR code is an SVG
made here (segno) and put in the page as a ``data:`` image, which the CSP allows (webmail/security.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from storage.app_passwords import MAX_NAME, AppPassword, NewAppPassword
from storage.errors import AlreadyExists, AuthFailed, InvalidInput, NotFound, Throttled
from storage.second_factor import Enrolment, FactorState
from webmail.binding import user_mail
from webmail.settings_pages import field_error

MAX_CODE = 64


class CodeForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=MAX_CODE)])


class AppPasswordForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Name (the program or device it is for)"), validators=[DataRequired(), Length(max=MAX_NAME)]
    )


@dataclass(frozen=True)
class TwoStepPage:
    state: FactorState
    enrolment: Enrolment | None  # while waiting for the first code
    qr: str | None  # the enrolment's otpauth URI as a data: SVG image


def qr_data_uri(uri: str) -> str:
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def two_step_page() -> TwoStepPage:
    factor = user_mail().second_factor
    state = factor.state()
    enrolment = factor.pending() if state.pending else None
    return TwoStepPage(state, enrolment, qr_data_uri(enrolment.uri) if enrolment else None)


def enrol() -> None:
    try:
        user_mail().second_factor.enrol()
    except AlreadyExists as exc:  # a second tab, or a double click
        flash(str(exc), "info")


def confirm(form: CodeForm) -> list[str] | None:
    """Turn it on with the first code; the recovery codes to show once, or None (errors on the form)."""
    if not form.validate():
        return None
    try:
        return user_mail().second_factor.confirm(form.code.data or "")
    except (InvalidInput, NotFound, AlreadyExists) as exc:
        field_error(form, "code", str(exc))
        return None


def _with_code(form: CodeForm, action: str) -> list[str] | bool:
    if not form.validate():
        return False
    factor = user_mail().second_factor
    code, ip = form.code.data or "", request.remote_addr
    try:
        if action == "disable":
            factor.disable(code, ip=ip)
            return True
        return factor.new_recovery_codes(code, ip=ip)
    except Throttled:
        field_error(form, "code", _("Too many wrong codes. Wait a while and try again."))
    except (AuthFailed, NotFound) as exc:
        field_error(form, "code", str(exc))
    return False


def disable(form: CodeForm) -> bool:
    """Turn it off with a current code or a recovery code (app passwords go too)."""
    return bool(_with_code(form, "disable"))


def new_recovery_codes(form: CodeForm) -> list[str] | None:
    done = _with_code(form, "recovery")
    return done if isinstance(done, list) else None


def app_passwords() -> list[AppPassword]:
    return user_mail().app_passwords.list()


def create_app_password(form: AppPasswordForm) -> NewAppPassword | None:
    if not form.validate():
        return None
    try:
        return user_mail().app_passwords.create(form.name.data or "")
    except (InvalidInput, AlreadyExists) as exc:
        field_error(form, "name", str(exc))
        return None


def revoke_app_password(raw_id: str) -> None:
    """Revoke one of the user's own (another's, or a bad id: NotFound, the 404 page)."""
    try:
        app_id = int(raw_id)
    except ValueError:
        raise NotFound("no such app password") from None
    user_mail().app_passwords.revoke(app_id)
