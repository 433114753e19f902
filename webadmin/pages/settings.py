"""The settings pages, generated from the registry (storage/settings.py) for each level: the server, a
domain, an account class, an account.

One page shows one section of the level's settings (the part of the name before the dot: ``web``,
``smtp``...), with the other sections as links. For each setting: its name and help text, its default and
limits, the value it inherits and from where, an "inherit" / "set here" choice and the input its type
calls for (a yes/no choice, a number with its bounds and unit, a list of the allowed values, a text line,
a list one item per comma). Saving sends only what changed to ``setting_sheets.apply``, which validates
with the registry's own rules and stores nothing unless every field passes; the errors come back next to
their fields and the page keeps what was typed.

Routes: ``/settings/server``, ``/domains/<domain>/settings``,
``/domains/<domain>/classes/<account_class>/settings``, ``/accounts/<address>/settings``; each takes
``?section=<name>``. Who may see which is storage's decision (NotFound / PermissionDenied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from storage import settings as reg
from storage.admin_setting_sheets import Sheet, SheetRow
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp

nav.add("Server", _l("Server settings"), "pages.server_settings", server_only=True, order=10, right="config")

INHERIT, SET = "inherit", "set"


@dataclass(frozen=True)
class FieldState:
    """What the form shows for one setting: the choice, the text in the input and an error."""

    row: SheetRow
    mode: str
    text: str
    error: str | None

    @property
    def field_id(self) -> str:
        return self.row.setting.name.replace(".", "-")

    @property
    def input_kind(self) -> str:
        """How the value is typed: bool, enum, int, list or text."""
        setting = self.row.setting
        if setting.type in ("bool", "enum", "list"):
            return setting.type
        return "int" if setting.type == "int" else "text"


def display(setting: reg.Setting, value: Any) -> str:
    return reg.format_value(setting.name, value)


def limits_text(setting: reg.Setting) -> str:
    """The bounds of a setting in words ("at least 1m, at most 1w"; a text's bounds are its length)."""
    numeric = reg.value_kind(setting) in ("int", "bytes", "seconds")

    def shown(bound: int) -> str:
        return display_scalar(setting, bound) if numeric else str(bound)

    parts: list[str] = []
    if setting.minimum is not None:
        parts.append(_("at least %(value)s", value=shown(setting.minimum)))
    if setting.maximum is not None:
        parts.append(_("at most %(value)s", value=shown(setting.maximum)))
    if parts and not numeric:
        return str(_("length: %(bounds)s", bounds=", ".join(parts)))
    return ", ".join(parts)


def display_scalar(setting: reg.Setting, value: Any) -> str:
    return str(reg.format_scalar(reg.value_kind(setting), value))


def sections_of(sheet: Sheet) -> list[str]:
    return sorted({row.setting.section for row in sheet.rows})


def target_of(kind: str, name: str = "", account_class: str = "") -> dict[str, str]:
    if kind == "domain":
        return {"domain": name}
    if kind == "class":
        return {"domain": name, "account_class": account_class}
    if kind == "account":
        return {"account": name}
    return {}


def sheet_page(
    kind: str,
    title: str,
    endpoint_args: dict[str, str],
    target: dict[str, str],
    only: tuple[str, ...] = (),
) -> Any:
    """The page of one sheet: one section of it, or (``only``) just the settings named, in that order."""
    view = admin_view()
    sheet = view.setting_sheets.read(**target)
    if only:
        by_name = {row.setting.name: row for row in sheet.rows}
        rows = [by_name[name] for name in only if name in by_name]
        sections, section = [], ""
    else:
        sections = sections_of(sheet)
        wanted = request.values.get("section", "")
        section = wanted if wanted in sections else (sections[0] if sections else "")
        rows = [row for row in sheet.rows if row.setting.section == section]
    states = [initial_state(row) for row in rows]
    status = 200
    if request.method == "POST":
        states = [posted_state(row) for row in rows]
        changes = changes_of(states)
        errors = view.setting_sheets.apply(changes, **target) if changes else {}
        if not errors:
            if changes:
                flash(_("Saved %(count)d change(s).", count=len(changes)), "success")
            else:
                flash(_("Nothing to save: no value was changed."), "info")
            values: dict[str, Any] = {"section": section or None, **endpoint_args}
            return redirect(url_for(request.endpoint or "", **values))
        states = [FieldState(st.row, st.mode, st.text, errors.get(st.row.setting.name)) for st in states]
        status = 400
    page = render_template(
        "settings.html",
        kind=kind,
        title=title,
        level=sheet.level,
        section=section,
        sections=sections,
        states=states,
        endpoint_args=endpoint_args,
        display=display,
        limits_text=limits_text,
        INHERIT=INHERIT,
        SET=SET,
    )
    return page, status


def initial_state(row: SheetRow) -> FieldState:
    shown = row.here if row.is_set else row.inherited
    return FieldState(row, SET if row.is_set else INHERIT, display(row.setting, shown), None)


def posted_state(row: SheetRow) -> FieldState:
    name = row.setting.name
    mode = SET if request.form.get(f"mode.{name}") == SET else INHERIT
    text = request.form.get(f"value.{name}", "")
    return FieldState(row, mode, text, None)


def changes_of(states: list[FieldState]) -> dict[str, Any]:
    """Only what differs from what is stored: a switch to inherit clears, a new or changed value sets."""
    changes: dict[str, Any] = {}
    for state in states:
        row = state.row
        if state.mode == INHERIT:
            if row.is_set:
                changes[row.setting.name] = None
        elif not row.is_set or state.text.strip() != display(row.setting, row.here):
            changes[row.setting.name] = state.text
    return changes


@bp.route("/settings/server", methods=["GET", "POST"])
def server_settings() -> Any:
    return sheet_page("server", _("Server settings"), {}, {})


@bp.route("/domains/<domain>/settings", methods=["GET", "POST"])
def domain_settings(domain: str) -> Any:
    return sheet_page(
        "domain", _("Settings of %(domain)s", domain=domain), {"domain": domain}, target_of("domain", domain)
    )


@bp.route("/domains/<domain>/classes/<account_class>/settings", methods=["GET", "POST"])
def class_settings(domain: str, account_class: str) -> Any:
    return sheet_page(
        "class",
        _("Settings of account class %(name)s in %(domain)s", name=account_class, domain=domain),
        {"domain": domain, "account_class": account_class},
        target_of("class", domain, account_class),
    )


@bp.route("/accounts/<address>/settings", methods=["GET", "POST"])
def account_settings(address: str) -> Any:
    return sheet_page(
        "account",
        _("Settings of %(address)s", address=address),
        {"address": address},
        target_of("account", address),
    )
