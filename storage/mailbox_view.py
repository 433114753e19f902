"""The mail client's view of a user's mailbox: message list pages, conversations, search, the folder
tree, a message's parts for the reader, and the operations on many messages at once.

``store.for_user(account_id).view`` gives a :class:`MailboxView`. It is user-bound like UserMail
(storage.usermail), whose rules it follows: every call asks storage.acl for the rights in force, in
its own transaction, so a folder without "l" is ``NotFound(acl.NO_SUCH_FOLDER)`` and a missing right
is ``PermissionDenied``. WebMail (and any later interface) uses only this and UserMail; it never
reaches ``store.mail``.

For the reader (WebMail's message page), the calls are:

* ``message(folder_id, uid) -> MessageView``: decoded headers (subject, date, from/sender/reply-to/to/
  cc/bcc as ``Mailbox(name, address)``), flags, and ``parts``: every MIME entity as a
  ``MessagePart`` (``id`` = IMAP section, ``content_type``, ``charset``, ``filename``, ``disposition``,
  ``content_id``, ``size``, ``is_attachment``, ``children``), preorder, the body's root first;
* ``part(folder_id, uid, part_id) -> (MessagePart, Iterator[bytes])``: that part's decoded bytes,
  streamed from the blob (the reader decodes the charset and sanitises HTML; nothing here does);
* ``raw(folder_id, uid)`` and ``header_bytes(folder_id, uid)``: the source and its header section.

Each needs "r"; none marks the message seen (``mark(..., seen=True)`` does, with "s").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from storage import acl, folder_tree, message_list, message_parts
from storage import flags as fl
from storage import folders as fo
from storage import schema as s
from storage.errors import NotFound
from storage.folder_tree import TreeFolder
from storage.message_list import NO_FILTER, ListFilter, ListPage, ListRow
from storage.message_parts import MessagePart, MessageView
from storage.models import FlagChange
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.usermail import UserMail

NO_SUCH_MESSAGE = "no such message"
NO_SUCH_PART = "no such part"


class MailboxView:
    """See the module docstring; made by ``UserMail.view``."""

    def __init__(self, user: UserMail) -> None:
        self._user = user
        self._store = user.store
        self.account_id = user.account_id

    def _require(self, conn: Connection, folder_id: int, needed: str) -> acl.Rights:
        return acl.require(conn, self.account_id, folder_id, needed)

    # -- the list ---------------------------------------------------------------------------------------

    def page(
        self,
        folder_id: int,
        *,
        sort: str = "date",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
        filters: ListFilter = NO_FILTER,
        threaded: bool = False,
    ) -> ListPage:
        """One page of the folder's list (storage.message_list). ``sort`` is date, from, subject, size or
        arrival; ``threaded`` pages over conversations by their newest message, unless filters are given
        (a filtered list is flat: ``page.threaded`` says which it is).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
            InvalidInput: an unknown sort, a negative offset, a limit outside 1..MAX_LIMIT.
        """
        with self._store.db.read() as conn:
            self._require(conn, folder_id, "r")
            if threaded and filters.is_empty:
                return message_list.threads_in(conn, folder_id, descending, offset, limit)
            return message_list.page_in(conn, folder_id, sort, descending, offset, limit, filters)

    def thread(self, folder_id: int, thread_key: str) -> list[ListRow]:
        """The folder's messages of one conversation (``ListRow.thread_key``), oldest first.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        with self._store.db.read() as conn:
            self._require(conn, folder_id, "r")
            return message_list.thread_messages_in(conn, folder_id, thread_key)

    def folder_tree(self, *, kind: str | None = "mail") -> list[TreeFolder]:
        """Personal, shared and public folders with counts (storage.folder_tree)."""
        with self._store.db.read() as conn:
            return folder_tree.tree_in(conn, self.account_id, kind=kind)

    # -- one message ------------------------------------------------------------------------------------

    def _row(self, folder_id: int, uid: int) -> Any:
        m, b = s.messages, s.bodies
        with self._store.db.read() as conn:
            self._require(conn, folder_id, "r")
            row = conn.execute(
                select(
                    m.c.uid, m.c.flags, m.c.keywords, m.c.internal_date, m.c.size, b.c.structure, b.c.sha256
                )
                .join(b, b.c.id == m.c.body_id)
                .where(m.c.folder_id == folder_id, m.c.uid == uid)
            ).first()
        if row is None:
            raise NotFound(NO_SUCH_MESSAGE)
        return row

    def message(self, folder_id: int, uid: int) -> MessageView:
        """Headers and parts of one message (see the module docstring).

        Raises:
            NotFound: no such folder or message, or no "l". PermissionDenied: no "r".
        """
        row = self._row(folder_id, uid)
        return message_parts.message_view(
            int(row.uid),
            fl.decode(row.flags, row.keywords),
            as_utc(row.internal_date) or utcnow(),
            int(row.size),
            row.structure,
        )

    def part(self, folder_id: int, uid: int, part_id: str) -> tuple[MessagePart, Iterator[bytes]]:
        """A part's description and its decoded bytes, streamed (read from the blob when iterated).

        Raises:
            NotFound: no such folder, message or part, or no "l". PermissionDenied: no "r".
        """
        row = self._row(folder_id, uid)
        view = message_parts.message_view(int(row.uid), frozenset(), utcnow(), int(row.size), row.structure)
        described = view.part(part_id)
        found = message_parts.find_part(row.structure, part_id)
        if described is None or found is None:
            raise NotFound(NO_SUCH_PART)
        blobs, sha = self._store.blobs, row.sha256
        return described, message_parts.decoded_chunks(lambda a, z: blobs.read(sha, a, z), found)

    def raw(self, folder_id: int, uid: int) -> bytes:
        """The message's bytes as stored (view source, download).

        Raises:
            NotFound: no such folder or message, or no "l". PermissionDenied: no "r".
        """
        with self._store.db.read() as conn:
            self._require(conn, folder_id, "r")
            sha = self._store.mail.sha_in(conn, folder_id, uid)
        return self._store.blobs.read(sha)

    def header_bytes(self, folder_id: int, uid: int) -> bytes:
        """The message's header section (all headers, as received).

        Raises:
            NotFound: no such folder or message, or no "l". PermissionDenied: no "r".
        """
        row = self._row(folder_id, uid)
        end = message_parts.message_view(int(row.uid), frozenset(), utcnow(), 0, row.structure).header_end
        return self._store.blobs.read(row.sha256, 0, end)

    # -- many messages at once ----------------------------------------------------------------------------

    def move(self, folder_id: int, uids: Iterable[int], target_id: int) -> dict[int, int]:
        """Move messages (RFC 6851 rights: "r", "t", "e" here, "i" on the target); source UID -> new UID."""
        return self._user.copy(folder_id, uids, target_id, move=True)

    def copy(self, folder_id: int, uids: Iterable[int], target_id: int) -> dict[int, int]:
        return self._user.copy(folder_id, uids, target_id)

    def delete(self, folder_id: int, uids: Iterable[int], *, expunge: bool = False) -> list[int]:
        """Delete messages: into the user's own Trash, or (in Trash itself, without a Trash folder, or
        with ``expunge``) mark \\Deleted and expunge at once. Returns the UIDs gone from the folder.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: "r", "t" or "e" missing here, or "i"
            on the Trash.
        """
        wanted = sorted(set(uids))
        with self._store.db.read() as conn:
            trash = self._trash_id(conn)
        if not expunge and trash is not None and trash != folder_id:
            return sorted(self._user.copy(folder_id, wanted, trash, move=True))
        mail = self._store.mail
        with self._store.db.write() as conn:
            self._require(conn, folder_id, "rte")
            mail.set_flags_in(conn, folder_id, wanted, ["\\Deleted"], "add")
            return mail.expunge_in(conn, folder_id, wanted)

    def _trash_id(self, conn: Connection) -> int | None:
        f = s.folders
        fid = conn.execute(
            select(f.c.id).where(f.c.namespace == fo.mailbox_namespace(self.account_id), f.c.role == "trash")
        ).scalar()
        return None if fid is None else int(fid)

    def mark(
        self, folder_id: int, uids: Iterable[int], *, seen: bool | None = None, flagged: bool | None = None
    ) -> list[FlagChange]:
        """Set or clear \\Seen and \\Flagged (needs "r" and "s" for seen, "w" for flagged); returns the
        messages whose flags changed."""
        wanted = sorted(set(uids))
        changed: list[FlagChange] = []
        for flag, value in (("\\Seen", seen), ("\\Flagged", flagged)):
            if value is not None:
                done, _ = self._user.set_flags(folder_id, wanted, [flag], "add" if value else "remove")
                changed += done
        return changed
