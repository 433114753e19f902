"""The SMTP client that hands mail to other servers (RFC 5321 as the sending side).

Implementation notes:

* Written on the standard library's ``smtplib`` over ordinary sockets. The processing service runs one
  delivery at a time, so blocking calls are fine there; every network step is bounded by
  ``relay.timeout_seconds`` and every DNS step by ``dns.timeout_seconds``. Under gevent's monkey patching
  the same code becomes cooperative, so a gevent-based caller can run several relays in greenlets.
* One ``Relay`` lives for one processing run. It keeps the connections it opened, keyed by
  (address, port, login), and reuses them (RSET between transactions) for further messages to the same
  destination; ``close()`` sends QUIT to all of them.
* Hosts are tried in MX preference order, each of their addresses in turn (RFC 5321 5.1); a host that
  cannot be reached, greets with an error, fails TLS or answers MAIL FROM with 4xx makes us try the next
  one. Once recipients have been answered by a host, that host's answers are final for this attempt.
* STARTTLS is used whenever offered (opportunistic, RFC 3207 4.1: the certificate is not checked). For
  domains in ``relay.require_tls_domains`` TLS is authenticated: the server's chain must lead to a CA of
  the system's trust store (or of ``relay.tls_cafile``) and name the MX host (RFC 6125 through
  ``ssl``'s host name check; for a routing rule, the rule's host). A host without STARTTLS, with a
  failed handshake or a certificate that does not verify is not used, and the mail waits (4xx, retried).
  Contexts come from ``sidecars.net.tls.client_context``, shared with every other TLS client.
* Extensions passed through: SIZE (declared, and refused early when over the server's limit), 8BITMIME
  (BODY=8BITMIME when the body has 8-bit bytes), SMTPUTF8 (required for UTF-8 addresses: a server without
  it makes the recipients fail permanently, RFC 6531 3.2), DSN (RET/ENVID, NOTIFY/ORCPT, RFC 3461).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from pathlib import Path

from filters import DnsNotFound, DnsTemporaryError, NoMailHost
from filters.dns import Resolver
from sidecars.net import tls
from sidecars.relay.outcome import (
    DELIVERED,
    PERMANENT,
    TEMPORARY,
    DomainResult,
    OutboundEnvelope,
    RecipientResult,
)
from sidecars.relay.routes import Route, route_for

MAX_ADDRESSES = 10  # hosts x addresses tried per attempt


class _HostFailed(Exception):
    """This host is of no use for this attempt; try the next one."""

    def __init__(self, code: int, reply: str, permanent: bool = False) -> None:
        super().__init__(reply)
        self.code, self.reply, self.permanent = code, reply, permanent


def _reply(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else msg
    return f"{code} {' '.join(text.split())}"


def _xtext(value: str) -> str:
    """RFC 3461 4: ENVID and ORCPT values travel as xtext. SMTP receiving queues them as they came (already
    xtext), so a value that is valid xtext is passed on unchanged; anything else is encoded."""
    if all(33 <= ord(c) <= 126 and c != "=" for c in value):
        return value
    return "".join(c if 33 <= ord(c) <= 126 and c not in "+=" else f"+{ord(c):02X}" for c in value)


class Relay:
    def __init__(
        self,
        resolver: Resolver,
        *,
        helo: str,
        port: int = 25,
        timeout: float = 120.0,
        routes: Sequence[Route] = (),
        require_tls: Sequence[str] = (),
        source_address: str = "",
        tls_cafile: str | Path | None = None,
    ) -> None:
        self.resolver = resolver
        self.helo = helo
        self.port = port
        self.timeout = timeout
        self.routes = list(routes)
        self.require_tls = {d.lower() for d in require_tls}
        self.source_address = source_address
        self._connections: dict[tuple[str, int, str | None], smtplib.SMTP] = {}
        self._tls = tls.client_context(verify=False)  # opportunistic: encryption only
        self._tls_verified: ssl.SSLContext | None = None  # for relay.require_tls_domains
        self._tls_error = ""
        try:
            self._tls_verified = tls.client_context(verify=True)  # the system's CAs ...
            if tls_cafile:
                self._tls_verified.load_verify_locations(cafile=str(tls_cafile))  # ... and the operator's
        except (OSError, ssl.SSLError) as exc:
            self._tls_verified = None
            self._tls_error = f"cannot load the CA file {tls_cafile}: {exc}"

    # -- the public entry ---------------------------------------------------------------------------

    def send(
        self, domain: str, envelope: OutboundEnvelope, raw: bytes, *, source_address: str | None = None
    ) -> DomainResult:
        """Deliver ``raw`` to the recipients of ``envelope`` (all in ``domain``); never raises for
        delivery problems, every recipient gets a result."""
        result = DomainResult(domain)
        wanted = envelope.recipients
        try:
            targets = self._targets(domain)
        except (DnsNotFound, NoMailHost) as exc:
            result.all(PERMANENT, 550, f"550 5.1.2 {exc}", wanted)
            return result
        except DnsTemporaryError as exc:
            result.all(TEMPORARY, 451, f"451 4.4.3 {exc}", wanted)
            result.unavailable = True
            return result
        if not targets:
            result.all(TEMPORARY, 451, f"451 4.4.1 no address found for the mail hosts of {domain}", wanted)
            result.unavailable = True
            return result
        data = re.sub(rb"\r?\n", b"\r\n", raw)
        last = (451, f"451 4.4.1 no mail host of {domain} could be reached")
        tried = False  # report the most preferred host's failure
        for host, address, port, route in targets:
            try:
                self._transaction(domain, host, address, port, route, envelope, data, result, source_address)
                return result
            except _HostFailed as exc:
                last = last if tried else (exc.code, exc.reply)
                tried = True
                if exc.permanent:
                    result.all(PERMANENT, exc.code, exc.reply, wanted, host)
                    return result
        result.all(TEMPORARY, last[0], last[1], wanted)
        result.unavailable = True
        return result

    def close(self) -> None:
        for conn in self._connections.values():
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()
        self._connections.clear()

    # -- where to --------------------------------------------------------------------------------

    def _targets(self, domain: str) -> list[tuple[str, str, int, Route | None]]:
        """(host name, address, port, route) to try, best first."""
        route = route_for(domain, self.routes)
        if route is not None:
            names = [(route.host.strip("[]"), route.port or self.port)]
        else:
            names = [(mx.name, self.port) for mx in self.resolver.mail_hosts(domain)]
        targets: list[tuple[str, str, int, Route | None]] = []
        first_error: Exception | None = None
        for name, port in names:
            try:
                addresses = self.resolver.addresses(name)
            except (DnsNotFound, DnsTemporaryError) as exc:  # a broken MX name: try the others
                first_error = first_error or exc
                continue
            targets += [(name, a, port, route) for a in addresses]
        if not targets and first_error is not None and len(names) == 1 and route is not None:
            raise first_error
        return targets[:MAX_ADDRESSES]

    # -- one host --------------------------------------------------------------------------------

    def _connect(
        self, domain: str, host: str, address: str, port: int, route: Route | None, source: str | None
    ) -> smtplib.SMTP:
        key = (address, port, route.user if route else None)
        conn = self._connections.get(key)
        if conn is not None:
            try:
                code, _ = conn.rset()
                if code == 250:
                    return conn
            except (smtplib.SMTPException, OSError):
                pass
            self._drop(key)
        src = source if source is not None else self.source_address
        try:
            conn = smtplib.SMTP(
                timeout=self.timeout, local_hostname=self.helo, source_address=(src, 0) if src else None
            )
            conn._host = host  # type: ignore[attr-defined]  # the name smtplib gives TLS as SNI (it keeps the constructor's, not connect's)
            code, msg = conn.connect(address, port)  # RFC 5321 4.3.1: 220 greeting
        except smtplib.SMTPConnectError as exc:
            raise _HostFailed(
                451, f"451 4.4.1 {host} [{address}] greeted with {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _HostFailed(451, f"451 4.4.1 cannot connect to {host} [{address}]:{port}: {exc}") from None
        try:
            self._hello(conn, domain, host, address)
            if route is not None and route.user:
                self._login(conn, host, route)
        except _HostFailed:
            conn.close()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()
            raise _HostFailed(451, f"451 4.4.2 {host} [{address}] dropped the session: {exc}") from None
        self._connections[key] = conn
        return conn

    def _hello(self, conn: smtplib.SMTP, domain: str, host: str, address: str) -> None:
        code, msg = conn.ehlo()  # RFC 5321 4.1.1.1
        if code != 250:
            code, msg = conn.helo()
            if code != 250:
                raise _HostFailed(451, f"451 4.4.2 {host} [{address}] refused HELO: {_reply(code, msg)}")
        required = domain in self.require_tls
        if conn.has_extn("starttls"):  # RFC 3207
            context = self._tls_verified if required else self._tls
            if context is None:
                raise _HostFailed(451, f"451 4.7.5 TLS with {host} cannot be verified: {self._tls_error}")
            try:
                code, msg = conn.starttls(context=context)
            except ssl.SSLCertVerificationError as exc:
                reason = exc.verify_message or str(exc)
                raise _HostFailed(
                    451, f"451 4.7.5 certificate of {host} [{address}] not accepted: {reason}"
                ) from None
            except (ssl.SSLError, OSError, smtplib.SMTPException) as exc:
                raise _HostFailed(451, f"451 4.7.5 TLS with {host} [{address}] failed: {exc}") from None
            if code != 220 and required:
                raise _HostFailed(451, f"451 4.7.5 {host} [{address}] refused STARTTLS: {_reply(code, msg)}")
            if code == 220:
                conn.ehlo()
        elif required:
            raise _HostFailed(
                451, f"451 4.7.4 {host} [{address}] does not offer STARTTLS, which {domain} requires"
            )

    def _login(self, conn: smtplib.SMTP, host: str, route: Route) -> None:
        try:
            conn.login(route.user or "", route.password or "")  # RFC 4954
        except smtplib.SMTPAuthenticationError as exc:
            raise _HostFailed(
                451, f"451 4.7.8 login to {host} failed: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise _HostFailed(451, f"451 4.7.8 {host} offers no AUTH for the routing rule's login") from None

    def _drop(self, key: tuple[str, int, str | None]) -> None:
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()

    def _transaction(
        self,
        domain: str,
        host: str,
        address: str,
        port: int,
        route: Route | None,
        env: OutboundEnvelope,
        data: bytes,
        result: DomainResult,
        source: str | None,
    ) -> None:
        conn = self._connect(domain, host, address, port, route, source)
        key = (address, port, route.user if route else None)
        options: list[str] = []
        if conn.has_extn("size"):  # RFC 1870
            limit = conn.esmtp_features.get("size", "").strip()
            if limit.isdigit() and int(limit) and len(data) > int(limit):
                raise _HostFailed(
                    552,
                    f"552 5.3.4 message of {len(data)} bytes is over {host}'s limit of {limit}",
                    permanent=True,
                )
            options.append(f"SIZE={len(data)}")
        if env.body_8bit and conn.has_extn("8bitmime"):  # RFC 6152
            options.append("BODY=8BITMIME")
        if env.smtputf8:
            if not conn.has_extn("smtputf8"):
                raise _HostFailed(
                    553,
                    f"553 5.6.7 {host} does not accept internationalised addresses (SMTPUTF8)",
                    permanent=True,
                )
            options.append("SMTPUTF8")  # RFC 6531 3.4
        dsn = conn.has_extn("dsn")
        if dsn and env.ret:
            options.append(f"RET={env.ret.upper()}")
        if dsn and env.envid:
            options.append(f"ENVID={_xtext(env.envid)}")
        try:
            code, msg = conn.mail(env.sender, options)  # RFC 5321 4.1.1.2
            if code >= 500:
                raise _HostFailed(code, _reply(code, msg), permanent=True)
            if code >= 400:
                raise _HostFailed(code, _reply(code, msg))
            accepted: list[str] = []
            for rcpt in env.recipients:  # RFC 5321 4.1.1.3
                code, msg = conn.rcpt(rcpt, self._rcpt_options(env, rcpt) if dsn else [])
                if code in (250, 251):
                    accepted.append(rcpt)
                else:
                    outcome = PERMANENT if code >= 500 else TEMPORARY
                    result.results[rcpt] = RecipientResult(rcpt, outcome, code, _reply(code, msg), host)
            if not accepted:
                conn.rset()
                return
            reply: bytes | str
            try:
                code, reply = conn.data(data)  # RFC 5321 4.1.1.4
            except smtplib.SMTPDataError as exc:
                code, reply = exc.smtp_code, exc.smtp_error
            outcome = DELIVERED if 200 <= code < 300 else PERMANENT if code >= 500 else TEMPORARY
            for rcpt in accepted:
                result.results[rcpt] = RecipientResult(rcpt, outcome, code, _reply(code, reply), host)
            if outcome != DELIVERED:
                conn.rset()
        except _HostFailed:
            self._reset_or_drop(conn, key)
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop(key)
            pending = tuple(r for r in env.recipients if r not in result.results)
            if len(pending) == len(env.recipients):
                raise _HostFailed(451, f"451 4.4.2 {host} [{address}] dropped the session: {exc}") from None
            result.all(
                TEMPORARY, 451, f"451 4.4.2 {host} [{address}] dropped the session: {exc}", pending, host
            )

    def _rcpt_options(self, env: OutboundEnvelope, rcpt: str) -> list[str]:
        params = env.dsn.get(rcpt) or {}
        options = []
        notify = params.get("notify")
        if notify:
            options.append("NOTIFY=" + (notify if isinstance(notify, str) else ",".join(notify)).upper())
        orcpt = params.get("orcpt")
        if orcpt:
            kind, _, addr = str(orcpt).partition(";")
            options.append(f"ORCPT={kind};{_xtext(addr)}" if addr else f"ORCPT=rfc822;{_xtext(kind)}")
        return options

    def _reset_or_drop(self, conn: smtplib.SMTP, key: tuple[str, int, str | None]) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop(key)
