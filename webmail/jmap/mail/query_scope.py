"""Which Email queries Email/queryChanges can follow, and whether their results read keywords.

Shared by Email/query (its ``canCalculateChanges``) and Email/queryChanges (webmail/jmap/mail/
email_query_changes.py explains why these are the conditions).
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.mail_sync import Cond, Condition, Sort

_KEYWORD_KINDS = {"flag", "keyword"}


def _leaves(c: Condition) -> list[Cond]:
    if isinstance(c, Cond):
        return [c]
    return [leaf for item in c.items for leaf in _leaves(item)]


def _top_folders(c: Condition) -> list[Cond]:
    """The ``folders`` conditions every result must meet (at the top, or in ANDs down from it)."""
    if isinstance(c, Cond):
        return [c] if c.kind == "folders" else []
    if c.op == "and":
        return [leaf for item in c.items for leaf in _top_folders(item)]
    return []


def one_mailbox(condition: Condition | None) -> int | None:
    """The folder a query is confined to when queryChanges can follow it (see the module docstring)."""
    if condition is None:
        return None
    kinds = {leaf.kind for leaf in _leaves(condition)}
    if any(k.startswith(("text_", "thread_flag_")) for k in kinds):
        return None
    folders = {int(x) for leaf in _top_folders(condition) for x in leaf.value}
    tops = _top_folders(condition)
    if len(folders) != 1 or any(len(leaf.value) != 1 for leaf in tops):
        return None
    return folders.pop()


def reads_keywords(condition: Condition | None, sort: Sequence[Sort]) -> bool:
    """Whether the results depend on keywords (which change without changing the Email id)."""
    if any(k.key == "flag" for k in sort):
        return True
    return condition is not None and any(leaf.kind in _KEYWORD_KINDS for leaf in _leaves(condition))
