"""TLS contexts for the protocol servers (implicit TLS and STARTTLS) and for outgoing connections.

Implementation notes:
- Contexts are gevent's ``SSLContext`` (a subclass of the standard one), so wrapping a gevent socket
  yields to other greenlets during the handshake and I/O, whether or not the process monkey-patched
  ``ssl``.
- TLS 1.2 is the oldest version offered; for TLS 1.2 only forward-secret AEAD suites are enabled (TLS 1.3
  suites are OpenSSL's defaults, all of them fine). Compression and renegotiation are off.
- The server pair is ``tls/cert.pem`` + ``tls/key.pem`` of the data directory, as ``fieldpost init`` writes
  it (:mod:`fieldpost.tls`); an operator replaces the files and restarts the service.
"""

from __future__ import annotations

from pathlib import Path

from gevent import ssl

from fieldpost.config import Config
from fieldpost.tls import CERT_FILE, KEY_FILE

#: TLS 1.2 suites: ECDHE/DHE key exchange, AEAD ciphers only.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!MD5:!DSS"


class TLSSetupError(RuntimeError):
    """The certificate or key cannot be loaded."""


def _harden(context: ssl.SSLContext) -> ssl.SSLContext:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION
    if hasattr(ssl, "OP_NO_RENEGOTIATION"):
        context.options |= ssl.OP_NO_RENEGOTIATION
    return context


def certificate_paths(config: Config) -> tuple[Path, Path]:
    """(certificate, key) of the data directory."""
    return config.tls_dir / CERT_FILE, config.tls_dir / KEY_FILE


def server_context(config: Config) -> ssl.SSLContext:
    """A server-side context with the data directory's certificate and key.

    Raises:
        TLSSetupError: the files are missing or do not form a pair.
    """
    cert, key = certificate_paths(config)
    return server_context_from(cert, key)


def server_context_from(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side context from explicit certificate (chain) and key files."""
    context = _harden(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise TLSSetupError(f"cannot load the TLS certificate {cert} and key {key}: {exc}") from None
    return context


def client_context(verify: bool, cafile: str | Path | None = None) -> ssl.SSLContext:
    """A client-side context. ``verify=False`` encrypts without checking the peer (opportunistic TLS
    between mail servers, RFC 3207 section 4.1 allows it); ``verify=True`` checks the chain against
    ``cafile`` (or the system's trust store) and the host name."""
    context = _harden(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    if verify:
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        if cafile is not None:
            context.load_verify_locations(cafile=str(cafile))
        else:
            context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
