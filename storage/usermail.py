"""Mail on behalf of one user: every read and write goes through the ACL engine, at the moment it happens.

``store.for_user(account_id)`` gives a :class:`UserMail`. Its methods are the only way a protocol session
reads or changes messages and folders for a user; each asks ``storage.acl`` for the rights in force *now*,
inside the same transaction as the read or write. The system path (delivery, Sieve, filters, the CLI) is
``store.mail``, which checks nothing and is named for it, so a user path cannot skip the check by leaving
an argument out.

Why (issue 9): rights used to be checked when IMAP selected a mailbox, and storage calls took an optional
``actor=``; after the owner withdrew a grant, an open session still learned of new mail and read it.

The rules are storage.acl's (RFC 4314 4), applied here and nowhere else:

* no "l": the folder does not exist for the user. Every method raises ``NotFound(acl.NO_SUCH_FOLDER)``,
  the same error, word for word, as for a folder, user or domain that does not exist;
* messages, their flags, search and STATUS need "r"; changing flags needs "r" plus "s" (\\Seen),
  "t" (\\Deleted) or "w" (anything else); COPY needs "r" on the source and "i" on the target, MOVE also
  "t" and "e" on the source; EXPUNGE "e"; APPEND "i" plus the rights of the flags it sets;
* reading or changing a folder's entries (GETACL, SETACL, DELETEACL, LISTRIGHTS) needs "a"; the owner's
  rights are implicit, so there is no entry of theirs to change or delete;
* CREATE needs "k" on the parent; RENAME "x" on the folder and the right to create the new name; DELETE
  "x". Whatever keeps a new name from being created (no "k", a parent the user cannot see, a namespace
  that does not exist, or an existing folder the user cannot see) gives one answer, ``CANNOT_CREATE``.

Cost: one ``acl.rights_for`` per call (~67 us for an owner on SQLite), in the call's own transaction. A
FETCH or SEARCH takes a :class:`FolderReader` once (one check) and then reads batches and bodies without
asking again; a reader is for one command and must not be kept across commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from storage import acl
from storage import folders as fo
from storage.addressbook import AddressBook
from storage.app_passwords import AccountAppPasswords
from storage.contacts import PersonalContacts
from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from storage.folder_sharing import FolderSharing
from storage.mail import NewMessage
from storage.mail_sync import MailSync
from storage.mailbox_list import VisibleMailboxes, visible_mailboxes
from storage.mailbox_view import MailboxView
from storage.maildrop import Maildrop
from storage.models import FlagChange, Folder, MessageInfo
from storage.names import folder_path
from storage.preferences import UserPreferences
from storage.remote_accounts import AccountRemotes
from storage.scripts import AccountScripts
from storage.second_factor import SecondFactor
from storage.submissions import SubmissionRecords
from storage.temporary_aliases import TemporaryAliases
from storage.uploads import AccountUploads

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer
    from storage.store import Store

CANNOT_CREATE = "you may not create a mailbox there"
OWNER_RIGHTS_ARE_IMPLICIT = "the owner's rights are implicit and cannot be changed or removed"
READ = acl.Rights.parse("r")


@dataclass(frozen=True)
class FolderChanges:
    """What changed in a folder after a MODSEQ: the folder row, changed flags, expunged UIDs."""

    folder: Folder
    rights: acl.Rights
    changed: list[FlagChange]
    expunged: list[int]


@dataclass(frozen=True)
class OpenedFolder:
    """A folder being selected: its row, the user's rights and every message's flags, read together."""

    folder: Folder
    rights: acl.Rights
    messages: list[FlagChange]
    recent_mark: int  # storage.recent's mark, read in the same transaction (Recent.claim's ``mark``)


class UserMail:
    """Folders and messages as one account may see and change them (see the module docstring)."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    @property
    def view(self) -> MailboxView:
        """The mail client's calls: list pages, search, conversations, the folder tree, a message's parts
        and operations on many messages (storage.mailbox_view), under the same rights rules."""
        return MailboxView(self)

    @property
    def sync(self) -> MailSync:
        """A synchronising client's calls (storage.mail_sync): every visible mail folder with its counters
        and sync points, messages by (folder, UID) across folders, conversations across folders, and
        sorted pages over nested conditions, under the same rights rules."""
        return MailSync(self)

    @property
    def maildrop(self) -> Maildrop:
        """POP3's view of a folder (storage.maildrop): a snapshot of UIDs and sizes, bodies, and the
        deletions of a session's UPDATE state in one transaction, under the same rights rules."""
        return Maildrop(self.store, self.account_id)

    @property
    def scripts(self) -> AccountScripts:
        """The user's own Sieve scripts (ManageSieve); no other account's are reachable through it."""
        return self.store.scripts.for_account(self.account_id)

    @property
    def addressbook(self) -> AddressBook:
        """Recipient suggestions from the user's own contacts, Sent folder and domain directory."""
        return AddressBook(self.store, self.account_id)

    @property
    def contacts(self) -> PersonalContacts:
        """The user's own address book: add a sender, list and delete cards (storage.contacts)."""
        return PersonalContacts(self)

    @property
    def organizer(self) -> Organizer:
        """Calendars, tasks, notes, journal and contacts (storage.pim.organizer), under the same rights."""
        from storage.pim.organizer import Organizer

        return Organizer(self)

    @property
    def preferences(self) -> UserPreferences:
        """The user's own settings (an allow-list), sender lists, password, addresses and quota."""
        return UserPreferences(self.store, self.account_id)

    @property
    def temporary_aliases(self) -> TemporaryAliases:
        """The user's throw-away addresses, with their expiry."""
        return TemporaryAliases(self.store, self.account_id)

    @property
    def second_factor(self) -> SecondFactor:
        """The user's two-step sign-in: enrol, confirm, verify, turn off (storage.second_factor)."""
        return self.store.second_factors.for_account(self.account_id)

    @property
    def app_passwords(self) -> AccountAppPasswords:
        """The passwords the user made for mail programs once two-step sign-in is on."""
        return AccountAppPasswords(self.store, self.account_id)

    @property
    def uploads(self) -> AccountUploads:
        """Files the user uploaded (JMAP upload) until a message uses them or they expire."""
        return AccountUploads(self.store, self.account_id)

    @property
    def submissions(self) -> SubmissionRecords:
        """What the user submitted through JMAP (EmailSubmission records, storage.submissions)."""
        return SubmissionRecords(self.store, self.account_id)

    @property
    def sharing(self) -> FolderSharing:
        """The permissions dialog beyond one folder's entries: inherited entries, exceptions on a
        subfolder, and delegation on the user's own mailbox (storage.folder_sharing)."""
        return FolderSharing(self)

    @property
    def remote_accounts(self) -> AccountRemotes:
        """Other mailboxes (POP3/IMAP elsewhere) the user has fetched into this one (storage.remote_accounts)."""
        return AccountRemotes(self.store, self.account_id)

    def _require(self, conn: Connection, folder_id: int, needed: str | acl.Rights) -> acl.Rights:
        return acl.require(conn, self.account_id, folder_id, needed)

    # -- folders ------------------------------------------------------------------------------------

    def find(self, owner: str, path: str) -> tuple[Folder, acl.Rights]:
        """The folder ``path`` of ``owner`` (an address, or "@domain" for public folders) and the user's
        rights on it.

        Raises:
            NotFound: ``acl.NO_SUCH_FOLDER`` when the owner, the folder or the user's "l" is missing.
        """
        with self.store.db.read() as conn:
            try:
                folder_id = self.store.folders.resolve_id(conn, owner, path)
            except (NotFound, InvalidInput):
                raise NotFound(acl.NO_SUCH_FOLDER) from None
            return fo.folder_for(conn, self.account_id, folder_id, acl.NONE)

    def find_own(self, path: str) -> tuple[Folder, acl.Rights]:
        """``find`` in the user's own mailbox, by account id rather than by address: one statement
        (the folder by its path in the namespace of the account; the owner's rights are implicit), where
        ``find`` also resolves the owner's domain and address and asks for the rights.

        Raises:
            NotFound: ``acl.NO_SUCH_FOLDER``, no such folder (or a path that is not a folder name).
        """
        with self.store.db.read() as conn:
            folder = self._own_folder(conn, path)
            if folder.account_id == self.account_id:
                return folder, acl.ALL
            return fo.folder_for(conn, self.account_id, folder.id, acl.NONE)

    def _own_folder(self, conn: Connection, path: str) -> Folder:
        try:
            return fo.folder_by_path(conn, fo.mailbox_namespace(self.account_id), folder_path(path))
        except (NotFound, InvalidInput):
            raise NotFound(acl.NO_SUCH_FOLDER) from None

    def folder_with_role(self, role: str) -> Folder:
        """The user's own special-use folder (RFC 6154) of ``role`` (sent, drafts, trash...), wherever it
        was renamed to; the first by path when several carry the role.

        Raises:
            NotFound: the user has no folder with that role (deleted, or an unknown role).
        """
        with self.store.db.read() as conn:
            folder_id = fo.folder_id_with_role(conn, self.account_id, role)
            if folder_id is None:
                raise NotFound(f"you have no {role} folder")
            return fo.folder_for(conn, self.account_id, folder_id, acl.NONE)[0]

    def list_folders(self, owner: str) -> list[Folder]:
        """The folders of ``owner``'s tree the user may look up, in path order (RFC 3501 6.3.8 LIST).

        Raises:
            NotFound, InvalidInput: no such owner.
        """
        return self.store.folders.visible(owner, self.account_id)

    def mailboxes(self, *, shared: bool, public: bool) -> VisibleMailboxes:
        """Everything an IMAP LIST may show the user, with their subscriptions, in one read
        (storage.mailbox_list): own folders, other accounts' of the domain (``shared``) and public ones
        (``public``) that the user may look up.

        Raises:
            NotFound: the account is gone.
        """
        with self.store.db.read() as conn:
            return visible_mailboxes(conn, self.account_id, shared=shared, public=public)

    def rights(self, folder_id: int) -> acl.Rights:
        """The user's rights on a folder they may look up.

        Raises:
            NotFound: no such folder, or no "l" on it.
        """
        with self.store.db.read() as conn:
            return self._require(conn, folder_id, acl.NONE)

    def status(self, folder_id: int) -> Folder:
        """The folder's row with its counters (RFC 3501 6.3.10 STATUS needs "r").

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        with self.store.db.read() as conn:
            return fo.folder_for(conn, self.account_id, folder_id, READ)[0]

    def create_folder(self, owner: str, path: str, *, role: str | None = None, kind: str = "mail") -> Folder:
        """Create ``path`` (and missing parents) in ``owner``'s tree; needs "k" on each parent. ``kind``
        is the folder's type (storage.folders.KINDS: mail, or an organizer kind).

        Raises:
            AlreadyExists: the folder exists and the user can see it.
            PermissionDenied: ``CANNOT_CREATE``, for every other reason the name cannot be made.
        """
        self._namespace_or_deny(owner)
        try:
            return self.store.folders.create_for(self.account_id, owner, path, role=role, kind=kind)
        except AlreadyExists:
            if self._visible(owner, path):
                raise
            raise PermissionDenied(CANNOT_CREATE) from None
        except (NotFound, PermissionDenied):
            raise PermissionDenied(CANNOT_CREATE) from None

    def rename_folder(self, owner: str, old: str, new: str) -> Folder:
        """Rename within one tree; needs "x" on the folder (and "l" and "x" on each subfolder, which move
        along) and the right to create ``new``.

        Raises:
            NotFound: no folder ``old`` the user can see. PermissionDenied: no "x", or ``CANNOT_CREATE``.
            AlreadyExists: ``new`` exists and the user can see it.
        """
        folder, _ = self.find(owner, old)
        with self.store.db.read() as conn:
            self._require(conn, folder.id, "x")
        try:
            return self.store.folders.rename_for(self.account_id, owner, old, new)
        except AlreadyExists:
            if self._visible(owner, new):
                raise
            raise PermissionDenied(CANNOT_CREATE) from None
        except PermissionDenied as exc:
            if str(exc) == fo.SUBFOLDER_DENIED:
                raise
            raise PermissionDenied(CANNOT_CREATE) from None
        except NotFound:
            raise PermissionDenied(CANNOT_CREATE) from None

    def delete_folder(self, owner: str, path: str) -> None:
        """Delete a folder the user can see and holds "x" on, with its subtree.

        Raises:
            NotFound: no such folder for the user. PermissionDenied: no "x".
        """
        self.find(owner, path)
        self.store.folders.delete_for(self.account_id, owner, path)

    def _namespace_or_deny(self, owner: str) -> None:
        with self.store.db.read() as conn:
            try:
                self.store.folders.resolve_id(conn, owner, "")
            except (NotFound, InvalidInput):
                raise PermissionDenied(CANNOT_CREATE) from None

    def _visible(self, owner: str, path: str) -> bool:
        try:
            self.find(owner, folder_path(path))
        except NotFound:
            return False
        return True

    # -- messages -----------------------------------------------------------------------------------

    def open(self, folder_id: int) -> OpenedFolder:
        """SELECT/EXAMINE (RFC 3501 6.3.1): the folder, the rights and all flags, in one read.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        with self.store.db.read() as conn:
            folder, rights = fo.folder_for(conn, self.account_id, folder_id, READ)
            return self._opened(conn, folder, rights)

    def open_own(self, path: str) -> OpenedFolder:
        """``open`` of the user's own folder by its path (``find_own`` and ``open`` in one transaction
        of three statements: a SELECT of a personal mailbox).

        Raises:
            NotFound: ``acl.NO_SUCH_FOLDER``, no such folder.
        """
        with self.store.db.read() as conn:
            folder = self._own_folder(conn, path)
            rights = acl.ALL
            if folder.account_id != self.account_id:
                folder, rights = fo.folder_for(conn, self.account_id, folder.id, READ)
            return self._opened(conn, folder, rights)

    def _opened(self, conn: Connection, folder: Folder, rights: acl.Rights) -> OpenedFolder:
        messages = self.store.mail.flags_in(conn, folder.id)
        return OpenedFolder(folder, rights, messages, self.store.recent.mark_in(conn, folder.id))

    def reader(self, folder_id: int) -> FolderReader:
        """Read access to a folder's messages for one command (one rights check).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        with self.store.db.read() as conn:
            rights = self._require(conn, folder_id, READ)
        return FolderReader(self, folder_id, rights)

    def changes(self, folder_id: int, since_modseq: int) -> FolderChanges:
        """What changed since ``since_modseq`` (flags of changed and new messages, expunged UIDs), for a
        session's updates (RFC 3501 7.4.1, RFC 7162 3.2.10).

        Raises:
            NotFound: the folder is gone, or the user lost "l". PermissionDenied: the user lost "r".
        """
        mail = self.store.mail
        with self.store.db.read() as conn:
            folder, rights = fo.folder_for(conn, self.account_id, folder_id, READ)
            return FolderChanges(
                folder,
                rights,
                mail.flags_in(conn, folder_id, changed_since=since_modseq),
                mail.expunged_since_in(conn, folder_id, since_modseq),
            )

    def set_flags(
        self,
        folder_id: int,
        uids: Iterable[int],
        flags: Iterable[str],
        mode: str = "add",
        *,
        unchanged_since: int | None = None,
    ) -> tuple[list[FlagChange], list[int]]:
        """STORE (RFC 3501 6.4.6, RFC 7162 3.1.3); see ``Mail.set_flags_in``.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r", or a flag's right is missing.
        """
        flags = list(flags)
        needed = acl.rights_to_store(flags, mode) | READ

        def unit(conn: Connection) -> tuple[list[FlagChange], list[int]]:
            self._require(conn, folder_id, needed)
            return self.store.mail.set_flags_in(
                conn, folder_id, uids, flags, mode, unchanged_since=unchanged_since
            )

        return self.store.db.write_unit(unit)

    def copy(
        self, src_folder_id: int, uids: Iterable[int], dst_folder_id: int, *, move: bool = False
    ) -> dict[int, int]:
        """COPY/MOVE (RFC 3501 6.4.7, RFC 6851): source UID -> destination UID.

        Raises:
            NotFound: a folder the user cannot see. PermissionDenied: "r" (and "t", "e" to move) missing
            on the source, or "i" on the target.
        """

        def unit(conn: Connection) -> dict[int, int]:
            self._require(conn, src_folder_id, "rte" if move else "r")
            self._require(conn, dst_folder_id, "i")
            return self.store.mail.copy_in(conn, src_folder_id, uids, dst_folder_id, move=move)

        return self.store.db.write_unit(unit)

    def move(self, src_folder_id: int, uids: Iterable[int], dst_folder_id: int) -> dict[int, int]:
        """MOVE (RFC 6851): ``copy(..., move=True)``; source UID -> destination UID.

        Raises:
            NotFound: a folder the user cannot see. PermissionDenied: "r", "t" or "e" missing on the
            source, or "i" on the target.
        """
        return self.copy(src_folder_id, uids, dst_folder_id, move=True)

    def expunge(self, folder_id: int, uids: Iterable[int] | None = None) -> list[int]:
        """EXPUNGE / UID EXPUNGE (RFC 3501 6.4.3, RFC 4315 2.1): the UIDs removed.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "e".
        """

        def unit(conn: Connection) -> list[int]:
            self._require(conn, folder_id, "e")
            return self.store.mail.expunge_in(conn, folder_id, uids)

        return self.store.db.write_unit(unit)

    def append(
        self, folder_id: int, raw: bytes, flags: Iterable[str] = (), internal_date: datetime | None = None
    ) -> NewMessage:
        """APPEND (RFC 3501 6.3.11): needs "i" and the rights of the flags set. Refused before any byte is
        written, and checked again under the write lock.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: a right is missing.
            QuotaExceeded: the owner's quota. InvalidInput: an empty message or a bad flag.
        """
        return self._append(folder_id, raw, flags, internal_date, claim_recent=False)[0]

    def append_claiming_recent(
        self, folder_id: int, raw: bytes, flags: Iterable[str] = (), internal_date: datetime | None = None
    ) -> tuple[NewMessage, int]:
        """``append`` by a session that has the folder selected read-write and so is the first to be told
        of the new message: its \\Recent claim (storage.recent) is made in the append's own write, which
        spares the session a read and a write of its own right after. Returns the message and the
        folder's mark before the claim: the session gets every UID above it up to the new one as recent
        (the new message, and any new to the folder that no session has been told of yet).

        Raises:
            as ``append``.
        """
        new, held = self._append(folder_id, raw, flags, internal_date, claim_recent=True)
        return new, held

    def _append(
        self,
        folder_id: int,
        raw: bytes,
        flags: Iterable[str],
        internal_date: datetime | None,
        *,
        claim_recent: bool,
    ) -> tuple[NewMessage, int]:
        mail = self.store.mail
        staged = mail.stage(raw, flags)
        needed = acl.rights_to_store(list(flags)) | "i"
        with self.store.db.read() as conn:
            folder, _ = fo.folder_for(conn, self.account_id, folder_id, needed)
            mail.check_quota_in(conn, folder_id, len(raw), folder=folder)
        sha = self.store.blobs.put(raw)

        def unit(conn: Connection) -> tuple[NewMessage, int]:
            folder, _ = fo.folder_for(conn, self.account_id, folder_id, needed)
            new = mail.append_in(conn, folder_id, staged, sha, internal_date, folder=folder)
            held = self.store.recent.claim_in(conn, folder_id, new.uid) if claim_recent else 0
            return new, held

        return self.store.db.write_unit(unit)  # grouped with other sessions' writes, durable on return

    # -- sharing (RFC 4314 3): a folder's entries are read and changed with "a" ------------------------

    def acl_entries(self, folder_id: int) -> list[NamedEntry]:
        """The folder's own entries with their principals' names (those of principals deleted
        meanwhile are left out).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "a".
        """
        names = self.store.acl
        with self.store.db.read() as conn:
            self._require(conn, folder_id, "a")
            out = []
            for entry in acl.list_entries(conn, folder_id):
                name = names.principal_name(conn, entry.principal)
                if name is not None:
                    out.append(NamedEntry(name, entry.rights, entry.allow, entry.inherit))
            return out

    def may_administer(self, folder_id: int) -> None:
        """Raise unless the user may read and change the folder's entries (LISTRIGHTS).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "a".
        """
        with self.store.db.read() as conn:
            self._require(conn, folder_id, "a")

    def change_entry(
        self, folder_id: int, principal: str, spec: str, *, allow: bool = True, inherit: bool | None = None
    ) -> acl.Rights:
        """Add ("+xyz"), remove ("-xyz") or replace ("xyz") the rights of ``principal``'s allow (or
        deny) entry; returns the entry's rights after the change (none: it is deleted). A replacement
        keeps the mailbox-level digits, which are granted one by one and never listed with the folder
        rights (storage.acl). ``inherit`` sets "apply to subfolders"; None keeps the entry's (a new
        entry applies to subfolders, as IMAP's SETACL expects of a grant on a parent).

        Raises:
            NotFound: no such folder, no "l", or no such principal. PermissionDenied: no "a".
            InvalidInput: a bad rights string, or the owner (whose rights are implicit).
        """
        with self.store.db.write() as conn:
            self._require(conn, folder_id, "a")
            who = self._principal_not_owner(conn, folder_id, principal)
            entry = next(
                (e for e in acl.list_entries(conn, folder_id) if e.principal == who and e.allow == allow),
                None,
            )
            current = entry.rights if entry else acl.NONE
            if spec[:1] in ("+", "-"):
                value = acl.apply_modification(current, spec)
            else:
                value = acl.Rights.parse(spec) | (current - acl.FOLDER_RIGHTS)
            if inherit is None:
                inherit = entry.inherit if entry else True
            acl.grant(conn, folder_id, who, value, allow=allow, inherit=inherit)
            self.store.changes.record_rights(conn, folder_id)  # open sessions re-check their rights
            return value

    def delete_entry(self, folder_id: int, principal: str, *, allow: bool = True) -> bool:
        """Delete ``principal``'s allow (or deny) entry; True if there was one.

        Raises:
            NotFound: no such folder, no "l", or no such principal. PermissionDenied: no "a".
            InvalidInput: the owner (whose rights are implicit).
        """
        with self.store.db.write() as conn:
            self._require(conn, folder_id, "a")
            who = self._principal_not_owner(conn, folder_id, principal)
            removed = acl.revoke(conn, folder_id, who, allow=allow)
            if removed:
                self.store.changes.record_rights(conn, folder_id)
            return removed

    def _principal_not_owner(self, conn: Connection, folder_id: int, name: str) -> acl.Principal:
        who = self.store.acl.principal(conn, name)
        owner = fo.folder_by_id(conn, folder_id).account_id
        if who == ("user", owner):
            raise InvalidInput(OWNER_RIGHTS_ARE_IMPLICIT)
        return who


@dataclass(frozen=True)
class NamedEntry:
    """One ACL entry as a user sees it: the principal's name ("anyone", an address, "@domain")."""

    name: str
    rights: acl.Rights
    allow: bool
    inherit: bool = True  # "apply to subfolders"


class FolderReader:
    """Reads of one folder's messages, allowed by one rights check ("l" and "r") made when it was
    created. It serves one command (FETCH, SEARCH, SORT...): keep none across commands, or a withdrawn
    right would go unnoticed."""

    def __init__(self, user: UserMail, folder_id: int, rights: acl.Rights) -> None:
        self._user = user
        self._mail = user.store.mail
        self.folder_id = folder_id
        self.rights = rights

    def uids(self) -> list[int]:
        return self._mail.uids(self.folder_id)

    def flags(
        self, uids: Iterable[int] | None = None, *, changed_since: int | None = None
    ) -> list[FlagChange]:
        return self._mail.flags(self.folder_id, uids, changed_since=changed_since)

    def info(
        self,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
        with_structure: bool = True,
    ) -> list[MessageInfo]:
        return self._mail.info(
            self.folder_id, uids, changed_since=changed_since, with_structure=with_structure
        )

    def raw(self, uid: int, *, start: int = 0, end: int | None = None) -> bytes:
        return self._mail.raw(self.folder_id, uid, start=start, end=end)

    def search(self, query: str, *, where: str = "all") -> list[int]:
        return self._mail.search(self.folder_id, query, where=where)

    def expunged_since(self, modseq: int) -> list[int]:
        return self._mail.expunged_since(self.folder_id, modseq)

    def held(self, uids: Iterable[int]) -> list[MessageInfo]:
        """What is still known of expunged messages among ``uids``, in UID order, for a session not yet
        told of their expunge (RFC 2180 4.1.1; storage.holds): looked up by UID, allowed by the "r"."""
        return self._user.store.holds.held(self.folder_id, uids)

    def mark_seen(self, uids: Iterable[int]) -> list[FlagChange]:
        """Set \\Seen as a side effect of reading (RFC 3501 6.4.5 BODY[]): only with "s" (RFC 4314 4);
        without it the messages are read and stay unseen. Returns the messages changed."""
        if "s" not in self.rights:
            return []
        changed, _ = self._user.set_flags(self.folder_id, uids, ["\\Seen"], "add")
        return changed
