"""Email/query and Email/queryChanges (RFC 8621 4.4, 4.5), on storage's sorted indexes.

A JMAP filter becomes storage's condition tree (storage.mail_sync): mailbox, date, size, keyword and
attachment conditions are SQL predicates on the message rows; ``text``, ``body``, ``from``, ``to``,
``subject`` (and ``cc``, ``bcc``, ``header`` values, matched as words anywhere in the header fields) go
through the full-text index, diacritics folded, each word a word prefix; ``from``/``to``/``subject`` are
then checked as folded substrings of that field. Pages come from the per-folder sort indexes, so a 50-row
page of a 100,000-message mailbox reads about 50 index entries past its position.

Limits: a page holds at most ``MAX_LIMIT`` ids (a larger or absent ``limit`` is capped and the answer says
so); ``position`` + ``limit`` at most storage's MAX_POSITION; an anchor is looked for among the first
ANCHOR_CAP results. Sorting by ``allInThreadHaveKeyword``/``someInThreadHaveKeyword`` and a ``header``
filter without a value are not supported (unsupportedSort / unsupportedFilter). Email/queryChanges is
webmail/jmap/mail/email_query_changes.py's; ``canCalculateChanges`` says whether it follows the query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.errors import InvalidInput, NotFound
from storage.mail_sync import Cond, Condition, Op, Sort
from webmail.jmap import standard_methods as std
from webmail.jmap.ids import email_id, parse_email_id, parse_mailbox_id
from webmail.jmap.mail import state as st
from webmail.jmap.mail.common import flag_of, int_arg
from webmail.jmap.mail.query_scope import one_mailbox
from webmail.jmap.registry import MAIL, Args, Call, MethodError, method

MAX_LIMIT = std.MAX_QUERY_LIMIT
SORTS = {
    "receivedAt": "received",
    "sentAt": "sent",
    "size": "size",
    "from": "from",
    "to": "to",
    "subject": "subject",
}
FILTERS = {
    "inMailbox", "inMailboxOtherThan", "before", "after", "minSize", "maxSize", "allInThreadHaveKeyword",
    "someInThreadHaveKeyword", "noneInThreadHaveKeyword", "hasKeyword", "notKeyword", "hasAttachment", "text",
    "from", "to", "cc", "bcc", "subject", "body", "header",
}  # fmt: skip


def _date(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise MethodError("invalidArguments", f"{name} is a UTCDate", arguments=["filter"])
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MethodError("invalidArguments", f"{name} is a UTCDate", arguments=["filter"]) from None
    if when.tzinfo is None:
        raise MethodError("invalidArguments", f"{name} needs a time zone", arguments=["filter"])
    return when


def _size(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MethodError("invalidArguments", f"{name} is an unsigned integer", arguments=["filter"])
    return value


def _folder(value: Any, name: str) -> int:
    if not isinstance(value, str):
        raise MethodError("invalidArguments", f"{name} holds Mailbox ids", arguments=["filter"])
    return parse_mailbox_id(value) or 0  # an id that is not ours matches nothing


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise MethodError("invalidArguments", f"{name} is a string", arguments=["filter"])
    return value


def condition_of(f: Any) -> Condition:
    """Storage's condition for a JMAP FilterOperator or FilterCondition."""
    if not isinstance(f, dict):
        raise MethodError("invalidArguments", "a filter is an object", arguments=["filter"])
    if "operator" in f:
        op, items = f.get("operator"), f.get("conditions")
        if (
            op not in ("AND", "OR", "NOT")
            or not isinstance(items, list)
            or set(f) - {"operator", "conditions"}
        ):
            raise MethodError("unsupportedFilter", "operator is AND, OR or NOT with a list of conditions")
        return Op(str(op).lower(), tuple(condition_of(c) for c in items))
    unknown = sorted(set(f) - FILTERS)
    if unknown:
        raise MethodError("unsupportedFilter", f"unknown filter properties: {', '.join(unknown)}")
    parts: list[Condition] = []
    for key, value in f.items():
        if key == "inMailbox":
            parts.append(Cond("folders", [_folder(value, key)]))
        elif key == "inMailboxOtherThan":
            if not isinstance(value, list):
                raise MethodError("invalidArguments", "inMailboxOtherThan is a list", arguments=["filter"])
            parts.append(Op("not", (Cond("folders", [_folder(v, key) for v in value]),)))
        elif key == "before":
            parts.append(Cond("received_before", _date(value, key)))
        elif key == "after":
            parts.append(Cond("received_after", _date(value, key)))
        elif key == "minSize":
            parts.append(Cond("min_size", _size(value, key)))
        elif key == "maxSize":
            parts.append(Cond("max_size", _size(value, key)))
        elif key in ("hasKeyword", "notKeyword"):
            has = Cond("keyword", flag_of(_string(value, key)))
            parts.append(has if key == "hasKeyword" else Op("not", (has,)))
        elif key.endswith("InThreadHaveKeyword"):
            which = {"all": "thread_flag_all", "some": "thread_flag_some", "none": "thread_flag_none"}
            parts.append(Cond(which[key.removesuffix("InThreadHaveKeyword")], flag_of(_string(value, key))))
        elif key == "hasAttachment":
            parts.append(Cond("has_attachment", bool(value)))
        elif key == "text":
            parts.append(Cond("text_all", _string(value, key)))
        elif key == "body":
            parts.append(Cond("text_body", _string(value, key)))
        elif key in ("from", "to", "subject"):
            parts.append(Cond(f"text_{key}", _string(value, key)))
        elif key in ("cc", "bcc"):
            parts.append(Cond("text_headers", _string(value, key)))
        elif key == "header":
            if (
                not isinstance(value, list)
                or not 1 <= len(value) <= 2
                or not all(isinstance(v, str) for v in value)
            ):
                raise MethodError(
                    "invalidArguments", "header is [name] or [name, value]", arguments=["filter"]
                )
            if len(value) == 1:
                raise MethodError("unsupportedFilter", "a header filter needs a value here")
            parts.append(Cond("text_headers", value[1]))
    return parts[0] if len(parts) == 1 else Op("and", tuple(parts))


def sorts_of(value: Any) -> list[Sort]:
    if value is None or value == []:
        return [Sort("received", False)]
    if not isinstance(value, list):
        raise MethodError("invalidArguments", "sort is a list", arguments=["sort"])
    out = []
    for c in value:
        if not isinstance(c, dict):
            raise MethodError("invalidArguments", "a comparator is an object", arguments=["sort"])
        prop, ascending = c.get("property"), c.get("isAscending", True)
        if not isinstance(ascending, bool):
            raise MethodError("invalidArguments", "isAscending is a boolean", arguments=["sort"])
        if prop == "hasKeyword":
            out.append(Sort("flag", ascending, flag_of(_string(c.get("keyword"), "keyword"))))
        elif prop in SORTS:
            out.append(Sort(SORTS[prop], ascending))
        else:
            raise MethodError("unsupportedSort", f"cannot sort by {prop!r}")
    return out


@method("Email/query", MAIL, std.QUERY_ARGUMENTS | {"collapseThreads"})
def email_query(call: Call, args: Args) -> Args:
    call.account(args)
    condition = condition_of(args["filter"]) if args.get("filter") is not None else None
    sort = sorts_of(args.get("sort"))
    position = int_arg(args, "position", 0, minimum=None) or 0
    asked = int_arg(args, "limit", None)
    limit = min(asked, MAX_LIMIT) if asked is not None else MAX_LIMIT
    anchor_id = args.get("anchor")
    anchor = None
    if anchor_id is not None:
        anchor = parse_email_id(anchor_id)
        if anchor is None:
            raise MethodError("anchorNotFound")
    sync = call.user.sync
    folders = sync.folders(unread_threads=False)
    # a message that arrived after the folders were read is left out of the page, so the ids agree with
    # queryState (Email/queryChanges then reports it as added, once)
    uidnext = {f.id: f.uidnext for f in folders}
    try:
        page = sync.query(
            condition,
            sort,
            position=position,
            limit=limit,
            anchor=anchor,
            anchor_offset=int_arg(args, "anchorOffset", 0, minimum=None) or 0,
            collapse_threads=bool(args.get("collapseThreads")),
            total=bool(args.get("calculateTotal")),
            readable=[f.id for f in folders if f.tree.readable],  # the tree just read holds the rights
        )
    except NotFound:
        raise MethodError("anchorNotFound") from None
    except InvalidInput as exc:
        raise MethodError("invalidArguments", str(exc)) from None
    out: Args = {
        "accountId": call.account_id,
        "queryState": st.email_state(folders),
        "canCalculateChanges": one_mailbox(condition) is not None,
        "position": page.position,
        "ids": [email_id(fid, uid) for fid, uid in page.keys if uid < uidnext.get(fid, 0)],
    }
    if page.total is not None:
        out["total"] = page.total
    if asked is None or asked > MAX_LIMIT:
        out["limit"] = limit
    return out
