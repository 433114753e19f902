"""The self-signed pair of ``fieldpost init``."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import pytest
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


def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, name: str) -> None:
    """A full TLS handshake over memory buffers; raises ssl.SSLCertVerificationError on a bad name."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=name)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for side, obj, out, peer_in in (("client", client, c_out, s_in), ("server", server, s_out, c_in)):
            if not done[side]:
                try:
                    obj.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
            peer_in.write(out.read())
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


@pytest.mark.parametrize("name", ["mail.example.test", "localhost", "127.0.0.1", "::1"])
def test_clients_checking_the_host_name_accept_it(tmp_path: Path, name: str) -> None:
    cert_path, key_path = make_self_signed(tmp_path, "mail.example.test")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cafile=str(cert_path))
    handshake(server_ctx, client_ctx, name)


def test_other_names_are_refused(tmp_path: Path) -> None:
    cert_path, key_path = make_self_signed(tmp_path, "mail.example.test")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cafile=str(cert_path))
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(server_ctx, client_ctx, "evil.example.net")
