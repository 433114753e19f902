"""THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 sections 2 and 3), pure functions.

Why pure: the session gathers one ``ThreadInput`` per searched message from cached columns, and
everything the RFC defines (base subject, sent date, the two algorithms, the response syntax) lives
here where it can be tested against the RFC without a mailbox.

Choices the RFC leaves to us, each deliberate:
- Message IDs are the ``<...>`` tokens (no whitespace inside) of Message-ID, References and
  In-Reply-To; anything else is not a valid Message ID and is ignored. Comparison is
  case-sensitive (RFC 5256 section 3, REFERENCES step 1.A).
- A sent date without a zone is taken as UTC; the sent date falls back to the internal date when
  the Date header is missing or unparsable (the caller passes ``date=None``) (section 2.2).
- Base subjects group case-insensitively under i;ascii-casemap, the default collation.
- Every tree walk is iterative: a hostile mailbox can hold a reply chain thousands deep, which
  must not hit Python's recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storage.mime import decode_header_text

__all__ = [
    "Thread",
    "ThreadInput",
    "ascii_casemap",
    "base_subject",
    "extract_base_subject",
    "format_threads",
    "sent_date",
    "thread_orderedsubject",
    "thread_references",
]

_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CONTINUATION = re.compile(r"\r?\n(?=[ \t])")
_WHITESPACE = re.compile(r"[ \t\r\n]+")
_BLOB = r"\[[^\[\]]*\] *"  # subj-blob (after step 1 the only WSP left is a single space)
_LEADER = re.compile(rf"(?:{_BLOB})*(?:re|fwd?) *(?:{_BLOB})?:| ", re.I | re.A)  # subj-leader
_BLOB_PREFIX = re.compile(_BLOB)
_MSG_ID = re.compile(r"<[^<>\s]+>")


def ascii_casemap(text: str) -> str:
    """The i;ascii-casemap comparison key (RFC 4790 9.2): only a-z fold, everything else as is."""
    return text.translate(_UPPER)


def extract_base_subject(subject: str | None) -> tuple[str, bool]:
    """Return (base subject, is reply or forward) per RFC 5256 section 2.1 steps 1-7.

    "Reply or forward" is what REFERENCES step 5 needs: the extraction removed a subj-refwd, a
    "(fwd)" subj-trailer, or a subj-fwd-hdr/subj-fwd-trl pair (section 3, step 5.B.v).
    """
    text = decode_header_text(_CONTINUATION.sub("", subject or ""))  # (1) RFC 2047 words
    text = _WHITESPACE.sub(" ", text)  # (1) tabs, continuations, runs of spaces -> one space
    # The subject is the sender's: the steps move the bounds of text[start:end] instead of copying
    # what is left after each removal, so a subject of many leaders or blobs costs linear time.
    start, end = 0, len(text)
    is_reply = False
    while True:
        while end > start:  # (2) subj-trailer: "(fwd)" or WSP, repeatedly
            if text[end - 1] == " ":
                end -= 1
            elif end - start >= 5 and text[end - 5 : end].lower() == "(fwd)":
                end, is_reply = end - 5, True
            else:
                break
        while True:  # (3)-(5)
            m = _LEADER.match(text, start, end)
            if m:
                is_reply = is_reply or m.group() != " "
                start = m.end()
                continue
            # A subj-leader is blobs then re/fwd: with none here there is none after any blob of the run
            # that starts here either, so the run goes at once (one at a time it cost quadratic time),
            # each blob only if a non-empty subj-base remains after it.
            stripped = False
            while (m := _BLOB_PREFIX.match(text, start, end)) and m.end() < end:
                start, stripped = m.end(), True
            if not stripped:
                break
        if text[start : min(start + 5, end)].lower() == "[fwd:" and text[end - 1] == "]":  # (6) then (2)
            start, end, is_reply = start + 5, end - 1, True
            continue
        return text[start:end], is_reply  # (7)


def base_subject(subject: str | None) -> str:
    """The RFC 5256 section 2.1 base subject of a raw Subject header value."""
    return extract_base_subject(subject)[0]


@dataclass(frozen=True)
class ThreadInput:
    """What threading needs of one searched message; header values raw (RFC 2047 words allowed).

    ``references`` are the References header's Message IDs (or its raw text, split anyhow);
    ``in_reply_to`` and ``message_id`` are raw header values or None.
    """

    num: int
    subject: str
    date: datetime | None
    internal_date: datetime
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...] = ()


@dataclass
class Thread:
    """One node of a THREAD response: ``num`` is None for a dummy (message not searched/present)."""

    num: int | None
    children: list[Thread] = field(default_factory=list)


def sent_date(date: datetime | None, internal_date: datetime) -> datetime:
    """RFC 5256 section 2.2: the Date header's time, else the internal date; naive means UTC."""
    value = date if date is not None else internal_date
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sort_key(msg: ThreadInput) -> tuple[datetime, int]:
    """Sent date, ties broken by sequence number (section 2.2)."""
    return sent_date(msg.date, msg.internal_date), msg.num


def thread_orderedsubject(msgs: Iterable[ThreadInput]) -> list[Thread]:
    """RFC 5256 section 3, ORDEREDSUBJECT: one flat thread per base subject, sorted by sent date."""
    keyed = sorted(
        ((ascii_casemap(base_subject(m.subject)), _sort_key(m), m) for m in msgs), key=lambda t: t[:2]
    )
    threads: list[tuple[tuple[datetime, int], Thread]] = []
    current = None
    for subject, key, msg in keyed:
        if threads and subject == current:
            threads[-1][1].children.append(Thread(msg.num))
        else:
            threads.append((key, Thread(msg.num)))
            current = subject
    return [thread for _, thread in sorted(threads, key=lambda t: t[0])]


class _Node:
    """A REFERENCES container; ``msg`` None means a dummy."""

    __slots__ = ("children", "msg", "parent", "reply", "subject")

    def __init__(self, msg: ThreadInput | None) -> None:
        self.msg = msg
        self.parent: _Node | None = None
        self.children: list[_Node] = []
        self.subject = ""
        self.reply = False


def _creates_loop(parent: _Node, child: _Node) -> bool:
    """True if ``parent`` is ``child`` or one of its descendants."""
    if not child.children:  # the usual case, a new message: no walk up a long chain
        return parent is child
    node: _Node | None = parent
    while node is not None:
        if node is child:
            return True
        node = node.parent
    return False


def _link(parent: _Node, child: _Node) -> None:
    child.parent = parent
    parent.children.append(child)


def _node_key(node: _Node) -> tuple[datetime, int]:
    """Dummies sort by their first child (steps 4 and 6); they only live at the top level."""
    while node.msg is None:
        node = node.children[0]
    return _sort_key(node.msg)


def _preorder(roots: list[_Node]) -> list[_Node]:
    order: list[_Node] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    return order


def _references_of(msg: ThreadInput) -> list[str]:
    """References' IDs, else the first valid ID of In-Reply-To (REFERENCES step 1)."""
    refs = _MSG_ID.findall(" ".join(msg.references))
    if not refs and msg.in_reply_to:
        refs = _MSG_ID.findall(msg.in_reply_to)[:1]
    return refs


def _build_links(msgs: Iterable[ThreadInput]) -> list[_Node]:
    """Step 1: link parents and children; returns every container (messages and dummies)."""
    table: dict[str, _Node] = {}
    nodes: list[_Node] = []
    for msg in sorted(msgs, key=lambda m: m.num):
        ids = _MSG_ID.findall(msg.message_id or "")
        node = table.get(ids[0]) if ids else None
        if node is not None and node.msg is None:
            node.msg = msg  # fills the dummy made earlier for this ID
        else:
            node = _Node(msg)  # a missing or duplicate ID gets a private, unique container
            nodes.append(node)
            if ids and ids[0] not in table:
                table[ids[0]] = node
        node.subject, node.reply = extract_base_subject(msg.subject)
        node.subject = ascii_casemap(node.subject)
        prev: _Node | None = None
        for ref in _references_of(msg):  # 1.A
            container = table.get(ref)
            if container is None:
                container = table[ref] = _Node(None)
                nodes.append(container)
            if prev is not None and container.parent is None and not _creates_loop(prev, container):
                _link(prev, container)
            prev = container
        if node.parent is not None:  # 1.B: the message's own last reference wins
            node.parent.children.remove(node)
            node.parent = None
        if prev is not None and not _creates_loop(prev, node):
            _link(prev, node)
    return nodes


def _prune(roots: list[_Node]) -> list[_Node]:
    """Step 3: drop childless dummies, splice the children of others into their level."""
    for node in reversed(_preorder(roots)):  # children are pruned before their parent
        kept: list[_Node] = []
        for child in node.children:
            if child.msg is None:
                kept.extend(child.children)
            else:
                kept.append(child)
        node.children = kept
    top: list[_Node] = []
    for node in roots:
        if node.msg is None and len(node.children) < 2:
            top.extend(node.children)  # at the root a dummy goes only with zero or one child
        else:
            top.append(node)
    return top


def _thread_subject(node: _Node) -> str:
    return node.children[0].subject if node.msg is None else node.subject


def _group_by_subject(roots: list[_Node]) -> list[_Node]:
    """Step 5: merge top-level threads whose thread subjects match."""
    table: dict[str, _Node] = {}
    for node in roots:  # 5.B
        subject = _thread_subject(node)
        if not subject:
            continue
        held = table.get(subject)
        if held is None or (held.msg is not None and (node.msg is None or (held.reply and not node.reply))):
            table[subject] = node
    slots: list[_Node | None] = list(roots)
    index = {id(node): i for i, node in enumerate(roots)}
    for i in range(len(slots)):  # 5.C
        current = slots[i]
        if current is None or not _thread_subject(current):
            continue
        subject = _thread_subject(current)
        held = table[subject]
        if held is current:
            continue
        slots[i] = None
        if held.msg is None and current.msg is None:
            held.children.extend(current.children)
        elif held.msg is None or (current.reply and not held.reply):
            held.children.append(current)
        else:
            dummy = _Node(None)
            dummy.children = [held, current]
            slots[index[id(held)]] = dummy
            index[id(dummy)] = index[id(held)]
            table[subject] = dummy
    return [node for node in slots if node is not None]


def _to_thread(root: _Node) -> Thread:
    top = Thread(root.msg.num if root.msg else None)
    stack = [(root, top)]
    while stack:
        node, out = stack.pop()
        for child in node.children:
            assert child.msg is not None  # dummies exist only at the top level after step 3
            made = Thread(child.msg.num)
            out.children.append(made)
            stack.append((child, made))
    return top


def thread_references(msgs: Iterable[ThreadInput]) -> list[Thread]:
    """RFC 5256 section 3, REFERENCES, steps 1-6."""
    nodes = _build_links(msgs)
    roots = _prune([node for node in nodes if node.parent is None])  # steps 2 and 3
    for node in roots:  # step 4
        if node.msg is None:
            node.children.sort(key=_node_key)
    roots.sort(key=_node_key)
    roots = _group_by_subject(roots)  # step 5
    for node in reversed(_preorder(roots)):  # step 6: the youngest siblings are sorted first
        node.children.sort(key=_node_key)
    roots.sort(key=_node_key)
    return [_to_thread(node) for node in roots]


def format_threads(threads: Iterable[Thread]) -> bytes:
    """The THREAD response data after "THREAD " (RFC 5256 section 4, ``thread-list``).

    A chain of only children reads "1 2 3"; a node with several children lists each child's
    subthread in parentheses ("3 6 (4 23)(44 7 96)"); a dummy contributes only its children.
    """
    out: list[str] = []
    stack: list[Thread | str] = []
    for thread in reversed(list(threads)):
        stack.extend((")", thread, "("))
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node: Thread = item
        emitted = False
        while True:
            if node.num is not None:
                out.append(f" {node.num}" if emitted else str(node.num))
                emitted = True
            if len(node.children) == 1:
                node = node.children[0]
                continue
            if node.children and emitted:
                out.append(" ")
            for child in reversed(node.children):
                stack.extend((")", child, "("))
            break
    return "".join(out).encode("ascii")
