"""What the settings pages do with a submitted form, for both interfaces (Standard ``/mail/settings``,
Mobile ``/m/settings``): fill the form from the account, save it through the user's own facade
(``user_mail().preferences``, ``.temporary_aliases``, ``UserFilters(user_mail())``), and put what storage
or filters refuse next to the field at fault. Each function returns True when it saved; the view then
flashes and redirects (POST/redirect/GET), or renders the form again with its errors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import abort, flash
from flask_babel import gettext as _

from filters.user_rules import FiltersState, Rule, RuleError, ScriptEdited, UserFilters
from storage.errors import (
    AlreadyExists,
    AuthFailed,
    InvalidInput,
    PermissionDenied,
    QuotaExceeded,
    Throttled,
)
from webmail import sessions
from webmail.binding import current_store, current_user_account, user_mail
from webmail.i18n import available_languages
from webmail.settings_forms import (
    ActionForm,
    AliasForm,
    GeneralForm,
    OutOfOfficeForm,
    PasswordForm,
    RuleForm,
    SendersForm,
    SignatureForm,
    lines,
    time_zones,
)

BLOCKED, SAFE = "lists.blocked_senders", "lists.safe_senders"
#: What a rule's row buttons may do (``rule_change``).
RULE_CHANGES = ("delete", "up", "down", "toggle")


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


def general(form: GeneralForm, submitted: bool, *, signature: bool = True) -> bool:
    """Show or save the General tab; ``signature=False`` leaves the signature as it is (the Ajax pane
    sends only language, skin and time zone here: its Signatures tab edits each address's over JMAP
    Identity/set and this "*" one through ``default_signature``)."""
    prefs = user_mail().preferences
    values = prefs.get()
    languages = available_languages()
    current = str(values["user.language"])
    form.language.choices = [(tag, tag) for tag in sorted({*languages, current})]
    form.timezone.choices = [(zone, zone) for zone in time_zones()]
    if not submitted:
        form.language.data, form.skin.data = current, values["webmail.skin"]
        form.timezone.data = values["user.timezone"]
        default_signature(form, False)
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
    return not signature or _save_default_signature(form)


def default_signature(form: SignatureForm, submitted: bool) -> bool:
    """Show or save the signature of every address without one of its own ("*"), as the General tab
    does; the Ajax pane's Signatures tab calls this alone, beside the addresses' own (JMAP Identity/set)."""
    if not submitted:
        form.signature.data = user_mail().preferences.signatures().get("*", "")
        return False
    return bool(form.validate()) and _save_default_signature(form)


def _save_default_signature(form: SignatureForm) -> bool:
    try:
        user_mail().preferences.set_signature("*", (form.signature.data or "").replace("\r\n", "\n"))
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


def senders(form: SendersForm, submitted: bool) -> bool:
    """The blocked and safe sender lists, one entry per line; storage checks each entry."""
    prefs = user_mail().preferences
    if not submitted:
        form.blocked.data = "\n".join(prefs.sender_list(BLOCKED))
        form.safe.data = "\n".join(prefs.sender_list(SAFE))
        return False
    if not form.validate():
        return False
    saved = True
    for name, field in ((BLOCKED, form.blocked), (SAFE, form.safe)):
        try:
            prefs.set_sender_list(name, lines(field.data))
        except InvalidInput as exc:
            field_error(form, field.name, str(exc))
            saved = False
    return saved


@dataclass(frozen=True)
class AliasPage:
    """What the temporary-address page shows: the live addresses and the account's limits."""

    aliases: list[Any]
    most: int
    max_days: int
    created: str | None = None  # the address just made, when the form was saved


def aliases(form: AliasForm, submitted: bool) -> AliasPage:
    service = user_mail().temporary_aliases
    most, max_days = service.limits()
    created = None
    if not submitted:
        form.days.data = max_days
    elif form.validate():
        try:
            created = service.create(form.local_part.data or None, days=form.days.data).address
        except (InvalidInput, AlreadyExists) as exc:
            field_error(form, "days" if "days" in str(exc) else "local_part", str(exc))
        except (PermissionDenied, QuotaExceeded) as exc:
            form.form_errors.append(str(exc))
    return AliasPage(list(service.list()), most, max_days, created)


def delete_alias(address: str) -> None:
    """Delete one of the user's temporary addresses; another's is NotFound (the 404 page)."""
    user_mail().temporary_aliases.delete(address)
    flash(_("%(address)s no longer receives mail.", address=address), "info")


def rule_folders() -> list[tuple[str, str]]:
    mine = user_mail().list_folders(current_user_account().address)
    return [(f.path, f.path) for f in mine]


def rule(form: RuleForm, number: int, submitted: bool) -> tuple[bool, FiltersState]:
    """Edit rule ``number`` (1-based) of the wizard, or add one (0); 404 for a number not in the list."""
    state = filters().state()
    rules = list(state.data.rules)
    if number and not 1 <= number <= len(rules):
        abort(404)
    form.folder.choices = rule_folders()
    if not submitted:
        if number:
            form.show(rules[number - 1])
        return False, state
    if not form.validate():
        return False, state
    if number:
        rules[number - 1] = form.rule()
    else:
        rules.append(form.rule())
    return save_rules(form, rules, replace_edited=bool(form.replace_edited.data)), state


def rule_change(number: int, change: str, replace_edited: bool) -> None:
    """Delete, move up or down, turn on or off rule ``number`` (1-based); errors are flashed."""
    rules = list(filters().state().data.rules)
    if not 1 <= number <= len(rules) or change not in RULE_CHANGES:
        abort(404)
    i = number - 1
    if change == "delete":
        del rules[i]
    elif change == "up" and i > 0:
        rules[i - 1], rules[i] = rules[i], rules[i - 1]
    elif change == "down" and i < len(rules) - 1:
        rules[i + 1], rules[i] = rules[i], rules[i + 1]
    elif change == "toggle":
        rules[i] = replace(rules[i], enabled=not rules[i].enabled)
    form = ActionForm()
    save_rules(form, rules, replace_edited=replace_edited)
    for message in form.form_errors:
        flash(message, "error")


def save_rules(form: RuleForm | ActionForm, rules: list[Rule], *, replace_edited: bool) -> bool:
    try:
        filters().save_rules(rules, replace_edited=replace_edited)
    except RuleError as exc:
        field_error(form, _field_of(form, exc.field), exc.message)
        return False
    except ScriptEdited:
        message = _("Another program changed your filter script. Tick the box to keep its version as a copy.")
        if isinstance(form, RuleForm):
            field_error(form, "replace_edited", message)
        else:
            flash(message, "error")
        return False
    except QuotaExceeded as exc:
        form.form_errors.append(str(exc))
        return False
    flash(_("Your rules were saved."), "info")
    return True


def _field_of(form: RuleForm | ActionForm, name: str) -> str:
    """The wizard's field for a RuleError's field name (other forms show it at their top)."""
    if not isinstance(form, RuleForm):
        return name
    if name == "target":
        return "folder" if form.action.data in ("move", "copy") else "address"
    return {"conditions": "value_1", "rules": "name"}.get(name, name)
