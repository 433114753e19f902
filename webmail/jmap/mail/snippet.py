"""SearchSnippet/get (RFC 8621 5): the subject and a piece of the body of each Email with the words of
the filter's text conditions marked by ``<mark>``, everything else HTML-escaped.

Matching follows the search: a word matches where a word of the text starts with it, case and
diacritics folded ("muller" marks "Müller"). The body piece is taken from the Email's first text part
(its first ``BODY_READ`` bytes): up to ``PREVIEW_CHARS`` characters around the first match, null when
the body has none.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from storage.errors import NotFound, PermissionDenied
from storage.mime import from_json
from webmail.jmap.ids import parse_email_id
from webmail.jmap.mail import email_body as eb
from webmail.jmap.mail.email_query import condition_of
from webmail.jmap.registry import MAIL, Args, Call, MethodError, method

PREVIEW_CHARS = 255
BODY_READ = 256 * 1024
MAX_EMAILS = 100
_TEXT_KEYS = {"text", "subject", "body", "from", "to", "cc", "bcc"}


def _words(f: Any, out: list[str]) -> None:
    if isinstance(f, dict):
        if f.get("operator") == "NOT":
            return  # words of a NOT are not in the results
        for c in f.get("conditions") or []:
            _words(c, out)
        for key in ("text", "subject", "body"):
            if isinstance(f.get(key), str):
                out.extend(re.findall(r"[^\W_]+", f[key].lower()))


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def highlight(text: str, words: list[str]) -> tuple[str, bool]:
    """``text`` HTML-escaped with every word that starts with one of ``words`` in <mark>."""
    folded = [_fold(w) for w in words if w]
    out, found, pos = [], False, 0
    for m in re.finditer(r"[^\W_]+", text):
        if any(_fold(m.group()).startswith(w) for w in folded):
            out.append(html.escape(text[pos : m.start()]))
            out.append(f"<mark>{html.escape(m.group())}</mark>")
            pos, found = m.end(), True
    out.append(html.escape(text[pos:]))
    return "".join(out), found


def _window(text: str, words: list[str]) -> str | None:
    folded = [_fold(w) for w in words if w]
    for m in re.finditer(r"[^\W_]+", text):
        if any(_fold(m.group()).startswith(w) for w in folded):
            start = max(0, m.start() - 60)
            return " ".join(text[start : start + PREVIEW_CHARS].split())
    return None


@method("SearchSnippet/get", MAIL, {"accountId", "filter", "emailIds"})
def snippet_get(call: Call, args: Args) -> Args:
    call.account(args)
    ids = args.get("emailIds")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise MethodError("invalidArguments", "emailIds is a list of ids", arguments=["emailIds"])
    if len(ids) > MAX_EMAILS:
        raise MethodError("requestTooLarge", f"at most {MAX_EMAILS} Emails per call")
    f = args.get("filter")
    if f is not None:
        condition_of(f)  # the same errors as Email/query's
    words: list[str] = []
    _words(f, words)
    keys = {i: parse_email_id(i) for i in ids}
    found = call.user.sync.messages(k for k in keys.values() if k is not None)
    listed, not_found = [], []
    for i, key in keys.items():
        msg = found.get(key) if key is not None else None
        if msg is None:
            not_found.append(i)
            continue
        subject, hit = highlight(msg.subject, words)
        preview = None
        try:
            preview = _body_preview(call, msg.folder_id, msg.uid, msg.structure, words)
        except (NotFound, PermissionDenied):
            not_found.append(i)
            continue
        listed.append({"emailId": i, "subject": subject if hit else None, "preview": preview})
    return {"accountId": call.account_id, "list": listed, "notFound": not_found or None}


def _body_preview(call: Call, folder_id: int, uid: int, structure: str, words: list[str]) -> str | None:
    if not words:
        return None
    _envelope, root = from_json(structure)
    text_parts = eb.body_lists(root).text
    if not text_parts:
        return None
    part = text_parts[0]
    src = eb.Source(folder_id, uid, root, lambda: call.user.view.raw(folder_id, uid))
    value = eb.body_value(src, part, BODY_READ)["value"]
    if part.subtype == "html":
        value = html.unescape(re.sub(r"<[^>]*>", " ", value))
    window = _window(value, words)
    return highlight(window, words)[0] if window else None
