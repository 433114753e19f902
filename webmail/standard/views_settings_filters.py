"""Standard pages of the rules wizard and the out-of-office reply (``/mail/settings/rules``,
``/mail/settings/out-of-office``), over filters.user_rules: WebMail's own Sieve script, saved beside the
user's ManageSieve scripts without ever overwriting them (docs/webmail-settings.md). Both pages say when
another script is in force or WebMail's was changed elsewhere, and offer what to do about it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from filters.user_rules import Rule, RuleError, ScriptEdited
from storage.errors import QuotaExceeded
from webmail import settings_pages as pages
from webmail.binding import current_user_account, user_mail
from webmail.settings_forms import ActionForm, OutOfOfficeForm, RuleForm
from webmail.standard.blueprint import bp


@bp.route("/settings/out-of-office", methods=["GET", "POST"])
def settings_out_of_office() -> Any:
    form = OutOfOfficeForm()
    saved, state = pages.out_of_office(form, request.method == "POST")
    if saved:
        flash(_("Your automatic reply was saved."), "info")
        return redirect(url_for("standard.settings_out_of_office"))
    return render_template(
        "standard/settings_out_of_office.html", form=form, state=state, action_form=ActionForm(), tab="ooo"
    )


@bp.post("/settings/filters/activate")
def settings_filters_activate() -> Any:
    pages.filters().activate()
    flash(_("WebMail's rules and automatic reply are now in force."), "info")
    back = request.form.get("back") == "ooo"
    return redirect(url_for("standard.settings_out_of_office" if back else "standard.settings_rules"))


@bp.get("/settings/rules")
def settings_rules() -> Any:
    state = pages.filters().state()
    return render_template("standard/settings_rules.html", state=state, action_form=ActionForm(), tab="rules")


def _folders() -> list[tuple[str, str]]:
    mine = user_mail().list_folders(current_user_account().address)
    return [(f.path, f.path) for f in mine]


@bp.route("/settings/rules/new", methods=["GET", "POST"], defaults={"number": 0})
@bp.route("/settings/rules/<int:number>", methods=["GET", "POST"])
def settings_rule(number: int) -> Any:
    """Edit rule ``number`` (1-based), or add one (0)."""
    service = pages.filters()
    state = service.state()
    rules = list(state.data.rules)
    if number and not 1 <= number <= len(rules):
        abort(404)
    form = RuleForm()
    form.folder.choices = _folders()
    if request.method == "GET":
        if number:
            form.show(rules[number - 1])
    elif form.validate():
        rule = form.rule()
        if number:
            rules[number - 1] = rule
        else:
            rules.append(rule)
        if _save(form, rules, replace_edited=bool(form.replace_edited.data)):
            return redirect(url_for("standard.settings_rules"))
    return render_template("standard/settings_rule.html", form=form, state=state, number=number, tab="rules")


def _save(form: RuleForm | ActionForm, rules: list[Rule], *, replace_edited: bool) -> bool:
    try:
        pages.filters().save_rules(rules, replace_edited=replace_edited)
    except RuleError as exc:
        pages.field_error(form, _field_of(form, exc.field), exc.message)
        return False
    except ScriptEdited:
        message = _("Another program changed your filter script. Tick the box to keep its version as a copy.")
        if isinstance(form, RuleForm):
            pages.field_error(form, "replace_edited", message)
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


@bp.post("/settings/rules/<int:number>/<string:change>")
def settings_rule_change(number: int, change: str) -> Any:
    """Delete, move up or down, enable or disable rule ``number`` (1-based)."""
    rules = list(pages.filters().state().data.rules)
    if not 1 <= number <= len(rules) or change not in ("delete", "up", "down", "toggle"):
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
    _save(form, rules, replace_edited=request.form.get("replace_edited") == "y")
    for message in form.form_errors:
        flash(message, "error")
    return redirect(url_for("standard.settings_rules"))
