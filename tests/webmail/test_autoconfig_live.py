"""The autoconfig answers are usable: a running server (``fieldpost serve`` with SMTP, IMAP, POP3 and the
web service on a random port offset) is asked over HTTP, as a mail client asks it, and every advertised
IMAP, POP3 and SMTP server is connected to with the TLS the answer names and logged in to with the demo
password."""

from __future__ import annotations

import imaplib
import plistlib
import poplib
import re
import smtplib
import ssl
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.interop.conftest import Server, start_supervisor, wait_for
from tests.support.service import init_demo

HOST = "mail.example.test"
ADDRESS = "alice@example.test"
PASSWORD = "demopass1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("autoconfig") / "data"
    init_demo(data, HOST)
    config_file = data / "fieldpost.toml"
    text = re.sub(
        r"^services = .*$", 'services = ["smtp", "imap", "pop3", "web"]', config_file.read_text(), flags=re.M
    )
    config_file.write_text(text)
    running = start_supervisor(data, ("smtp", "imap", "pop3", "web"))
    try:
        wait_for(lambda: _get(running, "/health") is not None, 60, "the web service")
        yield running
    finally:
        running.stop()


def _get(server: Server, path: str) -> bytes | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port('webmail')}{path}", timeout=10) as reply:
            return bytes(reply.read())
    except OSError:
        return None


def _tls(server: Server) -> ssl.SSLContext:
    """Trusts the server's certificate and checks it names HOST, as a client configured by hand would."""
    return ssl.create_default_context(cafile=server.cafile)


def imap_login(server: Server, host: str, port: int, socket_type: str) -> None:
    context = _tls(server)
    client: imaplib.IMAP4
    if socket_type == "SSL":
        client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=_named(context, host))
    else:
        client = imaplib.IMAP4("127.0.0.1", port)
        assert socket_type == "STARTTLS"
        client.starttls(_named(context, host))
    try:
        assert client.login(ADDRESS, PASSWORD)[0] == "OK"
        assert client.select("INBOX")[0] == "OK"
    finally:
        client.logout()


def pop3_login(server: Server, host: str, port: int, socket_type: str) -> None:
    context = _named(_tls(server), host)
    client: poplib.POP3
    if socket_type == "SSL":
        client = poplib.POP3_SSL("127.0.0.1", port, context=context, timeout=20)
    else:
        client = poplib.POP3("127.0.0.1", port, timeout=20)
        assert socket_type == "STARTTLS"
        client.stls(context=context)
    try:
        assert client.user(ADDRESS).startswith(b"+OK")
        assert client.pass_(PASSWORD).startswith(b"+OK")
        assert client.stat()[0] >= 0
    finally:
        client.quit()


def smtp_login(server: Server, host: str, port: int, socket_type: str) -> None:
    context = _named(_tls(server), host)
    client: smtplib.SMTP
    if socket_type == "SSL":
        client = smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=20)
    else:
        client = smtplib.SMTP("127.0.0.1", port, timeout=20)
        assert socket_type == "STARTTLS"
        client.starttls(context=context)
    try:
        assert client.login(ADDRESS, PASSWORD)[0] == 235
    finally:
        client.quit()


def _named(context: ssl.SSLContext, host: str) -> ssl.SSLContext:
    """A context whose handshakes check ``host`` whatever address the socket went to."""
    wrap = context.wrap_socket

    def wrap_named(sock: object, *args: object, **kwargs: object) -> ssl.SSLSocket:
        kwargs["server_hostname"] = host
        return wrap(sock, *args, **kwargs)  # type: ignore[arg-type]

    context.wrap_socket = wrap_named  # type: ignore[method-assign]
    return context


def test_thunderbird_answer_logs_in_everywhere(server: Server) -> None:
    body = _get(server, f"/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={ADDRESS}")
    assert body is not None
    provider = ET.fromstring(body).find("emailProvider")
    assert provider is not None
    tried = []
    for element in provider:
        if element.tag not in ("incomingServer", "outgoingServer"):
            continue
        kind, host = element.get("type"), str(element.findtext("hostname"))
        port, socket_type = int(element.findtext("port") or 0), str(element.findtext("socketType"))
        assert host == HOST
        if kind == "imap":
            imap_login(server, host, port, socket_type)
        elif kind == "pop3":
            pop3_login(server, host, port, socket_type)
        elif kind == "smtp":
            smtp_login(server, host, port, socket_type)
        else:
            pytest.fail(f"{kind} advertised although the service is not run")
        tried.append((kind, port - server.offset, socket_type))
    assert tried == [
        ("imap", 1993, "SSL"), ("imap", 1143, "STARTTLS"), ("pop3", 1995, "SSL"), ("pop3", 1110, "STARTTLS"),
        ("smtp", 2465, "SSL"), ("smtp", 2587, "STARTTLS"),
    ]  # fmt: skip


def test_outlook_and_apple_answers_log_in(server: Server) -> None:
    request = (
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
        f"<Request><EMailAddress>{ADDRESS}</EMailAddress></Request></Autodiscover>"
    ).encode()
    url = f"http://127.0.0.1:{server.port('webmail')}/autodiscover/autodiscover.xml"
    with urllib.request.urlopen(urllib.request.Request(url, data=request), timeout=10) as reply:
        root = ET.fromstring(reply.read())
    ns = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
    for protocol in root.iter(f"{ns}Protocol"):
        socket_type = {"SSL": "SSL", "TLS": "STARTTLS"}[str(protocol.findtext(f"{ns}Encryption"))]
        login = {"IMAP": imap_login, "POP3": pop3_login, "SMTP": smtp_login}[
            str(protocol.findtext(f"{ns}Type"))
        ]
        login(
            server,
            str(protocol.findtext(f"{ns}Server")),
            int(protocol.findtext(f"{ns}Port") or 0),
            socket_type,
        )
    profile_body = _get(server, f"/apple/mobileconfig?email={ADDRESS}")
    assert profile_body is not None
    mail = plistlib.loads(profile_body)["PayloadContent"][0]
    imap_login(server, mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"], "SSL")
    smtp_login(server, mail["OutgoingMailServerHostName"], mail["OutgoingMailServerPortNumber"], "SSL")


def test_unknown_domain_is_404_over_http(server: Server) -> None:
    url = f"http://127.0.0.1:{server.port('webmail')}/mail/config-v1.1.xml?emailaddress=a@nowhere.test"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 404
