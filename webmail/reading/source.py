"""One stored message read on behalf of a user: its cached structure and its bytes, through the facade.

Every read goes through ``store.for_user(account_id)`` (storage/usermail.py), so the rights in force are
checked when the message is opened: a folder the user cannot see is ``NotFound`` (the same answer as a
folder that does not exist) and one they cannot read is ``PermissionDenied``; a UID that is not in the
folder is ``NotFound``. A :class:`StoredMessage` holds one ``FolderReader`` and serves one request
(usermail's rule: a reader is not kept across commands).

The structure is the JSON cache storage wrote at delivery (``storage.mime.from_json``), so opening a
message never re-parses it; a part's bytes are sliced by the offsets in that structure.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.errors import NotFound
from storage.mime import Envelope, Part, decode_charset, decode_transfer, from_json
from storage.models import MessageInfo
from storage.usermail import FolderReader, UserMail

#: A body part larger than this (encoded) is read only this far for display.
MAX_DISPLAY_PART_BYTES = 8 * 1024 * 1024
NO_SUCH_MESSAGE = "no such message"


@dataclass(frozen=True)
class StoredMessage:
    """A message the user may read: its row, cached envelope and MIME tree, and a way to its bytes."""

    user: UserMail
    reader: FolderReader
    info: MessageInfo
    envelope: Envelope
    root: Part

    @property
    def uid(self) -> int:
        return self.info.uid

    @property
    def folder_id(self) -> int:
        return self.info.folder_id

    def raw(self) -> bytes:
        """The whole message as stored (for "view source" and downloads of the .eml)."""
        return self.reader.raw(self.uid)

    def header_block(self) -> bytes:
        """The top-level header fields, up to the blank line."""
        return self.reader.raw(self.uid, start=0, end=self.root.body_start)

    def part_bytes(self, part: Part, *, limit: int | None = None) -> bytes:
        """A part's body with its transfer encoding undone; at most ``limit`` encoded bytes are read."""
        end = part.end if limit is None else min(part.end, part.body_start + limit)
        return decode_transfer(self.reader.raw(self.uid, start=part.body_start, end=end), part.encoding)

    def part_text(self, part: Part) -> tuple[str, bool]:
        """(decoded text of a text/* part for display, whether it was cut at MAX_DISPLAY_PART_BYTES)."""
        data = self.part_bytes(part, limit=MAX_DISPLAY_PART_BYTES)
        charset = dict(part.params).get("charset", "utf-8")
        return decode_charset(data, charset), part.size > MAX_DISPLAY_PART_BYTES

    def mark_seen(self) -> None:
        """Set \\Seen, as opening a message does (only with the "s" right; usermail decides)."""
        self.reader.mark_seen([self.uid])

    def add_flags(self, flags: list[str]) -> None:
        """Add flags or keywords (``$MDNSent``) through the facade, with the rights they need.

        Raises:
            PermissionDenied: a right the flags need is missing (RFC 4314 4).
        """
        self.user.set_flags(self.folder_id, [self.uid], flags, "add")


def open_message(user: UserMail, folder_id: int, uid: int) -> StoredMessage:
    """The message ``uid`` of folder ``folder_id`` as ``user`` may read it.

    Raises:
        NotFound: no such folder or message, or the user may not see the folder.
        PermissionDenied: the user sees the folder but may not read it (no "r").
    """
    reader = user.reader(folder_id)
    infos = reader.info([uid])
    if not infos or infos[0].uid != uid:
        raise NotFound(NO_SUCH_MESSAGE)
    info = infos[0]
    try:
        envelope, root = from_json(info.structure)
    except ValueError as exc:  # a corrupt cache column: say so instead of serving wrong offsets
        raise NotFound(f"{NO_SUCH_MESSAGE} (unreadable structure: {exc})") from None
    return StoredMessage(user, reader, info, envelope, root)
