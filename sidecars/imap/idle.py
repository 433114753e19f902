"""IDLE (RFC 2177 3): the client waits; the server pushes EXISTS/EXPUNGE/FETCH as they happen.

The session answers "+ idling" and waits for DONE. Changes reach it through the change feed's wake-up
(no polling per connection); the connection then asks ``ImapSession.idle_updates`` and writes them.
Pending updates are reported at once when IDLE starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.imap.contract import Bad, Done, Wait
from sidecars.imap.parser import Command

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession


def idle(s: ImapSession, cmd: Command) -> Wait:
    parts: list[bytes] = [b"+ idling\r\n"]
    if s.selection is not None:
        s.selection.dirty = True
        parts += list(s.selection.updates(s, expunge_ok=True))

    def on_line(line: bytes) -> Done:
        if line.strip().upper() != b"DONE":
            raise Bad("expected DONE to end IDLE")
        return Done([], "IDLE terminated")

    return Wait(parts, on_line, "idle")
