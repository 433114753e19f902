"""Service logs in the manual's line format, filtered by a per-service level bitmask.

A line looks like::

    11-25 06:41:07 +0000 08 mail.example.org IMAP:0000a3f1: alice@example.test logged in

that is ``MM-DD HH:MM:SS +ZZZZ LL host SERVICE:SESSIONID: text`` where ``LL`` is the level bit (01
critical, 02 error, 04 warning, 08 info, 16 protocol) and the session id is eight hex digits (00000000
for lines that belong to no session). A service logs a record only when its bit is set in the service's
mask (0-31, from :mod:`fieldpost.config`).

Usage in a service process::

    log = service_logger(config, "imap")
    log.info("listening on %s", address)
    slog = session_logger(log, new_session_id())
    slog.protocol("C: %s", line)
"""

from __future__ import annotations

import logging
import logging.handlers
import secrets
import socket
from datetime import datetime
from typing import Any

from fieldpost.config import Config

CRITICAL = 1
ERROR = 2
WARNING = 4
INFO = 8
PROTOCOL = 16

#: stdlib level number of protocol traces (between DEBUG and INFO)
PROTOCOL_LEVEL = 15
logging.addLevelName(PROTOCOL_LEVEL, "PROTOCOL")


def level_bit(levelno: int) -> int:
    """Map a stdlib level number onto the manual's level bit."""
    if levelno >= logging.CRITICAL:
        return CRITICAL
    if levelno >= logging.ERROR:
        return ERROR
    if levelno >= logging.WARNING:
        return WARNING
    if levelno >= logging.INFO:
        return INFO
    return PROTOCOL


class LevelMaskFilter(logging.Filter):
    """Let a record through only if its level bit is set in ``mask``."""

    def __init__(self, mask: int) -> None:
        super().__init__()
        if not 0 <= mask <= 31:
            raise ValueError(f"log level mask must be 0-31, not {mask}")
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        return bool(level_bit(record.levelno) & self.mask)


class LineFormatter(logging.Formatter):
    """``MM-DD HH:MM:SS +ZZZZ LL host SERVICE:SESSIONID: text``."""

    def __init__(self, hostname: str, service: str) -> None:
        super().__init__()
        self.hostname = hostname
        self.service = service.upper()

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).astimezone()
        session = getattr(record, "session_id", 0) or 0
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        # one record = one line: continuation lines are indented so a reader can tell them apart
        text = text.replace("\r\n", "\n").replace("\n", "\n    ")
        return (
            f"{stamp:%m-%d %H:%M:%S %z} {level_bit(record.levelno):02d} {self.hostname} "
            f"{self.service}:{session:08x}: {text}"
        )


class ServiceLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger adapter that stamps a session id on each record and adds ``protocol()``."""

    def __init__(self, logger: logging.Logger, session_id: int = 0) -> None:
        super().__init__(logger, {"session_id": session_id})

    @property
    def session_id(self) -> int:
        value = self.extra.get("session_id", 0) if self.extra else 0
        return value if isinstance(value, int) else 0

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        kwargs.setdefault("extra", {}).update(self.extra or {})
        return msg, kwargs

    def protocol(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.log(PROTOCOL_LEVEL, msg, *args, **kwargs)


def new_session_id() -> int:
    """A random non-zero 32-bit session id."""
    return secrets.randbits(32) or 1


#: the largest record sent to the log service in one datagram; a longer one is cut and marked
MAX_DATAGRAM = 60000
TRUNCATED = " [...cut]"


class LogServiceHandler(logging.Handler):
    """Send each formatted line to the log service as one UDP datagram, in the file's line format.

    Never blocks the sender: the socket is non-blocking, and a datagram the kernel will not take now
    (or that the log service's full buffer drops) is lost and counted in ``dropped``, which the next
    line that gets through reports.
    """

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address = address
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - a record that cannot be formatted must not stop the caller
            self.handleError(record)
            return
        if self.dropped:
            line += f" ({self.dropped} earlier log line(s) lost)"
        data = line.encode("utf-8", "replace")
        if len(data) > MAX_DATAGRAM:
            data = data[: MAX_DATAGRAM - len(TRUNCATED)] + TRUNCATED.encode()
        try:
            self.sock.sendto(data, self.address)
        except OSError:
            self.dropped += 1
        else:
            self.dropped = 0

    def close(self) -> None:
        self.sock.close()
        super().close()


def service_logger(config: Config, service: str) -> ServiceLogger:
    """The service's logger (no session) for this process: records go to the log service when the
    supervisor runs one (:meth:`Config.logd_address`), else to ``logs/<service>.log`` directly."""
    address = config.logd_address() if service != "logd" else None
    handler: logging.Handler
    if address is not None:
        handler = LogServiceHandler(address)
    else:
        config.log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.WatchedFileHandler(config.log_dir / f"{service}.log", encoding="utf-8")
    return ServiceLogger(attach(logging.getLogger(f"fieldpost.{service}"), handler, config, service))


def attach(logger: logging.Logger, handler: logging.Handler, config: Config, service: str) -> logging.Logger:
    """Give ``handler`` the line format and the service's mask, and make it the logger's only handler."""
    handler.setFormatter(LineFormatter(config.hostname, service))
    handler.addFilter(LevelMaskFilter(config.log_level(service)))
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)  # the mask filter decides
    logger.propagate = False
    return logger


def session_logger(logger: ServiceLogger | logging.Logger, session_id: int) -> ServiceLogger:
    """A logger for one session of a service."""
    base = logger.logger if isinstance(logger, logging.LoggerAdapter) else logger
    return ServiceLogger(base, session_id)
