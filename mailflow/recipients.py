"""The recipients of a queued message: which states are final, and where an address is delivered.

A recipient is pending while its state is not in ``DONE``; a temporary failure leaves it in
``TEMPORARY_STATE`` with its attempt count raised. ``split`` sorts pending recipients by what the
directory says of their domain: a domain we serve makes the address local (when it resolves to an
account, group or forwarder) or unknown (when it does not); any other domain is remote and goes to the
relay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.errors import InvalidInput, NotFound
from storage.queue import QueuedRecipient
from storage.recipients import Destination

if TYPE_CHECKING:
    from storage.store import Store

DONE = frozenset({"sent", "relay-error", "local-error", "filter-reject", "filter-discard", "removed"})
TEMPORARY_STATE = "send-failure"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def split(store: Store, pending: list[QueuedRecipient]) -> tuple[list[str], list[str], dict[str, str]]:
    """(local addresses, remote addresses, unknown address -> why) for ``pending``, in their order."""
    local: list[str] = []
    remote: list[str] = []
    unknown: dict[str, str] = {}
    for found in store.recipients.look_up(r.address for r in pending):
        if found.destination is Destination.LOCAL:
            local.append(found.address)
        elif found.destination is Destination.REMOTE:
            remote.append(found.address)
        else:  # one of our domains that names nobody, an address that cannot resolve, not a domain
            unknown[found.address] = found.detail
    return local, remote, unknown


def is_local(store: Store, address: str) -> bool:
    """Whether the address's domain is ours: its failures are ``local-error``, else ``relay-error``."""
    try:
        store.domains.id_by_name(domain_of(address))
    except (NotFound, InvalidInput):
        return False
    return True
