"""IMAP over gevent: the socket side of the sans-IO :class:`ImapSession`.

Serves the ``imap`` listener (plain, STARTTLS offered when a TLS pair is loaded) and ``imaps``
(implicit TLS) of the ``imap`` service; access rules, flow and error control and idle timeouts come
from :mod:`sidecars.net` (``net.imap.*`` settings).

Implementation notes:
- Unlike SMTP and ManageSieve, an IMAP connection must also write when the client is silent (IDLE
  pushes, RFC 2177): storage's change feed calls ``wake``, which, only while the session
  idles, spawns a short greenlet that writes the updates. One lock serialises it with the
  connection's own read-answer loop, so replies never interleave; an idle connection costs one
  greenlet, not two.
- Response parts may be lazy iterables (FETCH bodies); they are pulled chunk by chunk and each
  chunk is written (``sendall`` blocks this greenlet) before the next is asked for, so a client that
  does not read holds the producer back: a connection holds at most ``WRITE_CHUNK`` plus one chunk.
- STARTTLS: the OK is written in clear, then the socket wrapped; COMPRESS=DEFLATE (RFC 4978): the
  OK is written uncompressed, then every byte both ways goes through the deflate pair. What one read
  inflates to reaches the session a bounded piece at a time (``Inflater.pieces``); a command that
  inflates past its reader's ``command_limit`` (the literal limit) ends the connection with
  ``* BYE [TOOBIG]``, a corrupt stream with a plain BYE: never a traceback.
- Storage-heavy commands (``Spec.offload``) run in gevent's threadpool: sqlite3 and fsync do not
  yield, and a write must not stall every other connection. The session is then only touched by
  that worker until it returns; the hub's wake-up merely sets flags.
- During IDLE the connection may stay silent for ``IDLE_SECONDS`` (RFC 2177 asks clients to
  re-issue IDLE within 29 minutes); otherwise the connection's standing gives the idle time: short
  before login (RFC 3501 5.4), the listener's after. A login is reported to the listener once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import gevent
from gevent import GreenletExit, ssl
from gevent.lock import Semaphore

from sidecars.imap.compress import CompressionError, Deflater, Inflater
from sidecars.imap.session import ImapSession, Output, SessionContext
from sidecars.net.listener import DENIED, Handler, ListenerServer
from sidecars.net.service import Endpoint, ServiceContext
from sidecars.net.standing import Standing

if TYPE_CHECKING:
    from storage.store import Store

READ_SIZE = 64 * 1024
HANDSHAKE_SECONDS = 30.0
IDLE_SECONDS = 31 * 60.0
WRITE_CHUNK = 256 * 1024


def refusal(reason: str) -> bytes:
    if reason == DENIED:
        return b"* BYE access denied\r\n"
    return b"* BYE [UNAVAILABLE] " + reason.encode("ascii", "replace") + b", try again later\r\n"


class ImapConnection:
    def __init__(
        self, sock: Any, session: ImapSession, tls_context: ssl.SSLContext | None, standing: Standing
    ) -> None:
        self.sock = sock
        self.session = session
        self.tls_context = tls_context
        self.standing = standing
        self.lock = Semaphore()
        self.pushing = False
        self.closed = False
        self.deflater: Deflater | None = None
        self.inflater: Inflater | None = None

    def wake(self) -> None:
        """The change feed saw a change in the selected folder (called on the event loop). Only an
        idling session is written to now; otherwise the next command reports it."""
        if self.session.idling and not self.pushing:
            self.pushing = True
            gevent.spawn(self._push)

    def run(self) -> None:
        closed_by_session = False
        try:
            self.sock.settimeout(self.standing.idle_seconds)
            self._write([self.session.banner()])
            while True:
                if self.session.account is not None:
                    self.standing.establish()
                self.sock.settimeout(IDLE_SECONDS if self.session.idling else self.standing.idle_seconds)
                try:
                    data = self.sock.recv(READ_SIZE)
                except TimeoutError:
                    self._last_word(b"* BYE idle timeout, closing connection\r\n")
                    return
                if not data or self.closed:
                    return
                with self.lock:
                    for piece in self._plain(data):
                        out = self.session.receive(piece)
                        self._send(out)
                        while out.more and not out.close:  # pipelined commands after a streamed answer
                            out = self.session.receive(b"")
                            self._send(out)
                        if out.close:
                            closed_by_session = True
                            return
                        if out.start_tls:
                            self._start_tls()
                        if out.compress:
                            self._start_compression()
                        if self.inflater is not None and self._inflated_too_far():
                            return
        except GreenletExit:
            self._last_word(b"* BYE [UNAVAILABLE] service shutting down, try again later\r\n")
            raise
        except CompressionError as exc:
            self.session.ctx.log.info("closing: %s", exc)
            self._last_word(b"* BYE " + str(exc).encode("ascii", "replace") + b", closing connection\r\n")
        except Exception as exc:
            if not isinstance(exc, OSError):
                self._last_word(b"* BYE [UNAVAILABLE] local error, closing connection\r\n")
            raise
        finally:
            self.closed = True
            if not closed_by_session:
                self.session.connection_lost()
            else:
                self.session.leave_mailbox()
            with contextlib.suppress(OSError):
                self.sock.close()

    def _plain(self, data: bytes) -> Iterable[bytes]:
        """What was read, inflated a bounded piece at a time under COMPRESS=DEFLATE (RFC 4978)."""
        if self.inflater is None:
            return (data,)
        return self.inflater.pieces(data)

    def _inflated_too_far(self) -> bool:
        """A deflate bomb: the current command has inflated past what one command may hold (its
        literal limit); the stream cannot be resynchronised, so the connection ends with a clear BYE."""
        reader = self.session.reader
        if reader.command_bytes <= reader.command_limit:
            return False
        self.session.ctx.log.info("compressed input past %d bytes in one command", reader.command_limit)
        self._last_word(
            b"* BYE [TOOBIG] compressed input expands past %d bytes in one command, closing connection\r\n"
            % reader.command_limit
        )
        return True

    def _push(self) -> None:
        """IDLE (RFC 2177 3): write what changed, in a short greenlet of its own, while the connection's
        greenlet waits for DONE. The lock keeps it from interleaving with a command's reply."""
        try:
            with self.lock:
                while not self.closed and self.session.idling and self.session.dirty_selection:
                    out = self.session.idle_updates()
                    self._send(out)
                    if out.close:  # the mailbox was deleted: BYE written, end the connection
                        self.closed = True
                        with contextlib.suppress(OSError):
                            self.sock.shutdown(2)
        except (OSError, ValueError):
            self.closed = True
        finally:
            self.pushing = False

    def _send(self, out: Output) -> None:
        self._write(out.parts)

    def _write(self, parts: Iterable[bytes | Iterable[bytes]]) -> None:
        """Small pieces are gathered up to WRITE_CHUNK; a lazy part is pulled one chunk at a time, only
        after the previous write was accepted, so a client that does not read holds back the producer
        (a FETCH body stays in the blob store, not here)."""
        buffer = bytearray()
        for part in parts:
            chunks = (part,) if isinstance(part, bytes) else part
            for chunk in chunks:
                large = len(chunk) >= WRITE_CHUNK // 4  # written on its own: no copy into the buffer
                if buffer and (large or len(buffer) + len(chunk) > WRITE_CHUNK):
                    self._raw_write(buffer)
                    buffer.clear()
                if large:
                    self._raw_write(chunk)
                else:
                    buffer += chunk
        if buffer:
            self._raw_write(buffer)

    def _raw_write(self, data: bytes | bytearray) -> None:
        if self.deflater is not None:
            data = self.deflater.compress(data)
        self.sock.sendall(data)

    def _last_word(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, ValueError):
            self.sock.settimeout(2.0)
            self._raw_write(data)

    def _start_tls(self) -> None:
        if self.tls_context is None:
            raise RuntimeError("STARTTLS started without a TLS context")
        self.sock.settimeout(min(HANDSHAKE_SECONDS, self.standing.idle_seconds))
        self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
        self.sock.settimeout(self.standing.idle_seconds)
        greeting = self.session.tls_started()
        if greeting:
            self._raw_write(greeting)

    def _start_compression(self) -> None:
        self.deflater, self.inflater = Deflater(), Inflater()


def _in_thread(fn: Any) -> Any:
    """sqlite3 and fsync do not yield to gevent: storage-heavy commands run in the hub's threadpool
    (storage's engine allows it), so one session's APPEND does not stall every other session."""
    return gevent.get_hub().threadpool.apply(fn)


def make_handler(store: Store, hostname: str, tls_context: ssl.SSLContext | None) -> Handler:
    def handle(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
        # one transaction for what the greeting needs (LOGINDISABLED, AUTH=CRAM-MD5)
        try:
            cfg = store.settings.for_connection(
                ["imap.allow_plaintext_auth"], on_for_any_domain=["auth.allow_cram"]
            )
            allow_plaintext, allow_cram = bool(cfg["imap.allow_plaintext_auth"]), bool(cfg["auth.allow_cram"])
        except Exception:
            allow_plaintext = allow_cram = False
        context = SessionContext(
            store=store,
            hostname=hostname,
            peer_ip=str(address[0]),
            session_id=session_id,
            tls_active=listener.implicit_tls,
            tls_available=tls_context is not None and not listener.implicit_tls,
            log=listener.session_log(session_id),
            allow_plaintext=allow_plaintext,
            allow_cram=allow_cram,
            errors=listener.policy.errors,
            offload=_in_thread,
        )
        session = ImapSession(context)
        connection = ImapConnection(sock, session, tls_context, listener.standing(session_id))
        context.wake = connection.wake
        connection.run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """``imap`` and ``imaps`` for :func:`sidecars.net.service.run_service`."""
    # the change feed's poller is a greenlet of this event loop: start it here, as a first SELECT may
    # subscribe from a worker thread
    context.store.changes.start()
    handler = make_handler(context.store, context.hostname, context.tls_context)
    return {
        "imap": Endpoint(handler, refusal, implicit_tls=False),
        "imaps": Endpoint(handler, refusal, implicit_tls=True),
    }
