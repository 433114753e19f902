"""What a mail client needs to set up an account, in the three formats clients fetch on their own.

Pure functions (no Flask, no storage): :func:`endpoints` turns the static configuration into the servers a
client should use, and one builder per format writes them out:

* :func:`thunderbird_xml` -- Mozilla's autoconfig ``clientConfig`` version 1.1 (Thunderbird, K-9/Thunderbird
  for Android, Evolution, KMail, and others that read the same file);
* :func:`outlook_xml` -- the "outlook" response schema of the Autodiscover protocol (POX, 2006a): Outlook
  and many mobile clients for IMAP/POP3/SMTP accounts;
* :func:`apple_profile` -- an unsigned configuration profile (``.mobileconfig``) with one mail payload
  for iOS, iPadOS and macOS.

Why the answers look the way they do:

* Only the submission listeners are offered for sending (``submissions`` with implicit TLS, then
  ``submission`` with STARTTLS), never the MX port: clients authenticate there (RFC 6409).
* Implicit TLS comes before STARTTLS for every protocol (RFC 8314 section 3 recommends it). Without a TLS
  pair in the data directory the servers skip their implicit-TLS listeners and offer no STARTTLS, so then
  the plain listeners are advertised as plain: an answer never names a port the server does not serve
  that way.
* The login name is the full address (every Fieldpost service accepts it); Thunderbird is given its
  ``%EMAILADDRESS%`` placeholder, so the answer does not depend on who asked.
* Everything is built with an XML/plist serialiser, so every value is escaped.
"""

from __future__ import annotations

import plistlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from fieldpost.config import Config

#: Listener name -> the protocol a client uses on it (mail access and submission only).
CLIENT_LISTENERS: dict[str, str] = {
    "imaps": "imap",
    "imap": "imap",
    "pop3s": "pop3",
    "pop3": "pop3",
    "submissions": "smtp",
    "submission": "smtp",
}
PROTOCOL_ORDER = ("imap", "pop3", "smtp")

OUTLOOK_RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
OUTLOOK_REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
#: Thunderbird's socketType per TLS mode of a listener.
THUNDERBIRD_SOCKET = {"implicit": "SSL", "starttls": "STARTTLS", "none": "plain"}
#: Autodiscover's Encryption element per TLS mode ("SSL": TLS from the start, "TLS": STARTTLS).
OUTLOOK_ENCRYPTION = {"implicit": "SSL", "starttls": "TLS", "none": "None"}
PROFILE_NAMESPACE = uuid.UUID("6f1c2e0a-52b3-4d1e-9d4e-7a0c3f5e8b21")  # for stable profile UUIDs


@dataclass(frozen=True)
class Endpoint:
    """One server a client may use: ``protocol`` "imap", "pop3" or "smtp"; ``security`` "implicit",
    "starttls" or "none" (as :data:`fieldpost.config.TLS_MODES`)."""

    protocol: str
    host: str
    port: int
    security: str
    listener: str


def endpoints(config: Config, tls_ready: bool) -> list[Endpoint]:
    """The servers to advertise, best first within each protocol (imap, pop3, smtp).

    Args:
        config: the static configuration (host name, ports with the port offset, services run).
        tls_ready: a TLS pair is in the data directory, so implicit-TLS listeners run and STARTTLS is
            offered.
    """
    found: list[Endpoint] = []
    for listener in config.listeners():
        protocol = CLIENT_LISTENERS.get(listener.name)
        if protocol is None or listener.service not in config.services:
            continue
        security = listener.tls
        if not tls_ready:
            if security == "implicit":
                continue
            security = "none"
        found.append(Endpoint(protocol, config.hostname, listener.port, security, listener.name))
    rank = {"implicit": 0, "starttls": 1, "none": 2}
    return sorted(found, key=lambda e: (PROTOCOL_ORDER.index(e.protocol), rank[e.security]))


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = value
    return child


def _serialise(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def thunderbird_xml(domain: str, servers: list[Endpoint]) -> bytes:
    """Mozilla's ``clientConfig`` (version 1.1) for ``domain``: every IMAP/POP3 server as an
    ``incomingServer``, every submission server as an ``outgoingServer``, best first."""
    root = ET.Element("clientConfig", version="1.1")
    provider = ET.SubElement(root, "emailProvider", id=domain)
    _text(provider, "domain", domain)
    _text(provider, "displayName", domain)
    _text(provider, "displayShortName", domain.split(".")[0])
    for server in servers:
        tag = "outgoingServer" if server.protocol == "smtp" else "incomingServer"
        element = ET.SubElement(provider, tag, type=server.protocol)
        _text(element, "hostname", server.host)
        _text(element, "port", str(server.port))
        _text(element, "socketType", THUNDERBIRD_SOCKET[server.security])
        _text(element, "authentication", "password-cleartext")
        _text(element, "username", "%EMAILADDRESS%")
    return _serialise(root)


def outlook_xml(address: str, servers: list[Endpoint]) -> bytes:
    """An Autodiscover answer (outlook schema 2006a) for ``address``: the best server of each protocol."""
    root = ET.Element("Autodiscover", xmlns=OUTLOOK_RESPONSE_NS)
    response = ET.SubElement(root, "Response", xmlns=OUTLOOK_SCHEMA)
    account = ET.SubElement(response, "Account")
    _text(account, "AccountType", "email")
    _text(account, "Action", "settings")
    seen: set[str] = set()
    for server in servers:
        if server.protocol in seen:
            continue
        seen.add(server.protocol)
        protocol = ET.SubElement(account, "Protocol")
        _text(protocol, "Type", server.protocol.upper())
        _text(protocol, "Server", server.host)
        _text(protocol, "Port", str(server.port))
        _text(protocol, "DomainRequired", "off")
        _text(protocol, "LoginName", address)
        _text(protocol, "SPA", "off")
        _text(protocol, "SSL", "off" if server.security == "none" else "on")
        _text(protocol, "Encryption", OUTLOOK_ENCRYPTION[server.security])
        _text(protocol, "AuthRequired", "on")
        if server.protocol == "smtp":
            _text(protocol, "UsePOPAuth", "on")
    return _serialise(root)


def outlook_error(code: int, message: str) -> bytes:
    """An Autodiscover error answer (for a request asking for a schema we do not serve)."""
    root = ET.Element("Autodiscover", xmlns=OUTLOOK_RESPONSE_NS)
    response = ET.SubElement(root, "Response")
    error = ET.SubElement(response, "Error")
    _text(error, "ErrorCode", str(code))
    _text(error, "Message", message)
    ET.SubElement(error, "DebugData")
    return _serialise(root)


def apple_profile(domain: str, address: str | None, servers: list[Endpoint]) -> bytes:
    """A configuration profile with one mail account (IMAP preferred, else POP3) for ``address``, or for
    any address of ``domain`` when None (the device then asks for the address and the name).

    The profile is not signed: the device shows it as "Not Verified" before installing it. Its UUIDs are
    derived from the host name and the address, so installing a newer profile replaces the older one.
    """
    incoming = next((s for s in servers if s.protocol in ("imap", "pop3")), None)
    outgoing = next((s for s in servers if s.protocol == "smtp"), None)
    if incoming is None or outgoing is None:
        raise ValueError("no mail access or submission listener to describe")
    label = address or domain
    identity = f"{incoming.host}/{label}"
    reverse = ".".join(reversed(incoming.host.split(".")))
    mail: dict[str, object] = {
        "PayloadType": "com.apple.mail.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{reverse}.mail.{label}",
        "PayloadUUID": str(uuid.uuid5(PROFILE_NAMESPACE, "mail:" + identity)).upper(),
        "PayloadDisplayName": label,
        "EmailAccountDescription": label,
        "EmailAccountType": "EmailTypeIMAP" if incoming.protocol == "imap" else "EmailTypePOP",
        "IncomingMailServerHostName": incoming.host,
        "IncomingMailServerPortNumber": incoming.port,
        "IncomingMailServerUseSSL": incoming.security != "none",
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerHostName": outgoing.host,
        "OutgoingMailServerPortNumber": outgoing.port,
        "OutgoingMailServerUseSSL": outgoing.security != "none",
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingPasswordSameAsIncomingPassword": True,
    }
    if address:
        mail.update(
            EmailAddress=address, IncomingMailServerUsername=address, OutgoingMailServerUsername=address
        )
    profile: dict[str, object] = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{reverse}.profile.{label}",
        "PayloadUUID": str(uuid.uuid5(PROFILE_NAMESPACE, "profile:" + identity)).upper(),
        "PayloadDisplayName": f"Mail: {label}",
        "PayloadDescription": f"Sets up the mail account {label} on {incoming.host}.",
        "PayloadRemovalDisallowed": False,
        "PayloadContent": [mail],
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)
