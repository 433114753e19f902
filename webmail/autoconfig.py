"""Autoconfig: the addresses mail clients fetch to set an account up by themselves (no sign-in).

Served on WebMail's listener (docs/autoconfig.md lists the DNS names to point at it):

* ``GET /.well-known/autoconfig/mail/config-v1.1.xml`` and ``GET /mail/config-v1.1.xml`` -- Thunderbird's
  autoconfig (the address in ``?emailaddress=``, else the domain from the Host name, e.g.
  ``autoconfig.example.org``);
* ``POST`` (and ``GET ?emailaddress=``) ``/autodiscover/autodiscover.xml``, any case -- Outlook's
  Autodiscover (the address in the request's ``EMailAddress``);
* ``GET /apple/mobileconfig?email=...`` (or ``?domain=...``) -- an unsigned Apple configuration profile.

Rules every route keeps: the answer is built from the real listeners of the static configuration
(:mod:`webmail.client_setup`); a domain that is not ours (or is disabled) gets 404 and the same words as a
malformed one would not -- but nothing in any answer depends on whether the account exists, so the
routes cannot be used to probe for accounts. Input is bounded (an address of at most 254 characters, an
Autodiscover request of at most 16 KiB, no DTD) and bad input gets 400 with a clear text. Autodiscover's
POST comes from mail clients, not from a browser session, so it is exempt from CSRF.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from fieldpost import config as configuration
from fieldpost.tls import CERT_FILE, KEY_FILE
from storage.errors import InvalidInput, NotFound
from storage.names import domain_name, split_address
from webmail import client_setup
from webmail.binding import current_store
from webmail.security import csrf

bp = Blueprint("autoconfig", __name__)

MAX_ADDRESS = 254  # RFC 5321 4.5.3.1.3 (a path is 256 octets with its angle brackets)
MAX_REQUEST = 16 * 1024  # an Autodiscover request is a few hundred bytes
HOST_PREFIXES = ("autoconfig.", "autodiscover.")
CONFIG_KEY = "FIELDPOST_CONFIG"  # a ready Config (tests); else read from DATA_DIR or the environment
PLAIN = {"Content-Type": "text/plain; charset=utf-8"}


def listener_config() -> configuration.Config:
    """The static configuration whose listeners the answers describe (with the port offset the services
    run with), read once per app."""
    found = current_app.config.get(CONFIG_KEY)
    if found is None:
        data_dir = current_app.config.get("DATA_DIR")
        offset = configuration.environment_port_offset()
        found = configuration.load(data_dir, offset) if data_dir else configuration.from_environment()
        current_app.config[CONFIG_KEY] = found
    assert isinstance(found, configuration.Config)
    return found


def servers() -> list[client_setup.Endpoint]:
    try:
        config = listener_config()
    except configuration.ConfigError as exc:  # a WebMail app run without its data directory
        abort(Response(f"autoconfig is not available: {exc}\n", status=503, headers=PLAIN))
    tls_ready = (config.tls_dir / CERT_FILE).is_file() and (config.tls_dir / KEY_FILE).is_file()
    return client_setup.endpoints(config, tls_ready)


def _bad(message: str) -> Response:
    return Response(message + "\n", status=400, headers=PLAIN)


def _address(value: str) -> tuple[str, str]:
    """(address as given but trimmed, its domain) for a syntactically valid address.

    Raises:
        InvalidInput: too long or not an address.
    """
    value = value.strip()
    if len(value) > MAX_ADDRESS:
        raise InvalidInput(f"the address is longer than {MAX_ADDRESS} characters")
    local, domain = split_address(value)
    return f"{local}@{domain}", domain


def _domain_from_host() -> str:
    """The mail domain a request names through its Host: ``autoconfig.example.org`` -> example.org."""
    host = request.host.rpartition(":")[0] if request.host.count(":") == 1 else request.host
    host = host.lower()
    for prefix in HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix) :]
    try:
        return domain_name(host)
    except InvalidInput:
        raise InvalidInput("pass the address: ?emailaddress=you@example.org") from None


def _served_domain(name: str) -> str:
    """The canonical name of our (enabled) domain ``name`` or one of its aliases; 404 otherwise."""
    try:
        domain = current_store().domains.get(name)
    except NotFound:
        abort(Response(f"no mail domain {name} is served here\n", status=404, headers=PLAIN))
    if not domain.enabled:
        abort(Response(f"no mail domain {name} is served here\n", status=404, headers=PLAIN))
    return domain.name


def _xml(body: bytes) -> Response:
    return Response(body, content_type="application/xml; charset=utf-8")


@bp.get("/.well-known/autoconfig/mail/config-v1.1.xml")
@bp.get("/mail/config-v1.1.xml")
def thunderbird() -> Response:
    given = request.args.get("emailaddress", "")
    try:
        domain = _address(given)[1] if given else _domain_from_host()
    except InvalidInput as exc:
        return _bad(str(exc))
    return _xml(client_setup.thunderbird_xml(_served_domain(domain), servers()))


def _autodiscover_request() -> tuple[str, str | None]:
    """(address, requested response schema) from an Autodiscover POST body.

    Raises:
        InvalidInput: too large, has a DTD, is not XML, or names no address.
    """
    body = request.get_data(cache=False)
    if len(body) > MAX_REQUEST:
        raise InvalidInput(f"the request is larger than {MAX_REQUEST} bytes")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise InvalidInput("a DTD is not accepted in an Autodiscover request")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise InvalidInput(f"the request is not well-formed XML: {exc}") from None
    ns = f"{{{client_setup.OUTLOOK_REQUEST_NS}}}"
    address = root.findtext(f"{ns}Request/{ns}EMailAddress") or root.findtext("Request/EMailAddress")
    schema = root.findtext(f"{ns}Request/{ns}AcceptableResponseSchema") or root.findtext(
        "Request/AcceptableResponseSchema"
    )
    if not address:
        raise InvalidInput("the request names no EMailAddress")
    return address, schema.strip() if schema else None


@bp.route("/autodiscover/autodiscover.xml", methods=["GET", "POST"])
@bp.route("/Autodiscover/Autodiscover.xml", methods=["GET", "POST"])
@bp.route("/AutoDiscover/AutoDiscover.xml", methods=["GET", "POST"])
def outlook() -> Response:
    if request.content_length is not None and request.content_length > MAX_REQUEST:
        return _bad(f"the request is larger than {MAX_REQUEST} bytes")
    try:
        if request.method == "POST":
            given, schema = _autodiscover_request()
        else:
            given, schema = request.args.get("emailaddress", "") or request.args.get("email", ""), None
            if not given:
                raise InvalidInput("pass the address: ?emailaddress=you@example.org")
        address, domain = _address(given)
    except InvalidInput as exc:
        return _bad(str(exc))
    _served_domain(domain)
    if schema is not None and schema != client_setup.OUTLOOK_SCHEMA:
        # e.g. the ActiveSync ("mobilesync") schema: this server speaks IMAP, POP3 and SMTP only
        return _xml(client_setup.outlook_error(600, "Invalid Request"))
    return _xml(client_setup.outlook_xml(address, servers()))


@bp.get("/apple/mobileconfig")
def apple() -> Response:
    given = request.args.get("email", "") or request.args.get("emailaddress", "")
    try:
        if given:
            address, domain = _address(given)
        elif request.args.get("domain"):
            address, domain = None, domain_name(request.args["domain"][:MAX_ADDRESS])
        else:
            raise InvalidInput("pass ?email=you@example.org (or ?domain=example.org)")
    except InvalidInput as exc:
        return _bad(str(exc))
    name = _served_domain(domain)
    try:
        body = client_setup.apple_profile(name, address, servers())
    except ValueError as exc:
        abort(Response(f"{exc}\n", status=404, headers=PLAIN))
    filename = (address or name).replace("@", "_at_") + ".mobileconfig"
    return Response(
        body,
        content_type="application/x-apple-aspen-config",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def init_app(app: Any) -> None:
    """Register the routes; Autodiscover's POST is a client's request, not a browser form."""
    app.register_blueprint(bp)
    csrf.exempt(bp)
