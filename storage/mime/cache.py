"""The JSON cache of a parse: envelope and part tree stored next to the message.

Implementation notes:
- Why: FETCH and list views read the structure column instead of re-parsing the blob, so the
  cache must rebuild exactly the ``Envelope`` and ``Part`` values ``parse_message`` produced.
- Compact and positional (lists, not objects) to keep the column small; ``_JSON_VERSION`` leads
  the document so a layout change is detected, not misread.
- ``from_json`` is strict: anything ``to_json`` could not have written raises ValueError, so a
  corrupt column is reported instead of serving wrong offsets.
"""

from __future__ import annotations

import json

from storage.mime.model import Address, AddressList, Disposition, Envelope, Params, ParsedMessage, Part

_JSON_VERSION = 1


def _address_json(lst: AddressList) -> list[list[str | None]]:
    return [[a.name, a.adl, a.mailbox, a.host] for a in lst]


def _envelope_json(e: Envelope) -> list[object]:
    lists = (e.from_, e.sender, e.reply_to, e.to, e.cc, e.bcc)
    return [e.date, e.subject, *map(_address_json, lists), e.in_reply_to, e.message_id]


def _part_json(p: Part) -> list[object]:
    disposition = None if p.disposition is None else [p.disposition[0], [list(kv) for kv in p.disposition[1]]]
    return [
        p.section,
        p.header_start,
        p.body_start,
        p.end,
        p.maintype,
        p.subtype,
        [list(kv) for kv in p.params],
        p.content_id,
        p.description,
        p.encoding,
        disposition,
        p.language,
        p.location,
        p.md5,
        p.size,
        p.lines,
        [_part_json(c) for c in p.children],
        None if p.envelope is None else _envelope_json(p.envelope),
    ]


def to_json(p: ParsedMessage) -> str:
    """Compact positional JSON of envelope and part tree, for a cache column next to the message."""
    doc = [_JSON_VERSION, _envelope_json(p.envelope), _part_json(p.root)]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _str(x: object) -> str:
    if not isinstance(x, str):
        raise ValueError(f"expected string, got {x!r}")
    return x


def _opt(x: object) -> str | None:
    return None if x is None else _str(x)


def _int(x: object) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise ValueError(f"expected integer, got {x!r}")
    return x


def _list(x: object) -> list[object]:
    if not isinstance(x, list):
        raise ValueError(f"expected list, got {x!r}")
    return x


def _params_from(x: object) -> Params:
    out = []
    for kv in _list(x):
        name, value = _list(kv)
        out.append((_str(name), _str(value)))
    return tuple(out)


def _addresses_from(x: object) -> AddressList:
    out = []
    for item in _list(x):
        name, adl, mailbox, host = _list(item)
        out.append(Address(_opt(name), _opt(adl), _opt(mailbox), _opt(host)))
    return tuple(out)


def _envelope_from(x: object) -> Envelope:
    date, subject, from_, sender, reply_to, to, cc, bcc, in_reply_to, message_id = _list(x)
    return Envelope(
        date=_opt(date),
        subject=_opt(subject),
        from_=_addresses_from(from_),
        sender=_addresses_from(sender),
        reply_to=_addresses_from(reply_to),
        to=_addresses_from(to),
        cc=_addresses_from(cc),
        bcc=_addresses_from(bcc),
        in_reply_to=_opt(in_reply_to),
        message_id=_opt(message_id),
    )


def _part_from(x: object) -> Part:
    (sec, hs, bs, end, mt, st, params, cid, desc, enc, disp, lang, loc, md5, size, lines, kids, env) = _list(
        x
    )
    disposition: Disposition | None = None
    if disp is not None:
        kind, dparams = _list(disp)
        disposition = (_str(kind), _params_from(dparams))
    return Part(
        section=_str(sec),
        header_start=_int(hs),
        body_start=_int(bs),
        end=_int(end),
        maintype=_str(mt),
        subtype=_str(st),
        params=_params_from(params),
        content_id=_opt(cid),
        description=_opt(desc),
        encoding=_str(enc),
        disposition=disposition,
        language=_opt(lang),
        location=_opt(loc),
        md5=_opt(md5),
        size=_int(size),
        lines=_int(lines),
        children=tuple(_part_from(c) for c in _list(kids)),
        envelope=None if env is None else _envelope_from(env),
    )


def envelope_from_json(s: str) -> Envelope:
    """The envelope alone (FETCH ENVELOPE): as ``from_json(s)[0]``, without rebuilding the part tree."""
    version, envelope, _root = _list(json.loads(s))
    if version != _JSON_VERSION:
        raise ValueError(f"unknown mime cache version {version!r}")
    return _envelope_from(envelope)


def from_json(s: str) -> tuple[Envelope, Part]:
    """Inverse of ``to_json``. Raises ValueError on anything ``to_json`` could not have written."""
    version, envelope, root = _list(json.loads(s))
    if version != _JSON_VERSION:
        raise ValueError(f"unknown mime cache version {version!r}")
    return _envelope_from(envelope), _part_from(root)
