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
_ACCOUNT = re.compile(r"a([1-9][0-9]{0,17})")
_UPLOAD_BLOB = re.compile(r"u([0-9a-f]{64})")
_MESSAGE_BLOB = re.compile(r"b([1-9][0-9]{0,17})_([1-9][0-9]{0,17})((?:_[1-9][0-9]{0,5}){0,20})")


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


def account_id(account: int) -> str:
    """The JMAP accountId of a storage account (the Session lists exactly one: the signed-in account)."""
    return f"a{account}"


def parse_account_id(value: object) -> int | None:
    if not isinstance(value, str) or not (m := _ACCOUNT.fullmatch(value)):
        return None
    return int(m.group(1))


def upload_blob_id(sha256_hex: str) -> str:
    """A blob uploaded by the account (RFC 8620 6.1), named by its SHA-256; it lives in the account's
    upload area (storage/uploads.py), so the same bytes uploaded by two accounts are two blobs."""
    return f"u{sha256_hex}"


def parse_upload_blob_id(value: object) -> str | None:
    """The SHA-256 (hex) of an upload blob id, or None."""
    if not isinstance(value, str) or not (m := _UPLOAD_BLOB.fullmatch(value)):
        return None
    return m.group(1)


def message_blob_id(folder_id: int, uid: int, part: str | None = None) -> str:
    """A stored message (``part`` None: the whole RFC 5322 message) or one MIME part of it by its IMAP
    section number ("1", "2.1"; storage/message_parts.py), e.g. ``b12_7`` and ``b12_7_2_1``.

    Immutable like the Email id (a message's bytes never change under its (folder, UID))."""
    if not part:
        return f"b{folder_id}_{uid}"
    return f"b{folder_id}_{uid}_" + part.replace(".", "_")


def parse_message_blob_id(value: object) -> tuple[int, int, str | None] | None:
    """(folder id, UID, part section or None for the whole message) of a message blob id, or None."""
    if not isinstance(value, str) or not (m := _MESSAGE_BLOB.fullmatch(value)):
        return None
    part = m.group(3)[1:].replace("_", ".") if m.group(3) else None
    return int(m.group(1)), int(m.group(2)), part


def b36(n: int) -> str:
    """``n`` (>= 0) in base 36: the short numbers state strings are made of."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while True:
        n, r = divmod(n, 36)
        out.append(digits[r])
        if not n:
            return "".join(reversed(out))
