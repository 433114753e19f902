"""Connection-level commands: CAPABILITY, LOGOUT, STARTTLS, LOGIN, AUTHENTICATE, ID, ENABLE, COMPRESS.

Passwords are only taken over TLS unless ``imap.allow_plaintext_auth`` is on (RFC 3501 6.2.3, 11.1:
then LOGINDISABLED is advertised and LOGIN is refused with PRIVACYREQUIRED). Every mechanism comes
from :mod:`sidecars.sasl`, which applies storage's throttling and the per-account ``services.imap``
switch; a failure is counted by the session's error control and ends the session at the limit.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
from typing import TYPE_CHECKING

from sidecars import sasl
from sidecars.imap import response as R
from sidecars.imap.contract import AUTHENTICATED, LOGOUT, Bad, Done, No, Wait
from sidecars.imap.parser import Command
from storage.errors import AppPasswordRequired, AuthFailed, Throttled

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession

BASE = (
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN UIDPLUS MOVE ESEARCH SEARCHRES "
    "SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS CONDSTORE QRESYNC ACL RIGHTS=texk "
    "QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX UTF8=ACCEPT THREAD=ORDEREDSUBJECT "
    "THREAD=REFERENCES"
)
SUPPORTED_ENABLE = {"CONDSTORE", "QRESYNC", "UTF8=ACCEPT"}


def _has(module: str) -> bool:
    return importlib.util.find_spec(f"sidecars.imap.{module}") is not None


def capabilities(s: ImapSession) -> str:
    caps = [BASE]
    if _has("sorting"):
        caps.append("SORT SORT=DISPLAY")
    if s.account is not None and not s.compressed and s.ctx.compress_available and _has("compress"):
        caps.append("COMPRESS=DEFLATE")
    if s.account is None:
        if s.ctx.tls_available and not s.tls_active:
            caps.append("STARTTLS")
        if not (s.tls_active or s.ctx.allow_plaintext):
            caps.append("LOGINDISABLED")
        caps += [f"AUTH={m}" for m in mechanisms(s)]
    return " ".join(caps)


def mechanisms(s: ImapSession) -> list[str]:
    if s.cram is None:
        s.cram = _cram_anywhere(s)
    return sasl.offered(s.tls_active, s.ctx.allow_plaintext, s.cram)


def _cram_anywhere(s: ImapSession) -> bool:
    """CRAM-MD5 is offered when ``auth.allow_cram`` is on at server level or in any domain; the
    exchange itself refuses accounts whose domain keeps no secret for it."""
    try:
        return s.store.settings.on_for_any_domain("auth.allow_cram")
    except Exception:
        return False


def capability(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.1.1
    return Done([R.untagged(f"CAPABILITY {capabilities(s)}")], "CAPABILITY completed")


def logout(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.1.3: BYE first, then the tagged OK, then close
    s.leave_mailbox()
    s.state = LOGOUT
    return Done([R.untagged("BYE Fieldpost IMAP logging out")], "LOGOUT completed", close=True)


def starttls(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.2.1
    if s.tls_active:
        raise Bad("TLS is already active")
    if not s.ctx.tls_available:
        raise No("TLS is not available on this listener")
    return Done([], "Begin TLS negotiation now", start_tls=True)


def _plaintext_ok(s: ImapSession) -> bool:
    return s.tls_active or s.ctx.allow_plaintext


def login(s: ImapSession, cmd: Command) -> Done | Wait:
    # RFC 3501 6.2.3
    if not _plaintext_ok(s):
        raise No("plaintext login is disabled without TLS; use STARTTLS first", "PRIVACYREQUIRED")
    user, password = cmd.spec.user, cmd.spec.password
    mech = sasl.new(sasl.PLAIN, s.store, ip=s.ctx.peer_ip, service="imap", hostname=s.ctx.hostname)
    return _sasl_result(s, lambda: mech.start(b"\0" + user.encode() + b"\0" + password.encode()), mech)


def authenticate(s: ImapSession, cmd: Command) -> Done | Wait:
    # RFC 3501 6.2.2, SASL-IR RFC 4959
    name = cmd.spec.mechanism
    if name not in mechanisms(s):
        if name in (sasl.PLAIN, sasl.LOGIN) and not _plaintext_ok(s):
            raise No("this mechanism needs TLS; use STARTTLS first", "PRIVACYREQUIRED")
        raise No(f"unsupported authentication mechanism {name}", "CANNOT")
    mech = sasl.new(name, s.store, ip=s.ctx.peer_ip, service="imap", hostname=s.ctx.hostname)
    initial = cmd.spec.initial
    if initial is not None:
        initial = b"" if initial == b"=" else _b64(s, initial)
    return _sasl_result(s, lambda: mech.start(initial), mech)


def _b64(s: ImapSession, data: bytes) -> bytes:
    try:
        return base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Bad("the SASL response is not valid base64") from None


def _sasl_result(s: ImapSession, advance: object, mech: sasl.Mechanism) -> Done | Wait:
    try:
        step = advance()  # type: ignore[operator]
    except Throttled:
        _failed(s)
        raise No("too many failed logins; try again later", "UNAVAILABLE") from None
    except AppPasswordRequired as exc:  # two-step sign-in: say what to do (storage/auth.py)
        _failed(s)
        raise No(str(exc), "AUTHENTICATIONFAILED") from None
    except (AuthFailed, UnicodeError, ValueError):
        _failed(s)
        raise No("authentication failed", "AUTHENTICATIONFAILED") from None
    if not step.done:
        return _challenge(s, step.challenge or b"", mech)
    if step.challenge:  # SCRAM server-final: sent as a challenge, the client answers with an empty line
        account = step.account

        def finish(line: bytes) -> Done:
            if line.strip() == b"*":
                raise Bad("authentication cancelled")
            return _success(s, account)

        return Wait([b"+ " + base64.b64encode(step.challenge) + b"\r\n"], finish)
    return _success(s, step.account)


def _challenge(s: ImapSession, challenge: bytes, mech: sasl.Mechanism) -> Wait:
    def on_line(line: bytes) -> Done | Wait:
        if line.strip() == b"*":
            raise Bad("authentication cancelled")
        data = _b64(s, line)
        return _sasl_result(s, lambda: mech.step(data), mech)

    return Wait([b"+ " + base64.b64encode(challenge) + b"\r\n"], on_line)


def _failed(s: ImapSession) -> None:
    if s.auth_failed():
        s.drop = True


def _success(s: ImapSession, account: object) -> Done:
    if account is None:
        raise No("authentication failed", "AUTHENTICATIONFAILED")
    s.logged_in(account)  # type: ignore[arg-type]
    return Done([], "authenticated", f"CAPABILITY {capabilities(s)}")


def id_command(s: ImapSession, cmd: Command) -> Done:
    # RFC 2971 3.1
    if cmd.spec.fields:
        s.client_id = dict(cmd.spec.fields)
        s.ctx.log.info("client id: %s", " ".join(f"{k}={v}" for k, v in cmd.spec.fields)[:300])
    return Done([R.untagged('ID ("name" "Fieldpost" "vendor" "Fieldpost")')], "ID completed")


def enable(s: ImapSession, cmd: Command) -> Done:
    # RFC 5161 3.1; QRESYNC implies CONDSTORE (RFC 7162 3.2.3)
    newly = []
    for word in cmd.spec.words:
        if word in SUPPORTED_ENABLE and word not in s.enabled:
            s.enabled.add(word)
            newly.append(word)
    if "QRESYNC" in s.enabled or "CONDSTORE" in s.enabled:
        s.condstore = True
    if "UTF8=ACCEPT" in s.enabled:
        s.utf8 = True
    parts = [R.untagged(("ENABLED " + " ".join(newly)).strip())]
    return Done(parts, "ENABLE completed")


def compress(s: ImapSession, cmd: Command) -> Done:
    # RFC 4978 3
    if cmd.spec.words[0] != "DEFLATE":
        raise Bad("the only compression mechanism is DEFLATE")
    if s.compressed:
        raise No("compression is already active", "COMPRESSIONACTIVE")
    if not (s.ctx.compress_available and _has("compress")):
        raise No("compression is not available")
    s.compressed = True
    return Done([], "DEFLATE active", compress=True)


__all__ = ["AUTHENTICATED", "capabilities"]
