"""sidecars.sasl against a real SQLite store, with the client side of each mechanism computed here."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecars import sasl
from storage import open_store, passwords
from storage.errors import AuthFailed, Throttled
from storage.store import Store

ALICE = "alice@example.test"
ALICE_PW = "alicepass1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    st.domains.add("example.test")
    st.accounts.add(ALICE, ALICE_PW)
    yield st
    st.close()


def mech(store: Store, name: str, ip: str = "192.0.2.1") -> sasl.Mechanism:
    return sasl.new(name, store, ip=ip, service="smtp", hostname="mx.example.test")


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def scram_login(m: sasl.Mechanism, user: str, password: str, *, gs2: str = "n,,") -> sasl.Step:
    """The client half of RFC 5802 with SHA-256 (RFC 7677), checking the server's signature too."""
    first_bare = f"n={user},r=rOprNGfwEbeRWgbNEkqO"
    step = m.start(f"{gs2}{first_bare}".encode())
    assert not step.done and step.challenge is not None
    server_first = step.challenge.decode()
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    assert attrs["r"].startswith("rOprNGfwEbeRWgbNEkqO") and len(attrs["r"]) > 20
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = _hmac(salted, b"Client Key")
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = f"c={base64.b64encode(gs2.encode()).decode()},r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    proof = bytes(a ^ b for a, b in zip(client_key, _hmac(stored_key, auth_message), strict=True))
    final = m.step(f"{without_proof},p={base64.b64encode(proof).decode()}".encode())
    server_sig = _hmac(_hmac(salted, b"Server Key"), auth_message)
    assert final.challenge == b"v=" + base64.b64encode(server_sig)
    return final


def test_offered_hides_plaintext_mechanisms_without_tls() -> None:
    assert sasl.offered(False, False, False) == ["SCRAM-SHA-256"]
    assert sasl.offered(True, False, False) == ["SCRAM-SHA-256", "PLAIN", "LOGIN"]
    assert sasl.offered(False, True, True) == ["SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"]


def test_unknown_mechanism(store: Store) -> None:
    with pytest.raises(sasl.UnknownMechanism):
        mech(store, "GSSAPI")


def test_plain_with_initial_response(store: Store) -> None:
    step = mech(store, "PLAIN").start(f"\0{ALICE}\0{ALICE_PW}".encode())
    assert step.done and step.account is not None and step.account.address == ALICE


def test_plain_without_initial_response_asks_with_empty_challenge(store: Store) -> None:
    m = mech(store, "plain")
    assert m.start(None) == sasl.Step(b"", False)
    step = m.step(f"{ALICE}\0{ALICE}\0{ALICE_PW}".encode())
    assert step.done and step.account is not None


@pytest.mark.parametrize(
    "message",
    [
        f"\0{ALICE}\0wrongpass1".encode(),
        f"bob@example.test\0{ALICE}\0{ALICE_PW}".encode(),  # acting as someone else
        f"{ALICE}\0{ALICE_PW}".encode(),  # missing field
        b"\0nobody@example.test\0whatever1",
        b"\xff\xfe\0x\0y",
    ],
)
def test_plain_refusals(store: Store, message: bytes) -> None:
    with pytest.raises(AuthFailed):
        mech(store, "PLAIN").start(message)


def test_login(store: Store) -> None:
    m = mech(store, "LOGIN")
    assert m.start(None) == sasl.Step(b"Username:", False)
    assert m.step(ALICE.encode()) == sasl.Step(b"Password:", False)
    step = m.step(ALICE_PW.encode())
    assert step.done and step.account is not None and step.account.address == ALICE


def test_login_with_initial_user_name_and_wrong_password(store: Store) -> None:
    m = mech(store, "LOGIN")
    assert m.start(ALICE.encode()).challenge == b"Password:"
    with pytest.raises(AuthFailed):
        m.step(b"not-the-password")


def test_scram_sha_256_full_exchange(store: Store) -> None:
    step = scram_login(mech(store, "SCRAM-SHA-256"), ALICE, ALICE_PW)
    assert step.done and step.account is not None and step.account.address == ALICE


def test_scram_accepts_client_that_could_bind_but_thinks_we_cannot(store: Store) -> None:
    step = scram_login(mech(store, "SCRAM-SHA-256"), ALICE, ALICE_PW, gs2="y,,")
    assert step.done


def test_scram_wrong_password_fails_at_the_proof(store: Store) -> None:
    with pytest.raises(AuthFailed):
        scram_login(mech(store, "SCRAM-SHA-256"), ALICE, "wrongpass1")


def test_scram_unknown_user_gets_a_plausible_first_message(store: Store) -> None:
    m = mech(store, "SCRAM-SHA-256")
    challenge = m.start(b"n,,n=nobody@example.test,r=abcdefgh").challenge
    assert challenge is not None and b",s=" in challenge and challenge.endswith(b",i=4096")
    with pytest.raises(AuthFailed):
        m.step(b"c=biws,r=" + challenge.split(b",")[0][2:] + b",p=" + base64.b64encode(b"x" * 32))


@pytest.mark.parametrize(
    "first",
    [
        b"p=tls-server-end-point,,n=alice@example.test,r=abc",  # channel binding is refused
        b"n,,r=abc",
        b"n,,n=alice@example.test",
        b"n,a=bob@example.test,n=alice@example.test,r=abc",
        b"garbage",
    ],
)
def test_scram_malformed_or_refused_first_messages(store: Store, first: bytes) -> None:
    with pytest.raises(AuthFailed):
        mech(store, "SCRAM-SHA-256").start(first)


def test_scram_nonce_must_be_echoed(store: Store) -> None:
    m = mech(store, "SCRAM-SHA-256")
    m.start(f"n,,n={ALICE},r=abc".encode())
    with pytest.raises(AuthFailed):
        m.step(b"c=biws,r=abcOTHER,p=" + base64.b64encode(b"x" * 32))


def test_cram_md5_needs_a_stored_secret(store: Store) -> None:
    m = mech(store, "CRAM-MD5")
    challenge = m.start(None).challenge
    assert challenge is not None and challenge.startswith(b"<") and challenge.endswith(b"@mx.example.test>")
    digest = passwords.cram_md5_digest(ALICE_PW, challenge)
    with pytest.raises(AuthFailed):  # no secret kept: auth.allow_cram was off when the password was set
        m.step(f"{ALICE} {digest}".encode())


def test_cram_md5_with_secret(store: Store) -> None:
    store.settings.set("auth.allow_cram", True)
    store.accounts.set_password(ALICE, "cramsecret1")
    m = mech(store, "CRAM-MD5")
    challenge = m.start(None).challenge
    assert challenge is not None
    step = m.step(f"{ALICE} {passwords.cram_md5_digest('cramsecret1', challenge)}".encode())
    assert step.done and step.account is not None and step.account.address == ALICE
    m2 = mech(store, "CRAM-MD5")
    m2.start(None)
    with pytest.raises(AuthFailed):
        m2.step(f"{ALICE} {'0' * 32}".encode())


def test_disabled_service_is_refused(store: Store) -> None:
    store.settings.set("services.smtp", False, account=ALICE)
    with pytest.raises(AuthFailed):
        mech(store, "PLAIN").start(f"\0{ALICE}\0{ALICE_PW}".encode())
    with pytest.raises(AuthFailed):
        scram_login(mech(store, "SCRAM-SHA-256"), ALICE, ALICE_PW)


def test_repeated_failures_are_throttled_for_every_mechanism(store: Store) -> None:
    for _ in range(5):
        with contextlib.suppress(AuthFailed, Throttled):
            mech(store, "PLAIN", ip="198.51.100.7").start(f"\0{ALICE}\0badpass12".encode())
    with pytest.raises(Throttled):
        mech(store, "PLAIN", ip="198.51.100.7").start(f"\0{ALICE}\0{ALICE_PW}".encode())
    with pytest.raises(Throttled):
        mech(store, "SCRAM-SHA-256", ip="198.51.100.7").start(f"n,,n={ALICE},r=abc".encode())


GATE_PROBE = """
from gevent import monkey
monkey.patch_all()
import threading, time
import gevent
from sidecars import sasl

lock, running, most = threading.Lock(), [0], [0]
real_sleep = monkey.get_original("time", "sleep")

def check():
    with lock:
        running[0] += 1
        most[0] = max(most[0], running[0])
    real_sleep(0.05)  # a password check holds its thread (and argon2's memory) this long
    with lock:
        running[0] -= 1
    return True

gevent.joinall([gevent.spawn(sasl._blocking, check) for _ in range(12)], raise_error=True)
print(most[0])
"""


def test_a_burst_of_password_checks_runs_at_most_the_cap_at_once() -> None:
    """In a gevent server, logins arriving together do not all run argon2 at once (64 MiB each)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", GATE_PROBE], capture_output=True, text=True, cwd=root, timeout=60, check=True
    )
    assert int(out.stdout.strip()) == sasl.PASSWORD_CHECKS_AT_ONCE
