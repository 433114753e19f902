"""ManageSieve with two-step sign-in: the account password is refused with the reason, an app password
logs in (PLAIN over TLS); SCRAM-SHA-256 (shared sidecars/sasl.py) refuses even the right account password."""

from __future__ import annotations

import time

import pytest

from sidecars import sasl
from storage import totp
from storage.errors import AuthFailed
from storage.store import Store
from tests.sidecars.managesieve.conftest import ALICE, ALICE_PW, MakeClient, plain_token
from tests.sidecars.test_sasl import scram_login


def turn_on(store: Store) -> str:
    account = store.accounts.get(ALICE)
    now = time.time()
    store.second_factors.clock = lambda: now
    factor = store.for_user(account.id).second_factor
    factor.confirm(totp.code_at(factor.enrol().secret, now))
    return store.for_user(account.id).app_passwords.create("sieve editor").password


def test_account_password_refused_app_password_accepted(make_client: MakeClient, store: Store) -> None:
    app_password = turn_on(store)
    client = make_client()
    refused = client.cmd(f'AUTHENTICATE "PLAIN" "{plain_token(ALICE, ALICE_PW)}"')
    assert refused.startswith("NO") and "app password" in refused
    assert client.cmd(f'AUTHENTICATE "PLAIN" "{plain_token(ALICE, app_password)}"').startswith("OK")
    assert client.cmd("LISTSCRIPTS").startswith("OK")


def test_scram_with_the_right_password_fails_once_two_step_is_on(store: Store) -> None:
    """SCRAM cannot carry an app password; with the account password it worked before and fails after."""

    def mech() -> sasl.Mechanism:
        return sasl.new(sasl.SCRAM_SHA_256, store, ip="192.0.2.1", service="imap", hostname="h")

    assert scram_login(mech(), ALICE, ALICE_PW).account is not None
    turn_on(store)
    with pytest.raises(AuthFailed):
        scram_login(mech(), ALICE, ALICE_PW)
