"""Two-step sign-in in storage, on SQLite and PostgreSQL, with a fixed clock: enrolment, confirmation,
codes (window, replay), recovery codes (once each), the throttle, turning it off, an administrator's reset."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import schema as s
from storage import totp
from storage.adminscope import DomainScope
from storage.errors import AlreadyExists, AuthFailed, InvalidInput, NotFound, Throttled
from storage.second_factor import RECOVERY_CODES
from tests.storage.conftest import Demo

T0 = 1_900_000_005.0  # 5 s into a step


@pytest.fixture
def clock(demo: Demo) -> list[float]:
    now = [T0]
    demo.store.second_factors.clock = lambda: now[0]
    return now


def turn_on(demo: Demo, clock: list[float], account_id: int | None = None) -> tuple[str, list[str]]:
    factor = demo.store.for_user(account_id or demo.alice.id).second_factor
    enrolment = factor.enrol()
    codes = factor.confirm(totp.code_at(enrolment.secret, clock[0]))
    return enrolment.secret, codes


def test_enrol_is_pending_until_confirmed(demo: Demo, clock: list[float]) -> None:
    factor = demo.store.for_user(demo.alice.id).second_factor
    assert not factor.state().on and not factor.state().pending
    enrolment = factor.enrol()
    assert enrolment.uri.startswith(
        "otpauth://totp/example.test:alice@example.test?secret=" + enrolment.secret
    )
    state = factor.state()
    assert state.pending and not state.on
    # pending asks nothing: mail programs still take the account password
    assert demo.store.auth.verify("alice@example.test", "pass-alice", service="imap").id == demo.alice.id
    with pytest.raises(InvalidInput):
        factor.confirm("000000" if totp.code_at(enrolment.secret, T0) != "000000" else "111111")
    generation = demo.store.accounts.by_id(demo.alice.id).password_generation
    codes = factor.confirm(totp.code_at(enrolment.secret, T0))
    assert len(codes) == RECOVERY_CODES == len(set(codes))
    # sessions and login caches made with the password alone end
    assert demo.store.accounts.by_id(demo.alice.id).password_generation == generation + 1
    state = factor.state()
    assert state.on and not state.pending and state.recovery_left == RECOVERY_CODES
    with pytest.raises(AlreadyExists):
        factor.enrol()


def test_enrolling_again_replaces_the_pending_secret(demo: Demo, clock: list[float]) -> None:
    factor = demo.store.for_user(demo.alice.id).second_factor
    first = factor.enrol()
    second = factor.enrol()
    assert first.secret != second.secret
    with pytest.raises(InvalidInput):
        factor.confirm(totp.code_at(first.secret, T0))
    factor.confirm(totp.code_at(second.secret, T0))


def test_secret_sealed_and_recovery_codes_hashed_at_rest(demo: Demo, clock: list[float]) -> None:
    secret, codes = turn_on(demo, clock)
    with demo.store.db.read() as conn:
        sealed = conn.execute(select(s.second_factors.c.sealed_secret)).scalar_one()
        hashes = list(conn.execute(select(s.recovery_codes.c.code_hash)).scalars())
    assert secret not in sealed and demo.store.secret_box.open(sealed) == secret
    assert len(hashes) == RECOVERY_CODES
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in hashes)


def test_code_window_and_replay(demo: Demo, clock: list[float]) -> None:
    secret, _ = turn_on(demo, clock)
    factor = demo.store.for_user(demo.alice.id).second_factor
    # the confirming code's step is used: the same code is refused (replay), also within its window
    with pytest.raises(AuthFailed):
        factor.verify(totp.code_at(secret, T0))
    clock[0] = T0 + 30  # next step
    assert factor.verify(totp.code_at(secret, T0 + 30)).kind == "code"
    with pytest.raises(AuthFailed):  # replay of a used step
        factor.verify(totp.code_at(secret, T0 + 30))
    clock[0] = T0 + 60
    # a phone one step ahead: accepted; afterwards the current (earlier) step is refused
    assert factor.verify(totp.code_at(secret, T0 + 90)).kind == "code"
    with pytest.raises(AuthFailed):
        factor.verify(totp.code_at(secret, T0 + 60))
    clock[0] = T0 + 240
    with pytest.raises(AuthFailed):  # two steps behind: outside the window
        factor.verify(totp.code_at(secret, T0 + 180))
    assert factor.verify(totp.code_at(secret, T0 + 210)).kind == "code"  # one step behind: inside


def test_recovery_code_works_once(demo: Demo, clock: list[float]) -> None:
    _, codes = turn_on(demo, clock)
    factor = demo.store.for_user(demo.alice.id).second_factor
    typed = " " + codes[3].upper().replace("-", " ") + " "
    result = factor.verify(typed, ip="192.0.2.1")
    assert result.kind == "recovery" and result.recovery_left == RECOVERY_CODES - 1
    with pytest.raises(AuthFailed):
        factor.verify(codes[3], ip="192.0.2.1")
    with pytest.raises(AuthFailed):
        factor.verify("aaaaa-bbbbb-ccccc", ip="192.0.2.1")
    assert factor.state().recovery_left == RECOVERY_CODES - 1


def test_one_accounts_codes_do_not_open_another(demo: Demo, clock: list[float]) -> None:
    _, alice_codes = turn_on(demo, clock)
    turn_on(demo, clock, demo.bob.id)
    with pytest.raises(AuthFailed):
        demo.store.for_user(demo.bob.id).second_factor.verify(alice_codes[0])


def test_wrong_codes_are_throttled_with_passwords(demo: Demo, clock: list[float]) -> None:
    secret, _ = turn_on(demo, clock)
    factor = demo.store.for_user(demo.alice.id).second_factor
    right = totp.code_at(secret, T0 + 30)
    wrong = "000000" if right != "000000" else "111111"
    clock[0] = T0 + 30
    throttled = None
    for _ in range(8):
        try:
            factor.verify(wrong, ip="198.51.100.7")
        except AuthFailed:
            continue
        except Throttled as exc:
            throttled = exc
            break
    assert throttled is not None and throttled.retry_after > 0
    with pytest.raises(Throttled):  # the right code waits too, from another address as well
        factor.verify(right, ip="203.0.113.9")
    with pytest.raises(Throttled):  # and so does the password: one count per name
        demo.store.auth.verify("alice@example.test", "pass-alice", service="webmail", ip="203.0.113.9")


def test_disable_needs_a_code_and_takes_app_passwords(demo: Demo, clock: list[float]) -> None:
    secret, codes = turn_on(demo, clock)
    mine = demo.store.for_user(demo.alice.id)
    mine.app_passwords.create("phone")
    with pytest.raises(AuthFailed):
        mine.second_factor.disable("aaaaa-bbbbb-ccccc")
    assert mine.second_factor.state().on
    mine.second_factor.disable(codes[0])
    assert not mine.second_factor.state().on and mine.app_passwords.list() == []
    with pytest.raises(NotFound):
        mine.second_factor.disable(codes[1])
    assert demo.store.auth.verify("alice@example.test", "pass-alice", service="imap").id == demo.alice.id


def test_new_recovery_codes_replace_the_old(demo: Demo, clock: list[float]) -> None:
    secret, old = turn_on(demo, clock)
    factor = demo.store.for_user(demo.alice.id).second_factor
    clock[0] = T0 + 30
    new = factor.new_recovery_codes(totp.code_at(secret, T0 + 30))
    assert len(new) == RECOVERY_CODES and not set(new) & set(old)
    with pytest.raises(AuthFailed):
        factor.verify(old[0])
    assert factor.verify(new[0]).kind == "recovery"


def test_admin_reset_is_scope_checked(demo: Demo, clock: list[float]) -> None:
    turn_on(demo, clock)
    demo.store.domains.add("other.test")
    demo.store.accounts.add("dave@other.test", "pass-dave-long")
    dave = demo.store.accounts.get("dave@other.test")
    turn_on(demo, clock, dave.id)
    demo.store.admins.set_password("admin", "admin-password")
    outsider = demo.store.for_admin("admin", DomainScope.of("example.test")).second_factors
    with pytest.raises(NotFound):
        outsider.reset_account("dave@other.test")
    with pytest.raises(NotFound):
        outsider.account_state("dave@other.test")
    assert demo.store.for_user(dave.id).second_factor.state().on
    assert outsider.account_state("alice@example.test").on
    assert outsider.reset_account("alice@example.test") is True
    assert not demo.store.for_user(demo.alice.id).second_factor.state().on
    assert demo.store.for_admin("admin").second_factors.reset_account("dave@other.test") is True


def test_administrators_own_factor(demo: Demo, clock: list[float]) -> None:
    demo.store.admins.set_password("admin", "admin-password")
    demo.store.admins.set_password("helper", "helper-password")
    mine = demo.store.for_admin("helper").second_factors.mine()
    enrolment = mine.enrol()
    assert "Fieldpost%20WebAdmin:helper" in enrolment.uri
    codes = mine.confirm(totp.code_at(enrolment.secret, T0))
    assert mine.verify(codes[0]).kind == "recovery"
    # an account's factor is not the administrator's
    assert not demo.store.for_user(demo.alice.id).second_factor.state().on
    with pytest.raises(Exception):  # noqa: B017,PT011 - PermissionDenied for a delegated admin
        demo.store.for_admin("helper", DomainScope.of("example.test")).second_factors.reset_admin("admin")
    assert demo.store.for_admin("admin").second_factors.reset_admin("helper") is True
    assert not demo.store.second_factors.for_admin("helper").state().on
