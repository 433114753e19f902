"""FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8, 7.4.2; RFC 3516 BINARY; RFC 7162 CHANGEDSINCE/VANISHED).

Why it is cheap: FLAGS/UID/MODSEQ come from the flags columns only (``store.mail.flags``); ENVELOPE,
BODYSTRUCTURE, RFC822.SIZE and INTERNALDATE from the metadata cached at delivery (``store.mail.info``);
only body sections touch the blob store, and then only the byte range of the section (or partial)
asked for, one message at a time. Messages are read in batches of ``BATCH`` and the response is a
generator, so ``FETCH 1:* ENVELOPE`` on a large mailbox never holds the whole answer.

Sequence numbers are fixed when the command starts: updates sent before the tagged reply cannot
shift them (RFC 3501 7.4.1). A message expunged by another session meanwhile is left out (RFC 2180
4.1.2). BODY[...] without .PEEK sets \\Seen (once, for all the messages, before answering) when the
mailbox is read-write and the user holds the "s" right; FLAGS is then included in the response.
"""

from __future__ import annotations

import base64
import binascii
import quopri
from collections.abc import Iterator
from typing import Any

from sidecars.imap import response as R
from sidecars.imap.fetchitems import FetchItem, FetchSpec, Section
from sidecars.imap.parser import Command
from sidecars.imap.selected import Selection, announce_keywords, enable_condstore, visible_flags
from sidecars.imap.sequence import format_set
from sidecars.imap.session import Bad, Done, ImapSession, No
from storage import mime
from storage.errors import NotFound

BATCH = 200
INFO_ITEMS = {
    "INTERNALDATE",
    "RFC822.SIZE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "BINARY",
    "BINARY.SIZE",
}
STRUCTURE_ITEMS = INFO_ITEMS - {"INTERNALDATE", "RFC822.SIZE", "RFC822"}


def fetch(s: ImapSession, cmd: Command) -> Done:
    spec: FetchSpec = cmd.spec
    sel = s.selection
    assert sel is not None
    if spec.vanished and "QRESYNC" not in s.enabled:
        raise Bad("VANISHED needs QRESYNC enabled (RFC 7162 3.2.6)")
    uids = sel.resolve(s, spec.sequence, spec.uid)
    parts: list[Any] = []
    if spec.changed_since is not None or any(i.name == "MODSEQ" for i in spec.items):
        parts += enable_condstore(s)  # RFC 7162 3.1
    if spec.vanished and spec.changed_since is not None:
        top = sel.uids[-1] if sel.uids else 0
        gone = [
            u
            for u in s.store.mail.expunged_since(sel.id, spec.changed_since)
            if spec.sequence.contains(u, top)
        ]
        if gone:
            parts.append(R.untagged(f"VANISHED (EARLIER) {format_set(sorted(set(gone)))}"))
    seen_now: set[int] = set()
    if any(i.sets_seen for i in spec.items) and not sel.readonly and "s" in sel.rights and uids:
        changed, _ = s.store.mail.set_flags(sel.id, uids, ["\\Seen"], "add", actor=s.account_id)
        for c in changed:
            sel.own[c.uid] = c.modseq
            seen_now.add(c.uid)
    gone = sel.expunged_among(s, uids)
    pairs = [(sel.seq_of(u), u) for u in uids if u not in gone]
    parts.append(_responses(s, sel, spec, pairs, seen_now, set(sel.keywords)))
    if gone and not spec.uid:
        # RFC 2180 4.1.2: the client asked for a message it still believes exists
        return Done(parts, "some of the messages were expunged by another session", "EXPUNGEISSUED", "NO")
    return Done(parts, f"{cmd.name} completed")


def _responses(
    s: ImapSession,
    sel: Selection,
    spec: FetchSpec,
    pairs: list[tuple[int, int]],
    seen_now: set[int],
    known: set[str],
) -> Iterator[bytes]:
    """The FETCH responses, read and written lazily; ``known``: the keywords the client was told of
    when the command ran (see ``announce_keywords``)."""
    names = {i.name for i in spec.items}
    need_info = bool(names & INFO_ITEMS) or any(i.section is not None for i in spec.items)
    need_structure = bool(names & STRUCTURE_ITEMS) or any(i.section is not None for i in spec.items)
    if not need_info and pairs and len(pairs) == len(sel.uids):
        # the whole mailbox (FETCH 1:* FLAGS): one range read of the flags columns, no UID list
        seq_of = {u: n for n, u in pairs}
        for row in s.store.mail.flags(sel.id, changed_since=spec.changed_since):
            seq = seq_of.get(row.uid)
            if seq:
                yield from _message(s, sel, spec, seq, row, row.uid in seen_now, known)
        return
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start : start + BATCH]
        seq_by_uid = {u: n for n, u in batch}
        if need_info:
            rows: list[Any] = s.store.mail.info(
                sel.id, list(seq_by_uid), changed_since=spec.changed_since, with_structure=need_structure
            )
        else:
            rows = s.store.mail.flags(sel.id, list(seq_by_uid), changed_since=spec.changed_since)
        for row in rows:
            seq = seq_by_uid.get(row.uid)
            if not seq:
                continue
            try:
                yield from _message(s, sel, spec, seq, row, row.uid in seen_now, known)
            except NotFound:
                continue  # expunged meanwhile (RFC 2180 4.1.2)


def _message(
    s: ImapSession, sel: Selection, spec: FetchSpec, seq: int, row: Any, seen_now: bool, known: set[str]
) -> Iterator[bytes]:
    structure: tuple[Any, Any] | None = None
    out: list[bytes] = []
    announced: list[bytes] = []  # RFC 3501 7.2.6: FLAGS with a keyword new to the session, sent first
    wanted = list(spec.items)
    if seen_now and not any(i.name == "FLAGS" for i in wanted):
        wanted.append(FetchItem("FLAGS", label="FLAGS"))
    for item in wanted:
        name = item.name
        if name == "UID":
            out.append(b"UID %d" % row.uid)
        elif name == "FLAGS":
            flags = set(row.flags) | ({"\\Seen"} if seen_now else set())
            announced += announce_keywords(s, flags, known)
            out.append(b"FLAGS " + R.flag_list(visible_flags(s, row.uid, flags)))
        elif name == "MODSEQ":
            modseq = max(row.modseq, sel.own.get(row.uid, 0))
            out.append(b"MODSEQ (%d)" % modseq)
        elif name == "INTERNALDATE":
            out.append(b"INTERNALDATE " + R.internal_date(row.internal_date))
        elif name == "RFC822.SIZE":
            out.append(b"RFC822.SIZE %d" % row.size)
        elif name == "RFC822":
            out.append(b"RFC822 " + R.literal(_raw(s, sel, row.uid, 0, row.size)))
        else:
            if structure is None:
                structure = mime.from_json(row.structure)
            env, root = structure
            if name == "ENVELOPE":
                out.append(b"ENVELOPE " + R.value(mime.envelope_structure(env), utf8=s.utf8))
            elif name == "BODYSTRUCTURE":
                out.append(b"BODYSTRUCTURE " + R.value(mime.bodystructure(root, True), utf8=s.utf8))
            elif name == "BODY" and item.section is None:
                out.append(b"BODY " + R.value(mime.bodystructure(root, False), utf8=s.utf8))
            elif name == "RFC822.HEADER":
                out.append(
                    b"RFC822.HEADER " + R.literal(_raw(s, sel, row.uid, root.header_start, root.body_start))
                )
            elif name == "RFC822.TEXT":
                out.append(b"RFC822.TEXT " + R.literal(_raw(s, sel, row.uid, root.body_start, root.end)))
            elif name == "BINARY.SIZE":
                data = _binary(s, sel, row.uid, root, item.section)
                out.append(item.label.encode() + (b" NIL" if data is None else b" %d" % len(data)))
            elif name == "BINARY":
                data = _binary(s, sel, row.uid, root, item.section)
                out.append(item.label.encode() + b" " + _partial_literal(data, item, binary=True))
            else:
                data = _section(s, sel, row.uid, root, item.section)
                out.append(item.label.encode() + b" " + _partial_literal(data, item, binary=False))
    yield b"".join(announced) + b"* %d FETCH (" % seq + b" ".join(out) + b")\r\n"


def _partial_literal(data: bytes | None, item: FetchItem, *, binary: bool) -> bytes:
    if data is None:
        return b"NIL"
    if item.partial is not None:
        origin, length = item.partial
        data = data[origin : origin + length] if length is not None else data[origin:]
    if binary and b"\x00" in data:
        return b"~{%d}\r\n" % len(data) + data  # RFC 3516 literal8
    return R.literal(data)


def _raw(s: ImapSession, sel: Selection, uid: int, start: int, end: int) -> bytes:
    if end <= start:
        return b""
    return bytes(s.store.mail.raw(sel.id, uid, start=start, end=end))


def _inner_message(part: Any) -> Any:
    """The encapsulated message of a message/rfc822 part, else None."""
    if (part.maintype, part.subtype) == ("message", "rfc822") and part.children:
        return part.children[0]
    return None


def _section(s: ImapSession, sel: Selection, uid: int, root: Any, section: Section | None) -> bytes | None:
    """The bytes of a BODY[section] (RFC 3501 6.4.5); None when the part does not exist."""
    assert section is not None
    target = mime.part_by_section(root, section.part) if section.part else root
    if target is None:
        return None
    if section.text == "":
        if not section.part:
            return _raw(s, sel, uid, 0, root.end)
        return _raw(s, sel, uid, target.body_start, target.end)
    if section.text == "MIME":
        return _raw(s, sel, uid, target.header_start, target.body_start)
    message = target if not section.part else _inner_message(target)
    if message is None:
        return None
    if section.text == "TEXT":
        return _raw(s, sel, uid, message.body_start, message.end)
    header = _raw(s, sel, uid, message.header_start, message.body_start)
    if section.text == "HEADER":
        return header
    return filter_header(header, section.fields, keep=section.text == "HEADER.FIELDS")


def filter_header(header: bytes, fields: tuple[str, ...], *, keep: bool) -> bytes:
    """The header lines whose field name is (``keep``) or is not in ``fields``, plus the blank line."""
    wanted = {f.lower().encode() for f in fields}
    out: list[bytes] = []
    current: list[bytes] = []
    include = False
    for line in header.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
            continue
        if current and include:
            out += current
        name = line.split(b":", 1)[0].strip().lower()
        include = (name in wanted) == keep
        current = [line]
    if current and include:
        out += current
    return b"".join(out) + b"\r\n"


def _binary(s: ImapSession, sel: Selection, uid: int, root: Any, section: Section | None) -> bytes | None:
    """RFC 3516: the part's content with its transfer encoding undone."""
    assert section is not None
    target = mime.part_by_section(root, section.part) if section.part else root
    if target is None:
        return None
    if target.maintype == "multipart" or _inner_message(target) is not None:
        return _raw(s, sel, uid, target.body_start, target.end)
    data = _raw(s, sel, uid, target.body_start, target.end)
    encoding = (target.encoding or "7BIT").upper()
    try:
        if encoding == "BASE64":
            return base64.b64decode(b"".join(data.split()), validate=False)
        if encoding == "QUOTED-PRINTABLE":
            return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        raise No("the part's content transfer encoding is broken", "UNKNOWN-CTE") from None
    if encoding not in ("7BIT", "8BIT", "BINARY"):
        raise No(f"unknown content transfer encoding {encoding}", "UNKNOWN-CTE")
    return data
