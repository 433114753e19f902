"""JMAP ids of our objects (RFC 8620 1.2: 1-255 characters of ``A-Za-z0-9_-``), shared by every data type.

Why these shapes: storage names a message by (folder id, UID) and never reuses either (folder ids are
autoincrement, a folder's UIDs only grow), so an id built from them is immutable without a lookup table;
a moved message is a new (folder, UID), which JMAP allows (the old id is destroyed, the new one created).
A conversation is storage's ``thread_key`` (the hash of its root Message-ID), the same in every folder of
the account. The one-letter prefixes keep the kinds apart, so a Mailbox id given as an Email id is
"not found" instead of a wrong object.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"e([1-9][0-9]{0,17})_([1-9][0-9]{0,17})")
_MAILBOX = re.compile(r"m([1-9][0-9]{0,17})")
_THREAD = re.compile(r"t([0-9a-zA-Z_-]{1,64})")


def email_id(folder_id: int, uid: int) -> str:
    return f"e{folder_id}_{uid}"


def parse_email_id(value: object) -> tuple[int, int] | None:
    """(folder id, UID) of an Email id, or None when it is not one of ours (the caller answers notFound)."""
    if not isinstance(value, str) or not (m := _EMAIL.fullmatch(value)):
        return None
    return int(m.group(1)), int(m.group(2))


def mailbox_id(folder_id: int) -> str:
    return f"m{folder_id}"


def parse_mailbox_id(value: object) -> int | None:
    if not isinstance(value, str) or not (m := _MAILBOX.fullmatch(value)):
        return None
    return int(m.group(1))


def thread_id(thread_key: str, folder_id: int, uid: int) -> str:
    """A message without a thread key (none stored) is a conversation of its own."""
    return f"t{thread_key}" if thread_key else f"t_{folder_id}_{uid}"


def parse_thread_key(value: object) -> str | None:
    if not isinstance(value, str) or not (m := _THREAD.fullmatch(value)):
        return None
    return m.group(1)
