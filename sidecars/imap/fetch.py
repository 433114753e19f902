"""FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8, 7.4.2; RFC 3516 BINARY; RFC 7162 CHANGEDSINCE/VANISHED).

Why it is cheap: FLAGS/UID/MODSEQ come from the flags columns only (``FolderReader.flags``); ENVELOPE,
BODYSTRUCTURE, RFC822.SIZE and INTERNALDATE from the metadata cached at delivery (``FolderReader.info``);
only body sections touch the blob store, and then only the byte range of the section (or partial)
asked for, one message at a time, streamed in chunks as the client reads (:mod:`fetchbody`). Messages are read in batches of ``BATCH`` and the response is a
generator, so ``FETCH 1:* ENVELOPE`` on a large mailbox never holds the whole answer.

Sequence numbers are fixed when the command starts: updates sent before the tagged reply cannot
shift them (RFC 3501 7.4.1). A message another session expunged, of which this one was not told yet,
is answered from what storage holds of it (RFC 2180 4.1.1, ``FolderReader.held``, storage.holds), wherever
the expunge was made; when nothing is held any more it is left out and the command ends NO [EXPUNGEISSUED]
(RFC 2180 4.1.2). BODY[...] without .PEEK sets \\Seen (once, for all the messages, before answering) when the
mailbox is read-write and the user holds the "s" right; FLAGS is then included in the response.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sidecars.imap import fetchbody
from sidecars.imap import response as R
from sidecars.imap.contract import Bad, Done, No
from sidecars.imap.fetchitems import FetchItem, FetchSpec
from sidecars.imap.parser import Command
from sidecars.imap.selected import Selection, announce_keywords, enable_condstore, visible_flags
from sidecars.imap.sequence import format_set
from storage import mime
from storage.contracts import MessageReading
from storage.errors import NotFound
from storage.models import FlagChange, MessageInfo

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession

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
    access = sel.reader(s)  # the rights in force now (RFC 4314 4): NO [NOPERM] without "r"
    check_binary(access, spec, uids)
    parts: list[Any] = []
    if spec.changed_since is not None or any(i.name == "MODSEQ" for i in spec.items):
        parts += enable_condstore(s)  # RFC 7162 3.1
    if spec.vanished and spec.changed_since is not None:
        top = sel.uids[-1] if sel.uids else 0
        vanished = [u for u in access.expunged_since(spec.changed_since) if spec.sequence.contains(u, top)]
        if vanished:
            parts.append(R.untagged(f"VANISHED (EARLIER) {format_set(sorted(set(vanished)))}"))
    seen_now: set[int] = set()
    if any(i.sets_seen for i in spec.items) and not sel.readonly and uids:
        for c in access.mark_seen(uids):  # only with "s" (RFC 4314 4)
            sel.own[c.uid] = c.modseq
            seen_now.add(c.uid)
    gone = sel.expunged_among(s, uids, access)
    held = _held(access, gone)
    pairs = [(sel.seq_of(u), u) for u in uids if u not in gone or u in held]
    parts.append(_responses(s, access, sel, spec, pairs, seen_now, set(sel.keywords), held))
    if gone - held.keys() and not spec.uid:
        # RFC 2180 4.1.2, when what was known of the message is no longer held (see _held)
        return Done(parts, "some of the messages were expunged by another session", "EXPUNGEISSUED", "NO")
    return Done(parts, f"{cmd.name} completed")


def _held(access: MessageReading, gone: set[int]) -> dict[int, MessageInfo]:
    """RFC 2180 4.1.1: messages expunged elsewhere that this session was not told of yet are still
    answered from what storage holds of them (metadata, and the body still referenced), looked up by
    UID; the command's reader was only granted because the user may still read the mailbox ("r")."""
    if not gone:
        return {}
    return {m.uid: m for m in access.held(gone)}


def _responses(
    s: ImapSession,
    access: MessageReading,
    sel: Selection,
    spec: FetchSpec,
    pairs: list[tuple[int, int]],
    seen_now: set[int],
    known: set[str],
    held: dict[int, MessageInfo] | None = None,
) -> Iterator[bytes]:
    """The FETCH responses, read and written lazily; ``known``: the keywords the client was told of
    when the command ran (see ``announce_keywords``); ``held``: expunged messages still answered."""
    held = held or {}
    names = {i.name for i in spec.items}
    need_info = bool(names & INFO_ITEMS) or any(i.section is not None for i in spec.items)
    need_structure = bool(names & STRUCTURE_ITEMS) or any(i.section is not None for i in spec.items)
    if not need_info and not held and pairs and len(pairs) == len(sel.uids):
        # the whole mailbox (FETCH 1:* FLAGS): one range read of the flags columns, no UID list
        seq_of = {u: n for n, u in pairs}
        for row in access.flags(changed_since=spec.changed_since):
            seq = seq_of.get(row.uid)
            if seq:
                yield from _message(s, sel, spec, seq, row, row.uid in seen_now, known)
        return
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start : start + BATCH]
        seq_by_uid = {u: n for n, u in batch}
        if need_info:
            rows: list[Any] = access.info(
                list(seq_by_uid), changed_since=spec.changed_since, with_structure=need_structure
            )
        else:
            rows = access.flags(list(seq_by_uid), changed_since=spec.changed_since)
        kept = [
            held[u]
            for u in seq_by_uid
            if u in held and (spec.changed_since is None or held[u].modseq > spec.changed_since)
        ]
        if kept:
            rows = sorted([*rows, *kept], key=lambda r: r.uid)
        for row in rows:
            seq = seq_by_uid.get(row.uid)
            if not seq:
                continue
            try:
                yield from _message(s, sel, spec, seq, row, row.uid in seen_now, known)
            except NotFound:
                continue  # expunged meanwhile and no longer held (RFC 2180 4.1.2)


def _message(
    s: ImapSession,
    sel: Selection,
    spec: FetchSpec,
    seq: int,
    row: FlagChange | MessageInfo,
    seen_now: bool,
    known: set[str],
) -> Iterator[bytes]:
    """One FETCH response. Every item is worked out before its first byte is yielded (so a message
    whose body is gone is left out whole); literals then stream from the blob (:mod:`fetchbody`)."""
    body = None
    if isinstance(row, MessageInfo):  # the items asked for need more than the flags columns
        body = fetchbody.MessageBody(s.store, row.sha256, row.size)
    try:
        announced: list[bytes] = []  # RFC 3501 7.2.6: FLAGS with a keyword new to the session, sent first
        out = _items(s, sel, spec, row, seen_now, body, known, announced)
        text = bytearray(b"".join(announced) + b"* %d FETCH (" % seq)
        for index, item in enumerate(out):
            if index:
                text += b" "
            if isinstance(item, bytes):
                text += item
                continue
            label, content, binary = item
            literal8 = binary and content.has_nul()  # RFC 3516: ~{n} only when NUL is in the data
            text += label + (b" ~{%d}\r\n" if literal8 else b" {%d}\r\n") % content.size
            yield bytes(text)
            text.clear()
            yield from content.chunks()
        text += b")\r\n"
        yield bytes(text)
    finally:
        if body is not None:
            body.close()


Item = bytes | tuple[bytes, fetchbody.Content, bool]


def _items(
    s: ImapSession,
    sel: Selection,
    spec: FetchSpec,
    row: FlagChange | MessageInfo,
    seen_now: bool,
    body: fetchbody.MessageBody | None,
    known: set[str],
    announced: list[bytes],
) -> list[Item]:
    structure: tuple[Any, Any] | None = None
    info = row if isinstance(row, MessageInfo) else None  # read when an item needs more than the flags
    out: list[Item] = []
    wanted = list(spec.items)
    if seen_now and not any(i.name == "FLAGS" for i in wanted):
        wanted.append(FetchItem("FLAGS", label="FLAGS"))
    # ENVELOPE alone needs only the envelope of the cached parse, not its part tree (a page of
    # ENVELOPEs is what mail clients fetch most)
    envelope_only = all(
        i.name == "ENVELOPE" or (i.name not in STRUCTURE_ITEMS and i.section is None) for i in wanted
    )
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
            assert info is not None
            out.append(b"INTERNALDATE " + R.internal_date(info.internal_date))
        elif name == "RFC822.SIZE":
            assert info is not None
            out.append(b"RFC822.SIZE %d" % info.size)
        elif name == "RFC822":
            assert body is not None and info is not None
            out.append((b"RFC822", body.range(0, info.size), False))
        elif name == "ENVELOPE" and envelope_only:
            assert info is not None
            env = mime.envelope_from_json(info.structure)
            out.append(b"ENVELOPE " + R.envelope(mime.envelope_structure(env), utf8=s.utf8))
        else:
            assert body is not None and info is not None
            if structure is None:
                structure = mime.from_json(info.structure)
            env, root = structure
            if name == "ENVELOPE":
                out.append(b"ENVELOPE " + R.envelope(mime.envelope_structure(env), utf8=s.utf8))
            elif name == "BODYSTRUCTURE":
                out.append(b"BODYSTRUCTURE " + R.value(mime.bodystructure(root, True), utf8=s.utf8))
            elif name == "BODY" and item.section is None:
                out.append(b"BODY " + R.value(mime.bodystructure(root, False), utf8=s.utf8))
            elif name == "RFC822.HEADER":
                out.append((b"RFC822.HEADER", body.range(root.header_start, root.body_start), False))
            elif name == "RFC822.TEXT":
                out.append((b"RFC822.TEXT", body.range(root.body_start, root.end), False))
            elif name in ("BINARY", "BINARY.SIZE"):
                assert item.section is not None
                target = fetchbody.binary_target(root, item.section)
                label = item.label.encode()
                if target is None:
                    out.append(label + b" NIL")
                elif name == "BINARY.SIZE":
                    out.append(label + b" %d" % fetchbody.binary_size(body, *target))
                else:
                    out.append((label, _partial(fetchbody.binary(body, *target), item), True))
            else:
                assert item.section is not None
                content = fetchbody.section(body, root, item.section)
                label = item.label.encode()
                out.append(label + b" NIL" if content is None else (label, _partial(content, item), False))
    return out


def _partial(content: fetchbody.Content, item: FetchItem) -> fetchbody.Content:
    if item.partial is None:
        return content
    return content.window(*item.partial)


def check_binary(access: MessageReading, spec: FetchSpec, uids: list[int]) -> None:
    """RFC 3516 4.1: NO [UNKNOWN-CTE] for a part whose encoding cannot be undone, said before any
    response is written (the answer streams later)."""
    sections = [i.section for i in spec.items if i.name in ("BINARY", "BINARY.SIZE") and i.section]
    if not sections:
        return
    for start in range(0, len(uids), BATCH):
        for row in access.info(uids[start : start + BATCH], with_structure=True):
            _, root = mime.from_json(row.structure)
            for section in sections:
                try:
                    fetchbody.binary_target(root, section)
                except fetchbody.UnknownEncoding as exc:
                    raise No(str(exc), "UNKNOWN-CTE") from None


def filter_header(header: bytes, fields: tuple[str, ...], *, keep: bool) -> bytes:
    """The header lines whose field name is (``keep``) or is not in ``fields``, plus the blank line."""
    return b"".join(fetchbody.filter_header(iter((header,)), fields, keep=keep))
