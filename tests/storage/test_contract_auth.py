"""Login verification as every protocol uses it: passwords, the cache, switches, throttling, SCRAM and the
CRAM-MD5/APOP secret, and the promise that no password is ever stored in clear text."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import passwords
from storage import schema as s
from storage.errors import AuthFailed, InvalidInput, Throttled
from storage.store import open_store
from tests.storage.conftest import Demo

ALICE = "alice@example.test"
BOB = "bob@example.test"


def refusal(demo: Demo, address: str, password: str, **kw: str) -> str:
    with pytest.raises(AuthFailed) as info:
        demo.store.auth.verify(address, password, **kw)
    assert type(info.value) is AuthFailed
    return str(info.value)


def test_verify_ok_returns_account(demo: Demo) -> None:
    account = demo.store.auth.verify(ALICE, "pass-alice")
    assert account.id == demo.alice.id and account.address == ALICE
    assert demo.store.auth.verify("  Alice@EXAMPLE.test ", "pass-alice").id == demo.alice.id


def test_wrong_password_and_unknown_user_look_the_same(demo: Demo) -> None:
    wrong = refusal(demo, ALICE, "pass-bob")
    unknown = refusal(demo, "nobody@example.test", "pass-alice")
    no_domain = refusal(demo, "alice@nowhere.test", "pass-alice")
    malformed = refusal(demo, "not an address", "pass-alice")
    assert wrong == unknown == no_domain == malformed
    assert "alice" not in wrong.lower() and "nobody" not in unknown.lower()


def test_password_is_case_sensitive(demo: Demo) -> None:
    refusal(demo, ALICE, "PW-ALICE")


def test_account_without_password_cannot_log_in(demo: Demo) -> None:
    demo.store.accounts.add("nopw@example.test", None)
    refusal(demo, "nopw@example.test", "")
    refusal(demo, "nopw@example.test", "anything")


def test_password_change_invalidates_cache_immediately(demo: Demo) -> None:
    auth = demo.store.auth
    auth.verify(ALICE, "pass-alice")
    auth.verify(ALICE, "pass-alice")  # now answered from the cache
    demo.store.accounts.set_password(ALICE, "brand-new-pw")
    refusal(demo, ALICE, "pass-alice")
    assert auth.verify(ALICE, "brand-new-pw").id == demo.alice.id


def test_password_change_in_another_process_invalidates_this_cache(
    demo: Demo, store_url: str, blob_dir: Path
) -> None:
    """Two Store objects stand for two processes: each has its own cache."""
    other = open_store(store_url, blob_dir)
    try:
        assert other.auth.verify(ALICE, "pass-alice").id == demo.alice.id  # cached over there
        demo.store.accounts.set_password(ALICE, "changed-elsewhere")
        with pytest.raises(AuthFailed):
            other.auth.verify(ALICE, "pass-alice")
        assert other.auth.verify(ALICE, "changed-elsewhere").id == demo.alice.id
    finally:
        other.close()


def test_disabled_account_fails_with_right_password(demo: Demo) -> None:
    demo.store.auth.verify(BOB, "pass-bob")  # cached: the switch must still apply
    demo.store.accounts.set_enabled(BOB, False)
    assert refusal(demo, BOB, "pass-bob") == refusal(demo, BOB, "wrong")
    demo.store.accounts.set_enabled(BOB, True)
    assert demo.store.auth.verify(BOB, "pass-bob").id == demo.bob.id


def test_service_switch_via_settings(demo: Demo) -> None:
    store = demo.store
    assert store.auth.verify(ALICE, "pass-alice", service="imap").id == demo.alice.id
    store.settings.set("services.imap", False, account=ALICE)
    refusal(demo, ALICE, "pass-alice", service="imap")
    assert store.auth.verify(ALICE, "pass-alice", service="pop3").id == demo.alice.id
    assert store.auth.verify(BOB, "pass-bob", service="imap").id == demo.bob.id
    store.settings.set("services.pop3", False, domain="example.test")
    refusal(demo, BOB, "pass-bob", service="pop3")
    store.settings.set("services.pop3", True, account=BOB)  # the account overrides its domain
    assert store.auth.verify(BOB, "pass-bob", service="pop3").id == demo.bob.id
    store.settings.clear("services.imap", account=ALICE)
    assert store.auth.verify(ALICE, "pass-alice", service="imap").id == demo.alice.id


def test_unknown_service_is_a_programming_error(demo: Demo) -> None:
    with pytest.raises(InvalidInput):
        demo.store.auth.verify(ALICE, "pass-alice", service="gopher")


def test_throttled_after_repeated_failures(demo: Demo) -> None:
    auth = demo.store.auth
    throttled = None
    for _ in range(8):
        try:
            auth.verify(ALICE, "guess", ip="198.51.100.7")
        except AuthFailed:
            continue
        except Throttled as exc:
            throttled = exc
            break
    assert throttled is not None, "eight wrong passwords in a row were never throttled"
    assert throttled.retry_after > 0
    with pytest.raises(Throttled):  # the right password does not get through while throttled
        auth.verify(ALICE, "pass-alice", ip="203.0.113.5")
    assert auth.verify(BOB, "pass-bob", ip="203.0.113.5").id == demo.bob.id  # other accounts unaffected


def test_throttled_per_client_address(demo: Demo) -> None:
    auth = demo.store.auth
    attacker = "198.51.100.99"
    hit = False
    for n in range(8):
        try:
            auth.verify(f"user{n}@example.test", "guess", ip=attacker)
        except AuthFailed:
            continue
        except Throttled:
            hit = True
            break
    assert hit, "an address guessing many accounts was never throttled"
    with pytest.raises(Throttled):
        auth.verify(ALICE, "pass-alice", ip=attacker)
    assert auth.verify(ALICE, "pass-alice", ip="192.0.2.1").id == demo.alice.id


def test_success_before_threshold_resets_account_failures(demo: Demo) -> None:
    auth = demo.store.auth
    for _ in range(3):
        with pytest.raises(AuthFailed):
            auth.verify(ALICE, "guess")
    auth.verify(ALICE, "pass-alice")
    for _ in range(3):
        with pytest.raises(AuthFailed):
            auth.verify(ALICE, "guess")  # a fresh allowance after the success


# -- SCRAM --------------------------------------------------------------------------------------------


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def client_proof(password: str, keys: passwords.ScramKeys, auth_message: bytes) -> tuple[bytes, bytes]:
    """What a SCRAM-SHA-256 client computes (RFC 5802 section 3): (ClientProof, expected ServerSignature)."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), keys.salt, keys.iterations)
    client_key = _hmac(salted, b"Client Key")
    signature = _hmac(hashlib.sha256(client_key).digest(), auth_message)
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    return proof, _hmac(_hmac(salted, b"Server Key"), auth_message)


def test_scram_keys_work_with_a_client_computation(demo: Demo) -> None:
    keys = demo.store.auth.scram_keys(ALICE)
    assert keys is not None and keys.iterations >= 4096 and len(keys.salt) >= 16
    auth_message = (
        b"n=alice@example.test,r=fyko+d2lbbFgONRv9qkxdawL,"
        b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=" + keys.salt.hex().encode() + b",i=4096,"
        b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
    )
    proof, server_signature = client_proof("pass-alice", keys, auth_message)
    assert passwords.verify_scram_client_proof(keys, auth_message, proof)
    assert passwords.scram_server_signature(keys, auth_message) == server_signature
    wrong, _ = client_proof("pass-bob", keys, auth_message)
    assert not passwords.verify_scram_client_proof(keys, auth_message, wrong)
    assert not passwords.verify_scram_client_proof(keys, auth_message + b"x", proof)


def test_scram_keys_follow_password_changes(demo: Demo) -> None:
    before = demo.store.auth.scram_keys(BOB)
    demo.store.accounts.set_password(BOB, "another-one")
    after = demo.store.auth.scram_keys(BOB)
    assert before is not None and after is not None
    assert after.salt != before.salt and after.stored_key != before.stored_key
    proof, _ = client_proof("another-one", after, b"am")
    assert passwords.verify_scram_client_proof(after, b"am", proof)


def test_scram_keys_absent_for_unknown_or_passwordless(demo: Demo) -> None:
    demo.store.accounts.add("nopw@example.test", None)
    assert demo.store.auth.scram_keys("nopw@example.test") is None
    assert demo.store.auth.scram_keys("ghost@example.test") is None
    assert demo.store.auth.scram_keys("garbage") is None


def test_same_password_gives_different_stored_material(demo: Demo) -> None:
    store = demo.store
    store.accounts.add("twin1@example.test", "same-password-1")
    store.accounts.add("twin2@example.test", "same-password-1")
    with store.db.read() as conn:
        rows = conn.execute(
            select(s.accounts.c.password_hash, s.accounts.c.scram_keys).where(
                s.accounts.c.local_part.in_(["twin1", "twin2"])
            )
        ).all()
    assert rows[0].password_hash != rows[1].password_hash
    assert rows[0].scram_keys != rows[1].scram_keys


# -- nothing in clear text ----------------------------------------------------------------------------


def test_no_clear_text_password_anywhere_in_the_database(demo: Demo) -> None:
    store = demo.store
    secret = f"Clear-{uuid.uuid4().hex[:12]}"
    admin_secret = f"Admin-{uuid.uuid4().hex[:12]}"
    store.settings.set("auth.allow_cram", True, domain="example.test")  # the weakest setting there is
    store.accounts.add("dave@example.test", secret)
    store.accounts.set_password(BOB, secret)
    store.admins.set_password("root", admin_secret)
    assert store.auth.verify("dave@example.test", secret)
    assert store.auth.shared_secret("dave@example.test") == secret  # it can be recovered, but sealed
    needles = [secret, admin_secret, "pass-alice", "pass-bob", "pass-carol"]
    with store.db.read() as conn:
        cells = [
            (table.name, column, value)
            for table in s.metadata.sorted_tables
            for row in conn.execute(select(table)).all()
            for column, value in row._mapping.items()
        ]
    assert any(t == "accounts" for t, _, _ in cells) and any(t == "admins" for t, _, _ in cells)
    for name in needles:
        for table_name, column, value in cells:
            if isinstance(value, bytes):
                assert name.encode() not in value, (table_name, column)
            elif isinstance(value, str):
                assert name not in value, (table_name, column)
    with store.db.read() as conn:
        row = conn.execute(
            select(s.accounts.c.password_hash, s.accounts.c.sealed_secret).where(
                s.accounts.c.local_part == "dave"
            )
        ).one()
    assert row.password_hash.startswith("$argon2id$")
    assert row.sealed_secret and secret not in row.sealed_secret


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_no_clear_text_in_sqlite_files(demo: Demo, store_url: str) -> None:
    """The embedded database's files, WAL included (the row check above covers PostgreSQL)."""
    secret = f"Clear-{uuid.uuid4().hex[:12]}"
    demo.store.accounts.add("erin@example.test", secret)
    db_path = Path(store_url.removeprefix("sqlite:///"))
    for path in db_path.parent.glob(db_path.name + "*"):
        assert secret.encode() not in path.read_bytes(), path.name


# -- CRAM-MD5 / APOP ----------------------------------------------------------------------------------


def test_shared_secret_only_when_domain_allows_cram(demo: Demo) -> None:
    store = demo.store
    assert store.auth.shared_secret(ALICE) is None
    store.accounts.set_password(ALICE, "pass-alice-2")
    assert store.auth.shared_secret(ALICE) is None  # still off: nothing reversible is kept

    store.settings.set("auth.allow_cram", True, domain="example.test")
    assert store.auth.shared_secret(BOB) is None  # set before the switch: no secret until the next change
    store.accounts.set_password(BOB, "pass-bob-2")
    assert store.auth.shared_secret(BOB) == "pass-bob-2"
    store.accounts.add("dave@example.test", "pass-dave")
    assert store.auth.shared_secret("dave@example.test") == "pass-dave"
    challenge = b"<1896.697170952@example.test>"
    expected = hmac.new(b"pass-bob-2", challenge, hashlib.md5).hexdigest()
    assert passwords.cram_md5_digest(store.auth.shared_secret(BOB) or "", challenge) == expected

    store.domains.add("strict.test")
    store.accounts.add("frank@strict.test", "pass-frank")
    assert store.auth.shared_secret("frank@strict.test") is None

    store.settings.set("auth.allow_cram", False, domain="example.test")
    store.accounts.set_password(BOB, "pass-bob-3")
    assert store.auth.shared_secret(BOB) is None  # switched off again: the secret goes on the next change
    assert store.auth.shared_secret("ghost@example.test") is None
