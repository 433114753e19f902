"""What the settings pages do with a submitted form, for both interfaces (Standard ``/mail/settings``,
Mobile ``/m/settings``): fill the form from the account, save it through the user's own facade
(``user_mail().preferences``, ``.temporary_aliases``, ``UserFilters(user_mail())``), and put what storage
or filters refuse next to the field at fault. Each function returns True when it saved; the view then
flashes and redirects (POST/redirect/GET), or renders the form again with its errors.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from filters.user_rules import FiltersState, RuleError, ScriptEdited, UserFilters
from storage.errors import AuthFailed, InvalidInput, QuotaExceeded, Throttled
from webmail import sessions
from webmail.binding import current_store, current_user_account, user_mail
from webmail.i18n import available_languages
from webmail.settings_forms import GeneralForm, OutOfOfficeForm, PasswordForm, time_zones


def field_error(form: Any, name: str, message: str) -> None:
    """Show ``message`` next to ``form.<name>`` (or, when there is no such field, at the form's top)."""
    field = getattr(form, name, None)
    if field is None or not hasattr(field, "errors"):
        form.form_errors.append(message)
        return
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(message)


def filters() -> UserFilters:
    return UserFilters(user_mail())


def general(form: GeneralForm, submitted: bool) -> bool:
    prefs = user_mail().preferences
    values = prefs.get()
    languages = available_languages()
    current = str(values["user.language"])
    form.language.choices = [(tag, tag) for tag in sorted({*languages, current})]
    form.timezone.choices = [(zone, zone) for zone in time_zones()]
    if not submitted:
        form.language.data, form.skin.data = current, values["webmail.skin"]
        form.timezone.data = values["user.timezone"]
        form.signature.data = prefs.signatures().get("*", "")
        return False
    if not form.validate():
        return False
    for name, field in (
        ("user.language", "language"),
        ("webmail.skin", "skin"),
        ("user.timezone", "timezone"),
    ):
        try:
            prefs.set(name, getattr(form, field).data)
        except InvalidInput as exc:
            field_error(form, field, str(exc))
            return False
    try:
        prefs.set_signature("*", (form.signature.data or "").replace("\r\n", "\n"))
    except InvalidInput as exc:
        field_error(form, "signature", str(exc))
        return False
    return True


def out_of_office(form: OutOfOfficeForm, submitted: bool) -> tuple[bool, FiltersState]:
    service = filters()
    state = service.state()
    if not submitted:
        form.show(state.data.out_of_office)
        return False, state
    if not form.validate():
        return False, state
    try:
        state = service.save_out_of_office(form.entry(), replace_edited=bool(form.replace_edited.data))
    except RuleError as exc:
        field_error(form, exc.field, exc.message)
        return False, state
    except ScriptEdited:
        field_error(
            form,
            "replace_edited",
            _("Another program changed your filter script. Tick the box to keep its version as a copy."),
        )
        return False, service.state()
    except QuotaExceeded as exc:
        form.form_errors.append(str(exc))
        return False, state
    return True, state


def password(form: PasswordForm, submitted: bool, ip: str | None) -> bool:
    if not submitted or not form.validate():
        return False
    prefs = user_mail().preferences
    try:
        prefs.change_password(form.current.data, form.new.data, ip=ip)
    except AuthFailed:
        field_error(form, "current", _("This is not your current password."))
        return False
    except Throttled:
        field_error(form, "current", _("Too many wrong passwords; please wait a while."))
        return False
    except InvalidInput as exc:
        field_error(form, "new", str(exc))
        return False
    # the change ended every session made with the old password, this one too: start it again
    account = current_store().accounts.by_id(current_user_account().account_id)
    sessions.start(account, sessions.current_interface())
    return True
