"""Autoconfig answers (webmail/autoconfig.py) through the Flask test client: parsed as a client parses
them, every advertised server checked against the listeners of the configuration they came from."""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fieldpost import config as configuration
from fieldpost.tls import make_self_signed
from tests.webmail.conftest import Seeded
from webmail import create_app

HOST = "mail.example.test"
OFFSET = 30000
RESPONSE_NS = "{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}"
OUTLOOK_NS = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
OUTLOOK_SCHEMA = OUTLOOK_NS.strip("{}")
REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request><EMailAddress>{address}</EMailAddress>
  <AcceptableResponseSchema>{schema}</AcceptableResponseSchema></Request>
</Autodiscover>"""

#: Element names of Mozilla's config file format (wiki.mozilla.org/Thunderbird:Autoconfiguration:
#: ConfigFileFormat) and the values it allows for the fields we write.
THUNDERBIRD_ELEMENTS = {
    "clientConfig", "emailProvider", "domain", "displayName", "displayShortName", "incomingServer",
    "outgoingServer", "hostname", "port", "socketType", "authentication", "username", "pop3",
    "leaveMessagesOnServer", "downloadOnBiff", "daysToLeaveMessagesOnServer", "checkInterval",
    "addThisServer", "useGlobalPreferredServer", "password", "documentation", "descr", "enable",
    "instruction", "identity", "inputField", "webMail", "loginPage", "loginPageInfo", "oAuth2",
}  # fmt: skip
SOCKET_TYPES = {"plain", "SSL", "STARTTLS"}
AUTHENTICATIONS = {
    "password-cleartext", "password-encrypted", "NTLM", "GSSAPI", "client-IP-address", "TLS-client-cert",
    "OAuth2", "none",
}  # fmt: skip
#: The TLS each socketType / Encryption value means, in our listener terms.
THUNDERBIRD_TLS = {"SSL": "implicit", "STARTTLS": "starttls", "plain": "none"}
OUTLOOK_TLS = {"SSL": "implicit", "TLS": "starttls", "None": "none"}


def make_config(data: Path, **raw: object) -> configuration.Config:
    return configuration.from_mapping(data, {"hostname": HOST, **raw}, OFFSET)


@pytest.fixture
def config(tmp_path: Path) -> configuration.Config:
    make_self_signed(tmp_path / "tls", HOST)
    return make_config(tmp_path, ports={"imaps": 993, "submission": 587})


@pytest.fixture
def app(seeded: Seeded, config: configuration.Config) -> Flask:
    return create_app({"TESTING": True, "STORE": seeded.store, "FIELDPOST_CONFIG": config})


def listeners_by_port(config: configuration.Config) -> dict[int, configuration.Listener]:
    return {listener.port: listener for listener in config.listeners()}


def thunderbird_servers(body: bytes) -> list[tuple[str, str, int, str]]:
    """(element, type, port, socketType) of every server, after checking the format."""
    root = ET.fromstring(body)
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    assert {e.tag for e in root.iter()} <= THUNDERBIRD_ELEMENTS
    provider = root.find("emailProvider")
    assert provider is not None
    found = []
    for server in provider:
        if server.tag not in ("incomingServer", "outgoingServer"):
            continue
        assert server.findtext("socketType") in SOCKET_TYPES
        assert server.findtext("authentication") in AUTHENTICATIONS
        assert server.findtext("hostname") == HOST
        assert server.findtext("username") == "%EMAILADDRESS%"
        found.append(
            (
                server.tag,
                str(server.get("type")),
                int(server.findtext("port") or 0),
                str(server.findtext("socketType")),
            )
        )
    return found


def test_thunderbird_answer_matches_the_listeners(client: FlaskClient, config: configuration.Config) -> None:
    reply = client.get("/mail/config-v1.1.xml?emailaddress=alice@example.test")
    assert reply.status_code == 200 and reply.mimetype == "application/xml"
    servers = thunderbird_servers(reply.data)
    ports = listeners_by_port(config)
    for tag, kind, port, socket_type in servers:
        listener = ports[port]
        assert listener.tls == THUNDERBIRD_TLS[socket_type]
        assert kind == listener.service
        assert (tag == "outgoingServer") == (kind == "smtp")
    # the configured ports plus the offset; implicit TLS first; never the MX port
    assert servers[0] == ("incomingServer", "imap", 993 + OFFSET, "SSL")
    assert servers[1] == ("incomingServer", "imap", 1143 + OFFSET, "STARTTLS")
    outgoing = [(port, st) for tag, _, port, st in servers if tag == "outgoingServer"]
    assert outgoing == [(2465 + OFFSET, "SSL"), (587 + OFFSET, "STARTTLS")]
    assert 2525 + OFFSET not in [port for _, _, port, _ in servers]


def test_well_known_path_takes_the_domain_from_the_host(client: FlaskClient) -> None:
    reply = client.get(
        "/.well-known/autoconfig/mail/config-v1.1.xml", base_url="http://autoconfig.example.test"
    )
    assert reply.status_code == 200
    assert ET.fromstring(reply.data).findtext("emailProvider/domain") == "example.test"
    same = client.get("/.well-known/autoconfig/mail/config-v1.1.xml", base_url="http://example.test:8000")
    assert same.data == reply.data


def test_unknown_domain_is_404_and_accounts_are_not_revealed(client: FlaskClient, seeded: Seeded) -> None:
    assert client.get("/mail/config-v1.1.xml?emailaddress=x@nowhere.test").status_code == 404
    known = client.get("/mail/config-v1.1.xml?emailaddress=alice@example.test")
    unknown = client.get("/mail/config-v1.1.xml?emailaddress=nobody@example.test")
    assert known.status_code == unknown.status_code == 200 and known.data == unknown.data
    seeded.store.domains.set_enabled("example.test", False)
    assert client.get("/mail/config-v1.1.xml?emailaddress=alice@example.test").status_code == 404


def test_domain_alias_answers_for_its_domain(client: FlaskClient, seeded: Seeded) -> None:
    seeded.store.domains.add_alias("example.test", "example.org")
    reply = client.get("/mail/config-v1.1.xml?emailaddress=alice@EXAMPLE.org")
    assert reply.status_code == 200
    assert ET.fromstring(reply.data).findtext("emailProvider/domain") == "example.test"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("emailaddress=not-an-address", "expected local@domain"),
        ("emailaddress=" + "a" * 250 + "@example.test", "longer than 254"),
        ("emailaddress=<script>@example.test", "invalid local part"),
        ("", "pass the address"),
    ],
)
def test_bad_input_gets_a_clear_400(client: FlaskClient, query: str, words: str) -> None:
    reply = client.get(f"/mail/config-v1.1.xml?{query}", base_url="http://localhost:8000")
    assert reply.status_code == 400 and words in reply.get_data(as_text=True)


def outlook_protocols(body: bytes) -> dict[str, dict[str, str]]:
    root = ET.fromstring(body)
    assert root.tag == f"{RESPONSE_NS}Autodiscover"
    account = root.find(f"{OUTLOOK_NS}Response/{OUTLOOK_NS}Account")
    assert account is not None and account.findtext(f"{OUTLOOK_NS}Action") == "settings"
    return {
        str(p.findtext(f"{OUTLOOK_NS}Type")): {c.tag.removeprefix(OUTLOOK_NS): c.text or "" for c in p}
        for p in account.findall(f"{OUTLOOK_NS}Protocol")
    }


@pytest.mark.parametrize("path", ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"])
def test_outlook_post_without_csrf_answers_the_best_servers(
    client: FlaskClient, config: configuration.Config, path: str
) -> None:
    body = REQUEST.format(address="Alice@example.test", schema=OUTLOOK_SCHEMA)
    reply = client.post(path, data=body, content_type="text/xml")
    assert reply.status_code == 200
    protocols = outlook_protocols(reply.data)
    assert set(protocols) == {"IMAP", "POP3", "SMTP"}
    ports = listeners_by_port(config)
    for kind, fields in protocols.items():
        listener = ports[int(fields["Port"])]
        assert listener.service == {"IMAP": "imap", "POP3": "pop3", "SMTP": "smtp"}[kind]
        assert listener.tls == OUTLOOK_TLS[fields["Encryption"]] == "implicit"
        assert fields["Server"] == HOST and fields["LoginName"] == "alice@example.test"
        assert fields["SSL"] == "on" and fields["AuthRequired"] == "on"
    assert int(protocols["SMTP"]["Port"]) == 2465 + OFFSET


def test_outlook_get_and_errors(client: FlaskClient) -> None:
    reply = client.get("/autodiscover/autodiscover.xml?emailaddress=bob@example.test")
    assert reply.status_code == 200 and "IMAP" in outlook_protocols(reply.data)
    assert (
        client.post(
            "/autodiscover/autodiscover.xml",
            data=REQUEST.format(address="x@nowhere.test", schema=OUTLOOK_SCHEMA),
        ).status_code
        == 404
    )
    mobilesync = REQUEST.format(
        address="bob@example.test",
        schema="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006",
    )
    error = ET.fromstring(client.post("/autodiscover/autodiscover.xml", data=mobilesync).data)
    assert error.findtext(f"{RESPONSE_NS}Response/{RESPONSE_NS}Error/{RESPONSE_NS}ErrorCode") == "600"
    for bad, words in [
        (b"<Autodiscover>", "not well-formed"),
        (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "DTD"),
        (b"<Autodiscover><Request/></Autodiscover>", "no EMailAddress"),
        (b"<a>" + b" " * 20_000 + b"</a>", "larger than"),
    ]:
        answer = client.post("/autodiscover/autodiscover.xml", data=bad, content_type="text/xml")
        assert answer.status_code == 400 and words in answer.get_data(as_text=True), bad[:40]


def test_apple_profile(client: FlaskClient, config: configuration.Config) -> None:
    reply = client.get("/apple/mobileconfig?email=carol@example.test")
    assert reply.status_code == 200
    assert reply.mimetype == "application/x-apple-aspen-config"
    assert "carol_at_example.test.mobileconfig" in reply.headers["Content-Disposition"]
    profile = plistlib.loads(reply.data)
    assert profile["PayloadType"] == "Configuration"
    (mail,) = profile["PayloadContent"]
    ports = listeners_by_port(config)
    assert mail["PayloadType"] == "com.apple.mail.managed" and mail["EmailAddress"] == "carol@example.test"
    assert ports[mail["IncomingMailServerPortNumber"]].name == "imaps" and mail["IncomingMailServerUseSSL"]
    assert ports[mail["OutgoingMailServerPortNumber"]].name == "submissions"
    assert mail["IncomingMailServerHostName"] == mail["OutgoingMailServerHostName"] == HOST
    again = plistlib.loads(client.get("/apple/mobileconfig?email=carol@example.test").data)
    assert again["PayloadUUID"] == profile["PayloadUUID"]  # a newer profile replaces the installed one
    for_domain = plistlib.loads(client.get("/apple/mobileconfig?domain=example.test").data)
    assert "EmailAddress" not in for_domain["PayloadContent"][0]
    assert client.get("/apple/mobileconfig?email=a@nowhere.test").status_code == 404
    assert client.get("/apple/mobileconfig").status_code == 400


def test_without_a_tls_pair_only_plain_listeners_are_advertised(seeded: Seeded, tmp_path: Path) -> None:
    bare = make_config(tmp_path / "bare", services=["smtp", "imap", "web"])
    app = create_app({"TESTING": True, "STORE": seeded.store, "FIELDPOST_CONFIG": bare})
    servers = thunderbird_servers(
        app.test_client().get("/mail/config-v1.1.xml?emailaddress=a@example.test").data
    )
    assert servers == [
        ("incomingServer", "imap", 1143 + OFFSET, "plain"),
        ("outgoingServer", "smtp", 2587 + OFFSET, "plain"),
    ]  # and no POP3: the service is not run


def test_answers_escape_what_they_echo(client: FlaskClient) -> None:
    # the only echoed value is the address, which must already be an address; the XML stays well-formed
    reply = client.post(
        "/autodiscover/autodiscover.xml",
        data=REQUEST.format(address="o&apos;brien@example.test", schema=OUTLOOK_SCHEMA),
    )
    assert reply.status_code == 200
    fields = outlook_protocols(reply.data)["IMAP"]
    assert fields["LoginName"] == "o'brien@example.test"


def test_webmail_settings_link_to_the_users_own_profile(client: FlaskClient, seeded: Seeded) -> None:
    from tests.webmail.conftest import AuthActions

    AuthActions(client).login("bob@example.test", "pass-bob")
    page = client.get("/mail/settings/").get_data(as_text=True)
    link = "/apple/mobileconfig?email=bob@example.test"
    assert f'href="{link}"' in page
    mail = plistlib.loads(client.get(link).data)["PayloadContent"][0]
    assert mail["EmailAddress"] == "bob@example.test"
