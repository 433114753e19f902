"""``fieldpost two-step ...`` through the command's own ``main()``: an account's state shown, a lost
factor reset (app passwords with it), and the administrator locked out by a lost phone set free."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fieldpost import config as configuration
from fieldpost.cli import main
from storage import open_store, totp
from tests.fieldpost.conftest import needs_storage

pytestmark = needs_storage

ALICE = "alice@example.test"


def test_status_and_reset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"

    def fp(*args: str) -> str:
        capsys.readouterr()
        assert main([*args, "--data", str(data)]) == 0
        return capsys.readouterr().out

    fp("init", "--admin-password", "adminpass1", "--hostname", "mail.example.test")
    fp("domain", "add", "example.test")
    fp("account", "add", ALICE, "--password", "alicepass1")
    assert fp("two-step", "status", ALICE).strip() == f"{ALICE}: off"
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        now = time.time()
        alice = store.accounts.get(ALICE)
        factor = store.for_user(alice.id).second_factor
        factor.confirm(totp.code_at(factor.enrol().secret, now))
        store.for_user(alice.id).app_passwords.create("phone")
        mine = store.for_admin("admin").second_factors.mine()
        mine.confirm(totp.code_at(mine.enrol().secret, now))
        assert "10 recovery codes left" in fp("two-step", "status", ALICE)
        assert fp("two-step", "reset", ALICE).strip() == f"{ALICE}: two-step sign-in reset"
        assert not factor.state().on and store.for_user(alice.id).app_passwords.list() == []
        assert fp("two-step", "reset", ALICE).strip() == f"{ALICE}: two-step sign-in was not on"
        assert "reset" in fp("two-step", "reset-admin", "admin")
        assert not mine.state().on
    finally:
        store.close()
    with pytest.raises(SystemExit) as exited:
        fp("two-step", "status", "nobody@nowhere.test")
    assert exited.value.code == 1
