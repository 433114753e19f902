"""WebMail's rules and out-of-office, kept as one Sieve script of the account, beside the user's own.

How WebMail and a ManageSieve client share the account's scripts (docs/webmail-settings.md):

* WebMail owns one script, ``SCRIPT_NAME``, and only ever writes that one. Scripts a user uploads under
  other names are never read, changed, renamed or deleted by WebMail.
* Only one script of an account is active (RFC 5804). When WebMail saves and no script is active, it
  activates its own. When another script is active, WebMail saves its own but leaves the user's active;
  ``FiltersState.in_force`` is then False, and the page says which script is in force and offers
  ``activate`` (which deactivates the user's script without touching it).
* If the user changed WebMail's own script with another program (the digest on its first line no longer
  matches, filters.user_rules.render), saving raises ``ScriptEdited`` instead of overwriting; with
  ``replace_edited=True`` the changed text is first kept under a new name (``webmail-edited-<time>``), and
  only then replaced.
* Every write is conditional on the script still holding what was read (``expected``), so a client that
  writes between WebMail's read and write makes the save fail with ``ScriptEdited`` rather than vanish.

Every script is compiled by the Sieve engine (``filters.sieve.compile_script``) before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from filters import FilterError
from filters.sieve import compile_script
from filters.user_rules.model import FOLDER_ACTIONS, OutOfOffice, Rule, RuleError, UserRules, check
from filters.user_rules.render import Context, read, render
from storage.errors import InvalidInput, NotFound
from storage.names import split_address, utcnow
from storage.scripts import ScriptChanged

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from storage.usermail import UserMail

    _Change = Callable[[UserRules], UserRules]

SCRIPT_NAME: Final = "webmail"


class ScriptEdited(FilterError):
    """WebMail's script was changed by another program; saving would overwrite that change."""


@dataclass(frozen=True)
class FiltersState:
    """What the rules and out-of-office pages show."""

    data: UserRules
    exists: bool  # WebMail's script exists
    edited: bool  # ... and another program changed it since WebMail wrote it
    active_script: str | None  # the account's active script, whoever wrote it

    @property
    def in_force(self) -> bool:
        """WebMail's script is the active one: its rules and reply apply to incoming mail."""
        return self.active_script == SCRIPT_NAME


class UserFilters:
    """The rules wizard's and out-of-office page's operations for one user (see the module notes)."""

    def __init__(self, user: UserMail) -> None:
        self.user = user

    def _current(self) -> tuple[str | None, str | None]:
        """(WebMail's script text or None, the active script's name or None)."""
        scripts = self.user.scripts
        active = next((info.name for info in scripts.list() if info.active), None)
        try:
            text = scripts.get(SCRIPT_NAME).content
        except NotFound:
            text = None
        return text, active

    def state(self) -> FiltersState:
        """The data WebMail last saved, and how its script stands.

        Raises:
            NotFound: the account no longer exists.
        """
        text, active = self._current()
        if text is None:
            return FiltersState(UserRules(), False, False, active)
        stored = read(text)
        return FiltersState(stored.data, True, stored.edited, active)

    def save_rules(self, rules: Sequence[Rule], *, replace_edited: bool = False) -> FiltersState:
        """Replace the rules (in this order), keeping the out-of-office entry.

        Raises:
            RuleError: a rule is not acceptable (``field`` names the form field): unknown folder too.
            ScriptEdited: another program changed WebMail's script (see ``replace_edited``).
            storage.QuotaExceeded: the script would exceed ``sieve.max_script_bytes`` or, for the copy
                of an edited script, ``sieve.max_scripts``.
        """
        return self._save(lambda data: replace(data, rules=tuple(rules)), replace_edited)

    def save_out_of_office(self, entry: OutOfOffice, *, replace_edited: bool = False) -> FiltersState:
        """Replace the out-of-office entry, keeping the rules.

        Raises:
            RuleError, ScriptEdited, storage.QuotaExceeded: as for ``save_rules``.
        """
        return self._save(lambda data: replace(data, out_of_office=entry), replace_edited)

    def activate(self) -> FiltersState:
        """Make WebMail's script the active one (written first if it does not exist yet); the script
        that was active stays stored, inactive."""
        text, _ = self._current()
        if text is None:
            self._save(lambda data: data, False)
        self.user.scripts.activate(SCRIPT_NAME)
        return self.state()

    def _context(self) -> Context:
        prefs = self.user.preferences
        profile = prefs.profile()
        return Context(
            address=profile.address,
            internal_domains=(profile.domain, *profile.domain_aliases),
            aliases=profile.aliases,
            timezone=str(prefs.get()["user.timezone"]),
        )

    def _check_targets(self, data: UserRules, ctx: Context) -> None:
        for rule in data.rules:
            if rule.action in FOLDER_ACTIONS:
                try:
                    self.user.find(ctx.address, rule.target)
                except (NotFound, InvalidInput):
                    raise RuleError("target", f"there is no folder {rule.target!r}") from None
            elif rule.target:
                try:
                    address = "@".join(split_address(rule.target))
                except InvalidInput:
                    raise RuleError("target", f"{rule.target!r} is not an address") from None
                if address in (ctx.address, *ctx.aliases):
                    raise RuleError("target", "forwarding to your own address would loop")

    def _save(self, change: _Change, replace_edited: bool) -> FiltersState:
        text, active = self._current()
        stored = read(text) if text is not None else None
        data = check(change(stored.data if stored else UserRules()))
        ctx = self._context()
        self._check_targets(data, ctx)
        script = render(data, ctx)
        compile_script(script)  # SieveError here is a bug of render(): never store what cannot run
        scripts = self.user.scripts
        if stored is not None and stored.edited:
            if not replace_edited:
                raise ScriptEdited(f"the script {SCRIPT_NAME!r} was changed by another program")
            scripts.put(f"{SCRIPT_NAME}-edited-{utcnow():%Y%m%d-%H%M%S}", text or "", expected=None)
        try:
            scripts.put(SCRIPT_NAME, script, expected=text)
        except ScriptChanged:
            raise ScriptEdited(
                f"the script {SCRIPT_NAME!r} was changed meanwhile by another program"
            ) from None
        if active is None:
            scripts.activate(SCRIPT_NAME)
        return self.state()
