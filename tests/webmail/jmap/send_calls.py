"""Calling the Identity, EmailSubmission and VacationResponse methods as the JMAP envelope does: through
the method table (webmail/jmap/registry.py) with a ``Call`` bound to the account's user facade."""

from __future__ import annotations

from typing import Any

import webmail.jmap.mail  # noqa: F401  (registers the methods)
from storage.models import Account
from storage.store import Store
from webmail.jmap.registry import CORE, MAIL, METHODS, SUBMISSION, VACATION, Call, MethodError

USING = frozenset({CORE, MAIL, SUBMISSION, VACATION})


def account_id(account: Account) -> str:
    return f"a{account.id}"


def call_for(store: Store, account: Account) -> Call:
    return Call(store.for_user(account.id), account_id(account), account.address, USING)


def invoke(call: Call, name: str, **args: Any) -> dict[str, Any]:
    """The method's response arguments; a MethodError comes back as {"error": type}."""
    args.setdefault("accountId", call.account_id)
    try:
        return METHODS[name].handler(call, args)
    except MethodError as exc:
        return {"error": exc.type, "description": exc.description}
