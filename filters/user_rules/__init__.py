"""The rules and out-of-office reply users set in WebMail, kept as a Sieve script the engine checks.

* ``model``: the wizard's data (rules, out-of-office), its checks and its JSON form;
* ``render``: the Sieve script made from it, and reading that script back (with edit detection);
* ``service``: ``UserFilters(store.for_user(id))``, which saves the script beside the user's own
  ManageSieve scripts without ever overwriting them (docs/webmail-settings.md).

No Flask here: WebMail's pages, and later JMAP, call these.
"""

from __future__ import annotations

from filters.user_rules.model import (
    ACTIONS,
    FIELDS,
    OPERATORS,
    Condition,
    OutOfOffice,
    Rule,
    RuleError,
    UserRules,
)
from filters.user_rules.service import SCRIPT_NAME, FiltersState, ScriptEdited, UserFilters

__all__ = [
    "ACTIONS",
    "FIELDS",
    "OPERATORS",
    "SCRIPT_NAME",
    "Condition",
    "FiltersState",
    "OutOfOffice",
    "Rule",
    "RuleError",
    "ScriptEdited",
    "UserFilters",
    "UserRules",
]
