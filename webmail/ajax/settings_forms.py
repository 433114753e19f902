"""How the Ajax settings routes hand a JSON body to the Standard settings forms, and answer.

Why the forms and not a second set of checks: the Standard pages' FlaskForms (webmail/settings_forms.py,
webmail/two_step_settings.py) and the page functions (webmail/settings_pages.py) are where the shape of
each value is checked and storage's or filters' refusals are put next to their field. The Ajax pane's
routes fill the same forms from the JSON body (with the ``X-CSRFToken`` header as the form's token, so the
form checks it as it checks a posted page's), call the same page functions, and answer the form's errors
by field name; the flashed notices the page functions leave are taken out of the session and answered too,
so they do not show later on a Standard page.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import get_flashed_messages, jsonify, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

F = TypeVar("F", bound=FlaskForm)


def body() -> dict[str, Any]:
    """The request's JSON object (400 for anything else)."""
    found = request.get_json(silent=True)
    if not isinstance(found, dict):
        raise BadRequest("send a JSON object")
    return found


def form_from_json(cls: type[F], **extra: Any) -> F:
    """``cls`` filled from the JSON body as if its fields had been posted: strings and numbers as
    typed, ``true`` as a ticked box (``false`` and null as a field left out)."""
    data: MultiDict[str, str] = MultiDict()
    for name, value in body().items():
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "y"
        elif isinstance(value, str | int | float):
            data[name] = str(value)
        else:
            raise BadRequest(f"{name}: send a string, a number or true/false")
    data["csrf_token"] = request.headers.get("X-CSRFToken", "")
    form: F = cls(formdata=data, **extra)
    return form


def notices() -> list[dict[str, str]]:
    """The messages the page functions flashed for this request (taken out of the session)."""
    flashed: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    return [{"kind": kind, "text": str(text)} for kind, text in flashed]


def errors_of(form: FlaskForm) -> dict[str, list[str]]:
    """The form's errors by field name; ``""`` for those of the whole form (a refused CSRF token, a
    full quota...)."""
    found: dict[str, list[str]] = {}
    for name, field in form._fields.items():
        if field.errors and isinstance(field.errors, list | tuple):
            key = "" if name == "csrf_token" else name
            found.setdefault(key, []).extend(str(e) for e in field.errors)
    if form.form_errors:
        found.setdefault("", []).extend(str(e) for e in form.form_errors)
    return found


def refused(form: FlaskForm, **extra: Any) -> Any:
    """400 with the form's errors, for the pane to show beside each field (nothing was saved)."""
    errors = errors_of(form)
    for notice in notices():
        if notice["kind"] == "error":
            errors.setdefault("", []).append(notice["text"])
    return jsonify(errors=errors, **extra), 400


def done(**values: Any) -> Any:
    """200 with ``values`` and the notices the page functions flashed."""
    return jsonify(notices=notices(), **values)
