"""Delegation on the whole mailbox's permissions page: who may send as me, send on my behalf, or read
my free/busy time (storage.acl's mailbox-level digits "0", "2" and "1" on the mailbox root).

The three grants, as the user sees them:

* **send as**: the delegate's mail says ``From:`` me and nothing tells it was not me;
* **send on behalf**: ``From:`` me and ``Sender:`` the delegate, so recipients see "delegate on behalf of
  me" (mailflow.submission refuses ``From:`` me without that ``Sender:``);
* **read free/busy**: the delegate sees when I am busy (not what I do) when planning a meeting.

Each is granted to a user, a group, every user of the domain or anyone, like a folder entry; all three
unticked removes the delegate. The work is storage.folder_sharing's ``set_delegate``.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

from storage.errors import InvalidInput, NotFound
from storage.usermail import UserMail
from webmail.sharing import MAX_PRINCIPAL


def _who(form: Mapping[str, str], domain: str) -> str:
    """The delegate's name: a listed one (``name``), else from the "who" choice.

    Raises:
        InvalidInput: no address where one is needed, or too long.
    """
    if form.get("name"):
        return form["name"]
    who = form.get("who", "address")
    if who == "anyone":
        return "anyone"
    if who == "domain":
        return "@" + domain
    address = form.get("address", "").strip()
    if not address or "@" not in address or len(address) > MAX_PRINCIPAL:
        raise InvalidInput(_("Type the address of a user or a group, e.g. bob@%(domain)s", domain=domain))
    return address


def delegate(mine: UserMail, form: Mapping[str, str], domain: str) -> dict[str, str]:
    """Set one delegate's grants from the ticked boxes; returns the errors by field name (empty: done)."""
    try:
        who = _who(form, domain)
        mine.sharing.set_delegate(
            who,
            send_as=form.get("send_as") == "1",
            send_on_behalf=form.get("send_on_behalf") == "1",
            free_busy=form.get("free_busy") == "1",
        )
    except InvalidInput as exc:
        return {"delegate": str(exc)}
    except NotFound:
        return {"delegate": str(_("There is no user or group of that name."))}
    return {}
