"""Server side of SASL, shared by SMTP, IMAP and POP3: PLAIN, LOGIN, SCRAM-SHA-256 and CRAM-MD5.

A protocol makes one mechanism object per AUTHENTICATE/AUTH command and drives it with raw bytes (it
does the base64 and the cancel marker itself)::

    mech = sasl.new("PLAIN", store, ip=peer_ip, service="smtp", hostname=host)
    step = mech.start(initial_response_or_None)
    while not step.done:
        send(step.challenge); step = mech.step(client_response)
    # step.account is the logged-in account; a ``challenge`` on the final step is "additional data
    # with success" (SCRAM's server signature): SMTP sends it as one more 334 and expects an empty line.

Implementation notes:

* Every refusal raises storage.errors.AuthFailed (wrong credentials, malformed messages, refused
  channel binding alike) or Throttled; protocols map both to their replies in one place.
* Password mechanisms go through ``store.auth.verify`` (throttling, cache, switches). SCRAM and CRAM-MD5
  never see the password, so they apply the same throttle, account and service checks here.
* Unknown SCRAM users get a made-up salt derived from the name, so the exchange looks the same whether
  or not the account exists.
* argon2 verification blocks for ~50 ms; under gevent it runs in the hub's threadpool (see _blocking).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from storage import passwords
from storage.errors import AuthFailed, InvalidInput, NotFound, Throttled
from storage.models import Account
from storage.throttle import ThrottleCheck

if TYPE_CHECKING:
    from storage.store import Store

PLAIN = "PLAIN"
LOGIN = "LOGIN"
SCRAM_SHA_256 = "SCRAM-SHA-256"
CRAM_MD5 = "CRAM-MD5"
MAX_MESSAGE = 4096  # no client message of these mechanisms is legitimately longer
_FAKE_SALT_KEY = os.urandom(32)
T = TypeVar("T")


class UnknownMechanism(ValueError):
    """The client asked for a mechanism this server does not implement."""


@dataclass(frozen=True)
class Step:
    challenge: bytes | None  # raw bytes for the client, or None
    done: bool
    account: Account | None = None


class Mechanism(Protocol):
    name: str

    def start(self, initial: bytes | None) -> Step: ...

    def step(self, data: bytes) -> Step: ...


def offered(tls_active: bool, allow_plaintext: bool, cram: bool) -> list[str]:
    """Mechanisms to advertise: password-revealing ones only over TLS unless the operator allows it."""
    mechs = [SCRAM_SHA_256]
    if tls_active or allow_plaintext:
        mechs += [PLAIN, LOGIN]
    if cram:
        mechs.append(CRAM_MD5)
    return mechs


def new(name: str, store: Store, *, ip: str | None, service: str, hostname: str) -> Mechanism:
    """A fresh mechanism for one exchange.

    Raises:
        UnknownMechanism: ``name`` is not one of PLAIN, LOGIN, SCRAM-SHA-256, CRAM-MD5.
    """
    factory: dict[str, Callable[[], Mechanism]] = {
        PLAIN: lambda: _Plain(store, ip, service),
        LOGIN: lambda: _Login(store, ip, service),
        SCRAM_SHA_256: lambda: _Scram(store, ip, service),
        CRAM_MD5: lambda: _CramMd5(store, ip, service, hostname),
    }
    make = factory.get(name.upper())
    if make is None:
        raise UnknownMechanism(name)
    return make()


#: Password checks one process runs at once. Each argon2id check holds 64 MiB (storage.passwords) while
#: it runs; with the hub's threadpool alone as the limit, a burst of logins before the cache is warm held
#: 1.2 GB across two IMAP workers (bench/README.md, "10,000 idle connections"). Later checks wait their
#: turn on the hub, which costs a burst some latency and no memory.
PASSWORD_CHECKS_AT_ONCE = 2
_password_checks: Any = None  # a gevent BoundedSemaphore, made on first use inside a gevent server


def _blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run a password check off the gevent hub when this process is a gevent server, at most
    ``PASSWORD_CHECKS_AT_ONCE`` of them at a time."""
    global _password_checks
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("socket"):
        from gevent import get_hub
        from gevent.lock import BoundedSemaphore

        if _password_checks is None:
            _password_checks = BoundedSemaphore(PASSWORD_CHECKS_AT_ONCE)
        with _password_checks:
            return get_hub().threadpool.apply(fn, args)  # type: ignore[no-any-return]
    return fn(*args)


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthFailed("authentication failed") from None


def _check_size(data: bytes) -> None:
    if len(data) > MAX_MESSAGE:
        raise AuthFailed("authentication failed")


class _Base:
    name = ""

    def __init__(self, store: Store, ip: str | None, service: str) -> None:
        self.store = store
        self.ip = ip
        self.service = service
        self._throttle_seen: ThrottleCheck | None = None  # the throttle read before the proof

    def _verify_password(self, user: str, password: str) -> Account:
        # a success the login cache answers is read on the hub: no thread hop, no wait behind argon2 runs
        auth = self.store.auth
        account = auth.verify_if_cached(user, password, ip=self.ip, service=self.service)
        if account is not None:
            return account
        return _blocking(lambda: auth.verify(user, password, ip=self.ip, service=self.service))

    # For mechanisms that prove knowledge of a secret without sending it.
    def _throttle_check(self, name: str) -> None:
        self._throttle_seen = self.store.auth.throttle.check(name, self.ip)
        if self._throttle_seen.retry_after > 0:
            raise Throttled("too many failed logins; try again later", self._throttle_seen.retry_after)

    def _fail(self, name: str) -> AuthFailed:
        self.store.auth.throttle.record_failure(name, self.ip)
        return AuthFailed("authentication failed")

    def _account_after_proof(self, name: str) -> Account:
        try:
            account = self.store.accounts.get(name)
            domain = self.store.domains.get(account.address.rpartition("@")[2])
        except (NotFound, InvalidInput):
            raise self._fail(name) from None
        if not account.enabled or not domain.enabled:
            raise self._fail(name)
        if not self.store.auth.service_enabled(account, self.service):
            raise AuthFailed("authentication failed")
        self.store.auth.throttle.record_success(name, self.ip, seen=self._throttle_seen)
        return account


class _Plain(_Base):
    """RFC 4616: [authzid] NUL authcid NUL passwd."""

    name = PLAIN

    def start(self, initial: bytes | None) -> Step:
        if initial is None:
            return Step(b"", False)
        return self.step(initial)

    def step(self, data: bytes) -> Step:
        _check_size(data)
        parts = _utf8(data).split("\0")
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise AuthFailed("authentication failed")
        authzid, authcid, password = parts
        if authzid and authzid.strip().lower() != authcid.strip().lower():
            raise AuthFailed("authentication failed")  # acting as someone else is not supported
        return Step(None, True, self._verify_password(authcid, password))


class _Login(_Base):
    """The non-standard but ubiquitous LOGIN mechanism: user name, then password, each prompted."""

    name = LOGIN

    def __init__(self, store: Store, ip: str | None, service: str) -> None:
        super().__init__(store, ip, service)
        self.user: str | None = None

    def start(self, initial: bytes | None) -> Step:
        if initial is None:
            return Step(b"Username:", False)
        return self.step(initial)

    def step(self, data: bytes) -> Step:
        _check_size(data)
        text = _utf8(data)
        if self.user is None:
            if not text:
                raise AuthFailed("authentication failed")
            self.user = text
            return Step(b"Password:", False)
        return Step(None, True, self._verify_password(self.user, text))


def _scram_attrs(text: str) -> list[tuple[str, str]]:
    out = []
    for item in text.split(","):
        key, eq, value = item.partition("=")
        if len(key) != 1 or not eq:
            raise AuthFailed("authentication failed")
        out.append((key, value))
    return out


def _scram_name(value: str) -> str:
    # RFC 5802 5.1: "," and "=" in names travel as =2C and =3D; any other "=" is an error.
    out = value.replace("=2C", ",").replace("=3D", "=")
    if "=" in value.replace("=2C", "").replace("=3D", ""):
        raise AuthFailed("authentication failed")
    return out


class _Scram(_Base):
    """RFC 5802 / RFC 7677 server exchange, without channel binding (gs2 flag "n" or "y")."""

    name = SCRAM_SHA_256

    def __init__(self, store: Store, ip: str | None, service: str) -> None:
        super().__init__(store, ip, service)
        self.stage = 0
        self.user = ""
        self.keys: passwords.ScramKeys | None = None
        self.gs2_header = ""
        self.client_first_bare = ""
        self.server_first = ""
        self.nonce = ""

    def start(self, initial: bytes | None) -> Step:
        if initial is None:
            return Step(b"", False)
        return self.step(initial)

    def step(self, data: bytes) -> Step:
        _check_size(data)
        if self.stage == 0:
            return self._client_first(_utf8(data))
        if self.stage == 1:
            return self._client_final(_utf8(data))
        raise AuthFailed("authentication failed")

    def _client_first(self, text: str) -> Step:
        flag, _, rest = text.partition(",")
        authzid, sep, bare = rest.partition(",")
        if flag not in ("n", "y") or not sep:
            raise AuthFailed("authentication failed")  # "p=..." asks for channel binding: refused
        if authzid and not authzid.startswith("a="):
            raise AuthFailed("authentication failed")
        attrs = _scram_attrs(bare)
        if len(attrs) < 2 or attrs[0][0] != "n" or attrs[1][0] != "r" or not attrs[1][1]:
            raise AuthFailed("authentication failed")
        if any(k == "m" for k, _ in attrs):
            raise AuthFailed("authentication failed")  # mandatory extension we do not know
        self.user = _scram_name(attrs[0][1]).strip().lower()
        if authzid and _scram_name(authzid[2:]).strip().lower() != self.user:
            raise AuthFailed("authentication failed")
        self._throttle_check(self.user)
        self.keys = self.store.auth.scram_keys(self.user)
        salt, iterations = (self.keys.salt, self.keys.iterations) if self.keys else (self._fake_salt(), 4096)
        self.gs2_header = f"{flag},{authzid},"
        self.client_first_bare = bare
        self.nonce = attrs[1][1] + base64.b64encode(os.urandom(18)).decode("ascii")
        self.server_first = f"r={self.nonce},s={base64.b64encode(salt).decode('ascii')},i={iterations}"
        self.stage = 1
        return Step(self.server_first.encode("ascii"), False)

    def _fake_salt(self) -> bytes:
        return hmac.new(_FAKE_SALT_KEY, self.user.encode("utf-8"), hashlib.sha256).digest()[:16]

    def _client_final(self, text: str) -> Step:
        self.stage = 2
        without_proof, sep, proof_text = text.rpartition(",p=")
        if not sep:
            raise self._fail(self.user)
        attrs = _scram_attrs(without_proof)
        if len(attrs) < 2 or attrs[0][0] != "c" or attrs[1][0] != "r":
            raise self._fail(self.user)
        expected_cbind = base64.b64encode(self.gs2_header.encode("utf-8")).decode("ascii")
        if attrs[0][1] != expected_cbind or attrs[1][1] != self.nonce:
            raise self._fail(self.user)
        try:
            proof = base64.b64decode(proof_text.encode("ascii"), validate=True)
        except ValueError:
            raise self._fail(self.user) from None
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        if self.keys is None or not passwords.verify_scram_client_proof(self.keys, auth_message, proof):
            raise self._fail(self.user)
        account = self._account_after_proof(self.user)
        signature = passwords.scram_server_signature(self.keys, auth_message)
        return Step(b"v=" + base64.b64encode(signature), True, account)


class _CramMd5(_Base):
    """RFC 2195: the server sends a unique challenge, the client answers "user hexdigest"."""

    name = CRAM_MD5

    def __init__(self, store: Store, ip: str | None, service: str, hostname: str) -> None:
        super().__init__(store, ip, service)
        self.hostname = hostname
        self.challenge = b""

    def start(self, initial: bytes | None) -> Step:
        if initial:
            raise AuthFailed("authentication failed")  # the server speaks first in CRAM-MD5
        nonce = int.from_bytes(os.urandom(8), "big")
        self.challenge = f"<{nonce}.{int(time.time())}@{self.hostname}>".encode("ascii", "replace")
        return Step(self.challenge, False)

    def step(self, data: bytes) -> Step:
        _check_size(data)
        user, sep, digest = _utf8(data).rpartition(" ")
        user = user.strip().lower()
        if not sep or not user or len(digest) != 32:
            raise AuthFailed("authentication failed")
        self._throttle_check(user)
        secret = self.store.auth.shared_secret(user)
        if secret is None:
            raise self._fail(user)
        expected = passwords.cram_md5_digest(secret, self.challenge)
        if not hmac.compare_digest(expected, digest.lower()):
            raise self._fail(user)
        return Step(None, True, self._account_after_proof(user))


def verify_apop(
    store: Store, *, ip: str | None, service: str, timestamp: str, user: str, digest: str
) -> Account:
    """POP3 APOP (RFC 1939 7): ``digest`` is MD5 of the greeting's ``timestamp`` and the shared secret,
    which exists only where the domain allows keeping it (``auth.allow_cram``, like CRAM-MD5). The
    throttle, account, domain and service checks are those of every other login.

    Raises:
        AuthFailed: unknown user, no shared secret, wrong digest, disabled, or POP3 switched off.
        Throttled: too many recent failures.
    """
    return _Apop(store, ip, service).verify(timestamp, user, digest)


class _Apop(_Base):
    name = "APOP"

    def verify(self, timestamp: str, user: str, digest: str) -> Account:
        user = user.strip().lower()
        if not user or len(digest) != 32 or len(user) > MAX_MESSAGE:
            raise AuthFailed("authentication failed")
        self._throttle_check(user)
        secret = self.store.auth.shared_secret(user)
        if secret is None:
            raise self._fail(user)
        expected = passwords.apop_digest(secret, timestamp)
        if not hmac.compare_digest(expected, digest.lower()):
            raise self._fail(user)
        return self._account_after_proof(user)
