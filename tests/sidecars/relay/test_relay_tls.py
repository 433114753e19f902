"""Authenticated TLS for relay.require_tls_domains: the sink's STARTTLS with a certificate made here,
signed by a test CA that relay.tls_cafile (the Relay's ``tls_cafile``) points at."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from filters.dns import Resolver
from sidecars.relay import DELIVERED, TEMPORARY, OutboundEnvelope, Relay
from tests.support.smtpsink import SmtpSink

RAW = b"From: alice@example.test\r\nTo: bob@far.test\r\nSubject: tls\r\n\r\nhello\r\n"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None = None) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA, and two server pairs it signed: one for mx.far.test, one for another name."""
    root = tmp_path_factory.mktemp("relay-pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Fieldpost test CA"))
        .issuer_name(_name("Fieldpost test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": _write(root / "ca.pem", ca)}
    for label, host in (("right", "mx.far.test"), ("wrong", "mx.elsewhere.test")):
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.2"))]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(host))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        paths[label] = _write(root / f"{label}.pem", cert, key)
    return paths


def _sink(pki: dict[str, Path], label: str) -> SmtpSink:
    return SmtpSink(tls_files=(pki[label], pki[label].with_suffix(".key")))


def _send(dns_server, sink: SmtpSink, **kw) -> tuple[str, str]:
    relay = Relay(Resolver([dns_server.address]), helo="mail.example.test", port=sink.port, timeout=5, **kw)
    result = relay.send("far.test", OutboundEnvelope("alice@example.test", ("bob@far.test",)), RAW)
    relay.close()
    r = result.results["bob@far.test"]
    return r.outcome, r.reply


def test_required_tls_with_a_verified_certificate_is_delivered(dns_server, pki):
    with _sink(pki, "right") as sink:
        outcome, _ = _send(dns_server, sink, require_tls=["far.test"], tls_cafile=pki["ca"])
    assert outcome == DELIVERED
    assert sink.envelopes[0].tls


def test_required_tls_with_the_wrong_host_name_is_deferred(dns_server, pki):
    with _sink(pki, "wrong") as sink:
        outcome, reply = _send(dns_server, sink, require_tls=["far.test"], tls_cafile=pki["ca"])
    assert outcome == TEMPORARY
    assert reply.startswith("451 4.7.5") and "mx.far.test" in reply and "not accepted" in reply
    assert sink.envelopes == []


def test_required_tls_with_an_unknown_ca_is_deferred(dns_server, pki):
    with _sink(pki, "right") as sink:
        outcome, reply = _send(dns_server, sink, require_tls=["far.test"])  # system CAs only
    assert outcome == TEMPORARY and "not accepted" in reply
    assert sink.envelopes == []


def test_opportunistic_tls_stays_unverified(dns_server, pki):
    with _sink(pki, "wrong") as sink:
        outcome, _ = _send(dns_server, sink)
    assert outcome == DELIVERED
    assert sink.envelopes[0].tls


def test_an_unreadable_ca_file_defers_required_tls_only(dns_server, pki, tmp_path):
    missing = tmp_path / "nope.pem"
    with _sink(pki, "right") as sink:
        outcome, reply = _send(dns_server, sink, require_tls=["far.test"], tls_cafile=missing)
        assert outcome == TEMPORARY and "cannot load the CA file" in reply
        assert _send(dns_server, sink, tls_cafile=missing)[0] == DELIVERED
