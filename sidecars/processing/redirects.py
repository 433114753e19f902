"""Sieve ``redirect`` (RFC 5228 4.2) as the processing service carries it out, with loop control.

A redirected copy is queued again, so two accounts whose scripts redirect to each other (or a chain of
them) would pass one message round for ever, storing a copy at each turn with ``:copy``. RFC 5228 4.2
asks for loop control "possibly including adding headers to the message or counting Received headers";
this module does both, with the limit SMTP receiving applies to arriving mail (RFC 5321 6.3):

* each redirected copy gets a ``Received`` field (a hop, as if it had been relayed here again), so the
  hops of a message going round keep growing;
* a message that already carries ``smtp.max_received_headers`` Received fields is not redirected any
  further: its redirects are dropped and logged, and a recipient left with nothing else gets the
  implicit keep (RFC 5228 2.10.6: a failed action never loses the message).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from filters.headers import with_return_path, without_return_path

if TYPE_CHECKING:
    from storage.contracts import WithSettings

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RECEIVED = re.compile(rb"^received[ \t]*:", re.IGNORECASE | re.MULTILINE)


def hops(raw: bytes) -> int:
    """How many Received fields the message's header section has."""
    m = _HEADER_END.search(raw)
    return len(_RECEIVED.findall(raw[: m.start()] if m else raw))


def loop_suspected(store: WithSettings, raw: bytes) -> bool:
    """True when a redirected copy of ``raw`` would carry more hops than SMTP receiving accepts."""
    return hops(raw) + 1 > int(store.settings.get("smtp.max_received_headers"))


def redirected_copy(
    raw: bytes, sender: str, hostname: str, qid: int, to: Sequence[str], now: datetime
) -> bytes:
    """``raw`` with a Received field (RFC 5321 4.4) for the redirect below its Return-Path."""
    lines = [f"Received: by {hostname} (Fieldpost, Sieve redirect) id {qid}"]
    if len(to) == 1:
        lines.append(f"\tfor <{to[0]}>")
    lines[-1] += f"; {format_datetime(now)}"
    trace = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    return with_return_path(trace + without_return_path(raw), sender)
