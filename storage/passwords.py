"""Password material: one-way hashes, SCRAM keys and (optionally) reversible secrets.

Three kinds of credential material are kept per account, each for a different kind of login:

* **argon2id hash** (`hash_password`, `verify_password`, `needs_rehash`) -- the default, used for every
  mechanism that sends the password itself (USER/PASS, LOGIN, SASL PLAIN, HTTP forms). Parameters are the
  "second recommended option" of RFC 9106 section 4: t=3 passes, m=64 MiB, p=4 lanes, 16-byte salt,
  32-byte tag (~50 ms on one core). Hashing is CPU bound and does not yield to gevent: callers run it in
  gevent's threadpool (argon2-cffi releases the GIL) and keep successes in `storage.authcache.AuthCache`.
* **SCRAM-SHA-256 keys** (RFC 5802, RFC 7677) -- StoredKey/ServerKey derived from the SASLprep'ed password
  (RFC 4013), so SCRAM can be offered without keeping anything password-equivalent: a leak of the keys
  lets an attacker impersonate the *server* to a client, not log in as the user. `ScramKeys.to_text()`
  gives one DB column. The SASL exchange itself (nonces, channel binding, message parsing) lives with the
  SASL code in `sidecars/`; this module only holds the key arithmetic.
* **Reversible secrets** (`SecretBox`) -- CRAM-MD5 (RFC 2195) and APOP (RFC 1939) need the shared secret
  itself on the server. These are only stored when a domain enables those mechanisms, encrypted with
  Fernet (AES-128-CBC + HMAC-SHA256) under a key file on the same host. **This is much weaker than
  argon2/SCRAM**: anyone who obtains both the database and the key file recovers every such password in
  clear. Prefer SCRAM; enable CRAM-MD5/APOP only for legacy clients.

Everything here is pure: no SQL, no sockets, no settings lookups.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
import stringprep
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import argon2

# --------------------------------------------------------------------------------------------- argon2id

ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST_KIB = 64 * 1024
ARGON2_PARALLELISM = 4
ARGON2_HASH_LEN = 32
ARGON2_SALT_LEN = 16

_HASHER = argon2.PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_COST_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=ARGON2_HASH_LEN,
    salt_len=ARGON2_SALT_LEN,
    type=argon2.Type.ID,
)


def hash_password(pw: str) -> str:
    """Hash a password with argon2id.

    Args:
        pw: the password as typed (no normalisation is applied).

    Returns:
        A PHC string such as ``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<tag>``.

    Raises:
        ValueError: the password cannot be encoded as UTF-8 (lone surrogates).
    """
    return _HASHER.hash(pw)


def verify_password(stored: str, pw: str) -> bool:
    """Check ``pw`` against an argon2 hash; False for a wrong password or an unusable hash. Never raises."""
    if not isinstance(stored, str) or not isinstance(pw, str):
        return False
    try:
        return _HASHER.verify(stored, pw)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError, ValueError):
        return False


def needs_rehash(stored: str) -> bool:
    """True if ``stored`` was not made with the current parameters (or is not an argon2 hash at all).

    Call after a successful `verify_password` and, if True, store ``hash_password(pw)`` instead.
    """
    try:
        return _HASHER.check_needs_rehash(stored)
    except (argon2.exceptions.InvalidHashError, ValueError, TypeError):
        return True


# --------------------------------------------------------------------------------------------- SASLprep


def _is_prohibited(ch: str) -> bool:
    # RFC 4013 section 2.3: tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9 of RFC 3454.
    return (
        stringprep.in_table_c12(ch)
        or stringprep.in_table_c21_c22(ch)
        or stringprep.in_table_c3(ch)
        or stringprep.in_table_c4(ch)
        or stringprep.in_table_c5(ch)
        or stringprep.in_table_c6(ch)
        or stringprep.in_table_c7(ch)
        or stringprep.in_table_c8(ch)
        or stringprep.in_table_c9(ch)
    )


def saslprep(text: str, *, allow_unassigned: bool = False) -> str:
    """Prepare a password (or user name) with the SASLprep profile of stringprep (RFC 4013).

    Args:
        text: the string to prepare.
        allow_unassigned: False for "stored strings" (RFC 3454 section 7), which is what a password being
            set is; True only for queries.

    Returns:
        The prepared string.

    Raises:
        ValueError: the string contains prohibited output, unassigned code points (stored strings) or
            violates the bidirectional rule.
    """
    # RFC 4013 2.1: non-ASCII space (C.1.2) -> SPACE; "commonly mapped to nothing" (B.1) -> removed.
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch)
    )
    # RFC 4013 2.2: Unicode normalisation form KC, with the Unicode 3.2 tables stringprep is defined on.
    prepared = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)
    for ch in prepared:
        if _is_prohibited(ch):
            raise ValueError(f"SASLprep: prohibited character U+{ord(ch):04X}")
        # RFC 4013 2.5 / RFC 3454 7: unassigned code points are not allowed in stored strings.
        if not allow_unassigned and stringprep.in_table_a1(ch):
            raise ValueError(f"SASLprep: unassigned code point U+{ord(ch):04X}")
    # RFC 4013 2.4 / RFC 3454 6: bidirectional characters.
    if any(stringprep.in_table_d1(ch) for ch in prepared):
        if any(stringprep.in_table_d2(ch) for ch in prepared):
            raise ValueError("SASLprep: mixes right-to-left and left-to-right characters")
        if not (stringprep.in_table_d1(prepared[0]) and stringprep.in_table_d1(prepared[-1])):
            raise ValueError("SASLprep: right-to-left text must start and end with a right-to-left character")
    return prepared


# --------------------------------------------------------------------------------------------- SCRAM

SCRAM_MECHANISM = "SCRAM-SHA-256"
SCRAM_DEFAULT_ITERATIONS = 4096  # RFC 7677 section 4: at least 4096
SCRAM_SALT_LEN = 16
_SCRAM_KEY_LEN = hashlib.sha256().digest_size


def _hmac256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"invalid base64: {text!r}") from exc


@dataclass(frozen=True)
class ScramKeys:
    """The server-side SCRAM-SHA-256 verifier of one password (RFC 5802 section 3)."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    def __post_init__(self) -> None:
        if not self.salt:
            raise ValueError("SCRAM salt must not be empty")
        if self.iterations < 1:
            raise ValueError("SCRAM iteration count must be positive")
        if len(self.stored_key) != _SCRAM_KEY_LEN or len(self.server_key) != _SCRAM_KEY_LEN:
            raise ValueError(f"SCRAM keys must be {_SCRAM_KEY_LEN} bytes")

    def to_text(self) -> str:
        """One-column form: ``SCRAM-SHA-256$<iterations>:<b64 salt>$<b64 StoredKey>:<b64 ServerKey>``."""
        return (
            f"{SCRAM_MECHANISM}${self.iterations}:{_b64(self.salt)}"
            f"${_b64(self.stored_key)}:{_b64(self.server_key)}"
        )

    @classmethod
    def from_text(cls, text: str) -> ScramKeys:
        """Parse `to_text` output.

        Raises:
            ValueError: not a well-formed SCRAM-SHA-256 verifier.
        """
        parts = text.split("$")
        if len(parts) != 3 or parts[0] != SCRAM_MECHANISM:
            raise ValueError("not a SCRAM-SHA-256 verifier")
        iterations_text, sep1, salt_text = parts[1].partition(":")
        stored_text, sep2, server_text = parts[2].partition(":")
        if not (sep1 and sep2 and iterations_text.isascii() and iterations_text.isdigit()):
            raise ValueError("malformed SCRAM-SHA-256 verifier")
        return cls(
            salt=_unb64(salt_text),
            iterations=int(iterations_text),
            stored_key=_unb64(stored_text),
            server_key=_unb64(server_text),
        )


def derive_scram_keys(
    pw: str, salt: bytes | None = None, iterations: int = SCRAM_DEFAULT_ITERATIONS
) -> ScramKeys:
    """Derive the SCRAM-SHA-256 verifier of a password (RFC 5802 section 3).

    Args:
        pw: the password; SASLprep'ed (as a stored string) before use.
        salt: the salt; 16 random bytes when None.
        iterations: the PBKDF2 iteration count; at least 4096 (RFC 7677 section 4).

    Raises:
        ValueError: the password is rejected by SASLprep, or the iteration count is too low.
    """
    if iterations < SCRAM_DEFAULT_ITERATIONS:
        raise ValueError(f"SCRAM iteration count must be at least {SCRAM_DEFAULT_ITERATIONS}")
    if salt is None:
        salt = os.urandom(SCRAM_SALT_LEN)
    salted = hashlib.pbkdf2_hmac("sha256", saslprep(pw).encode("utf-8"), salt, iterations)
    client_key = _hmac256(salted, b"Client Key")
    return ScramKeys(
        salt=salt,
        iterations=iterations,
        stored_key=hashlib.sha256(client_key).digest(),
        server_key=_hmac256(salted, b"Server Key"),
    )


def verify_scram_client_proof(keys: ScramKeys, auth_message: bytes, client_proof: bytes) -> bool:
    """Check a decoded ClientProof (the ``p=`` attribute) against the stored verifier. Constant time.

    ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof is good iff H(ClientKey) equals
    StoredKey (RFC 5802 section 3).
    """
    if len(client_proof) != _SCRAM_KEY_LEN:
        return False
    signature = _hmac256(keys.stored_key, auth_message)
    client_key = bytes(a ^ b for a, b in zip(client_proof, signature, strict=True))
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), keys.stored_key)


def scram_server_signature(keys: ScramKeys, auth_message: bytes) -> bytes:
    """ServerSignature = HMAC(ServerKey, AuthMessage), sent base64-encoded as ``v=`` (RFC 5802 section 3)."""
    return _hmac256(keys.server_key, auth_message)


# --------------------------------------------------------------------------------------------- reversible

_KEY_FILE_MODE = 0o600


class SecretBox:
    """Symmetric encryption of shared secrets for CRAM-MD5 / APOP (see the module docstring's warning).

    Args:
        key: 32 random bytes, or the same as URL-safe base64 (a Fernet key, what the key file holds).

    Raises:
        ValueError: the key has the wrong size or encoding.
    """

    def __init__(self, key: bytes) -> None:
        from cryptography.fernet import Fernet  # loaded by the processes that seal or open a secret only

        if len(key) == 32:
            key = base64.urlsafe_b64encode(key)
        try:
            self._fernet = Fernet(key)
        except (ValueError, binascii.Error) as exc:
            raise ValueError("SecretBox key must be 32 bytes (raw or URL-safe base64)") from exc
        self._mac_key = hashlib.sha256(b"fieldpost derive\0" + base64.urlsafe_b64decode(key)).digest()

    def derive(self, label: bytes) -> bytes:
        """32 bytes that only this key gives for ``label`` (HMAC-SHA256 under a key derived from it): a
        secret that can be made again when needed instead of being stored (calendar feed links)."""
        return hmac.new(self._mac_key, label, hashlib.sha256).digest()

    def seal(self, pw: str) -> str:
        """Encrypt and authenticate ``pw``; returns an ASCII token for a DB column."""
        return self._fernet.encrypt(pw.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """Decrypt a `seal` token.

        Raises:
            ValueError: the token was not made with this key, or was altered.
        """
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise ValueError("secret token does not decrypt with this key") from exc

    @classmethod
    def load_or_create(cls, path: Path) -> SecretBox:
        """Load the key file at ``path``, creating it (mode 0600, durably, atomically) if missing.

        Creation writes a temporary file in the same directory, fsyncs it, then links it into place, so
        a crash never leaves a partial key and two processes racing both end up with the same key.

        Raises:
            ValueError: the file exists but is readable or writable by group/other, or holds no valid key.
            OSError: the file or its directory cannot be read or written.
        """
        from cryptography.fernet import Fernet

        path = Path(path)
        if not path.exists():
            _create_key_file(path, Fernet.generate_key())
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ValueError(f"key file {path} has mode {mode:o}; it must not be accessible by others (0600)")
        return cls(path.read_bytes().strip())


def _create_key_file(path: Path, key: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _KEY_FILE_MODE)
    try:
        try:
            os.fchmod(fd, _KEY_FILE_MODE)
            os.write(fd, key + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process won the race: keep theirs
        except FileExistsError:
            pass
        except OSError:  # filesystem without hard links
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# --------------------------------------------------------------------------------------------- digests


def cram_md5_digest(secret: str, challenge: bytes) -> str:
    """The CRAM-MD5 response digest: lowercase hex HMAC-MD5(secret, challenge) (RFC 2195 section 2)."""
    return hmac.new(secret.encode("utf-8"), challenge, "md5").hexdigest()


def apop_digest(secret: str, timestamp_banner: str) -> str:
    """The APOP digest: lowercase hex MD5(timestamp + secret) (RFC 1939 section 7).

    Args:
        secret: the shared secret.
        timestamp_banner: the ``<...>`` timestamp from the server greeting, angle brackets included.
    """
    return hashlib.md5((timestamp_banner + secret).encode("utf-8"), usedforsecurity=False).hexdigest()
