"""DKIM signing (RFC 6376 5) of mail that local users send to other servers, and the domains' keys.

When: the processing service relays a message whose queue origin says an authenticated user sent it
(SMTP submission or WebMail), just before it leaves (``sign_outgoing``). The signing domain (d=) is
the domain of the From header field when it is the user's domain or one of its aliases and has a key,
so DMARC finds the signature aligned; otherwise the user's own domain when it has a key. ``dkim.sign`` turns
signing off per domain; ``dkim.selector`` names the key (s=). Signatures are rsa-sha256 with
relaxed/relaxed canonicalization (robust to the re-folding relays do) over dkimpy's default set of
header fields, with From signed twice so that a second From field cannot be added unnoticed.

Keys: 2048-bit RSA, made by ``fieldpost domain dkim DOMAIN generate``. A key is data, not
configuration, and it is a secret: it is kept in ``<data>/tls/dkim/<domain>.<selector>.key`` (the data
directory being the parent of the blob directory, as for ``secret.key``), mode 0600, sealed with the
store's secret box (``storage.passwords.SecretBox``) so a copy of the key directory alone reveals
nothing. The public half is derived from the private key whenever it is shown.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger("fieldpost.filters.dkim_sign")

KEY_BITS = 2048
SETTINGS = ("dkim.sign", "dkim.selector")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SELECTOR = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class DomainKey:
    domain: str
    selector: str
    path: Path
    private_pem: bytes  # PKCS#1 PEM, as dkimpy reads it

    @property
    def record(self) -> str:
        """The TXT record to publish at ``name`` (RFC 6376 3.6.1)."""
        return public_record(self.private_pem)

    @property
    def name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"


def check_selector(selector: str) -> str:
    """``selector`` in lower case when it is one or more DNS labels (RFC 6376 3.1).

    Raises:
        InvalidInput: it is not.
    """
    value = selector.strip().lower()
    if not _SELECTOR.fullmatch(value) or len(value) > 63:
        raise InvalidInput(f"not a DKIM selector: {selector!r} (letters, digits, '-' and '.' only)")
    return value


def key_dir(store: Store) -> Path:
    """``<data>/tls/dkim``, the data directory being the blob directory's parent."""
    return Path(store.blobs.root).parent / "tls" / "dkim"


def key_path(store: Store, domain: str, selector: str) -> Path:
    return key_dir(store) / f"{domain.lower()}.{check_selector(selector)}.key"


def generate(store: Store, domain: str, selector: str, *, replace: bool = False) -> DomainKey:
    """Make a new key for ``domain`` under ``selector`` and keep it (sealed, mode 0600).

    Raises:
        InvalidInput: a key for this selector exists and ``replace`` is false, or a bad selector.
    """
    path = key_path(store, domain, selector)
    if path.exists() and not replace:
        raise InvalidInput(
            f"{domain} already has a DKIM key for selector {selector}; use --force to replace it"
        )
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    _keep(path, store.secret_box.seal(pem.decode("ascii")))
    return DomainKey(domain.lower(), check_selector(selector), path, pem)


def _keep(path: Path, sealed: str) -> None:
    """Write a sealed key file durably (mode 0600, directory 0700), replacing any earlier one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(sealed)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _same_owner_as_data(path)


def sealed_keys(store: Store, domain: str) -> dict[str, str]:
    """The kept keys of ``domain`` as they are stored, sealed (selector -> text): what a backup copies.
    The caller has checked that the administrator may back up that domain."""
    prefix = f"{domain.lower()}."
    folder = key_dir(store)
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.glob(f"{prefix}*.key")):
        selector = path.name[len(prefix) : -len(".key")]
        try:
            out[check_selector(selector)] = path.read_text("ascii").strip() + "\n"
        except (InvalidInput, OSError, UnicodeDecodeError):
            continue
    return out


def install_sealed(store: Store, domain: str, selector: str, sealed: str) -> None:
    """Keep a sealed key from a backup, once it is known to open with this server's secret key.

    Raises:
        InvalidInput: a bad selector, or the text does not open here (sealed under another server's
            ``secret.key``), or what it opens to is no private key.
    """
    path = key_path(store, domain, selector)
    try:
        pem = store.secret_box.open(sealed.strip()).encode("ascii")
        serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise InvalidInput(
            f"this DKIM key does not open here ({exc}): it was sealed with another server's secret.key"
        ) from None
    _keep(path, sealed.strip() + "\n")


def _same_owner_as_data(path: Path) -> None:
    """Run as root (the CLI often is), hand the key and its directory to the data directory's owner: the
    services that sign run as that user once they have dropped their privileges."""
    if os.geteuid() != 0:
        return
    owner = path.parent.parent.parent.stat()
    for item in (path.parent, path):
        os.chown(item, owner.st_uid, owner.st_gid)


def load(store: Store, domain: str, selector: str) -> DomainKey:
    """The kept key of ``domain`` under ``selector``.

    Raises:
        NotFound: there is none.
        InvalidInput: the file does not open with this server's secret key.
    """
    path = key_path(store, domain, selector)
    try:
        token = path.read_text("ascii").strip()
    except FileNotFoundError:
        raise NotFound(f"{domain} has no DKIM key for selector {selector}") from None
    try:
        pem = store.secret_box.open(token).encode("ascii")
    except ValueError as exc:
        raise InvalidInput(f"DKIM key {path} cannot be opened: {exc}") from None
    return DomainKey(domain.lower(), check_selector(selector), path, pem)


def public_record(private_pem: bytes) -> str:
    """``v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>`` for the key (RFC 6376 3.6.1)."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode("ascii")


def zone_line(key: DomainKey) -> str:
    """The record as a zone-file line, split into strings of at most 255 octets (RFC 1035 3.3.14)."""
    text = key.record
    strings = " ".join(f'"{text[i : i + 250]}"' for i in range(0, len(text), 250))
    return f"{key.name}. IN TXT ( {strings} )"


def sign(raw: bytes, key: DomainKey) -> bytes:
    """``raw`` with a DKIM-Signature field on top (rsa-sha256, relaxed/relaxed)."""
    field: bytes = dkim.sign(
        raw,
        key.selector.encode("ascii"),
        key.domain.encode("ascii"),
        key.private_pem,
        canonicalize=(b"relaxed", b"relaxed"),
    )
    return field + raw


def sign_outgoing(store: Store, origin: dict[str, Any], raw: bytes) -> bytes:
    """``raw`` signed for the first candidate domain that has a key; unchanged otherwise (a message not
    sent by an authenticated user, no key, signing off). Candidates: the From field's domain when it is
    the user's own domain or one of its aliases (a user never gets mail signed for another domain),
    then the user's domain. Never raises: a message is not held back because it could not be signed,
    the failure is logged."""
    user = str(origin.get("auth") or origin.get("auth_user") or "")
    if "@" not in user:
        return raw
    user_domain = user.rpartition("@")[2].lower()
    candidates: list[str] = []
    try:
        domain_id = store.domains.id_by_name(user_domain)
        values = store.settings.effective_many(SETTINGS, domain_id=domain_id)
        author = _from_domain(raw)
        if author and author != user_domain and _domain_id(store, author) == domain_id:
            candidates.append(author)
    except (NotFound, InvalidInput):
        return raw
    except Exception:
        log.exception("cannot read the DKIM settings of %s; sending unsigned", user_domain)
        return raw
    if not values["dkim.sign"]:
        return raw
    for domain in (*candidates, user_domain):
        try:
            key = load(store, domain, values["dkim.selector"])
        except (NotFound, InvalidInput) as exc:
            log.debug("not signing for %s: %s", domain, exc)
            continue
        try:
            return sign(raw, key)
        except Exception as exc:
            log.error("DKIM signing for %s failed, sending unsigned: %s", domain, exc)
            return raw
    return raw


def _domain_id(store: Store, domain: str) -> int | None:
    try:
        return int(store.domains.id_by_name(domain))
    except (NotFound, InvalidInput):
        return None


def _from_domain(raw: bytes) -> str:
    """The domain of the (first) address of the From field, lower case; "" without one."""
    m = _HEADER_END.search(raw)
    head = raw[: m.start()] if m else raw
    found = re.search(rb"(?im)^from:((?:.*)(?:\r?\n[ \t].*)*)", head)
    if not found:
        return ""
    addresses = re.findall(rb"[^\s<>@,;:\"()]+@([A-Za-z0-9.-]+)", found.group(1))
    return addresses[0].decode("ascii").lower().rstrip(".") if addresses else ""
