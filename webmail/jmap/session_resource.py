"""The JMAP Session resource (RFC 8620 2): what a client fetches first to learn the server's
capabilities and limits, its one account and the URLs of everything else.

Why built per request: the URLs are absolute and follow the host and scheme the client used (behind a
proxy, gunicorn's trusted ``X-Forwarded-Proto``), and the data-type parts fill their capability
objects in ``registry.ACCOUNT_CAPABILITIES`` / ``SERVER_CAPABILITIES`` when they are imported. The
``state`` changes only when what the Session says changes (the account, its address, the capabilities
or the method set, i.e. a deploy), so a client re-fetches it only then.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import request

from storage.models import Account
from webmail.jmap import ids, limits, registry

#: Capabilities the account has (RFC 8621 1.3: mail, submission and vacation response are per account).
ACCOUNT_CAPABILITY_NAMES = (registry.MAIL, registry.SUBMISSION, registry.VACATION)


def account_capability_names() -> tuple[str, ...]:
    """The mail ones, then every capability a data-type package filled in ``ACCOUNT_CAPABILITIES``
    (e.g. contacts, webmail/jmap/contacts): a new package announces itself without editing this file."""
    extra = sorted(set(registry.ACCOUNT_CAPABILITIES) - set(ACCOUNT_CAPABILITY_NAMES))
    return ACCOUNT_CAPABILITY_NAMES + tuple(extra)


def base_url() -> str:
    return request.host_url.rstrip("/")


def urls() -> dict[str, str]:
    base = base_url()
    return {
        "apiUrl": f"{base}/jmap/api",
        "downloadUrl": f"{base}/jmap/download/{{accountId}}/{{blobId}}/{{name}}?type={{type}}",
        "uploadUrl": f"{base}/jmap/upload/{{accountId}}/",
        "eventSourceUrl": f"{base}/jmap/eventsource?types={{types}}&closeafter={{closeafter}}&ping={{ping}}",
    }


def session_object(account: Account) -> dict[str, Any]:
    account_id = ids.account_id(account.id)
    names = account_capability_names()
    capabilities: dict[str, Any] = {registry.CORE: dict(limits.CORE_CAPABILITY)}
    for name in names:
        capabilities[name] = dict(registry.SERVER_CAPABILITIES.get(name, {}))
    account_capabilities = {name: dict(registry.ACCOUNT_CAPABILITIES.get(name, {})) for name in names}
    body: dict[str, Any] = {
        "capabilities": capabilities,
        "accounts": {
            account_id: {
                "name": account.address,
                "isPersonal": True,
                "isReadOnly": False,
                "accountCapabilities": account_capabilities,
            }
        },
        "primaryAccounts": {name: account_id for name in names},
        "username": account.address,
        **urls(),
    }
    body["state"] = session_state(account)
    return body


def session_state(account: Account) -> str:
    """A short digest of what the Session object says (sessionState of every API response)."""
    digest = hashlib.sha256()
    digest.update(f"{account.id}\0{account.address}\0".encode())
    for name in sorted(registry.METHODS):
        digest.update(name.encode() + b"\0")
    for table in (registry.ACCOUNT_CAPABILITIES, registry.SERVER_CAPABILITIES):
        for name in sorted(table):
            digest.update(f"{name}={sorted(table[name].items())!r}\0".encode())
    return digest.hexdigest()[:16]
