"""The keys a message list sorts, groups and filters on, computed once when a message row is written.

Why copied onto ``messages``: the list of a 100,000-message folder must be an index range scan
(``(folder_id, key, uid)``), and an index cannot cover a column of the joined ``bodies`` row. So every
row carries its own sort date, folded subject and sender keys and its conversation key, written by
delivery, append and copy (storage.mail_delivery) and by migration 0010 for rows older than it.

The rules:

* text keys are *folded* (:func:`fold`): Unicode compatibility decomposition, combining marks dropped,
  case folded, white-space runs made one space. "Müller" and "MULLER" get the same key, so sorting
  and field search agree with IMAP SEARCH, which folds the same way (sidecars.imap.search imports it);
* the subject key is the base subject (reply and forward leaders such as "Re:", "Fwd:", "AW:" and
  "[list]" tags stripped, as RFC 5256 2.1 does in spirit), folded, cut to KEY_CHARS;
* the sender key is the display name, else the address, folded (what the list shows is what it sorts);
* the sort date is the Date header, else the internal date (RFC 5256 2.2), in UTC;
* the conversation key names the root of the reply chain: the first Message-ID of References, else
  In-Reply-To, else the message's own Message-ID (else the body's SHA-256, a conversation of one). It is
  hashed to a fixed width. Replies whose client sent neither References nor In-Reply-To start their own
  conversation; a reply carrying only In-Reply-To joins its parent's key, which is the root only when
  the parent was the first message. No lookup of other messages is made at delivery.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.mime.model import ParsedMessage

KEY_CHARS = 200  # sort keys are prefixes: two subjects equal for 200 folded characters sort by UID
THREAD_KEY_CHARS = 32

_LEADER = re.compile(
    r"^\s*(?:\[[^\[\]]*\]\s*)*(?:re|fwd?|aw|wg|sv|vs|antw|tr)\s*(?:\[\d+\]|\(\d+\))?\s*:", re.I
)
_BLOB = re.compile(r"^\s*\[[^\[\]]*\]\s*(?=\S)")
_TRAILER = re.compile(r"\s*\(fwd\)\s*$", re.I)
_MSG_ID = re.compile(r"<[^<>\s]+>")


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form for matching and sorting; white space runs become one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def base_subject(subject: str) -> str:
    """The subject without reply/forward leaders, list tags and "(fwd)" trailers (decoded text in)."""
    text = subject
    for _ in range(100):  # hostile subjects repeat leaders; each pass removes at least one character
        before = text
        text = _TRAILER.sub("", text)
        text = _LEADER.sub("", text, count=1)
        text = _BLOB.sub("", text, count=1)
        if text == before:
            break
    return text.strip()


def subject_key(subject: str) -> str:
    return fold(base_subject(subject))[:KEY_CHARS]


def sender_key(display: str, address: str | None) -> str:
    return fold(display or address or "")[:KEY_CHARS]


def thread_key(
    message_id: str | None, in_reply_to: str | None, references: tuple[str, ...] | list[str], fallback: str
) -> str:
    """The conversation key (see the module notes): a hash of the chain's root Message-ID."""
    refs = _MSG_ID.findall(" ".join(references))
    root = refs[0] if refs else (in_reply_to or message_id or "sha:" + fallback)
    return hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:THREAD_KEY_CHARS]


def sort_date(sent: datetime | None, internal: datetime) -> datetime:
    value = sent if sent is not None else internal
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ListKeys:
    """What a ``messages`` row carries for the list (columns sort_date, sort_subject, sort_from,
    thread_key)."""

    sort_date: datetime
    sort_subject: str
    sort_from: str
    thread_key: str

    def columns(self) -> dict[str, object]:
        return {
            "sort_date": self.sort_date,
            "sort_subject": self.sort_subject,
            "sort_from": self.sort_from,
            "thread_key": self.thread_key,
        }


def keys_of(
    *,
    subject: str,
    from_display: str,
    from_addr: str | None,
    sent: datetime | None,
    internal: datetime,
    message_id: str | None,
    in_reply_to: str | None,
    references: tuple[str, ...] | list[str],
    sha256: str,
) -> ListKeys:
    return ListKeys(
        sort_date=sort_date(sent, internal),
        sort_subject=subject_key(subject),
        sort_from=sender_key(from_display, from_addr),
        thread_key=thread_key(message_id, in_reply_to, references, sha256),
    )


def parsed_keys(parsed: ParsedMessage, internal_date: datetime, sha: str) -> ListKeys:
    """The list keys of a message parsed at delivery, append or reindex."""
    return keys_of(
        subject=parsed.subject,
        from_display=parsed.from_display,
        from_addr=parsed.from_addr,
        sent=parsed.date,
        internal=internal_date,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        sha256=sha,
    )
