"""Identity/get, /changes, /set (RFC 8621 6): the addresses the account may send from, as JMAP objects.

Why derived, not stored: the identities are exactly those WebMail's composer offers
(``mailflow.outbox.identities``): the account's address, its aliases, every mailbox that granted it
"send as", and one per mailbox that granted "send on behalf" (whose Email must then carry ``Sender:`` the
account's address; mailflow.submission refuses it otherwise). An administrator's or owner's change shows
at the next Identity/get. So an identity cannot be created or destroyed here (``mayDelete`` is false);
what a user may change is the text signature, kept in WebMail's ``webmail.signatures`` setting (the same
one its settings page edits, per address; "*" serves addresses without one of their own).

A mailbox sent on behalf of is an identity whose ``email`` is that mailbox's (it goes in ``From:``, with
no name: the owner's) and whose ``fieldpost:sender`` property (a vendor extension, RFC 8620 1.8) is the
``Sender:`` the Email must carry, the account's own name and address; it is null on every other
identity. Without it a client could not tell "send as" from "send on behalf", and its message would be
refused (webmail/jmap/mail/sending.py).

Ids are ``i`` and 16 hex digits of the SHA-256 of the composer's identity value (the address, or
``behalf:`` and the mailbox), so they stay the same as long as the address does. The state string is a
digest of the whole list: /changes answers "no change" from the current state and cannotCalculateChanges
from any other (the list is short; the client fetches it again).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from mailflow import outbox
from storage.errors import InvalidInput
from storage.models import Account
from webmail.jmap import standard_methods as std
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.registry import SUBMISSION, Args, Call, MethodError, method

#: the vendor property naming the Sender an on-behalf identity's Email must carry (see the module notes)
SENDER = "fieldpost:sender"
PROPERTIES = (
    "id", "name", "email", "replyTo", "bcc", "textSignature", "htmlSignature", "mayDelete", SENDER,
)  # fmt: skip
#: what Identity/set may change (the others are the account's, shown as they are)
UPDATABLE = ("textSignature",)


@dataclass(frozen=True)
class JmapIdentity:
    id: str
    composer: outbox.Identity  # the composer's identity this one is

    @property
    def email(self) -> str:
        """The address in ``From:``: the account's own, or the mailbox it sends on behalf of."""
        return self.composer.on_behalf_of or self.composer.address

    @property
    def sender(self) -> Args | None:
        """The ``Sender:`` an Email of this identity needs (``{name, email}``), or None."""
        if not self.composer.on_behalf_of:
            return None
        return {"name": self.composer.name or None, "email": self.composer.address}

    def as_json(self) -> Args:
        return {
            "id": self.id,
            "name": "" if self.composer.on_behalf_of else self.composer.name,
            "email": self.email,
            "replyTo": None,
            "bcc": None,
            "textSignature": self.composer.signature,
            "htmlSignature": "",
            "mayDelete": False,
            SENDER: self.sender,
        }


def identity_id(composer: outbox.Identity) -> str:
    return "i" + hashlib.sha256(composer.value.encode()).hexdigest()[:16]


def account_of(call: Call) -> Account:
    return call.user.store.accounts.by_id(call.user.account_id)


def identities(call: Call) -> list[JmapIdentity]:
    """The account's identities now, in the composer's order (its own address first)."""
    found = outbox.identities(call.user.store, account_of(call))
    return [JmapIdentity(identity_id(c), c) for c in found]


def state_of(found: list[JmapIdentity]) -> str:
    text = json.dumps([i.as_json() for i in found], sort_keys=True)
    return "s" + hashlib.sha256(text.encode()).hexdigest()[:16]


@method("Identity/get", SUBMISSION)
def identity_get(call: Call, args: Args) -> Args:
    """RFC 8621 6.1 (the standard /get of RFC 8620 5.1)."""
    asked = std.get_args(call, args, PROPERTIES)
    found = identities(call)
    by_id = {i.id: i for i in found}
    ids = asked.ids
    chosen = found if ids is None else [by_id[i] for i in ids if i in by_id]
    return {
        "accountId": call.account_id,
        "state": state_of(found),
        "list": [{p: i.as_json()[p] for p in asked.properties} for i in chosen],
        "notFound": [] if ids is None else [i for i in ids if i not in by_id],
    }


@method("Identity/changes", SUBMISSION)
def identity_changes(call: Call, args: Args) -> Args:
    """RFC 8621 6.2 (RFC 8620 5.2): nothing changed from the current state; any other state cannot be
    answered (see the module notes)."""
    since = std.changes_args(call, args).since_state
    state = state_of(identities(call))
    if since != state:
        raise MethodError("cannotCalculateChanges", "identities changed; fetch them again with Identity/get")
    return {
        "accountId": call.account_id,
        "oldState": since,
        "newState": state,
        "hasMoreChanges": False,
        "created": [],
        "updated": [],
        "destroyed": [],
    }


@method("Identity/set", SUBMISSION)
def identity_set(call: Call, args: Args) -> Args:
    """RFC 8621 6.3 (RFC 8620 5.3): updates of ``textSignature``; create and destroy are refused (the
    identities are the account's addresses, which the administrator and delegating owners manage)."""
    asked = std.set_args(call, args)
    found = identities(call)
    old_state = state_of(found)
    check_state(asked.if_in_state, old_state)
    by_id = {i.id: i for i in found}
    out: Args = {"accountId": call.account_id, "oldState": old_state}
    not_created = {
        key: std.set_error("forbidden", "identities are the account's addresses; the administrator adds them")
        for key in asked.create
    }
    updated: dict[str, None] = {}
    not_updated: Args = {}
    prefs = call.user.preferences
    for key, patch in asked.update.items():
        identity = by_id.get(key)
        if identity is None:
            not_updated[key] = std.set_error("notFound")
            continue
        current = identity.as_json()
        fixed = [p for p, v in patch.items() if p not in UPDATABLE and current.get(p, object()) != v]
        if fixed:
            not_updated[key] = std.set_error(
                "invalidProperties", "only textSignature can be changed on this server", properties=fixed
            )
            continue
        text = patch.get("textSignature", current["textSignature"])
        if not isinstance(text, str):
            not_updated[key] = std.set_error("invalidProperties", properties=["textSignature"])
            continue
        if identity.composer.on_behalf_of:
            if text != current["textSignature"]:
                not_updated[key] = std.set_error(
                    "forbidden", "the signature of a mailbox sent on behalf of is its owner's"
                )
                continue
        elif text != current["textSignature"]:
            try:
                prefs.set_signature(identity.email, text)
            except InvalidInput as exc:
                not_updated[key] = std.set_error("invalidProperties", str(exc), properties=["textSignature"])
                continue
        updated[key] = None
    not_destroyed = {
        key: std.set_error("forbidden", "identities are the account's addresses; mayDelete is false")
        if key in by_id
        else std.set_error("notFound")
        for key in asked.destroy
    }
    out.update(
        newState=state_of(identities(call)) if updated else old_state,
        created=None,
        updated=updated or None,
        destroyed=None,
        notCreated=not_created or None,
        notUpdated=not_updated or None,
        notDestroyed=not_destroyed or None,
    )
    return out
