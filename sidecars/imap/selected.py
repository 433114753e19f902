"""The selected mailbox: SELECT/EXAMINE, the sequence-number map, updates, CLOSE, UNSELECT, EXPUNGE.

Why a map: sequence numbers are per session (RFC 3501 2.3.1.2) and change only when this session is
told of an expunge. The map is the folder's UID list, loaded once per selection together with the
flags (one query on the cached columns), then kept current from the change feed: new UIDs are
appended (EXISTS), expunged ones removed only when an EXPUNGE/VANISHED response is sent.

Updates (RFC 3501 7.4.1, RFC 2180 4, RFC 7162 3.2.10): ``Selection.updates`` reads what changed
since the last MODSEQ this session knows (flags of changed or new messages; expunged UIDs) and
reports it; while expunges may not be sent, they wait in ``pending_expunge`` and the messages keep
their numbers (EXISTS still counts them).

Keywords (RFC 3501 7.2.6): ``Selection.keywords`` is what this session's FLAGS response listed. It
starts from the rows SELECT reads anyway and only grows: every response that shows a message's flags
passes them through :func:`announce_keywords` first, which sends the new ``* FLAGS`` (and
PERMANENTFLAGS) before a keyword the client was not told of. No query is made for it.

Waking (RFC 3501 5.2, RFC 2177): a selection holds a subscription to the folder in storage's change
feed (``store.changes.subscribe``), made at SELECT and closed when the mailbox is left; the feed calls
``ImapSession.wake`` for changes made by any session of any process, including ACL changes. \\Recent
(RFC 3501 2.3.2) is claimed from storage (``store.recent``): the first session to see a message gets
it as recent, in whichever worker process it runs.

Rights (RFC 4314 4): storage checks them on every read, update and write (``s.mine``), so a grant
withdrawn while the mailbox is selected takes effect at the next command. Without "r" the session is
told nothing more about the mailbox (no EXISTS, no FETCH) and reads answer NO [NOPERM]; without "l" the
mailbox is gone for the user and the session ends with BYE, as when it is deleted (RFC 2180 3.3).
"""

from __future__ import annotations

import bisect
import contextlib
from array import array
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sidecars.imap import names
from sidecars.imap import response as R
from sidecars.imap.contract import AUTHENTICATED, SELECTED, Bad, Done, No
from sidecars.imap.parser import Command
from sidecars.imap.sequence import SequenceSet, format_set
from storage import acl
from storage.contracts import ChangeSubscription, MessageReading
from storage.errors import NotFound, PermissionDenied
from storage.models import Folder

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession
    from storage.usermail import OpenedFolder

SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")


class Selection:
    def __init__(self, folder: Folder, readonly: bool, rights: str, uids: list[int], modseq: int) -> None:
        self.folder = folder
        self.readonly = readonly
        self.rights = rights
        self.uids: Any = array("I", uids)  # 4 bytes a message; bisect, del and extend work on it
        self.modseq = modseq
        self.recent: set[int] = set()
        self.keywords: set[str] = set()
        self.own: dict[int, int] = {}  # uid -> modseq of this session's own flag changes
        self.pending_expunge: set[int] = set()
        self.dirty = False
        self.unreadable = False  # "r" was withdrawn: told once, then silent
        self.subscription: ChangeSubscription | None = None  # the change feed's wake-ups for this folder
        # (above, up to) UID ranges this session's APPENDs claimed as \Recent (append.py), not yet told
        self.claimed: list[tuple[int, int]] = []

    @property
    def id(self) -> int:
        return self.folder.id

    def reader(self, s: ImapSession) -> MessageReading:
        """Read access for the command being run, checked now (raises NotFound/PermissionDenied)."""
        return s.mine.reader(self.id)

    def seq_of(self, uid: int) -> int:
        i = bisect.bisect_left(self.uids, uid)
        return i + 1 if i < len(self.uids) and self.uids[i] == uid else 0

    def resolve(self, s: ImapSession, seqset: SequenceSet, uid: bool) -> list[int]:
        """UIDs named by a sequence set, ascending; "$" is the saved search result (RFC 5182)."""
        if seqset.saved:
            known = set(self.uids)
            return sorted(u for u in s.saved if u in known)
        if uid:
            return seqset.resolve_uids(self.uids)
        if not self.uids:
            if any(0 in r for r in seqset.ranges):
                return []  # "1:*" of an empty mailbox names nothing; not an error
            raise Bad("invalid message sequence number: the mailbox is empty")
        numbers = seqset.resolve_numbers(len(self.uids))
        top = max((max(a, b) for a, b in seqset.ranges if a and b), default=0)
        if top > len(self.uids):
            raise Bad(f"invalid message sequence number {top} (there are {len(self.uids)} messages)")
        return [self.uids[n - 1] for n in numbers]

    # -- updates ------------------------------------------------------------------------------------

    def updates(self, s: ImapSession, *, expunge_ok: bool) -> Iterable[bytes]:
        self.dirty = False
        out: list[bytes] = []
        try:
            news = s.mine.changes(self.id, self.modseq)
        except NotFound:  # RFC 2180 3.3: end the session whose mailbox is gone (deleted, or "l" withdrawn)
            out.append(R.untagged("BYE the selected mailbox no longer exists"))
            s.drop = True
            return out
        except PermissionDenied:  # RFC 4314 4: "r" withdrawn; nothing more is reported
            if not self.unreadable:
                self.unreadable = True
                out.append(R.untagged("NO [NOPERM] read access to the selected mailbox was withdrawn"))
            return out
        self.unreadable = False
        changed, gone = news.changed, set(news.expunged)
        self.modseq = max(self.modseq, news.folder.highestmodseq)
        known_top = self.uids[-1] if self.uids else 0
        self.pending_expunge |= {u for u in gone if self.seq_of(u)}
        if expunge_ok and self.pending_expunge:
            out += self.report_expunged(s, sorted(self.pending_expunge))
        new = [c.uid for c in changed if c.uid > known_top and c.uid not in gone]
        out += announce_keywords(s, (f for c in changed if c.uid not in gone for f in c.flags))
        for c in changed:
            if c.uid > known_top or c.uid in self.pending_expunge:
                continue
            if self.own.get(c.uid) == c.modseq:
                continue
            seq = self.seq_of(c.uid)
            if seq:
                out.append(fetch_flags_line(s, seq, c.uid, c.flags, c.modseq, with_uid=s.condstore))
        if new:
            self.uids.extend(new)
            self.recent |= self._recent_of(s, new)
            out.append(R.untagged(f"{len(self.uids)} EXISTS"))
            out.append(R.untagged(f"{len(self.recent)} RECENT"))
        self.own.clear()
        return out

    def _recent_of(self, s: ImapSession, new: list[int]) -> set[int]:
        """Which new UIDs are \\Recent for this session: those its own APPENDs claimed already (no
        storage call), and a claim (storage.recent) for the ones above them."""
        if not self.claimed:
            return s.store.recent.claim(self.id, new, not self.readonly)
        top = max(high for _, high in self.claimed)
        mine = {u for u in new if any(low < u <= high for low, high in self.claimed)}
        self.claimed = []  # every UID up to the folder's top is told now
        above = [u for u in new if u > top]
        return mine | (s.store.recent.claim(self.id, above, not self.readonly) if above else set())

    def report_expunged(self, s: ImapSession, uids: list[int]) -> list[bytes]:
        """Remove ``uids`` from the map and tell the client: EXPUNGE n each, or VANISHED (QRESYNC)."""
        present = [u for u in uids if self.seq_of(u)]
        self.pending_expunge -= set(uids)
        if not present:
            return []
        if "QRESYNC" in s.enabled:
            for u in present:
                del self.uids[self.seq_of(u) - 1]
            self.recent -= set(present)
            return [R.untagged(f"VANISHED {format_set(present)}")]
        out = []
        for u in sorted(present, reverse=True):  # highest first: the other numbers stay valid
            seq = self.seq_of(u)
            del self.uids[seq - 1]
            out.append(R.untagged(f"{seq} EXPUNGE"))
        self.recent -= set(present)
        return out

    def expunged_among(
        self, s: ImapSession, uids: list[int], reader: MessageReading | None = None
    ) -> set[int]:
        """Which of ``uids`` another session expunged that this one was not told of yet (``reader``: the
        command's, when it has one, saving a second rights check)."""
        if not uids:
            return set()
        reader = reader or self.reader(s)
        gone = self.pending_expunge | set(reader.expunged_since(self.modseq))
        return gone.intersection(uids)

    def release(self, s: ImapSession) -> None:
        if self.subscription is not None:
            self.subscription.close()


def flags_response(sel: Selection, *, permanent: bool = True) -> list[bytes]:
    """``* FLAGS`` and ``* OK [PERMANENTFLAGS]`` with the keywords known to the session (RFC 3501
    7.2.6, 7.1)."""
    flags = " ".join([*SYSTEM_FLAGS, *sorted(sel.keywords)])
    out = [R.untagged(f"FLAGS ({flags})")]
    if permanent:
        out.append(R.untagged(f"OK [PERMANENTFLAGS ({permanent_flags(sel)})] flags the session may change"))
    return out


def announce_keywords(s: ImapSession, flags: Iterable[str], known: set[str] | None = None) -> list[bytes]:
    """RFC 3501 7.2.6: a client may rely on FLAGS listing every flag it is shown, so a keyword new to
    this session is announced (FLAGS, then PERMANENTFLAGS) before the response that shows it.

    ``known`` is for a response written lazily (FETCH): the keywords the client had been told of when
    the command ran. The updates computed after the command are written after it, so what they
    announce must not count as told to the FETCH responses; a FLAGS response may then come twice."""
    sel = s.selection
    if sel is None:
        return []
    told = sel.keywords if known is None else known
    new = {f for f in flags if not f.startswith("\\")} - told
    if not new:
        return []
    told |= new
    sel.keywords |= new
    return flags_response(sel, permanent=_lists_keywords(sel))


def enable_condstore(s: ImapSession) -> list[bytes]:
    """RFC 7162 3.1: the first CONDSTORE enabling command of a session (FETCH MODSEQ or CHANGEDSINCE,
    SEARCH MODSEQ, STORE UNCHANGEDSINCE, STATUS HIGHESTMODSEQ) turns MODSEQ on in every later FETCH
    response; when a mailbox is selected the client learns its HIGHESTMODSEQ at once, in an untagged
    OK sent before the command's own responses (SELECT/EXAMINE send it themselves). The value is the
    last one this session reported changes up to, so a client that saves it misses nothing."""
    if s.condstore:
        return []
    s.condstore = True
    sel = s.selection
    if sel is None:
        return []
    return [R.untagged(f"OK [HIGHESTMODSEQ {sel.modseq}] highest mod-sequence")]


def fetch_flags_line(
    s: ImapSession, seq: int, uid: int, flags: Iterable[str], modseq: int, *, with_uid: bool = True
) -> bytes:
    items = [f"FLAGS {R.flag_list(visible_flags(s, uid, flags)).decode()}"]
    if with_uid or "QRESYNC" in s.enabled:
        items.insert(0, f"UID {uid}")
    if s.condstore:
        items.append(f"MODSEQ ({modseq})")
    return R.untagged(f"{seq} FETCH ({' '.join(items)})")


def visible_flags(s: ImapSession, uid: int, flags: Iterable[str]) -> set[str]:
    out = set(flags)
    if s.selection is not None and uid in s.selection.recent:
        out.add("\\Recent")
    return out


# -- commands ---------------------------------------------------------------------------------------


def select(s: ImapSession, cmd: Command) -> Done:
    return _open(s, cmd, readonly=False)


def examine(s: ImapSession, cmd: Command) -> Done:
    return _open(s, cmd, readonly=True)


def resolve_folder(s: ImapSession, wire_name: str) -> tuple[Folder, names.Place]:
    folder, where, _ = resolve_with_rights(s, wire_name)
    return folder, where


def resolve_with_rights(s: ImapSession, wire_name: str) -> tuple[Folder, names.Place, str]:
    """The folder a client name points to and the user's rights on it, asked of the ACL engine once;
    a folder without the lookup right does not exist for the user (RFC 4314 4)."""
    try:
        name = names.decode_wire(wire_name, s.utf8)
        where = names.place(name, s.user)
    except names.BadName as exc:
        raise No(str(exc), "NONEXISTENT") from None
    try:
        if where.personal:  # by the session's account id: no owner address to resolve
            folder, found_rights = s.mine.find_own(where.path)
        else:
            folder, found_rights = s.mine.find(where.owner, where.path)
    except NotFound as exc:  # the same words for "does not exist" and "may not look up" (RFC 4314 4)
        raise No(str(exc), "NONEXISTENT") from None
    rights = str(found_rights)
    if folder.kind != "mail":
        raise No(f"{wire_name} holds {folder.kind}, not mail", "CANNOT")
    return folder, where, rights


def _open_folder(s: ImapSession, wire_name: str) -> OpenedFolder:
    """The folder to select with its messages' flags; a personal name in one read (UserMail.open_own),
    another's resolved first (NO [NOPERM] without "r")."""
    try:
        where = names.place(names.decode_wire(wire_name, s.utf8), s.user)
    except names.BadName as exc:
        raise No(str(exc), "NONEXISTENT") from None
    if not where.personal:
        found, _, _ = resolve_with_rights(s, wire_name)
        return s.mine.open(found.id)
    try:
        opened = s.mine.open_own(where.path)
    except NotFound as exc:
        raise No(str(exc), "NONEXISTENT") from None
    if opened.folder.kind != "mail":
        raise No(f"{wire_name} holds {opened.folder.kind}, not mail", "CANNOT")
    return opened


def _open(s: ImapSession, cmd: Command, *, readonly: bool) -> Done:
    # RFC 3501 6.3.1/6.3.2, RFC 7162 3.1.8 (CONDSTORE) and 3.2.5 (QRESYNC)
    spec = cmd.spec
    if spec.qresync is not None and "QRESYNC" not in s.enabled:
        raise Bad("QRESYNC must be enabled first (ENABLE QRESYNC)")
    parts: list[bytes] = []
    if s.selection is not None:
        s.leave_mailbox()
        if "QRESYNC" in s.enabled:
            parts.append(R.untagged("OK [CLOSED] previous mailbox closed"))
    opened = _open_folder(s, spec.mailbox)
    folder, rights, rows = opened.folder, str(opened.rights), opened.messages
    uids = [r.uid for r in rows]
    readonly = readonly or not any(r in rights for r in "stwe")
    if spec.condstore:
        s.condstore = True
    sel = Selection(folder, readonly, rights, uids, folder.highestmodseq)
    for r in rows:
        sel.keywords.update(f for f in r.flags if not f.startswith("\\"))
    sel.recent = s.store.recent.claim(folder.id, uids, not readonly, mark=opened.recent_mark)
    sel.subscription = s.store.changes.subscribe(lambda _changes: s.wake(), folder_id=folder.id)
    s.selection, s.state = sel, SELECTED
    parts += flags_response(sel)
    parts.append(R.untagged(f"{len(uids)} EXISTS"))
    parts.append(R.untagged(f"{len(sel.recent)} RECENT"))
    first_unseen = next((i + 1 for i, r in enumerate(rows) if "\\Seen" not in r.flags), 0)
    if first_unseen:
        parts.append(R.untagged(f"OK [UNSEEN {first_unseen}] first unseen message"))
    parts.append(R.untagged(f"OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid"))
    uidnext = max(folder.uidnext, (uids[-1] + 1) if uids else 1)
    parts.append(R.untagged(f"OK [UIDNEXT {uidnext}] predicted next UID"))
    parts.append(R.untagged(f"OK [HIGHESTMODSEQ {folder.highestmodseq}] highest mod-sequence"))
    if spec.qresync is not None:
        parts += _qresync(s, sel, spec.qresync)
    code = "READ-ONLY" if readonly else "READ-WRITE"
    return Done(parts, f"{'EXAMINE' if cmd.name == 'EXAMINE' else 'SELECT'} completed", code)


def permanent_flags(sel: Selection) -> str:
    """The flags the session may change (RFC 3501 7.1): with the "w" right the known keywords too,
    and \\* for new ones."""
    if sel.readonly:
        return ""
    rights = acl.Rights.parse(sel.rights)
    flags = [f for f in PERMANENT_ORDER if acl.may_store(rights, [f])]
    if _lists_keywords(sel):
        flags += [*sorted(sel.keywords), "\\*"]
    return " ".join(flags)


PERMANENT_ORDER = ("\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "\\Seen")


def _lists_keywords(sel: Selection) -> bool:
    return not sel.readonly and acl.may_store(acl.Rights.parse(sel.rights), ["$keyword"])


def _qresync(s: ImapSession, sel: Selection, params: tuple) -> list[bytes]:  # type: ignore[type-arg]
    # RFC 7162 3.2.5.1: only when the client's UIDVALIDITY is still good
    uidvalidity, modseq, known, _match = params
    if uidvalidity != sel.folder.uidvalidity:
        return []
    known_uids: set[int] | None = None
    if known is not None:
        known_uids = set(known.values()) if sum(abs(b - a) for a, b in known.ranges) < 1_000_000 else None
    reader = sel.reader(s)
    gone = [u for u in reader.expunged_since(modseq) if known_uids is None or u in known_uids]
    out = []
    if gone:
        out.append(R.untagged(f"VANISHED (EARLIER) {format_set(sorted(set(gone)))}"))
    for c in reader.flags(changed_since=modseq):
        if known_uids is not None and c.uid not in known_uids:
            continue
        seq = sel.seq_of(c.uid)
        if seq:
            out.append(fetch_flags_line(s, seq, c.uid, c.flags, c.modseq))
    return out


def noop(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.1.2: a chance for updates; always look, not only when woken
    if s.selection is not None:
        s.selection.dirty = True
    return Done([], "NOOP completed")


def check(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.4.1: every change is already durable; acts as NOOP
    assert s.selection is not None
    s.selection.dirty = True
    return Done([], "CHECK completed")


def close(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.4.2: silently expunge when read-write, then leave
    sel = s.selection
    assert sel is not None
    if not sel.readonly and "e" in sel.rights:
        # "e" (or the mailbox) may have been withdrawn meanwhile: CLOSE still leaves, expunging nothing
        with contextlib.suppress(NotFound, PermissionDenied):
            s.mine.expunge(sel.id)
    s.leave_mailbox()
    s.state = AUTHENTICATED
    return Done([], "CLOSE completed")


def unselect(s: ImapSession, cmd: Command) -> Done:
    # RFC 3691 2
    s.leave_mailbox()
    return Done([], "UNSELECT completed")


def expunge(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.4.3; UID EXPUNGE RFC 4315 2.1
    sel = s.selection
    assert sel is not None
    if sel.readonly:
        raise No("mailbox is read-only", "READ-ONLY")
    uids = sel.resolve(s, cmd.spec.sequence, True) if cmd.name == "UID EXPUNGE" else None
    if uids is not None and not uids:
        return Done([], "UID EXPUNGE completed (nothing to expunge)")
    removed = s.mine.expunge(sel.id, uids)
    parts = sel.report_expunged(s, removed)
    return Done(list(parts), f"{cmd.name} completed")
