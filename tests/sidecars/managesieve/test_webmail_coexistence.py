"""A script a user uploads over ManageSieve and WebMail's rules (filters.user_rules) live side by side:
WebMail never overwrites, renames or deactivates the user's script, and never overwrites its own script
once a ManageSieve client changed it, unless the user says so (then the change is kept under a new
name)."""

from __future__ import annotations

import pytest

from filters.user_rules import SCRIPT_NAME, Condition, OutOfOffice, Rule, ScriptEdited, UserFilters
from storage.store import Store
from tests.sidecars.managesieve.conftest import ALICE, MakeClient

MINE = 'require "fileinto";\r\nif header :contains "subject" "[list]" { fileinto "Lists"; }\r\n'
RULE = Rule("boss", (Condition("from", "contains", "boss@"),), "flag")


def literal(text: str) -> str:
    return f"{{{len(text.encode())}+}}\r\n{text}"


def getscript(client, name: str) -> str:  # type: ignore[no-untyped-def]
    reply = client.cmd(f'GETSCRIPT "{name}"')
    assert reply.endswith('OK "GETSCRIPT completed"\r\n'), reply
    return str(reply.split("\r\n", 1)[1].rsplit("\r\nOK", 1)[0])


@pytest.fixture
def filters(store: Store) -> UserFilters:
    return UserFilters(store.for_user(store.accounts.get(ALICE).id))


def test_a_managesieve_script_survives_webmail_rule_changes(
    make_client: MakeClient, filters: UserFilters
) -> None:
    client = make_client()
    assert client.login().startswith("OK")
    assert client.cmd(f'PUTSCRIPT "mine" {literal(MINE)}').startswith("OK")
    assert client.cmd('SETACTIVE "mine"').startswith("OK")

    state = filters.save_rules([RULE])
    state = filters.save_out_of_office(OutOfOffice(True, "Away", "", "Back soon."))
    assert state.exists and not state.edited and state.active_script == "mine" and not state.in_force
    assert state.data.rules[0].name == "boss"

    assert getscript(client, "mine") == MINE
    assert client.cmd("LISTSCRIPTS") == f'"mine" ACTIVE\r\n"{SCRIPT_NAME}"\r\nOK "LISTSCRIPTS completed"\r\n'

    state = filters.activate()  # the user chose WebMail's rules on the settings page
    assert state.in_force
    assert getscript(client, "mine") == MINE  # kept, inactive
    assert client.cmd("LISTSCRIPTS") == f'"mine"\r\n"{SCRIPT_NAME}" ACTIVE\r\nOK "LISTSCRIPTS completed"\r\n'


def test_webmail_activates_its_script_when_none_is_active(filters: UserFilters) -> None:
    state = filters.save_rules([RULE])
    assert state.in_force and state.active_script == SCRIPT_NAME


def test_an_edit_over_managesieve_is_never_overwritten_silently(
    make_client: MakeClient, filters: UserFilters
) -> None:
    filters.save_rules([RULE])
    client = make_client()
    client.login()
    edited = getscript(client, SCRIPT_NAME) + 'if header :contains "subject" "x" { discard; }\r\n'
    assert client.cmd(f'PUTSCRIPT "{SCRIPT_NAME}" {literal(edited)}').startswith("OK")

    state = filters.state()
    assert state.edited and state.data.rules == (RULE,)
    with pytest.raises(ScriptEdited):
        filters.save_rules([])
    assert getscript(client, SCRIPT_NAME) == edited

    state = filters.save_rules([], replace_edited=True)
    assert not state.edited and state.data.rules == () and state.in_force
    listing = client.cmd("LISTSCRIPTS")
    (copy,) = [
        line.strip('"') for line in listing.split("\r\n") if line.startswith(f'"{SCRIPT_NAME}-edited-')
    ]
    assert getscript(client, copy) == edited
