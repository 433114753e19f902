"""The Ajax settings pane's routes (``/ajax/settings/...``): General, Out of office, Rules, Senders,
Temporary addresses and Password, the Standard settings tabs that JMAP has no type for (RFC 9661's Sieve
scripts are not the rules wizard's list; language, skin and time zone are no JMAP object). Out of office
has JMAP's VacationResponse, but that holds one text where the Standard page has two (senders of one's
organisation and everyone else) and no "at most once in N days": the pane saves through the Standard
page's code here, so the one Sieve entry has one writer with every field, and a save from either
interface keeps what the other set (third-party JMAP clients still use VacationResponse).

Each route runs the Standard tab's own code (webmail/settings_pages.py over the user's facade and
filters.user_rules) with the Standard form filled from the JSON body (webmail/ajax/settings_forms.py):
the same checks, the same refusals beside the same field names, nothing saved on a refusal. A GET
answers what the pane shows; a POST (CSRF-checked by CSRFProtect and by the form) answers the new state,
or 400 with ``{"errors": {field: [message, ...]}}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, request, url_for
from flask_wtf.csrf import generate_csrf

from filters.user_rules import FiltersState, Rule
from filters.user_rules.model import MAX_DAYS, MIN_DAYS
from storage.preferences import QuotaMeter
from webmail import settings_pages as pages
from webmail.ajax.blueprint import bp
from webmail.ajax.settings_forms import body, done, form_from_json, refused
from webmail.binding import current_user_account, user_mail
from webmail.settings_forms import (
    ACTION_CHOICES,
    CONDITION_ROWS,
    FIELD_CHOICES,
    OPERATOR_CHOICES,
    SKINS,
    AliasForm,
    GeneralForm,
    OutOfOfficeForm,
    PasswordForm,
    RuleForm,
    SendersForm,
    SignatureForm,
)


def utc(value: datetime | None) -> str | None:
    """A UTCDate for the client (which shows it in the browser's zone), or None."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def fresh_csrf() -> str:
    """The token of a session just started again (a password change signs every session out, this one
    is started anew): the client sends it from then on."""
    g.pop("csrf_token", None)  # flask-wtf caches the old session's token for the request
    return str(generate_csrf())


# -- General --------------------------------------------------------------------------------------------


def quota_json(quota: QuotaMeter) -> dict[str, Any]:
    return {
        "used_bytes": quota.used_bytes,
        "limit_bytes": quota.limit_bytes,
        "messages": quota.messages,
        "limit_messages": quota.limit_messages,
        "percent": quota.percent,
        "warning": quota.warning,
        "over": quota.over,
    }


def general_json(form: GeneralForm) -> dict[str, Any]:
    return {
        "values": {
            "language": form.language.data,
            "skin": form.skin.data,
            "timezone": form.timezone.data,
        },
        "choices": {
            "language": [tag for tag, _label in form.language.choices],
            "skin": [[value, str(label)] for value, label in SKINS],
            "timezone": [zone for zone, _label in form.timezone.choices],
        },
        "quota": quota_json(user_mail().preferences.quota()),
        # the Standard General tab's "Mail on your phone or computer": the Apple set-up profile
        "apple_profile": url_for("autoconfig.apple", email=current_user_account().address),
    }


@bp.get("/settings/general")
def settings_general() -> Any:
    form = GeneralForm(formdata=None)
    pages.general(form, False)
    return done(**general_json(form))


@bp.post("/settings/general")
def settings_general_save() -> Any:
    """Language, skin and time zone (the signatures are Identity/set's); they apply from the next page,
    i.e. after the pane reloads the client."""
    form = form_from_json(GeneralForm)
    if not pages.general(form, True, signature=False):
        return refused(form)
    shown = GeneralForm(formdata=None)
    pages.general(shown, False)
    return done(**general_json(shown))


# -- Signatures -----------------------------------------------------------------------------------------


@bp.get("/settings/signature")
def settings_signature() -> Any:
    """The signature of every address without its own ("*"), which no JMAP Identity holds (each address's
    own is Identity/set's): the Standard General tab's field and code."""
    form = SignatureForm(formdata=None)
    pages.default_signature(form, False)
    return done(signature=form.signature.data)


@bp.post("/settings/signature")
def settings_signature_save() -> Any:
    form = form_from_json(SignatureForm)
    if not pages.default_signature(form, True):
        return refused(form)
    shown = SignatureForm(formdata=None)
    pages.default_signature(shown, False)
    return done(signature=shown.signature.data)


# -- Out of office --------------------------------------------------------------------------------------


def out_of_office_json(state: FiltersState) -> dict[str, Any]:
    """The Standard page's fields; the days are days of the account's calendar (``user.timezone``), as
    the page shows them, so the pane shows and sends them as they are."""
    entry = state.data.out_of_office
    return {
        "values": {
            "enabled": entry.enabled,
            "subject": entry.subject,
            "internal_text": entry.internal_text,
            "external_text": entry.external_text,
            "start": entry.start.isoformat() if entry.start else "",
            "end": entry.end.isoformat() if entry.end else "",
            "days": entry.days,
        },
        "min_days": MIN_DAYS,
        "max_days": MAX_DAYS,
        "in_force": state.in_force,
        "edited": state.edited,
        "active_script": state.active_script,
    }


@bp.get("/settings/out-of-office")
def settings_out_of_office() -> Any:
    _saved, state = pages.out_of_office(OutOfOfficeForm(formdata=None), False)
    return done(**out_of_office_json(state))


@bp.post("/settings/out-of-office")
def settings_out_of_office_save() -> Any:
    """``enabled``, ``subject``, ``internal_text``, ``external_text``, ``start`` and ``end`` (YYYY-MM-DD or
    empty), ``days``, ``replace_edited``: the Standard form's fields, saved by its code."""
    form = form_from_json(OutOfOfficeForm)
    saved, _state = pages.out_of_office(form, True)
    if not saved:
        return refused(form)
    return done(**out_of_office_json(pages.filters().state()))


# -- Senders --------------------------------------------------------------------------------------------


def senders_json() -> dict[str, Any]:
    prefs = user_mail().preferences
    return {"blocked": prefs.sender_list(pages.BLOCKED), "safe": prefs.sender_list(pages.SAFE)}


@bp.get("/settings/senders")
def settings_senders() -> Any:
    return done(**senders_json())


@bp.post("/settings/senders")
def settings_senders_save() -> Any:
    """Both lists, one entry per line (as the Standard tab's text boxes); storage checks each entry."""
    form = form_from_json(SendersForm)
    if not pages.senders(form, True):
        return refused(form)
    return done(**senders_json())


# -- Temporary addresses ----------------------------------------------------------------------------------


def aliases_json(page: pages.AliasPage) -> dict[str, Any]:
    return {
        "aliases": [{"address": a.address, "expires": utc(a.expires_at)} for a in page.aliases],
        "most": page.most,
        "max_days": page.max_days,
        "created": page.created,
    }


@bp.get("/settings/aliases")
def settings_aliases() -> Any:
    return done(**aliases_json(pages.aliases(AliasForm(formdata=None), False)))


@bp.post("/settings/aliases")
def settings_aliases_create() -> Any:
    """A new temporary address (``local_part`` empty: a random one) valid for ``days``."""
    form = form_from_json(AliasForm)
    page = pages.aliases(form, True)
    if not page.created:
        return refused(form)
    return done(**aliases_json(page))


@bp.post("/settings/aliases/delete")
def settings_aliases_delete() -> Any:
    """Delete one of the user's temporary addresses (another's, or a permanent one: 404)."""
    address = body().get("address")
    pages.delete_alias(address if isinstance(address, str) else "")
    return done(**aliases_json(pages.aliases(AliasForm(formdata=None), False)))


# -- Password -------------------------------------------------------------------------------------------


@bp.post("/settings/password")
def settings_password() -> Any:
    """Change the password (``current``, ``new``, ``confirm``): every other session and program must
    sign in again; this one goes on with the new token answered as ``csrf``."""
    form = form_from_json(PasswordForm)
    if not pages.password(form, True, request.remote_addr):
        return refused(form)
    return done(csrf=fresh_csrf())


# -- Rules ------------------------------------------------------------------------------------------------


def rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "match_all": rule.match_all,
        "conditions": [{"field": c.field, "operator": c.operator, "value": c.value} for c in rule.conditions],
        "action": rule.action,
        "target": rule.target,
        "flag": rule.flag,
        "stop": rule.stop,
        "enabled": rule.enabled,
    }


def rules_json(state: FiltersState) -> dict[str, Any]:
    return {
        "rules": [rule_json(rule) for rule in state.data.rules],
        "in_force": state.in_force,
        "active_script": state.active_script,
        "edited": state.edited,
        "folders": [path for path, _label in pages.rule_folders()],
        "choices": {
            "field": [[v, str(label)] for v, label in FIELD_CHOICES],
            "operator": [[v, str(label)] for v, label in OPERATOR_CHOICES],
            "action": [[v, str(label)] for v, label in ACTION_CHOICES],
        },
        "condition_rows": CONDITION_ROWS,
    }


@bp.get("/settings/rules")
def settings_rules() -> Any:
    return done(**rules_json(pages.filters().state()))


@bp.post("/settings/rules/new", defaults={"number": 0})
@bp.post("/settings/rules/<int:number>")
def settings_rule_save(number: int) -> Any:
    """Rule ``number`` (1-based) replaced, or a new one added last (0), from the wizard's fields:
    ``name``, ``match_all`` ("all"/"any"), ``field_N``/``operator_N``/``value_N``, ``action``,
    ``folder`` or ``address``, ``flag``, ``stop``, ``enabled``, ``replace_edited``."""
    form = form_from_json(RuleForm)
    saved, _state = pages.rule(form, number, True)
    if not saved:
        return refused(form)
    return done(**rules_json(pages.filters().state()))


@bp.post("/settings/rules/<int:number>/<string:change>")
def settings_rule_change(number: int, change: str) -> Any:
    """``delete``, ``up``, ``down`` or ``toggle`` rule ``number`` (1-based); 404 for another."""
    replace_edited = body().get("replace_edited") is True
    pages.rule_change(number, change, replace_edited=replace_edited)
    found = done(**rules_json(pages.filters().state()))
    if any(n["kind"] == "error" for n in found.get_json()["notices"]):
        found.status_code = 400
    return found


@bp.post("/settings/filters/activate")
def settings_filters_activate() -> Any:
    """Put WebMail's rules and reply in force again (the user's own script stays, inactive)."""
    pages.filters().activate()
    return done(**rules_json(pages.filters().state()))
