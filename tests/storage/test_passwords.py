"""Tests for storage.passwords: argon2id, SASLprep, SCRAM-SHA-256 keys, SecretBox, CRAM-MD5 and APOP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
import threading
from pathlib import Path

import argon2
import pytest

from storage.passwords import (
    ScramKeys,
    SecretBox,
    apop_digest,
    cram_md5_digest,
    derive_scram_keys,
    hash_password,
    needs_rehash,
    saslprep,
    scram_server_signature,
    verify_password,
    verify_scram_client_proof,
)

# ----------------------------------------------------------------------------------------- argon2id


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password("correct horse battery staple")


def test_hash_is_argon2id_phc_string(stored: str) -> None:
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_hash_is_salted() -> None:
    assert hash_password("same") != hash_password("same")


def test_verify_right_and_wrong_password(stored: str) -> None:
    assert verify_password(stored, "correct horse battery staple") is True
    assert verify_password(stored, "correct horse battery stapler") is False
    assert verify_password(stored, "") is False


@pytest.mark.parametrize(
    "bad",
    ["", "plaintext", "$argon2id$", "$argon2id$v=19$m=65536,t=3,p=4$bm9wZQ$bm9wZQ", "{SHA512-CRYPT}$6$x$y"],
)
def test_verify_malformed_hash_is_false(bad: str) -> None:
    assert verify_password(bad, "anything") is False


def test_verify_never_raises_on_odd_input(stored: str) -> None:
    assert verify_password(stored, "\ud800") is False
    assert verify_password(None, "x") is False  # type: ignore[arg-type]


def test_non_ascii_password(stored: str) -> None:
    h = hash_password("pässwörd ✓")
    assert verify_password(h, "pässwörd ✓")
    assert not verify_password(h, "passwort")


def test_needs_rehash(stored: str) -> None:
    assert needs_rehash(stored) is False
    weaker = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert verify_password(weaker, "pw")  # old hashes keep working ...
    assert needs_rehash(weaker) is True  # ... and are flagged for upgrade
    argon2i = argon2.PasswordHasher(type=argon2.Type.I).hash("pw")
    assert needs_rehash(argon2i) is True
    assert needs_rehash("garbage") is True


# ----------------------------------------------------------------------------------------- SASLprep


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("I\u00adX", "IX"),  # RFC 4013 section 3, example 1: SOFT HYPHEN mapped to nothing
        ("user", "user"),  # 2: no transformation
        ("USER", "USER"),  # 3: case preserved
        ("\u00aa", "a"),  # 4: NFKC
        ("\u2168", "IX"),  # 5: NFKC
        ("a\u00a0b", "a b"),  # non-ASCII space mapped to SPACE
        ("a\u200bb", "ab"),  # ZERO WIDTH SPACE mapped to nothing
        ("\u0627\u0031\u0628", "\u0627\u0031\u0628"),  # RandALCat at both ends is fine
        ("", ""),
    ],
)
def test_saslprep_mapping(given: str, expected: str) -> None:
    assert saslprep(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "\u0007",  # RFC 4013 section 3, example 6: prohibited (control character)
        "\u0627\u0031",  # 7: bidi rule violated (does not end with RandALCat)
        "a\u0627",  # mixes LCat and RandALCat
        "a\ue000",  # private use
        "\ud800",  # surrogate
        "\U000e0001",  # tagging character
        "a\u0221",  # unassigned in Unicode 3.2 (stored strings)
    ],
)
def test_saslprep_rejects(given: str) -> None:
    with pytest.raises(ValueError):
        saslprep(given)


def test_saslprep_unassigned_allowed_for_queries() -> None:
    assert saslprep("a\u0221", allow_unassigned=True) == "a\u0221"


# ----------------------------------------------------------------------------------------- SCRAM

# RFC 7677 section 3.
RFC7677_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC7677_AUTH_MESSAGE = b",".join(
    [
        b"n=user,r=rOprNGfwEbeRWgbNEkqO",  # client-first-message-bare of "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    ]
)
RFC7677_PROOF = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
RFC7677_SERVER_SIGNATURE = base64.b64decode("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


def _client_proof(password: str, salt: bytes, iterations: int, auth_message: bytes) -> bytes:
    """What a client computes (RFC 5802 section 3), written independently of the server code."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    return bytes(a ^ b for a, b in zip(client_key, signature, strict=True))


@pytest.fixture(scope="module")
def pencil() -> ScramKeys:
    return derive_scram_keys("pencil", RFC7677_SALT, 4096)


def test_rfc7677_vector_client_proof(pencil: ScramKeys) -> None:
    assert _client_proof("pencil", RFC7677_SALT, 4096, RFC7677_AUTH_MESSAGE) == RFC7677_PROOF
    assert verify_scram_client_proof(pencil, RFC7677_AUTH_MESSAGE, RFC7677_PROOF) is True


def test_rfc7677_vector_server_signature(pencil: ScramKeys) -> None:
    assert scram_server_signature(pencil, RFC7677_AUTH_MESSAGE) == RFC7677_SERVER_SIGNATURE


def test_scram_rejects_bad_proofs(pencil: ScramKeys) -> None:
    tampered = bytes([RFC7677_PROOF[0] ^ 1]) + RFC7677_PROOF[1:]
    assert not verify_scram_client_proof(pencil, RFC7677_AUTH_MESSAGE, tampered)
    assert not verify_scram_client_proof(pencil, RFC7677_AUTH_MESSAGE + b"x", RFC7677_PROOF)
    assert not verify_scram_client_proof(pencil, RFC7677_AUTH_MESSAGE, RFC7677_PROOF[:-1])
    assert not verify_scram_client_proof(pencil, RFC7677_AUTH_MESSAGE, b"")
    wrong = _client_proof("pencil2", RFC7677_SALT, 4096, RFC7677_AUTH_MESSAGE)
    assert not verify_scram_client_proof(pencil, RFC7677_AUTH_MESSAGE, wrong)


def test_scram_text_round_trip(pencil: ScramKeys) -> None:
    text = pencil.to_text()
    assert text.startswith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")
    assert ScramKeys.from_text(text) == pencil


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "SCRAM-SHA-1$4096:c2FsdA==$AAAA:AAAA",
        "SCRAM-SHA-256$4096:c2FsdA==",
        "SCRAM-SHA-256$x:c2FsdA==$" + "A" * 44 + ":" + "A" * 44,
        "SCRAM-SHA-256$4096:c2FsdA==$" + "A" * 44,
        "SCRAM-SHA-256$4096:!!!$" + "A" * 43 + "=:" + "A" * 43 + "=",
        "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",  # keys too short
        "SCRAM-SHA-256$0:c2FsdA==$" + "A" * 43 + "=:" + "A" * 43 + "=",
        "SCRAM-SHA-256$4096:$" + "A" * 43 + "=:" + "A" * 43 + "=",  # empty salt
    ],
)
def test_scram_from_text_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        ScramKeys.from_text(bad)


def test_derive_scram_keys_defaults() -> None:
    keys = derive_scram_keys("pencil")
    assert keys.iterations == 4096
    assert len(keys.salt) == 16
    assert keys.salt != derive_scram_keys("pencil").salt


def test_derive_scram_keys_saslpreps_password() -> None:
    salt = b"0123456789abcdef"
    assert derive_scram_keys("I\u00adX", salt) == derive_scram_keys("IX", salt)
    assert derive_scram_keys("\u2168", salt) == derive_scram_keys("IX", salt)
    with pytest.raises(ValueError):
        derive_scram_keys("bad\u0007", salt)


def test_derive_scram_keys_rejects_low_iteration_count() -> None:
    with pytest.raises(ValueError):
        derive_scram_keys("pencil", iterations=1000)


def test_scram_keys_are_frozen(pencil: ScramKeys) -> None:
    with pytest.raises(AttributeError):
        pencil.iterations = 1  # type: ignore[misc]


# ----------------------------------------------------------------------------------------- SecretBox


def test_secretbox_round_trip() -> None:
    box = SecretBox(os.urandom(32))
    token = box.seal("tanstaaftanstaaf ✓")
    assert "tanstaaf" not in token
    assert token.isascii()
    assert box.open(token) == "tanstaaftanstaaf ✓"
    assert box.seal("x") != box.seal("x")  # random IV


def test_secretbox_rejects_foreign_or_tampered_tokens() -> None:
    box = SecretBox(os.urandom(32))
    token = SecretBox(os.urandom(32)).seal("secret")
    with pytest.raises(ValueError):
        box.open(token)
    good = box.seal("secret")
    with pytest.raises(ValueError):
        box.open(good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"))
    with pytest.raises(ValueError):
        box.open("not a token")


def test_secretbox_rejects_bad_key() -> None:
    with pytest.raises(ValueError):
        SecretBox(b"short")


def test_load_or_create_makes_private_key_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.key"
    box = SecretBox.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = box.seal("tanstaaf")
    # A second load (another process, a restart) reads the same key.
    assert SecretBox.load_or_create(path).open(token) == "tanstaaf"
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.key"]  # no temp files left behind


def test_load_or_create_mode_ignores_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        SecretBox.load_or_create(tmp_path / "k")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


def test_load_or_create_refuses_exposed_key_file(tmp_path: Path) -> None:
    path = tmp_path / "k"
    SecretBox.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(ValueError, match="0600"):
        SecretBox.load_or_create(path)


def test_load_or_create_concurrent_creators_agree(tmp_path: Path) -> None:
    path = tmp_path / "k"
    boxes: list[SecretBox] = []
    threads = [
        threading.Thread(target=lambda: boxes.append(SecretBox.load_or_create(path))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    token = boxes[0].seal("same key everywhere")
    assert all(b.open(token) == "same key everywhere" for b in boxes)


# ----------------------------------------------------------------------------------------- CRAM-MD5 / APOP


def test_cram_md5_rfc2195_example() -> None:
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    assert cram_md5_digest("tanstaaftanstaaf", challenge) == "b913a602c7eda7a495b4e6e7334d3890"


def test_apop_rfc1939_example() -> None:
    assert apop_digest("tanstaaf", "<1896.697170952@dbc.mtview.ca.us>") == "c4c9334bac560ecc979e58001b3e22fb"


def test_stored_secret_feeds_cram_md5() -> None:
    box = SecretBox(os.urandom(32))
    token = box.seal("tanstaaftanstaaf")
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    assert cram_md5_digest(box.open(token), challenge) == "b913a602c7eda7a495b4e6e7334d3890"
