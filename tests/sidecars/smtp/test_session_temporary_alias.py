"""RCPT to a temporary alias (WebMail's settings): accepted while it lives, answered like an unknown user
from its expiry on, before the housekeeping sweep removes it."""

from __future__ import annotations

from datetime import timedelta

from sidecars.smtp import replies as R
from storage.names import utcnow
from storage.store import Store
from tests.sidecars.smtp.conftest import ALICE, Client


def test_rcpt_to_a_temporary_alias_until_it_expires(client: Client, store: Store) -> None:
    aliases = store.for_user(store.accounts.get(ALICE).id).temporary_aliases
    live = aliases.create("newsletter", days=1)
    gone = aliases.create("expired", days=1, now=utcnow() - timedelta(days=1, seconds=1))
    client.cmd("MAIL FROM:<x@example.net>")
    assert (
        client.cmd(f"RCPT TO:<{live.address}>")
        == R.RECIPIENT_OK.format(address=live.address).encode().decode()
    )
    assert (
        client.cmd(f"RCPT TO:<{gone.address}>")
        == R.UNKNOWN_USER.format(address=gone.address).encode().decode()
    )
    assert client.cmd("RCPT TO:<expired+tag@example.test>").startswith("550")
