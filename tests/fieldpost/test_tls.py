"""The self-signed pair of ``fieldpost init``."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from cryptography import x509

from fieldpost.tls import make_self_signed


def test_names_and_key_mode(tmp_path: Path) -> None:
    cert_path, key_path = make_self_signed(tmp_path / "tls", "mail.example.test")
    assert key_path.stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["mail.example.test", "localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    # the pair loads into a server context as the sidecars will use it
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
