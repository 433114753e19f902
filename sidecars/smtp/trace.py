"""The protocol trace (log level bit 16, fieldpost.logs.PROTOCOL_LEVEL): what the client sent and what
the server answered, one log line each.

It exists apart from session.py so the rule "passwords and message text never reach the log" lives in
one place: SASL responses and AUTH initial responses are masked, message text is logged as its size.
"""

from __future__ import annotations

import logging
from typing import Any

from fieldpost.logs import PROTOCOL_LEVEL
from sidecars.smtp import parser as P

Log = logging.LoggerAdapter[Any] | logging.Logger


def enabled(log: Log) -> bool:
    return log.isEnabledFor(PROTOCOL_LEVEL)


def command(log: Log, data: bytes, *, sasl_response: bool) -> None:
    if not enabled(log):
        return
    text = data.decode("utf-8", "replace")
    if sasl_response:
        text = "<SASL response>"
    elif P.command_verb(data) == "AUTH" and text.count(" ") > 1:
        text = text.rsplit(" ", 1)[0] + " <initial response>"
    log.log(PROTOCOL_LEVEL, "C: %s", text[:200])


def message_text(log: Log, size: int) -> None:
    if enabled(log):
        log.log(PROTOCOL_LEVEL, "C: <message text, %d octets>", size)


def replies(log: Log, data: list[bytes]) -> None:
    if enabled(log):
        for line in b"".join(data).decode("utf-8", "replace").splitlines():
            log.log(PROTOCOL_LEVEL, "S: %s", line)
