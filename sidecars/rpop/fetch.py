"""One run of one remote mailbox: log in, list, take what is new, leave or delete it, log out.

A run works through a :class:`Taker` (the service's: queue the message for the local account, note it
as taken) so this module knows the protocols and nothing of storage. Order per message, so nothing is
lost: fetch it, hand it to the queue (durable when ``take`` returns), note it as taken, and only then
mark it deleted on the server (when the mailbox does not keep mail there). A run cut short leaves the
rest for the next run; a message queued but not yet noted may come a second time (never zero times).

POP3 (RFC 1939): UIDL names the messages; a server without UIDL cannot be fetched with "leave on
server" (there is no way to tell old mail from new), so then every message is taken and deleted.
IMAP (RFC 9051/3501): the INBOX, named by ``UIDVALIDITY.UID``; bodies with ``BODY.PEEK[]`` so the
remote \\Seen flags stay as they were; deletion is ``\\Deleted`` then EXPUNGE.
"""

from __future__ import annotations

import contextlib
import imaplib
import poplib
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.remote_accounts import RemoteAccount


class FetchError(Exception):
    """A run that could not complete; the text is what the user sees as the mailbox's last error."""


class Taker(Protocol):
    def unseen(self, uids: list[str]) -> list[str]: ...

    def take(self, uid: str, raw: bytes, peer_ip: str) -> None: ...

    def forget_gone(self, present: list[str]) -> None: ...


@dataclass(frozen=True)
class Limits:
    max_messages: int
    max_size: int
    timeout: float


@dataclass
class RunResult:
    taken: int = 0
    deleted: int = 0
    skipped_large: int = 0
    remaining: int = 0  # new messages left for the next run (max_messages reached)

    def note(self) -> str | None:
        """What the user should know of a run that worked (None: nothing)."""
        if self.skipped_large:
            return f"{self.skipped_large} message(s) larger than the size limit were left on the server"
        return None


def run(remote: RemoteAccount, password: str, taker: Taker, limits: Limits, tls: ssl.SSLContext) -> RunResult:
    """Fetch what is new from ``remote``.

    Raises:
        FetchError: connection, TLS, login or protocol failure, in words for the user.
    """
    try:
        if remote.protocol == "pop3":
            return _pop3(remote, password, taker, limits, tls)
        return _imap(remote, password, taker, limits, tls)
    except FetchError:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise FetchError(f"the server's certificate is not trusted: {exc.verify_message}") from None
    except (poplib.error_proto, imaplib.IMAP4.error) as exc:
        raise FetchError(f"the server refused: {_text(exc)}") from None
    except TimeoutError:
        raise FetchError("the server did not answer in time") from None
    except OSError as exc:
        raise FetchError(f"cannot reach {remote.host}:{remote.port}: {exc.strerror or exc}") from None


def _text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, bytes):
        arg = arg.decode("utf-8", "replace")
    return str(arg)[:300]


# -- POP3 -------------------------------------------------------------------------------------------------


def _pop3(
    remote: RemoteAccount, password: str, taker: Taker, limits: Limits, tls: ssl.SSLContext
) -> RunResult:
    client: poplib.POP3
    if remote.tls_mode == "implicit":
        client = poplib.POP3_SSL(remote.host, remote.port, timeout=limits.timeout, context=tls)
    else:
        client = poplib.POP3(remote.host, remote.port, timeout=limits.timeout)
        if remote.tls_mode == "starttls":
            client.stls(context=tls)
    try:
        try:
            client.user(remote.username)
            client.pass_(password)
        except poplib.error_proto as exc:
            raise FetchError(f"login refused: {_text(exc)}") from None
        sizes = _pop3_sizes(client)
        uids = _pop3_uids(client)
        result = RunResult()
        if uids is None:  # no UIDL: cannot tell old from new, so take and delete everything
            order = [(str(n), n) for n in sorted(sizes)]
            new = [uid for uid, _ in order]
        else:
            order = sorted(((uid, n) for n, uid in uids.items()), key=lambda item: item[1])
            new = taker.unseen([uid for uid, _ in order])
        number = dict(order)
        for uid in new:
            if result.taken >= limits.max_messages:
                result.remaining += 1
                continue
            n = number[uid]
            if sizes.get(n, 0) > limits.max_size:
                result.skipped_large += 1
                continue
            _, lines, _ = client.retr(n)
            taker.take(uid, b"\r\n".join(lines) + b"\r\n", _peer(client.sock))
            result.taken += 1
            if not remote.keep_on_server or uids is None:
                client.dele(n)
                result.deleted += 1
        if uids is not None and remote.keep_on_server:
            taker.forget_gone([uid for uid, _ in order])
        client.quit()  # the deletions happen here (RFC 1939 6)
        return result
    finally:
        client.close()


def _pop3_sizes(client: poplib.POP3) -> dict[int, int]:
    _, lines, _ = client.list()
    sizes = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            sizes[int(parts[0])] = int(parts[1])
    return sizes


def _pop3_uids(client: poplib.POP3) -> dict[int, str] | None:
    try:
        _, lines, _ = client.uidl()
    except poplib.error_proto:
        return None
    uids = {}
    for line in lines:
        parts = line.decode("ascii", "replace").split()
        if len(parts) >= 2 and parts[0].isdigit():
            uids[int(parts[0])] = parts[1][:255]
    return uids


# -- IMAP -------------------------------------------------------------------------------------------------

_FETCH_SIZE = re.compile(rb"UID (\d+)[^)]*?RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+)[^)]*?UID (\d+)")


def _imap(
    remote: RemoteAccount, password: str, taker: Taker, limits: Limits, tls: ssl.SSLContext
) -> RunResult:
    client: imaplib.IMAP4
    if remote.tls_mode == "implicit":
        client = imaplib.IMAP4_SSL(remote.host, remote.port, ssl_context=tls, timeout=limits.timeout)
    else:
        client = imaplib.IMAP4(remote.host, remote.port, timeout=limits.timeout)
        if remote.tls_mode == "starttls":
            client.starttls(ssl_context=tls)
    try:
        try:
            client.login(remote.username, password)
        except imaplib.IMAP4.error as exc:
            raise FetchError(f"login refused: {_text(exc)}") from None
        typ, data = client.select("INBOX", readonly=remote.keep_on_server)
        _ok(typ, data, "SELECT INBOX")
        validity = _uidvalidity(client)
        sizes = _imap_sizes(client)
        order = [(f"{validity}.{uid}", uid) for uid in sorted(sizes)]
        new = taker.unseen([key for key, _ in order])
        number = dict(order)
        result = RunResult()
        for key in new:
            if result.taken >= limits.max_messages:
                result.remaining += 1
                continue
            uid = number[key]
            if sizes[uid] > limits.max_size:
                result.skipped_large += 1
                continue
            typ, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            _ok(typ, data, "FETCH")
            parts: list[Any] = list(data)
            raw = next((part[1] for part in parts if isinstance(part, tuple)), None)
            if not isinstance(raw, bytes):
                continue  # expunged meanwhile by another client: nothing to take
            taker.take(key, raw, _peer(client.sock))
            result.taken += 1
            if not remote.keep_on_server:
                typ, data = client.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
                _ok(typ, data, "STORE")
                result.deleted += 1
        if result.deleted:
            client.expunge()
        if remote.keep_on_server:
            taker.forget_gone([key for key, _ in order])
        client.logout()
        return result
    finally:
        with contextlib.suppress(OSError):
            client.shutdown()


def _peer(sock: object) -> str:
    try:
        return str(sock.getpeername()[0])  # type: ignore[attr-defined]
    except (AttributeError, OSError, IndexError):
        return "0.0.0.0"


def _ok(typ: str, data: Sequence[object], what: str) -> None:
    if typ != "OK":
        detail = data[0] if data else b""
        raise FetchError(f"{what} failed: {_text(Exception(detail))}")


def _uidvalidity(client: imaplib.IMAP4) -> str:
    found = client.untagged_responses.get("UIDVALIDITY")
    if found:
        value = found[-1]
        return (value.decode() if isinstance(value, bytes) else str(value)).strip()
    typ, data = client.status("INBOX", "(UIDVALIDITY)")
    _ok(typ, data, "STATUS")
    match = re.search(rb"UIDVALIDITY (\d+)", data[0] if isinstance(data[0], bytes) else b"")
    if match is None:
        raise FetchError("the server gave no UIDVALIDITY")
    return match.group(1).decode()


def _imap_sizes(client: imaplib.IMAP4) -> dict[int, int]:
    typ, data = client.uid("FETCH", "1:*", "(UID RFC822.SIZE)")
    if typ != "OK":  # an empty mailbox may answer NO or BAD to 1:*
        return {}
    sizes = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        found = _FETCH_SIZE.search(line)
        if found:
            uid = found.group(1) or found.group(4)
            size = found.group(2) or found.group(3)
            sizes[int(uid)] = int(size)
    return sizes
