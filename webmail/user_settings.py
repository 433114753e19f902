"""The settings a WebMail request depends on, read once per request in one transaction.

Settings apply live (DESIGN.md 3): nothing is kept in the session but the login itself, so a skin,
language or time zone changed by the user, their domain administrator or the server administrator shows
on the next page, and an account whose WebMail switch is turned off is signed out at its next request.

Before login the values are the server's (or the domain's, once the login names one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g
from flask_login import current_user

from webmail.binding import WebUser, current_store

#: Interfaces that exist today.
BUILT_INTERFACES = ("standard", "mobile", "ajax")
#: Interfaces offered at login and by the switch link but never chosen for a user by default yet: Ajax
#: needs the JMAP API (issue 14), which lands in steps, so a default of "ajax" (the registry's) still
#: lands on the first of the others until it is complete.
PREVIEW_INTERFACES = ("ajax",)

NAMES = (
    "webmail.skin",
    "webmail.interface",
    "webmail.interfaces",
    "webmail.mobile_agents",
    "user.language",
    "user.timezone",
    "web.session_idle_seconds",
    "web.session_max_seconds",
    "services.webmail",
)


@dataclass(frozen=True)
class UserSettings:
    skin: str
    interface: str  # the default interface: one of ``interfaces``, a preview one only if it is alone
    interfaces: tuple[str, ...]  # allowed and built, never empty
    mobile_agents: tuple[str, ...]
    language: str
    timezone: str
    idle_seconds: int
    max_seconds: int
    webmail_enabled: bool

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> UserSettings:
        allowed = tuple(i for i in values["webmail.interfaces"] if i in BUILT_INTERFACES)
        interfaces = allowed or BUILT_INTERFACES[:1]
        settled = [i for i in interfaces if i not in PREVIEW_INTERFACES] or list(interfaces)
        interface = values["webmail.interface"]
        return cls(
            skin=str(values["webmail.skin"]),
            interface=interface if interface in settled else settled[0],
            interfaces=interfaces,
            mobile_agents=tuple(str(a) for a in values["webmail.mobile_agents"]),
            language=str(values["user.language"]),
            timezone=str(values["user.timezone"]),
            idle_seconds=int(values["web.session_idle_seconds"]),
            max_seconds=int(values["web.session_max_seconds"]),
            webmail_enabled=bool(values["services.webmail"]),
        )

    def is_mobile_agent(self, user_agent: str) -> bool:
        agent = user_agent.lower()
        return any(part.lower() in agent for part in self.mobile_agents)

    def interface_for(self, user_agent: str) -> str:
        """The interface offered at login: Mobile for a phone's browser (when allowed), else the
        default."""
        if "mobile" in self.interfaces and self.is_mobile_agent(user_agent):
            return "mobile"
        return self.interface


def read_settings(*, account_id: int | None = None, domain: str | None = None) -> UserSettings:
    """The effective settings of an account, a domain or the server (one read)."""
    values = current_store().settings.effective_many(NAMES, account_id=account_id, domain=domain)
    return UserSettings.from_values(values)


def user_settings() -> UserSettings:
    """The signed-in user's settings, or the server's before login (cached for the request)."""
    if "fieldpost_user_settings" not in g:
        user = current_user._get_current_object() if current_user else None
        account_id = user.account_id if isinstance(user, WebUser) else None
        g.fieldpost_user_settings = read_settings(account_id=account_id)
    found: UserSettings = g.fieldpost_user_settings
    return found
