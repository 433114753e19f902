"""The DNS world of the SPF, DKIM and DMARC tests, served by ``tests.support.dnsserver.DnsServer`` on
127.0.0.1, with a DKIM key pair made once per test session and published in it.

Clients: 192.0.2.1 (and 127.0.0.1, the address real SMTP tests connect from) are the permitted senders
of the domains below; 192.0.2.66 is a stranger.

* spf.test: one name per SPF result -- pass, fail, softfail, neutral, none (TXT without SPF),
  permerror (an unknown mechanism), temperror (an include of a name no server answers for), and mx
  (``mx -all`` through an MX record).
* Each DMARC domain is its own organizational domain (a name under .test); it, mail.DOMAIN and
  child.DOMAIN have the same SPF record (``ip4:192.0.2.1 ip4:127.0.0.1 -all``), and the session key is
  published at selector ``sel``:
  reject.test (p=reject), quarantine.test (p=quarantine), monitor.test (p=none), parent.test (p=none,
  sp=reject: its subdomains are rejected), sampled.test (p=reject pct=0: never applied in full, so
  quarantined), half.test (p=reject pct=30), strict.test (p=reject with adkim=s and aspf=s), nopolicy.test (no record).
* keys.test: ``sel`` has the key, ``revoked`` an empty p= (a revoked key), ``garbage`` an unparsable one;
  ``missing`` has none.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import dkim
import pytest

from filters.checks import Env, Facts
from filters.dkim_sign import public_record
from tests.support.dnsserver import DnsServer

SOA = """$TTL 300
@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 30
@ IN NS ns.test.
"""
GOOD_IP, STRANGER_IP = "192.0.2.1", "192.0.2.66"
PERMIT = '"v=spf1 ip4:192.0.2.1 ip4:127.0.0.1 -all"'
DMARC_DOMAINS = {
    "reject.test": "v=DMARC1; p=reject",
    "quarantine.test": "v=DMARC1; p=quarantine; rua=mailto:dmarc@quarantine.test",
    "monitor.test": "v=DMARC1; p=none",
    "parent.test": "v=DMARC1; p=none; sp=reject",
    "sampled.test": "v=DMARC1; p=reject; pct=0",
    "half.test": "v=DMARC1; p=reject; pct=30",
    "strict.test": "v=DMARC1; p=reject; adkim=s; aspf=s",
    "nopolicy.test": None,
}


@lru_cache(maxsize=1)
def private_key() -> bytes:
    """A 2048-bit RSA key (PKCS#1 PEM), made once per test session."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def txt(value: str) -> str:
    """A TXT record value in zone-file form, split into strings of at most 250 octets."""
    return " ".join(f'"{value[i : i + 250]}"' for i in range(0, len(value), 250))


def zones() -> dict[str, str]:
    key = txt(public_record(private_key()))
    out = {
        "spf.test": SOA
        + f"""
pass IN TXT "v=spf1 ip4:192.0.2.1 -all"
fail IN TXT "v=spf1 ip4:192.0.2.99 -all"
softfail IN TXT "v=spf1 ip4:192.0.2.99 ~all"
neutral IN TXT "v=spf1 ?all"
none IN TXT "just some text, no policy"
permerror IN TXT "v=spf1 ip4:192.0.2.1 frobnicate -all"
temperror IN TXT "v=spf1 include:unanswered.example -all"
mx IN MX 10 out.mx.spf.test.
mx IN TXT "v=spf1 mx -all"
out.mx IN A 192.0.2.1
helo IN TXT {PERMIT}
""",
        "keys.test": SOA
        + f"""
@ IN TXT {PERMIT}
sel._domainkey IN TXT {key}
revoked._domainkey IN TXT "v=DKIM1; k=rsa; p="
garbage._domainkey IN TXT "v=DKIM1; k=rsa; p=bm90IGEga2V5"
""",
    }
    for domain, policy in DMARC_DOMAINS.items():
        out[domain] = SOA + "".join(f"{name} IN TXT {PERMIT}\n" for name in ("@", "mail", "child"))
        out[domain] += f"sel._domainkey IN TXT {key}\n"
        if policy:
            out[domain] += f'_dmarc IN TXT "{policy}"\n'
    return out


@pytest.fixture(scope="session")
def auth_dns() -> Iterator[DnsServer]:
    with DnsServer(zones()) as server:
        yield server


def make_env(nameserver: str, **settings: Any) -> Env:
    """An ``Env`` whose checks ask ``nameserver``; ``settings`` by their registry names."""
    values: dict[str, Any] = {"dns.nameservers": [nameserver], "dns.timeout_seconds": 2}
    values["server.hostname"] = "mx.example.test"
    values.update(settings)
    return Env(store=None, settings=values)


def message(from_: str, subject: str = "hello", body: str = "Just a note.\r\n") -> bytes:
    return (
        f"From: Someone <{from_}>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
        f"Date: Wed, 25 Nov 2026 09:00:00 +0000\r\nMessage-ID: <1@{from_.rpartition('@')[2]}>\r\n\r\n{body}"
    ).encode()


def signed(raw: bytes, domain: str, selector: str = "sel") -> bytes:
    """``raw`` signed by dkimpy with the session key as ``domain`` (relaxed/relaxed)."""
    field = dkim.sign(
        raw, selector.encode(), domain.encode(), private_key(), canonicalize=(b"relaxed", b"relaxed")
    )
    return field + raw


def data_facts(raw: bytes, *, ip: str = GOOD_IP, sender: str = "", helo: str = "client.example.net") -> Facts:
    return Facts(ip=ip, helo=helo, sender=sender, recipients=("alice@example.test",), raw=raw)
