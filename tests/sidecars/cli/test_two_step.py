"""Two-step sign-in on the console: an account's state, resetting it (and an administrator's), bad input,
and what a delegated administrator may not do."""

from __future__ import annotations

from storage import totp
from storage.second_factor import RECOVERY_CODES
from storage.store import Store
from tests.sidecars.cli.conftest import ALICE, Client, MakeClient, table

DOMAIN_PROMPT, ACCOUNT_PROMPT, TOP = "<domain#> ", "<domain-account#> ", "<#> "
NOW = 1_800_000_000.0


def turn_on(store: Store, *, account: str | None = None, admin: str | None = None) -> None:
    store.second_factors.clock = lambda: NOW
    if account is not None:
        factor = store.second_factors.for_account(store.accounts.get(account).id)
    else:
        assert admin is not None
        factor = store.second_factors.for_admin(admin)
    enrolment = factor.enrol()
    factor.confirm(totp.code_at(enrolment.secret, NOW))


def state_rows(reply: str) -> dict[str, str]:
    return {row[0]: row[1] for row in table(reply)}


def test_status_and_reset_of_an_account(store: Store, admin: Client) -> None:
    turn_on(store, account=ALICE)
    admin.cmd("UPDATE DOMAIN name example.test")
    reply = admin.cmd("TWOSTEP STATUS name alice")
    assert reply.endswith(f"+OK: two-step sign-in of {ALICE} shown\r\n" + DOMAIN_PROMPT)
    assert state_rows(reply) == {
        "account": ALICE,
        "two_step": "on",
        "since": "2027-01-15 08:00 UTC",
        "recovery_codes_left": str(RECOVERY_CODES),
    }
    assert state_rows(admin.cmd("TWOSTEP STATUS name bob"))["two_step"] == "off"
    assert admin.cmd("TWOSTEP RESET name alice@example.test") == (
        f"+OK: two-step sign-in of {ALICE} turned off; its app passwords removed\r\n" + DOMAIN_PROMPT
    )
    account_id = store.accounts.get(ALICE).id
    assert not store.second_factors.for_account(account_id).state().on
    assert admin.cmd("TWOSTEP RESET name alice") == (
        f"+OK: two-step sign-in of {ALICE} was not on\r\n" + DOMAIN_PROMPT
    )


def test_inside_an_account_the_account_is_implied(store: Store, admin: Client) -> None:
    store.second_factors.clock = lambda: NOW
    store.second_factors.for_account(store.accounts.get(ALICE).id).enrol()
    admin.cmd("UPDATE DOMAIN name example.test")
    admin.cmd("UPDATE ACCOUNT name alice")
    reply = admin.cmd("twostep status")
    assert state_rows(reply)["two_step"] == "being set up (waiting for the first code)"
    assert reply.endswith(ACCOUNT_PROMPT)
    assert admin.cmd("TWOSTEP RESET").startswith(f"+OK: two-step sign-in of {ALICE} turned off")
    assert state_rows(admin.cmd("TWOSTEP STATUS"))["two_step"] == "off"
    assert admin.cmd("TWOSTEP STATUS name bob").startswith("-ERR: TWOSTEP STATUS: unknown parameter 'name'")


def test_bad_input(admin: Client) -> None:
    assert admin.cmd("TWOSTEP STATUS").startswith("-ERR: ")  # at the top: not available
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("TWOSTEP STATUS") == ("-ERR: TWOSTEP STATUS: missing parameter name\r\n" + DOMAIN_PROMPT)
    assert admin.cmd("TWOSTEP STATUS name nobody").startswith("-ERR: ")
    assert admin.cmd("TWOSTEP RESET name olga@other.test") == (
        "-ERR: olga@other.test is not an address of domain example.test\r\n" + DOMAIN_PROMPT
    )
    assert admin.cmd("TWOSTEP RESET name").startswith("-ERR: TWOSTEP RESET: parameter 'name' has no value")
    assert admin.cmd("TWOSTEP RESET ADMIN name admin").startswith(
        "-ERR: TWOSTEP RESET ADMIN is not available here"
    )


def test_reset_an_administrator(store: Store, admin: Client) -> None:
    store.for_admin("admin").admins.add("dora", "dorapass12")
    turn_on(store, admin="dora")
    assert admin.cmd("TWOSTEP RESET ADMIN name dora") == (
        "+OK: two-step sign-in of administrator dora turned off\r\n" + TOP
    )
    assert not store.second_factors.for_admin("dora").state().on
    assert admin.cmd("TWOSTEP RESET ADMIN name dora") == (
        "+OK: two-step sign-in of administrator dora was not on\r\n" + TOP
    )
    assert admin.cmd("TWOSTEP RESET ADMIN").startswith("-ERR: TWOSTEP RESET ADMIN: missing parameter name")


def test_delegated_administrator(store: Store, make_client: MakeClient) -> None:
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="none")
    turn_on(store, account=ALICE)
    turn_on(store, account="olga@other.test")
    turn_on(store, admin="admin")
    dora = make_client()
    assert dora.login("dora", "dorapass12").endswith("+OK: logged in as dora\r\n" + TOP)
    assert dora.cmd("TWOSTEP RESET ADMIN name admin").startswith("-ERR: ")
    assert store.second_factors.for_admin("admin").state().on
    assert "TWOSTEP RESET ADMIN" not in dora.cmd("HELP TWOSTEP")
    dora.cmd("UPDATE DOMAIN name example.test")
    assert state_rows(dora.cmd("TWOSTEP STATUS name alice"))["two_step"] == "on"  # reading is allowed
    refused = dora.cmd("TWOSTEP RESET name alice")
    assert refused.startswith("-ERR: ") and "accounts" in refused
    assert store.second_factors.for_account(store.accounts.get(ALICE).id).state().on
    dora.cmd("BACK")
    assert dora.cmd("UPDATE DOMAIN name other.test").startswith("-ERR: ")
    olga = store.accounts.get("olga@other.test").id
    assert store.second_factors.for_account(olga).state().on
