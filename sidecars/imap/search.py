"""SEARCH, SORT and THREAD with their UID forms (RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 5182
SEARCHRES, RFC 5256 SORT/THREAD, RFC 7162 3.1.5 MODSEQ).

How keys are answered, cheapest first:
- flags, UID, sequence numbers, MODSEQ: the flags columns (one query for the mailbox);
- sizes, internal and sent dates, SUBJECT/FROM/TO/CC/BCC: the envelope cached at delivery, compared
  as substrings after case folding and diacritic removal ("muller" finds "Müller");
- TEXT and BODY: a substring of the decoded header/body text (RFC 3501 6.4.4), folded the same way;
  in mailboxes above SCAN_LIMIT messages storage's full-text index (word prefixes) first picks the
  candidates, so only their blobs are read;
- HEADER name value: the message's header bytes, read only for messages still candidates.
Keys are evaluated per message with AND/OR/NOT short-circuiting; expensive keys come last in ANDs.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import TYPE_CHECKING, Any

from sidecars.imap import response as R
from sidecars.imap.contract import Done, No
from sidecars.imap.parser import Command
from sidecars.imap.searchkeys import Key, SearchSpec, uses
from sidecars.imap.selected import Selection, enable_condstore
from sidecars.imap.sequence import format_set
from storage import mime
from storage.contracts import MessageReading
from storage.errors import NotFound
from storage.list_keys import fold  # the folding WebMail's search and sort keys use too
from storage.mime.text import snippet_and_search_text
from storage.models import FlagChange, MessageInfo

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession

ENVELOPE_KEYS = {
    "SUBJECT",
    "FROM",
    "TO",
    "CC",
    "BCC",
    "SENTBEFORE",
    "SENTON",
    "SENTSINCE",
    "HEADER",
    "TEXT",
    "BODY",
}
INFO_KEYS = ENVELOPE_KEYS | {"BEFORE", "ON", "SINCE", "LARGER", "SMALLER"}
FLAG_KEYS = {
    "ANSWERED": ("\\Answered", True), "DELETED": ("\\Deleted", True), "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True), "SEEN": ("\\Seen", True), "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False), "UNDRAFT": ("\\Draft", False), "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}  # fmt: skip


SCAN_LIMIT = 5000  # mailboxes up to this size are searched by substring in every message's text
TEXT_CACHE_ENTRIES = 1000  # folded message texts kept per process (by body SHA-256)...
TEXT_CACHE_MAX_CHARS = 32 * 1024  # ...when no longer than this: at most ~32 M characters in all
_TEXTS: dict[str, tuple[str, str]] = {}


class Candidate:
    """One message as the evaluator sees it; envelope and headers are loaded on first use."""

    def __init__(
        self,
        s: ImapSession,
        reader: MessageReading,
        seq: int,
        uid: int,
        flags: FlagChange,
        info: MessageInfo | None,
    ) -> None:
        self.s, self.reader, self.seq, self.uid, self.flags, self._info = s, reader, seq, uid, flags, info
        self._parsed: tuple[Any, Any] | None = None
        self._header: bytes | None = None
        self._texts: tuple[str, str] | None = None

    @property
    def info(self) -> MessageInfo:
        """The message's cached columns: loaded up front only when the key reads them (``INFO_KEYS``),
        so a key that reads them without being listed there is a programming error."""
        assert self._info is not None, "a search key reads message info but is not in INFO_KEYS"
        return self._info

    @info.setter
    def info(self, value: MessageInfo) -> None:
        self._info = value

    @property
    def envelope(self) -> Any:
        return self.parsed[0]

    @property
    def parsed(self) -> tuple[Any, Any]:
        if self._parsed is None:
            self._parsed = mime.from_json(self.info.structure)
        return self._parsed

    def texts(self) -> tuple[str, str]:
        """(header text, body text), decoded and folded, for TEXT and BODY substring matching.

        Bodies are immutable and named by their SHA-256, so the folded text is cached per process."""
        if self._texts is None:
            sha = self.info.sha256
            cached = _TEXTS.get(sha)
            if cached is None:
                try:
                    raw = bytes(self.reader.raw(self.uid))
                except NotFound:  # expunged meanwhile: it matches nothing
                    return ("", "")
                root = self.parsed[1]  # the tree cached at delivery: no re-parse
                header = raw[: root.body_start].decode("utf-8", "replace")
                _, body = snippet_and_search_text(raw, root)
                cached = (fold(mime.decode_header_text(header)), fold(body))
                if len(cached[0]) + len(cached[1]) <= TEXT_CACHE_MAX_CHARS:
                    if len(_TEXTS) >= TEXT_CACHE_ENTRIES:
                        _TEXTS.clear()
                    _TEXTS[sha] = cached
            self._texts = cached
        return self._texts

    def header(self) -> bytes:
        if self._header is None:
            root = self.parsed[1]
            try:
                self._header = bytes(self.reader.raw(self.uid, start=0, end=root.body_start))
            except NotFound:  # expunged meanwhile
                self._header = b""

        return self._header


def _sent_date(c: Candidate) -> date | None:
    from storage.mime.headers import parse_date

    when = parse_date(c.envelope.date)
    return when.date() if when is not None else None


def header_values(c: Candidate, field: str) -> list[str]:
    wanted = field.lower().encode()
    out: list[str] = []
    current: list[bytes] | None = None
    for line in c.header().splitlines():
        if line[:1] in (b" ", b"\t") and current is not None:
            current.append(line)
            continue
        if current is not None:
            out.append(mime.decode_header_text(b" ".join(current).decode("utf-8", "replace")))
        name, sep, value = line.partition(b":")
        current = [value.strip()] if sep and name.strip().lower() == wanted else None
    if current is not None:
        out.append(mime.decode_header_text(b" ".join(current).decode("utf-8", "replace")))
    return out


class Evaluator:
    def __init__(self, s: ImapSession, sel: Selection, reader: MessageReading, key: Key) -> None:
        self.s, self.sel, self.reader = s, sel, reader
        self.fulltext: dict[tuple[str, str], set[int]] = {}
        self.top_uid = sel.uids[-1] if sel.uids else 0
        self._prepare(key)

    def _prepare(self, key: Key) -> None:
        # Small mailboxes: every message's text is searched for the substring (RFC 3501 6.4.4).
        # Large ones: the full-text index (word prefixes) picks the candidates, then the substring
        # is checked in those only.
        if key.op in ("TEXT", "BODY") and len(self.sel.uids) > SCAN_LIMIT and mime_words(key.args[0]):
            where = "all" if key.op == "TEXT" else "body"
            text = key.args[0]
            if (where, text) not in self.fulltext:
                self.fulltext[(where, text)] = set(self.reader.search(text, where=where))
        for arg in key.args:
            if isinstance(arg, Key):
                self._prepare(arg)

    def match(self, key: Key, c: Candidate) -> bool:
        op, args = key.op, key.args
        if op == "AND":
            return all(self.match(k, c) for k in sorted(args, key=_cost))
        if op == "OR":
            return self.match(args[0], c) or self.match(args[1], c)
        if op == "NOT":
            return not self.match(args[0], c)
        if op == "ALL":
            return True
        if op in FLAG_KEYS:
            flag, present = FLAG_KEYS[op]
            return (flag in c.flags.flags) == present
        if op in ("KEYWORD", "UNKEYWORD"):
            return (args[0] in c.flags.flags) == (op == "KEYWORD")
        if op == "RECENT":
            return c.uid in self.sel.recent
        if op == "NEW":
            return c.uid in self.sel.recent and "\\Seen" not in c.flags.flags
        if op == "OLD":
            return c.uid not in self.sel.recent
        if op == "UID":
            seqset = args[0]
            return c.uid in self.s.saved if seqset.saved else seqset.contains(c.uid, self.top_uid)
        if op == "SEQ":
            seqset = args[0]
            return c.uid in self.s.saved if seqset.saved else seqset.contains(c.seq, len(self.sel.uids))
        if op == "MODSEQ":
            return bool(c.flags.modseq >= args[0])
        if op in ("TEXT", "BODY"):
            candidates = self.fulltext.get((("all" if op == "TEXT" else "body"), args[0]))
            if candidates is not None and c.uid not in candidates:
                return False
            needle = fold(args[0])
            if not needle:
                return True
            header, body = c.texts()
            return needle in body or (op == "TEXT" and needle in header)
        info = c.info
        if op == "LARGER":
            return bool(info.size > args[0])
        if op == "SMALLER":
            return bool(info.size < args[0])
        if op in ("BEFORE", "ON", "SINCE"):
            day = info.internal_date.astimezone(UTC).date()
            return _compare_date(op, day, args[0])
        if op in ("SENTBEFORE", "SENTON", "SENTSINCE"):
            sent = _sent_date(c)
            return sent is not None and _compare_date(op[4:], sent, args[0])
        if op == "SUBJECT":
            return fold(args[0]) in fold(mime.decode_header_text(c.envelope.subject or ""))
        if op in ("FROM", "TO", "CC", "BCC"):
            attr = {"FROM": "from_", "TO": "to", "CC": "cc", "BCC": "bcc"}[op]
            # RFC 3501 6.4.4: a substring of the envelope field, names decoded (comment names too)
            return fold(args[0]) in fold(mime.address_list_text(getattr(c.envelope, attr)))
        if op == "HEADER":
            values = header_values(c, args[0])
            return bool(values) and (not args[1] or any(fold(args[1]) in fold(v) for v in values))
        raise No(f"search key {op} is not supported", "CANNOT")


def mime_words(text: str) -> list[str]:
    from storage.mail import search_words

    return search_words(text)


def _cost(key: Key) -> int:
    if uses(key, {"TEXT", "BODY"}):
        return 4
    if key.op == "HEADER" or uses(key, {"HEADER"}):
        return 3
    if uses(key, ENVELOPE_KEYS):
        return 2
    return 1 if uses(key, INFO_KEYS) else 0


def _compare_date(op: str, day: date, wanted: date) -> bool:
    if op == "BEFORE":
        return day < wanted
    if op == "ON":
        return day == wanted
    return day >= wanted


def run_search(s: ImapSession, key: Key) -> list[Candidate]:
    """The matching messages of the selected mailbox, in sequence order."""
    sel = s.selection
    assert sel is not None
    reader = sel.reader(s)  # the rights in force now (RFC 4314 4): NO [NOPERM] without "r"
    evaluator = Evaluator(s, sel, reader, key)
    flags = reader.flags()
    need_info = uses(key, INFO_KEYS)
    infos: dict[int, MessageInfo] = {}
    if need_info:
        infos = {i.uid: i for i in reader.info(with_structure=uses(key, ENVELOPE_KEYS))}
    out = []
    for row in flags:
        seq = sel.seq_of(row.uid)
        if not seq:
            continue
        info = infos.get(row.uid)
        if need_info and info is None:
            continue
        c = Candidate(s, reader, seq, row.uid, row, info)
        if evaluator.match(key, c):
            out.append(c)
    return out


def search(s: ImapSession, cmd: Command) -> Done:
    spec: SearchSpec = cmd.spec
    with_modseq = uses(spec.key, {"MODSEQ"})
    enabled = enable_condstore(s) if with_modseq else []  # RFC 7162 3.1
    found = run_search(s, spec.key)
    uid_mode = spec.uid
    numbers = [c.uid if uid_mode else c.seq for c in found]
    if spec.returns is None:
        line = "SEARCH" + "".join(f" {n}" for n in numbers)
        if with_modseq and found:
            line += f" (MODSEQ {max(c.flags.modseq for c in found)})"
        return Done([*enabled, R.untagged(line)], f"{cmd.name} completed")
    # RFC 4731 3.1 ESEARCH; RFC 5182 SAVE
    returns = spec.returns
    if "SAVE" in returns:
        s.saved = [c.uid for c in found]
        returns = returns - {"SAVE"}
        if not returns:
            return Done(enabled, f"{cmd.name} completed (result saved)")
    items = [f"(TAG {R.string(cmd.tag).decode()})"]
    if uid_mode:
        items.append("UID")
    if numbers:
        if "MIN" in returns:
            items.append(f"MIN {min(numbers)}")
        if "MAX" in returns:
            items.append(f"MAX {max(numbers)}")
        if "ALL" in returns:
            items.append(f"ALL {format_set(sorted(numbers))}")
    if "COUNT" in returns:
        items.append(f"COUNT {len(numbers)}")
    if with_modseq and found:
        items.append(f"MODSEQ {_returned_modseq(found, returns)}")
    return Done([*enabled, R.untagged("ESEARCH " + " ".join(items))], f"{cmd.name} completed")


def _returned_modseq(found: list[Candidate], returns: frozenset[str]) -> int:
    """RFC 7162 3.1.5 with RFC 4731: the highest mod-sequence of the messages the ESEARCH reports;
    MIN and MAX alone report one message each, ALL and COUNT every match. ``found`` is in sequence
    (and so UID) order."""
    if returns & {"ALL", "COUNT"}:
        reported = found
    else:
        reported = [found[0]] if "MIN" in returns else []
        reported += [found[-1]] if "MAX" in returns else []
    return max(c.flags.modseq for c in reported)
