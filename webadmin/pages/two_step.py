"""Two-step sign-in in WebAdmin: the signed-in administrator's own authenticator (``/me/two-step``: set
up with a QR code, confirm with a first code, recovery codes shown once, turn off with a code), and
helping a user who lost their phone (``/accounts/two-step``: look an account up, reset its factor).

Both go through the administrator's view (``admin_view().second_factors``, storage/admin_second_factors.py):
an account outside a delegated administrator's domains is "not found", and resetting needs the domain
permission "accounts". The sign-in step itself is webadmin/second_step.py.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from storage.errors import AlreadyExists, AuthFailed, InvalidInput, NotFound, Throttled
from webadmin import nav, second_step
from webadmin.binding import admin_view
from webadmin.pages import bp

nav.add("Overview", _l("Your two-step sign-in"), "pages.my_two_step", order=90)
nav.add("Accounts", _l("Two-step sign-in"), "pages.account_two_step", order=90)

MAX_CODE = 64
MAX_ADDRESS = 320


class CodeForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=MAX_CODE)])


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (the CSP allows data: images)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _mine_page(form: CodeForm | None = None, codes: list[str] | None = None) -> Any:
    factor = admin_view().second_factors.mine()
    state = factor.state()
    enrolment = factor.pending() if state.pending else None
    return render_template(
        "two_step.html",
        state=state,
        enrolment=enrolment,
        qr=qr_data_uri(enrolment.uri) if enrolment else None,
        form=form or CodeForm(),
        recovery_codes=codes,
    )


@bp.get("/me/two-step")
def my_two_step() -> Any:
    return _mine_page()


@bp.post("/me/two-step/enrol")
def my_two_step_enrol() -> Any:
    try:
        admin_view().second_factors.mine().enrol()
    except AlreadyExists as exc:  # a second tab, or a double click
        flash(str(exc), "info")
    return redirect(url_for("pages.my_two_step"))


@bp.post("/me/two-step/confirm")
def my_two_step_confirm() -> Any:
    form = CodeForm()
    if form.validate():
        try:
            codes = admin_view().second_factors.mine().confirm(form.code.data or "")
        except (InvalidInput, NotFound, AlreadyExists) as exc:
            form.code.errors = [str(exc)]
        else:
            second_step.restart_session(admin_view().admin)  # storage ended the other sessions
            return _mine_page(codes=codes)  # the only answer that shows them
    return _mine_page(form), 400


@bp.post("/me/two-step/disable")
def my_two_step_disable() -> Any:
    form = CodeForm()
    if form.validate():
        try:
            admin_view().second_factors.mine().disable(form.code.data or "", ip=request.remote_addr)
        except Throttled:
            form.code.errors = [_("Too many wrong codes. Wait a while and try again.")]
        except (AuthFailed, NotFound) as exc:
            form.code.errors = [str(exc)]
        else:
            flash(_("Two-step sign-in is off for your administrator account."), "info")
            return redirect(url_for("pages.my_two_step"))
    return _mine_page(form), 400


@bp.get("/accounts/two-step")
def account_two_step() -> Any:
    address = request.args.get("address", "").strip()[:MAX_ADDRESS]
    state = admin_view().second_factors.account_state(address) if address else None
    return render_template("account_two_step.html", address=address, state=state)


@bp.post("/accounts/two-step/reset")
def account_two_step_reset() -> Any:
    address = request.form.get("address", "").strip()[:MAX_ADDRESS]
    if admin_view().second_factors.reset_account(address):
        flash(
            _(
                "Two-step sign-in of %(address)s was reset; its app passwords were removed. The user "
                "signs in with the password alone and may set it up again.",
                address=address,
            ),
            "info",
        )
    else:
        flash(_("%(address)s does not use two-step sign-in.", address=address), "info")
    return redirect(url_for("pages.account_two_step", address=address))
