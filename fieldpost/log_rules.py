"""What the log service does with the records it receives: the ``[logging]`` table of fieldpost.toml.

Parsed by :mod:`fieldpost.config` (the only reader of the file) into a :class:`LogSettings`. The log
service (sidecars/logd) applies it; services only need ``via_logd``.

Routing: a record goes to *every* rule that matches it (service, level bit, sending host), so one rule
can keep a per-service file while another forwards errors to a remote syslog. A record no rule matches
is dropped. Without ``[[logging.rules]]`` one rule keeps every record in ``<service>.log``.

Targets:

* ``"file"``: ``<log_dir>/<service>.log`` of the record's service (lower-cased);
* ``"file:NAME.log"``: one named file in ``log_dir`` (a plain name: no directories);
* ``"syslog://HOST:PORT"``: RFC 5424 over UDP to a remote syslog (facility mail);
* ``"logd://HOST:PORT"``: the line unchanged to another host's log service (central logging).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

#: rotation periods a file may be started anew on, in seconds (0: only by size)
ROTATE_PERIODS = {"never": 0, "hourly": 3600, "daily": 86400, "weekly": 7 * 86400}
DEFAULT_ROTATE_BYTES = 10 * 1024 * 1024
MIN_ROTATE_BYTES = 4096
MAX_KEEP = 1000
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.log")
_REMOTE = re.compile(r"(syslog|logd)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})")


class LogSettingsError(ValueError):
    """A bad ``[logging]`` value; :mod:`fieldpost.config` reports it as a configuration error."""


@dataclass(frozen=True)
class LogRule:
    """Which records (service and host name patterns, level bits) go where (``target``)."""

    services: tuple[str, ...] = ("*",)
    levels: int = 31
    hosts: tuple[str, ...] = ("*",)
    target: str = "file"

    def matches(self, service: str, level_bit: int, host: str) -> bool:
        return (
            bool(level_bit & self.levels)
            and any(fnmatch.fnmatchcase(service.lower(), p) for p in self.services)
            and any(fnmatch.fnmatchcase(host.lower(), p) for p in self.hosts)
        )

    def file_name(self, service: str) -> str | None:
        """The file in ``log_dir`` this rule writes a record of ``service`` to; None for syslog."""
        if self.target == "file":
            return f"{service.lower()}.log"
        if self.target.startswith("file:"):
            return self.target[5:]
        return None

    def remote(self) -> tuple[str, str, int] | None:
        """("syslog" or "logd", host, port) of a forwarding rule; None for a file rule."""
        found = _REMOTE.fullmatch(self.target)
        if found is None:
            return None
        return found.group(1), found.group(2).strip("[]"), int(found.group(3))


@dataclass(frozen=True)
class LogSettings:
    """Rotation, who may send, and the rules (see the module docstring)."""

    via_logd: bool = True
    rotate_bytes: int = DEFAULT_ROTATE_BYTES
    rotate_every: str = "daily"
    keep: int = 7
    accept_from: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    rules: tuple[LogRule, ...] = field(default_factory=lambda: (LogRule(),))

    @property
    def rotate_seconds(self) -> int:
        return ROTATE_PERIODS[self.rotate_every]

    def accepts(self, address: str) -> bool:
        """Whether a datagram from ``address`` is taken (``accept_from`` networks)."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.accept_from)


def parse(table: dict[str, Any]) -> LogSettings:
    """The settings of a ``[logging]`` table (``log_dir`` and ``levels`` are config's own).

    Raises:
        LogSettingsError: a value of the wrong type or out of range, named in the message.
    """
    via = table.get("via_logd", True)
    if not isinstance(via, bool):
        raise LogSettingsError(f"[logging] via_logd must be true or false, not {via!r}")
    size = table.get("rotate_bytes", DEFAULT_ROTATE_BYTES)
    if isinstance(size, bool) or not isinstance(size, int) or size < MIN_ROTATE_BYTES:
        raise LogSettingsError(
            f"[logging] rotate_bytes must be an integer >= {MIN_ROTATE_BYTES}, not {size!r}"
        )
    every = table.get("rotate_every", "daily")
    if every not in ROTATE_PERIODS:
        raise LogSettingsError(
            f"[logging] rotate_every must be one of {', '.join(ROTATE_PERIODS)}, not {every!r}"
        )
    keep = table.get("keep", 7)
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP:
        raise LogSettingsError(f"[logging] keep must be 1-{MAX_KEEP}, not {keep!r}")
    accept = _strings(table.get("accept_from", ["127.0.0.0/8", "::1/128"]), "[logging] accept_from")
    for net in accept:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise LogSettingsError(f"[logging] accept_from: not an address or network: {net!r}") from None
    raw_rules = table.get("rules")
    if raw_rules is None:
        rules: tuple[LogRule, ...] = (LogRule(),)
    elif not isinstance(raw_rules, list):
        raise LogSettingsError("[[logging.rules]] must be an array of tables")
    else:
        rules = tuple(_rule(n, raw) for n, raw in enumerate(raw_rules, 1))
    return LogSettings(via, size, str(every), keep, tuple(accept), rules)


def _rule(number: int, raw: Any) -> LogRule:
    where = f"[[logging.rules]] #{number}"
    if not isinstance(raw, dict):
        raise LogSettingsError(f"{where} must be a table")
    unknown = set(raw) - {"services", "levels", "hosts", "target"}
    if unknown:
        raise LogSettingsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    levels = raw.get("levels", 31)
    if isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= 31:
        raise LogSettingsError(f"{where}: levels must be a mask 1-31, not {levels!r}")
    target = raw.get("target", "file")
    if not isinstance(target, str) or not _valid_target(target):
        raise LogSettingsError(
            f'{where}: target must be "file", "file:NAME.log", "syslog://HOST:PORT" or "logd://HOST:PORT", '
            f"not {target!r}"
        )
    services = tuple(s.lower() for s in _strings(raw.get("services", ["*"]), f"{where} services"))
    hosts = tuple(h.lower() for h in _strings(raw.get("hosts", ["*"]), f"{where} hosts"))
    return LogRule(services, levels, hosts, target)


def _valid_target(target: str) -> bool:
    if target == "file":
        return True
    if target.startswith("file:"):
        return _FILE_NAME.fullmatch(target[5:]) is not None
    found = _REMOTE.fullmatch(target)
    return found is not None and 0 < int(found.group(3)) < 65536


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise LogSettingsError(f"{where} must be a non-empty list of strings, not {value!r}")
    return value
