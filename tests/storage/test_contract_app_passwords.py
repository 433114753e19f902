"""App passwords and what two-step sign-in changes for mail programs: the account password refused with a
clear reason, app passwords accepted and their use recorded, revocation at once (also for another
process's cache), no SCRAM or CRAM-MD5 material, WebMail still on the account password."""

from __future__ import annotations

import pytest

from storage import totp
from storage.app_passwords import MAX_PER_ACCOUNT, NEEDS_FACTOR
from storage.errors import AlreadyExists, AppPasswordRequired, AuthFailed, InvalidInput, NotFound
from storage.store import open_store
from tests.storage.conftest import Demo

ALICE = "alice@example.test"
T0 = 1_900_000_005.0


@pytest.fixture
def alice_two_step(demo: Demo) -> Demo:
    demo.store.second_factors.clock = lambda: T0
    factor = demo.store.for_user(demo.alice.id).second_factor
    factor.confirm(totp.code_at(factor.enrol().secret, T0))
    return demo


def refused(demo: Demo, password: str, **kw: str) -> AuthFailed:
    with pytest.raises(AuthFailed) as info:
        demo.store.auth.verify(ALICE, password, **kw)
    return info.value


def test_app_passwords_need_two_step_sign_in(demo: Demo) -> None:
    with pytest.raises(InvalidInput, match=NEEDS_FACTOR):
        demo.store.for_user(demo.alice.id).app_passwords.create("phone")


def test_account_password_refused_for_programs_with_a_reason(alice_two_step: Demo) -> None:
    demo = alice_two_step
    for service in ("imap", "pop3", "smtp", None):
        kw = {"service": service} if service else {}
        error = refused(demo, "pass-alice", **kw)
        assert isinstance(error, AppPasswordRequired) and "app password" in str(error)
        # it counts as a failed login (else the reply would let passwords be tried unthrottled);
        # a WebMail sign-in clears the count
        demo.store.auth.verify(ALICE, "pass-alice", service="webmail")
    wrong = refused(demo, "not-her-password", service="imap")
    assert type(wrong) is AuthFailed  # a wrong password is not told apart from an unknown user
    # WebMail takes the account password (and then asks for the code)
    assert demo.store.auth.verify(ALICE, "pass-alice", service="webmail").id == demo.alice.id


def test_app_password_signs_in_and_records_use(alice_two_step: Demo) -> None:
    demo = alice_two_step
    mine = demo.store.for_user(demo.alice.id).app_passwords
    made = mine.create("  Thunderbird   at home ")
    assert made.name == "Thunderbird at home"
    letters = made.password.replace(" ", "")
    assert len(letters) == 16 and letters.isalpha() and letters.islower()
    listed = mine.list()
    assert [(p.name, p.last_used_at) for p in listed] == [("Thunderbird at home", None)]
    for typed in (made.password, letters, letters.upper(), "-".join(made.password.split())):
        assert demo.store.auth.verify(ALICE, typed, service="imap", ip="192.0.2.44").id == demo.alice.id
    used = mine.list()[0]
    assert used.last_used_at is not None and used.last_used_from == "192.0.2.44"
    demo.store.auth.verify(ALICE, made.password, service="smtp", ip="198.51.100.3")
    assert mine.list()[0].last_used_from == "198.51.100.3"
    # not for WebMail: there the account password and a code are asked for
    refused(demo, made.password, service="webmail")
    # nor for another account
    with pytest.raises(AuthFailed):
        demo.store.auth.verify("bob@example.test", made.password, service="imap")


def test_revoked_app_password_stops_at_once_in_every_process(alice_two_step: Demo, store_url: str) -> None:
    demo = alice_two_step
    made = demo.store.for_user(demo.alice.id).app_passwords.create("phone")
    other = open_store(store_url, demo.store.blobs.root)
    try:
        other.auth.verify(ALICE, made.password, service="imap")
        other.auth.verify(ALICE, made.password, service="imap")  # now in the other process's cache
        demo.store.for_user(demo.alice.id).app_passwords.revoke(made.id)
        with pytest.raises(AuthFailed):
            other.auth.verify(ALICE, made.password, service="imap")
    finally:
        other.close()
    with pytest.raises(NotFound):
        demo.store.for_user(demo.alice.id).app_passwords.revoke(made.id)


def test_revoke_is_per_account(alice_two_step: Demo) -> None:
    demo = alice_two_step
    made = demo.store.for_user(demo.alice.id).app_passwords.create("phone")
    with pytest.raises(NotFound):
        demo.store.for_user(demo.bob.id).app_passwords.revoke(made.id)
    assert demo.store.auth.verify(ALICE, made.password, service="imap").id == demo.alice.id


def test_names_are_checked(alice_two_step: Demo) -> None:
    mine = alice_two_step.store.for_user(alice_two_step.alice.id).app_passwords
    for bad in ("", "   ", "x" * 65, "tab\x00"):
        with pytest.raises(InvalidInput):
            mine.create(bad)
    mine.create("phone")
    with pytest.raises(AlreadyExists):
        mine.create("phone")
    assert mine.count() == 1 and MAX_PER_ACCOUNT >= 10


def test_no_scram_or_cram_material_for_two_step_accounts(alice_two_step: Demo) -> None:
    auth = alice_two_step.store.auth
    assert auth.scram_keys(ALICE) is None
    assert auth.scram_keys("bob@example.test") is not None
    assert auth.shared_secret(ALICE) is None


def test_turning_off_brings_back_the_account_password(alice_two_step: Demo) -> None:
    demo = alice_two_step
    made = demo.store.for_user(demo.alice.id).app_passwords.create("phone")
    demo.store.admins.set_password("admin", "admin-password")
    demo.store.for_admin("admin").second_factors.reset_account(ALICE)
    assert demo.store.auth.verify(ALICE, "pass-alice", service="imap").id == demo.alice.id
    refused(demo, made.password, service="imap")  # app passwords went with the factor
