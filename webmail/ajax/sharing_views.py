"""The Ajax sharing dialog's route: one folder's permissions (or the whole mailbox's, with delegation) as
JSON, and the same changes the Standard permissions page makes, through the same service.

Why a route of its own and not JMAP ``shareWith``: our entries carry what RFC 9670's map of principal ->
rights cannot say (deny, "apply to subfolders", exceptions on a subfolder, custom letters, the whole
mailbox's entries and the delegation grants), so the dialog reads and writes them here; the people and
group picker uses JMAP's Principal/query (webmail/jmap/principals.py). The work is webmail/sharing.py's
and webmail/delegation.py's, and storage checks the "administer" right in the same transaction as each
read or write: nothing here decides who may do what.

``GET /ajax/sharing/<folder>`` (or ``/ajax/sharing/mailbox`` for the whole mailbox) answers the page:
the folder, ``entries`` (null when the user may not administer it: ``mayAdmin`` false), ``inherited``,
``delegates`` (the whole mailbox only), the roles and letters. ``POST`` takes one JSON object with the
Standard form's fields (``action`` = grant, change, remove, exception or delegate, and that action's
fields, every value a string) and answers the page again, or 400 with ``errors`` by field. A write
without the page's CSRF token (``X-CSRFToken``) is refused (400) before it gets here; a folder the user
cannot see is 404 and one they may not administer 403, as JSON ``{"error": ...}``.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from storage import acl
from storage.errors import NotFound, PermissionDenied
from webmail import delegation, sharing
from webmail.ajax.blueprint import bp
from webmail.binding import current_user_account, user_mail

MAX_FIELD = 400  # longer than any field the form has (an address is at most 320)


def _who(name: str, domain: str) -> str:
    """An entry's name as the dialog shows it (the Standard page's words)."""
    if name == "anyone":
        return str(_("Anyone"))
    if name.startswith("@"):
        return str(_("All users of %(domain)s", domain=name[1:]))
    return name


def _entry(e: sharing.EntryRow, domain: str) -> dict[str, Any]:
    return {
        "name": e.name,
        "label": _who(e.name, domain),
        "rights": e.rights,
        "role": e.role,
        "allow": e.allow,
        "inherit": e.inherit,
        "from": e.from_path,
    }


def _page_json(folder_id: int) -> dict[str, Any]:
    mine = user_mail()
    user = current_user_account()
    page = sharing.load(mine, folder_id)
    f = page.folder
    return {
        "folder": {
            "id": f.id,
            "name": f.name,
            "path": f.path,
            "kind": f.kind,
            "section": f.section,
            "wholeMailbox": page.whole_mailbox,
        },
        "mayAdmin": page.entries is not None,
        "entries": None if page.entries is None else [_entry(e, user.domain) for e in page.entries],
        "inherited": [_entry(e, user.domain) for e in page.inherited],
        "delegates": None
        if page.delegates is None
        else [
            {
                "name": d.name,
                "label": _who(d.name, user.domain),
                "sendAs": d.send_as,
                "sendOnBehalf": d.send_on_behalf,
                "freeBusy": d.free_busy,
            }
            for d in page.delegates
        ],
        "roles": sharing.role_labels(),
        "letters": str(acl.FOLDER_RIGHTS),
        "domain": user.domain,
        "me": user.address,
    }


def _form() -> dict[str, str] | None:
    """The posted object as the service's form: string values only, each of a form field's size."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_FIELD for k, v in body.items()):
        return None
    return body


def _change(folder_id: int, form: dict[str, str]) -> dict[str, str]:
    """Run one action of the permissions page; the errors by field (empty: done)."""
    mine = user_mail()
    domain = current_user_account().domain
    action = form.get("action", "")
    if action == "grant":
        return sharing.grant(mine, folder_id, form, domain)
    if action in ("change", "remove", "exception"):
        error = getattr(sharing, action)(mine, folder_id, form)
        return {"entry": error} if error else {}
    if action == "delegate":
        if folder_id != mine.sharing.mailbox_root().id:
            return {"action": str(_("Delegation is set on the whole mailbox."))}
        return delegation.delegate(mine, form, domain)
    return {"action": str(_("Unknown action."))}


def _folder_id(folder: str) -> int:
    if folder == "mailbox":
        return user_mail().sharing.mailbox_root().id
    if not folder.isdigit() or len(folder) > 18:
        raise NotFound(acl.NO_SUCH_FOLDER)
    return int(folder)


@bp.route("/sharing/<folder>", methods=["GET", "POST"])
def folder_sharing(folder: str) -> Any:
    """The dialog's one route (module docstring)."""
    try:
        folder_id = _folder_id(folder)
        if request.method == "POST":
            form = _form()
            if form is None:
                return jsonify(error="send one JSON object of string fields"), 400
            errors = _change(folder_id, form)
            if errors:
                return jsonify(errors=errors), 400
        return jsonify(_page_json(folder_id))
    except NotFound:
        return jsonify(error=str(_("This folder or message does not exist."))), 404
    except PermissionDenied:
        return jsonify(error=str(_("You do not have the rights for this."))), 403
