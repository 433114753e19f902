"""The socket side of every sans-IO protocol session (SMTP, ManageSieve, and the ones to come).

A protocol's session takes bytes and returns an ``Output(data, close, start_tls)``; this loop is the
only code that reads and writes the socket for it. Each protocol gives its own parting words for the
three ways a connection can end under the session's feet.

Implementation notes:
- One greenlet per connection: write the banner, then read up to ``READ_SIZE`` bytes at a time, feed
  them to the session as they came (any chunking), write what it answers. Nothing here interprets a
  command.
- STARTTLS: the session's go-ahead is written in clear, then the socket is wrapped and
  ``tls_started()`` called; bytes it returns (ManageSieve repeats its capabilities) are written over
  TLS. Bytes the client pipelined before the handshake are the session's to discard.
- Standing (:mod:`sidecars.net.standing`): after each answer, a session whose ``established`` has become
  true (its client logged in or, on SMTP, began a mail transaction) is reported to the listener once;
  the socket's idle timeout follows the standing (short before, the listener's idle time after).
- Ends: when the session asks to close, its last reply is written and the socket closed. Otherwise
  (client gone, idle timeout, service stopping, a bug) ``connection_lost()`` tells the session first,
  and where possible the client reads the protocol's parting line.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Protocol

from gevent import GreenletExit, ssl

from sidecars.net.standing import Standing

READ_SIZE = 64 * 1024
HANDSHAKE_SECONDS = 30.0
LAST_WORD_SECONDS = 2.0


@dataclass(frozen=True)
class PartingWords:
    """What the client reads when the server ends the connection: idle, a local error, shutdown."""

    idle_timeout: bytes
    local_error: bytes
    shutting_down: bytes


class Answer(Protocol):
    """What a session answers to bytes received: bytes to write, then whether to close or start TLS."""

    @property
    def data(self) -> bytes: ...

    @property
    def close(self) -> bool: ...

    @property
    def start_tls(self) -> bool: ...


class SansIOSession(Protocol):
    """What this loop asks of a protocol's session (SMTP's and ManageSieve's both are one)."""

    def banner(self) -> bytes: ...

    def receive(self, data: bytes) -> Answer: ...

    def tls_started(self) -> bytes | None: ...

    def connection_lost(self) -> None: ...

    @property
    def established(self) -> bool: ...


class SessionConnection:
    """One client connection driving one sans-IO session."""

    def __init__(
        self,
        sock: Any,
        session: SansIOSession,
        tls_context: ssl.SSLContext | None,
        standing: Standing,
        words: PartingWords,
    ) -> None:
        self.sock = sock
        self.session = session
        self.tls_context = tls_context
        self.standing = standing
        self.words = words

    def run(self) -> None:
        closed_by_session = False
        try:
            self.sock.sendall(self.session.banner())
            while True:
                self.sock.settimeout(self.standing.idle_seconds)
                try:
                    data = self.sock.recv(READ_SIZE)
                except TimeoutError:
                    self._last_word(self.words.idle_timeout)
                    raise
                if not data:
                    return
                out = self.session.receive(data)
                if self.session.established:
                    self.standing.establish()
                if out.data:
                    self.sock.sendall(out.data)
                if out.close:
                    closed_by_session = True
                    return
                if out.start_tls:
                    self._start_tls()
        except GreenletExit:
            self._last_word(self.words.shutting_down)
            raise
        except Exception as exc:
            if not isinstance(exc, OSError):  # a bug: tell the client to come back, then log it
                self._last_word(self.words.local_error)
            raise
        finally:
            if not closed_by_session:
                self.session.connection_lost()
            with contextlib.suppress(OSError):
                self.sock.close()

    def _last_word(self, data: bytes) -> None:
        """A parting line when the connection is ended under the session's feet; best effort."""
        with contextlib.suppress(OSError, ssl.SSLError):
            self.sock.settimeout(LAST_WORD_SECONDS)
            self.sock.sendall(data)

    def _start_tls(self) -> None:
        if self.tls_context is None:  # the session offered STARTTLS without a context: a bug
            raise RuntimeError("STARTTLS started without a TLS context")
        self.sock.settimeout(min(HANDSHAKE_SECONDS, self.standing.idle_seconds))
        self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
        self.sock.settimeout(self.standing.idle_seconds)
        greeting = self.session.tls_started()
        if greeting:
            self.sock.sendall(greeting)
