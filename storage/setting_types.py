"""What a setting is and which values it takes: the ``Setting`` type, value validation and formatting.

Why apart from storage.settings: that module is the registry (the list every form, CLI context and the
docs are generated from) plus the stored values; this is the machinery each entry is checked with, so
the list stays readable and this stays testable without it. storage.settings re-exports every public
name here, so callers keep importing from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from storage.errors import InvalidInput

LEVELS = ("server", "domain", "class", "account")  # general -> specific
TYPES = ("int", "bool", "str", "enum", "list", "bytes", "seconds")
ALL_LEVELS = frozenset(LEVELS)
SERVER = frozenset({"server"})
SERVER_DOMAIN = frozenset({"server", "domain"})
LOG_SERVICES = ("smtp", "imap", "pop3", "ftp", "processing", "web", "cli", "rpop", "logd")
#: Services with TCP listeners run by sidecars/net, and the default idle time of each (RFC 5321 4.5.3.2.7,
#: RFC 9051 5.4, RFC 1939 section 3)
NET_SERVICES = {"smtp": 300, "imap": 1800, "pop3": 600, "ftp": 300, "cli": 600}
#: ... and before the client has proved itself (logged in; SMTP: authenticated or sent MAIL). RFC 3501 5.4
#: allows IMAP a short autologout before login; RFC 5321 4.5.3.2.7 asks an SMTP server to wait at least
#: 5 minutes for a command and RFC 1939 3 POP3 at least 10 minutes, so those keep their idle time.
NET_PREAUTH_IDLE = {"smtp": 300, "imap": 60, "pop3": 600, "ftp": 60, "cli": 60}
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TRUE = {"yes", "true", "on", "1", "y"}
_FALSE = {"no", "false", "off", "0", "n"}


@dataclass(frozen=True, kw_only=True)
class Setting:
    """One entry of the registry.

    ``minimum``/``maximum`` bound numbers (and each item of a list of numbers) or the length of a string;
    ``item_type`` is the type of each element of a ``list`` setting.
    """

    name: str
    type: str
    default: Any
    levels: frozenset[str]
    help: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    item_type: str = "str"

    def __post_init__(self) -> None:
        if self.type not in TYPES or self.item_type not in TYPES or self.item_type == "list":
            raise ValueError(f"setting {self.name}: bad type {self.type!r}/{self.item_type!r}")
        if not self.levels or not self.levels <= ALL_LEVELS:
            raise ValueError(f"setting {self.name}: bad levels {sorted(self.levels)}")
        if self.type == "enum" and not self.choices:
            raise ValueError(f"setting {self.name}: an enum needs choices")
        coerce_value(self, self.default)  # a default must pass its own validation

    @property
    def section(self) -> str:
        return self.name.partition(".")[0]


# -- validation (each entry checks its own default when it is built)


def _fail(setting: Setting, message: str) -> InvalidInput:
    return InvalidInput(f"setting {setting.name}: {message}")


def _number(setting: Setting, kind: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _fail(setting, f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, str):
        raise _fail(setting, f"expected a number, got {value!r}")
    text = value.strip().lower()
    if kind == "bytes":
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?", text)
        if m:
            return int(round(float(m.group(1)) * _SIZE_UNITS[m.group(2)]))
        raise _fail(setting, f"{value!r} is not a size (examples: 512K, 10M, 1G)")
    if kind == "seconds":
        parts = re.findall(r"(\d+)\s*([smhdw]?)\s*", text)
        if parts and re.fullmatch(r"(?:\d+\s*[smhdw]?\s*)+", text):
            return sum(int(n) * _TIME_UNITS[u] for n, u in parts)
        raise _fail(setting, f"{value!r} is not a duration (examples: 30s, 5m, 2h, 1d, 1h30m)")
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise _fail(setting, f"{value!r} is not a whole number")


def _bounds(setting: Setting, number: int) -> None:
    shown = format_scalar(value_kind(setting), number)
    if setting.minimum is not None and number < setting.minimum:
        raise _fail(
            setting, f"{shown} is below the minimum {format_scalar(value_kind(setting), setting.minimum)}"
        )
    if setting.maximum is not None and number > setting.maximum:
        raise _fail(
            setting, f"{shown} is above the maximum {format_scalar(value_kind(setting), setting.maximum)}"
        )


def value_kind(setting: Setting) -> str:
    return setting.item_type if setting.type == "list" else setting.type


def _scalar(setting: Setting, kind: str, value: Any) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _fail(setting, f"expected yes/no, got {value!r}")
    if kind in ("int", "bytes", "seconds"):
        number = _number(setting, kind, value)
        _bounds(setting, number)
        return number
    if not isinstance(value, str):
        raise _fail(setting, f"expected text, got {value!r}")
    if kind == "enum":
        for choice in setting.choices:
            if choice.lower() == value.strip().lower():
                return choice
        raise _fail(setting, f"{value!r} is not one of {', '.join(setting.choices)}")
    if setting.minimum is not None and len(value) < setting.minimum:
        raise _fail(setting, f"must be at least {setting.minimum} characters long")
    if setting.maximum is not None and len(value) > setting.maximum:
        raise _fail(setting, f"must be at most {setting.maximum} characters long")
    return value


def coerce_value(setting: Setting, value: Any) -> Any:
    if setting.type != "list":
        return _scalar(setting, setting.type, value)
    if isinstance(value, str):
        value = [item for item in re.split(r"[,\s]+", value.strip()) if item]
    if not isinstance(value, list | tuple):
        raise _fail(setting, f"expected a list, got {value!r}")
    return [_scalar(setting, setting.item_type, item) for item in value]


def format_scalar(kind: str, value: Any) -> str:
    """Show a value the way a user would type it (50M, 2h, yes)."""
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "bytes" and isinstance(value, int) and value > 0:
        for unit in ("T", "G", "M", "K"):
            if value % _SIZE_UNITS[unit.lower()] == 0:
                return f"{value // _SIZE_UNITS[unit.lower()]}{unit}"
    if kind == "seconds" and isinstance(value, int) and value > 0:
        for unit in ("w", "d", "h", "m"):
            if value % _TIME_UNITS[unit] == 0:
                return f"{value // _TIME_UNITS[unit]}{unit}"
        return f"{value}s"
    return str(value)
