"""Standard pages of the rules wizard and the out-of-office reply (``/mail/settings/rules``,
``/mail/settings/out-of-office``), over filters.user_rules: WebMail's own Sieve script, saved beside the
user's ManageSieve scripts without ever overwriting them (docs/webmail-settings.md). Both pages say when
another script is in force or WebMail's was changed elsewhere, and offer what to do about it.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import settings_pages as pages
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


@bp.route("/settings/rules/new", methods=["GET", "POST"], defaults={"number": 0})
@bp.route("/settings/rules/<int:number>", methods=["GET", "POST"])
def settings_rule(number: int) -> Any:
    """Edit rule ``number`` (1-based), or add one (0)."""
    form = RuleForm()
    saved, state = pages.rule(form, number, request.method == "POST")
    if saved:
        return redirect(url_for("standard.settings_rules"))
    return render_template("standard/settings_rule.html", form=form, state=state, number=number, tab="rules")


@bp.post("/settings/rules/<int:number>/<string:change>")
def settings_rule_change(number: int, change: str) -> Any:
    """Delete, move up or down, enable or disable rule ``number`` (1-based)."""
    pages.rule_change(number, change, replace_edited=request.form.get("replace_edited") == "y")
    return redirect(url_for("standard.settings_rules"))
