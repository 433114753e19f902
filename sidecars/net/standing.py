"""Where each admitted connection stands with its listener: counted, and until its client has proved
itself, short-lived and displaceable.

Why: a flood of silent sockets must never keep real users out (issue 9 item 4). A connection is
*unauthenticated* until its client has proved itself: logged in (IMAP, ManageSieve, SMTP AUTH) or, on
SMTP, begun a mail transaction (an MX client never authenticates). Until then it has the short idle time
(``net.<service>.preauth_idle_seconds``) and holds one of the listener's unauthenticated slots
(``max_connections - reserve_authenticated``). When those slots are full, or the listener is full, a new
connection displaces the oldest unauthenticated one instead of being refused; a new connection is
refused for lack of room only when established connections hold every slot. So a flood can at worst
displace other unauthenticated connections, which a real client leaves within a round trip or two.

Implementation notes:
- Displacing shuts the socket down by its file descriptor, both ways. The handler's blocked read (or
  write, or TLS handshake) ends as if the client had gone; no exception is injected into the handler,
  so a command in progress (a LOGIN in a worker thread) finishes before the connection unwinds. The
  client gets no parting line.
- The descriptor is valid while the standing is in the table: handlers close their socket as their last
  step, and the listener forgets the standing first thing after the handler returns; nothing between
  the two yields to another greenlet.
- The flow counters of a connection are released exactly once: when it is displaced or when its
  handler returns, whichever comes first.
- Not thread safe; everything runs on one gevent hub and never yields.
"""

from __future__ import annotations

import _socket
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol


class Counter(Protocol):
    def release(self, ip: str) -> None: ...


class Standing:
    """One admitted connection; a handler gets its own with ``listener.standing(session_id)``."""

    def __init__(
        self,
        table: Standings | None,
        session_id: str,
        ip: str,
        fd: int,
        counted: Sequence[Counter],
        idle_times: Callable[[], tuple[float, float]],
    ) -> None:
        self._table = table
        self.session_id = session_id
        self.ip = ip
        self.fd = fd
        self._counted = counted
        self._idle_times = idle_times  # (before the client proved itself, after), read live
        self.established = False
        self.displaced = False

    @property
    def idle_seconds(self) -> float:
        """How long the client may stay silent now (RFC 3501 5.4: a short autologout before login)."""
        before, after = self._idle_times()
        return after if self.established else before

    def establish(self) -> None:
        """The client has proved itself: the long idle time applies and it can no longer be displaced."""
        if not self.established:
            self.established = True
            if self._table is not None:
                self._table.unauthenticated.pop(self.session_id, None)

    def release(self) -> None:
        """Give back the connection's flow counters (once)."""
        counted, self._counted = self._counted, ()
        for counter in counted:
            counter.release(self.ip)

    def displace(self) -> None:
        """Free the connection's slot now and end it: shut its socket down under the handler's feet."""
        self.displaced = True
        self.release()
        if self._table is not None:
            self._table.forget(self.session_id)
        with contextlib.suppress(OSError):
            sock = _socket.socket(fileno=self.fd)
            try:
                sock.shutdown(_socket.SHUT_RDWR)
            finally:
                sock.detach()  # the handler's socket object still owns the descriptor


class Standings:
    """The connections of one listener by session id, and the unauthenticated ones oldest first."""

    def __init__(self) -> None:
        self.all: dict[str, Standing] = {}
        self.unauthenticated: OrderedDict[str, Standing] = OrderedDict()

    def add(self, standing: Standing) -> None:
        self.all[standing.session_id] = standing
        if not standing.established:
            self.unauthenticated[standing.session_id] = standing

    def forget(self, session_id: str) -> None:
        self.all.pop(session_id, None)
        self.unauthenticated.pop(session_id, None)

    def oldest_unauthenticated(self) -> Standing | None:
        return next(iter(self.unauthenticated.values()), None)
