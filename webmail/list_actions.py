"""What the list's forms do: operations on the checked messages, and folder management, for both
interfaces. Every call goes through ``user_mail()`` (storage.usermail, storage.mailbox_view), so rights
are storage's: a refused operation raises and becomes the error page (webmail/errors.py).

Folder ids from the form name folders of the user's tree (``view.folder_tree()``); an id that is not
there (someone else's folder, a folder without "l") is ``NotFound``, exactly like a folder that does not
exist. Names are checked by storage (no "/" inside a name here: a name is one level).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import MultiDict

from storage.errors import InvalidInput, NotFound
from storage.folder_tree import TreeFolder
from storage.usermail import UserMail

MAX_UIDS = 1000  # checked messages acted on at once
ACTIONS = ("move", "copy", "delete", "seen", "unseen", "flag", "unflag")


def checked_uids(form: MultiDict[str, str]) -> list[int]:
    uids = sorted({int(u) for u in form.getlist("uid") if u.isdigit()})
    if len(uids) > MAX_UIDS:
        raise InvalidInput(_("Select at most %(num)d messages at once.", num=MAX_UIDS))
    return uids


def apply(mine: UserMail, folder_id: int, form: MultiDict[str, str]) -> str:
    """Do the form's ``action`` on the checked ``uid`` values; the note to show.

    Raises:
        InvalidInput: no message checked, an unknown action, no target. NotFound, PermissionDenied:
        from storage.
    """
    action = form.get("action", "")
    if action not in ACTIONS:
        raise InvalidInput(_("Choose what to do with the selected messages."))
    uids = checked_uids(form)
    if not uids:
        raise InvalidInput(_("Select one or more messages first."))
    view = mine.view
    if action in ("move", "copy"):
        target = _folder(mine, form.get("target", ""))
        if action == "move":
            done = len(view.move(folder_id, uids, target.id))
            return str(ngettext("%(num)d message moved.", "%(num)d messages moved.", done))
        done = len(view.copy(folder_id, uids, target.id))
        return str(ngettext("%(num)d message copied.", "%(num)d messages copied.", done))
    if action == "delete":
        done = len(view.delete(folder_id, uids))
        return str(ngettext("%(num)d message deleted.", "%(num)d messages deleted.", done))
    if action in ("seen", "unseen"):
        view.mark(folder_id, uids, seen=action == "seen")
    else:
        view.mark(folder_id, uids, flagged=action == "flag")
    return str(_("Messages updated."))


def _folder(mine: UserMail, value: str) -> TreeFolder:
    if not value.isdigit():
        raise InvalidInput(_("Choose a folder."))
    wanted = int(value)
    for entry in mine.view.folder_tree():
        if entry.id == wanted:
            return entry
    raise NotFound("no such mailbox")


def _name(value: str) -> str:
    name = value.strip()
    if not name or "/" in name:
        raise InvalidInput(_('A folder name must not be empty or contain "/".'))
    return name


def create(mine: UserMail, owner: str, parent: str, name: str) -> str:
    """Create ``name`` under the folder with id ``parent`` ("" for the top of the user's own tree)."""
    name = _name(name)
    if parent:
        entry = _folder(mine, parent)
        owner, path = entry.owner, f"{entry.path}/{name}"
    else:
        path = name
    mine.create_folder(owner, path)
    return str(_("Folder %(name)s created.", name=name))


def rename(mine: UserMail, folder_id: str, name: str, parent: str) -> str:
    """Rename the folder and/or move it under another folder of the same tree ("" for the top)."""
    entry = _folder(mine, folder_id)
    name = _name(name)
    if parent:
        under = _folder(mine, parent)
        if under.owner != entry.owner:
            raise InvalidInput(_("A folder can only move within the same tree."))
        new = f"{under.path}/{name}"
    else:
        new = name
    if new != entry.path:
        mine.rename_folder(entry.owner, entry.path, new)
    return str(_("Folder %(name)s saved.", name=name))


def delete(mine: UserMail, folder_id: str) -> str:
    """Delete the folder with its subfolders and messages."""
    entry = _folder(mine, folder_id)
    mine.delete_folder(entry.owner, entry.path)
    return str(_("Folder %(name)s deleted.", name=entry.name))
