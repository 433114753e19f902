"""SHOW, SET and CLEAR in every context: the registry's settings of that level, plus the object's own
properties (a password, the on/off switch, an account's class).

The settings come from the one registry (storage.settings): the names a context offers are those that
may be set at its level, values are typed as on ``fieldpost settings set`` ("10M", "5m", "yes", "80, 95"),
and a change applies at once in every process. Every registry name holds a dot, so the properties
(``password``, ``enabled``, ``class``, ``postmasterPassword``, ``displayName``) never clash with one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sidecars.cli import admins
from sidecars.cli import parser as P
from sidecars.cli.state import (
    ACCOUNT,
    ADMIN,
    ADMIN_GROUP,
    CLASS,
    DOMAIN,
    GROUP,
    SERVER,
    CommandFailed,
    Context,
    WrongUse,
)
from storage import settings as registry

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession

Setter = Callable[["CliSession", Context, str], str]
LEVEL_OF = {SERVER: "server", DOMAIN: "domain", CLASS: "class", ACCOUNT: "account"}
_YES, _NO = {"yes", "true", "on", "1"}, {"no", "false", "off", "0"}


def _switch(value: str) -> bool:
    word = value.strip().lower()
    if word in _YES | _NO:
        return word in _YES
    raise CommandFailed(f"expected yes or no, not {value[:40]!r}")


def _existing(context: Context) -> str:
    if context.pending is not None or context.name is None:
        raise CommandFailed("COMMIT first: this object does not exist yet")
    return context.name


def _postmaster_password(s: CliSession, context: Context, value: str) -> str:
    if context.pending is not None:
        context.pending["postmasterpassword"] = value
        return "postmaster password kept for COMMIT"
    s.view.set_password(f"postmaster@{_existing(context)}", value)
    return "postmaster password changed"


def _domain_enabled(s: CliSession, context: Context, value: str) -> str:
    on = _switch(value)
    s.view.set_domain_enabled(_existing(context), on)
    return f"domain {'enabled' if on else 'disabled'}"


def _account_password(s: CliSession, context: Context, value: str) -> str:
    if not value:
        raise CommandFailed("the password must not be empty")
    if context.pending is not None:
        context.pending["password"] = value
        return "password kept for COMMIT"
    s.view.set_password(_existing(context), value)
    return "password changed"


def _account_enabled(s: CliSession, context: Context, value: str) -> str:
    on = _switch(value)
    s.view.set_account_enabled(_existing(context), on)
    return f"account {'enabled' if on else 'disabled'}"


def _account_class(s: CliSession, context: Context, value: str) -> str:
    name = None if value.strip().lower() in ("", "-", "none") else value.strip()
    if context.pending is not None:
        context.pending["class"] = name or ""
        return "class kept for COMMIT"
    s.view.set_account_class(_existing(context), name)
    return f"account class {name}" if name else "no account class"


def _display_name(s: CliSession, context: Context, value: str) -> str:
    if context.pending is None:
        raise CommandFailed("the display name is given when the account is added")
    context.pending["displayname"] = value
    return "display name kept for COMMIT"


PROPERTIES: dict[str, dict[str, Setter]] = {
    DOMAIN: {"postmasterpassword": _postmaster_password, "enabled": _domain_enabled},
    ACCOUNT: {
        "password": _account_password,
        "enabled": _account_enabled,
        "class": _account_class,
        "displayname": _display_name,
    },
}


def _scope(context: Context) -> dict[str, Any]:
    if context.kind == SERVER:
        return {}
    if context.kind == DOMAIN:
        return {"domain": _existing(context)}
    if context.kind == CLASS:
        return {"domain": context.domain, "account_class": context.name}
    if context.kind == ACCOUNT:
        return {"account": _existing(context)}
    raise WrongUse(f"a {context.kind} has no settings")


def _level(context: Context) -> str:
    if context.kind not in LEVEL_OF:
        raise WrongUse(f"a {context.kind} has no settings")
    return LEVEL_OF[context.kind]


# -- SHOW -------------------------------------------------------------------------------------------------


def _details(s: CliSession, context: Context) -> list[tuple[str, str]]:
    if context.pending is not None:
        return [(context.kind, f"{context.name} (not created yet: COMMIT creates it, BACK abandons it)")]
    if context.kind == DOMAIN:
        assert context.name is not None
        d = s.view.domain(context.name)
        return [
            ("domain", d.name),
            ("status", "enabled" if d.enabled else "disabled"),
            ("accounts", str(d.account_count)),
            ("aliases", ", ".join(d.aliases) or "-"),
        ]
    if context.kind == ACCOUNT:
        assert context.name is not None
        a = s.view.account(context.name)
        return [
            ("account", a.address),
            ("status", "enabled" if a.enabled else "disabled"),
            ("display_name", a.display_name or "-"),
            ("class", a.account_class or "-"),
            ("used_bytes", str(a.used_bytes)),
            ("quota_bytes", str(a.quota_bytes) if a.quota_bytes else "unlimited"),
            ("messages", str(a.message_count)),
            ("folders", str(a.folder_count)),
            ("aliases", ", ".join(a.aliases) or "-"),
        ]
    if context.kind == CLASS:
        return [("account_class", context.name or ""), ("domain", context.domain or "")]
    if context.kind == GROUP:
        return [("group", context.name or ""), ("domain", context.domain or "")]
    return [("server", s.ctx.hostname), ("administrator", s.admin or "")]


def show(s: CliSession, args: list[str]) -> bytes:
    """SHOW: the context's object and its settings; SHOW name: one setting in full."""
    here = s.here
    if here.kind in (ADMIN, ADMIN_GROUP):
        P.parameters(args)
        return admins.show_admin(s, here)
    if len(args) == 1:
        return _show_one(s, here, args[0])
    if args:
        raise P.ParseError("SHOW takes no parameter, or one setting name")
    out = P.table(("property", "value"), _details(s, here))
    if here.kind == GROUP:
        return out + P.ok("group shown")
    if here.pending is not None:
        waiting = [(n, registry.format_value(n, v)) for n, v in sorted(here.pending_settings.items())]
        return (
            out
            + P.table(("setting", "value"), waiting)
            + P.ok(f"{len(waiting)} setting(s) waiting for COMMIT")
        )
    entries = s.view.setting_levels.at(**_scope(here))
    rows = [
        (
            e.setting.name,
            registry.format_value(e.setting.name, e.value),
            _origin(here, e.explicit),
        )
        for e in entries
    ]
    return out + P.table(("setting", "value", "origin"), rows) + P.ok(f"{len(rows)} setting(s)")


def _show_one(s: CliSession, here: Context, name: str) -> bytes:
    setting = registry.get(name)
    level = _level(here)
    if level not in setting.levels:
        raise CommandFailed(f"{name} is not a setting of this level ({_allowed(setting)})")
    if here.pending is not None:
        value = here.pending_settings.get(name, setting.default)
        origin = "waiting for COMMIT" if name in here.pending_settings else "default"
    else:
        entry = next(e for e in s.view.setting_levels.at(**_scope(here)) if e.setting.name == name)
        value, origin = entry.value, _origin(here, entry.explicit)
    text = [
        f"{name} = {registry.format_value(name, value)}",
        f"origin: {origin}",
        f"default: {registry.format_value(name, setting.default)}",
        f"levels: {_allowed(setting)}",
        f"help: {setting.help}",
    ]
    return P.lines(text) + P.ok(f"{name} shown")


def _origin(here: Context, explicit: bool) -> str:
    """Where a value comes from: this level, a more general one, or (at the top) the registry's default."""
    if explicit:
        return "set here"
    return "default" if here.kind == SERVER else "inherited"


def _allowed(setting: registry.Setting) -> str:
    return ", ".join(level for level in registry.LEVELS if level in setting.levels)


# -- SET and CLEAR ----------------------------------------------------------------------------------------


def set_(s: CliSession, args: list[str]) -> bytes:
    """SET name value: a property of the object, or a setting at this context's level."""
    if len(args) < 2:
        raise P.ParseError("SET needs a name and a value")
    name, value = args[0], " ".join(args[1:])
    here = s.here
    if here.kind in (ADMIN, ADMIN_GROUP):
        return P.ok(admins.set_admin_property(s, here, name, value))
    setter = PROPERTIES.get(here.kind, {}).get(name.lower())
    if setter is not None:
        return P.ok(setter(s, here, value))
    level = _level(here)
    setting = registry.get(name)
    if level not in setting.levels:
        raise CommandFailed(f"{name} cannot be set at {level} level (only: {_allowed(setting)})")
    if here.pending is not None:
        here.pending_settings[name] = registry.validate(name, value)
        return P.ok(
            f"{name} = {registry.format_value(name, here.pending_settings[name])} (applied at COMMIT)"
        )
    stored = s.view.set_setting(name, value, **_scope(here))
    return P.ok(f"{name} = {registry.format_value(name, stored)} (in force now)")


def clear(s: CliSession, args: list[str]) -> bytes:
    """CLEAR name: remove this level's value, so the more general level's (or the default) applies."""
    if len(args) != 1:
        raise P.ParseError("CLEAR needs one setting name")
    name, here = args[0], s.here
    registry.get(name)
    _level(here)
    if here.pending is not None:
        if here.pending_settings.pop(name, None) is None:
            raise CommandFailed(f"{name} was not set")
        return P.ok(f"{name} will not be set")
    if not s.view.clear_setting(name, **_scope(here)):
        raise CommandFailed(f"{name} has no value at this level")
    return P.ok(f"{name} now inherits")
