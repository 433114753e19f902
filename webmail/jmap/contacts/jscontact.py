"""JSContact cards (RFC 9553) from and to the vCard text the organizer stores (RFC 6350, or 3.0).

What is mapped, both ways (the subset docs/jmap.md lists): ``uid``, ``kind`` (KIND, and Apple's
X-ADDRESSBOOKSERVER-KIND), ``name`` (FN as ``full``, N as components), ``nicknames``, ``emails``,
``phones``, ``addresses`` (ADR), ``organizations`` (ORG with its units), ``titles`` (TITLE, ROLE),
``notes``, ``keywords`` (CATEGORIES), ``anniversaries`` (BDAY), ``members`` of a group (MEMBER, and
X-ADDRESSBOOKSERVER-MEMBER), and ``updated`` (REV, read only). Writing goes over the stored card and
replaces only these lines, so what JSContact here does not carry (PHOTO, a client's X- lines, IMPP...)
survives an edit from the Ajax interface, as it does an edit from the Standard one.

Map keys (``e1``, ``p1``...) are positions in the card: they are stable as long as the card's lines are,
which is what a patch (``emails/e2/address``) needs between a /get and the /set that follows it.
Contexts: vCard TYPE=work is ``work``, TYPE=home ``private``; phone TYPEs become ``features``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import vobject

from storage.errors import InvalidInput

#: The JSContact properties a ContactCard carries here (besides id and addressBookIds, the JMAP ones).
PROPERTIES = (
    "@type",
    "version",
    "uid",
    "kind",
    "name",
    "nicknames",
    "emails",
    "phones",
    "addresses",
    "organizations",
    "titles",
    "notes",
    "keywords",
    "anniversaries",
    "members",
    "updated",
)
READ_ONLY = frozenset({"@type", "version", "updated"})
KINDS = ("individual", "group", "org", "location", "device", "application")
#: vCard lines this module writes (and so replaces on an edit); all others are kept as they were.
MANAGED = (
    "fn",
    "n",
    "nickname",
    "email",
    "tel",
    "adr",
    "org",
    "title",
    "role",
    "note",
    "categories",
    "bday",
    "kind",
    "member",
    "x-addressbookserver-kind",
    "x-addressbookserver-member",
    "rev",
)
NAME_PARTS = (("prefix", "title"), ("given", "given"), ("additional", "given2"), ("family", "surname"))
NAME_PARTS_AFTER = (("suffix", "credential"),)
ADR_PARTS = (
    ("box", "postOfficeBox"),
    ("extended", "apartment"),
    ("street", "name"),
    ("city", "locality"),
    ("region", "region"),
    ("code", "postcode"),
    ("country", "country"),
)
PHONE_FEATURES = {
    "cell": "mobile",
    "voice": "voice",
    "fax": "fax",
    "text": "text",
    "video": "video",
    "pager": "pager",
}
CONTEXTS = {"work": "work", "home": "private"}
MAX_ENTRIES = 50  # per map (emails, phones...): a card is a person, not a mailing list
MAX_MEMBERS = 1000
MAX_TEXT = 10_000


class CardInvalid(InvalidInput):
    """A JSContact value that cannot be stored; ``properties`` names the offending ones (SetError)."""

    def __init__(self, message: str, properties: list[str]) -> None:
        super().__init__(message)
        self.properties = properties


# -- vCard -> JSContact --------------------------------------------------------------------------------


def parse_vcard(data: bytes) -> Any:
    try:
        return vobject.readOne(data.decode("utf-8", "replace"))
    except Exception as exc:  # vobject raises ParseError and assorted ValueErrors on bad input
        raise InvalidInput(f"the stored card cannot be read: {exc}") from None


def _lines(card: Any, name: str) -> list[Any]:
    return list(card.contents.get(name, []))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _types(line: Any) -> list[str]:
    out: list[str] = []
    for value in line.params.get("TYPE", []):
        out += [t.strip().lower() for t in str(value).split(",") if t.strip()]
    return out


def _contexts(types: list[str]) -> dict[str, bool] | None:
    found = {CONTEXTS[t]: True for t in types if t in CONTEXTS}
    return found or None


def _pref(line: Any, types: list[str]) -> int | None:
    value = line.params.get("PREF")
    if value:
        try:
            return max(1, min(100, int(str(value[0]))))
        except ValueError:
            return None
    return 1 if "pref" in types else None


def _kind(card: Any) -> str:
    for line in _lines(card, "kind") + _lines(card, "x-addressbookserver-kind"):
        value = _text(line.value).strip().lower()
        if value in KINDS:
            return value
    return "individual"


def _name(card: Any) -> dict[str, Any] | None:
    name: dict[str, Any] = {}
    fn = _lines(card, "fn")
    if fn and _text(fn[0].value).strip():
        name["full"] = _text(fn[0].value).strip()
    n = _lines(card, "n")
    if n:
        value = n[0].value
        components = []
        for attr, kind in NAME_PARTS + NAME_PARTS_AFTER:
            part = getattr(value, attr, "")
            for piece in part if isinstance(part, list) else [part]:
                if str(piece).strip():
                    components.append({"kind": kind, "value": str(piece).strip()})
        if components:
            name["components"] = components
    return name or None


def _entries(prefix: str, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    return {f"{prefix}{i}": item for i, item in enumerate(items, 1)} or None


def _with(entry: dict[str, Any], **extra: Any) -> dict[str, Any]:
    entry.update({k: v for k, v in extra.items() if v is not None})
    return entry


def _birthday(text: str) -> dict[str, Any] | None:
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if text.startswith("--"):  # vCard 4 date without a year: --MMDD
        digits = text[2:].replace("-", "")
        if len(digits) == 4 and digits.isdigit():
            return {"@type": "PartialDate", "month": int(digits[:2]), "day": int(digits[2:])}
        return None
    try:
        day = datetime.strptime(text[:10], "%Y-%m-%d").date()
    except ValueError:
        return None
    return {"@type": "PartialDate", "year": day.year, "month": day.month, "day": day.day}


def _rev(card: Any) -> str | None:
    rev = _lines(card, "rev")
    if not rev:
        return None
    value = rev[0].value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        text = _text(value).strip().replace("-", "").replace(":", "")
        try:
            moment = datetime.strptime(text[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def card_from_vcard(data: bytes, item_uid: str) -> dict[str, Any]:
    """The JSContact Card of a stored vCard (without the JMAP ``id`` and ``addressBookIds``); a property
    the card has nothing for is left out (JSContact's "absent" for an empty map or value)."""
    card = parse_vcard(data)
    out: dict[str, Any] = {"@type": "Card", "version": "1.0", "uid": item_uid, "kind": _kind(card)}
    name = _name(card)
    if name:
        out["name"] = name
    nicks = [_text(n.value).strip() for n in _lines(card, "nickname")]
    out["nicknames"] = _entries("k", [{"name": n} for nick in nicks for n in nick.split(",") if n.strip()])
    emails = []
    for line in _lines(card, "email"):
        types = _types(line)
        emails.append(
            _with({"address": _text(line.value).strip()}, contexts=_contexts(types), pref=_pref(line, types))
        )
    out["emails"] = _entries("e", emails)
    phones = []
    for line in _lines(card, "tel"):
        types = _types(line)
        features = {PHONE_FEATURES[t]: True for t in types if t in PHONE_FEATURES} or None
        phones.append(
            _with(
                {"number": _text(line.value).strip()},
                features=features,
                contexts=_contexts(types),
                pref=_pref(line, types),
            )
        )
    out["phones"] = _entries("p", phones)
    addresses = []
    for line in _lines(card, "adr"):
        value = line.value
        components = []
        for attr, kind in ADR_PARTS:
            part = getattr(value, attr, "")
            text = " ".join(str(p) for p in part) if isinstance(part, list) else str(part)
            if text.strip():
                components.append({"kind": kind, "value": text.strip()})
        if components:
            addresses.append(_with({"components": components}, contexts=_contexts(_types(line))))
    out["addresses"] = _entries("a", addresses)
    organizations = []
    for line in _lines(card, "org"):
        parts = [str(p).strip() for p in (line.value if isinstance(line.value, list) else [line.value])]
        if any(parts):
            org: dict[str, Any] = {"name": parts[0]} if parts[0] else {}
            if [p for p in parts[1:] if p]:
                org["units"] = [{"name": p} for p in parts[1:] if p]
            organizations.append(org)
    out["organizations"] = _entries("o", organizations)
    titles = [{"name": _text(t.value).strip(), "kind": "title"} for t in _lines(card, "title")]
    titles += [{"name": _text(t.value).strip(), "kind": "role"} for t in _lines(card, "role")]
    out["titles"] = _entries("t", [t for t in titles if t["name"]])
    out["notes"] = _entries("n", [{"note": _text(n.value)} for n in _lines(card, "note") if _text(n.value)])
    keywords: dict[str, bool] = {}
    for line in _lines(card, "categories"):
        for value in line.value if isinstance(line.value, list) else str(line.value).split(","):
            if str(value).strip():
                keywords[str(value).strip()] = True
    out["keywords"] = keywords or None
    bday = _lines(card, "bday")
    when = _birthday(_text(bday[0].value)) if bday else None
    out["anniversaries"] = {"b1": {"kind": "birth", "date": when}} if when else None
    if out["kind"] == "group":
        members: dict[str, bool] = {}
        for line in _lines(card, "member") + _lines(card, "x-addressbookserver-member"):
            value = _text(line.value).strip()
            if value:
                members[value] = True
        out["members"] = members or None
    out["updated"] = _rev(card)
    return {k: v for k, v in out.items() if v is not None}


# -- JSContact -> vCard --------------------------------------------------------------------------------


def _fail(prop: str, message: str) -> CardInvalid:
    return CardInvalid(f"{prop}: {message}", [prop])


def _map(card: dict[str, Any], prop: str) -> dict[str, dict[str, Any]]:
    value = card.get(prop)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise _fail(prop, "must be a map of ids to objects")
    if len(value) > MAX_ENTRIES:
        raise _fail(prop, f"at most {MAX_ENTRIES} entries")
    return value


def _string(entry: dict[str, Any], key: str, prop: str, *, required: bool = False) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(prop, f"{key} must be a string" + (" and not empty" if required else ""))
    if len(value) > MAX_TEXT or any(ch in value for ch in "\x00"):
        raise _fail(prop, f"{key} is too long or holds a NUL")
    return value.strip() if key != "note" else value


def _flags(entry: dict[str, Any], key: str, prop: str) -> list[str]:
    value = entry.get(key)
    if value is None:
        return []
    if not isinstance(value, dict) or not all(v is True for v in value.values()):
        raise _fail(prop, f"{key} must map names to true")
    return [str(k) for k in value]


def _type_params(contexts: list[str], extra: list[str]) -> list[str]:
    back = {v: k for k, v in CONTEXTS.items()}
    return [back[c].upper() for c in contexts if c in back] + [e.upper() for e in extra]


def _add(card: Any, name: str, value: Any, types: list[str] | None = None, pref: Any = None) -> None:
    line = card.add(name)
    line.value = value
    if types:
        line.type_paramlist = types
    if isinstance(pref, int) and not isinstance(pref, bool) and 1 <= pref <= 100:
        line.params["PREF"] = [str(pref)]


def check_card(card: dict[str, Any]) -> None:
    """Refuse what cannot be stored: unknown properties, wrong shapes (CardInvalid names them)."""
    allowed = set(PROPERTIES) | {"id", "addressBookIds"}
    unknown = sorted(k for k in card if k not in allowed)
    if unknown:
        raise CardInvalid(f"not supported here: {', '.join(unknown)}", unknown)
    if card.get("@type", "Card") != "Card":
        raise _fail("@type", "must be Card")
    kind = card.get("kind", "individual")
    if kind not in KINDS:
        raise _fail("kind", f"must be one of {', '.join(KINDS)}")


def vcard_from_card(card: dict[str, Any], *, previous: bytes | None = None) -> bytes:
    """The vCard of a JSContact Card, written over ``previous`` (the stored card) when editing.

    Raises:
        CardInvalid: a property this server cannot store, or of the wrong shape.
    """
    check_card(card)
    vc = parse_vcard(previous) if previous is not None else vobject.vCard()
    for name in MANAGED:
        vc.contents.pop(name, None)
    if previous is None:
        vc.contents.pop("uid", None)
        uid = card.get("uid")
        if uid is not None and (not isinstance(uid, str) or not uid.strip() or len(uid) > 1000):
            raise _fail("uid", "must be a non-empty string")
        _add(vc, "uid", uid or f"urn:uuid:{uuid.uuid4()}")
    kind = card.get("kind", "individual")
    if kind != "individual":
        _add(vc, "kind", kind)
    if kind == "group":
        _add(vc, "x-addressbookserver-kind", "group")

    name_value = card.get("name") or {}
    if not isinstance(name_value, dict):
        raise _fail("name", "must be an object")
    full = _string(name_value, "full", "name")
    parts: dict[str, list[str]] = {}
    components = name_value.get("components") or []
    if not isinstance(components, list) or len(components) > MAX_ENTRIES:
        raise _fail("name", "components must be a list")
    for comp in components:
        if not isinstance(comp, dict):
            raise _fail("name", "each component is an object")
        parts.setdefault(str(comp.get("kind")), []).append(_string(comp, "value", "name"))
    by_kind = dict(NAME_PARTS + NAME_PARTS_AFTER)
    n = vobject.vcard.Name(**{attr: " ".join(parts.get(kind, [])) for attr, kind in by_kind.items()})

    emails = []
    for entry in _map(card, "emails").values():
        address = _string(entry, "address", "emails", required=True)
        if "@" not in address or any(ch in address for ch in "\r\n<>\"' "):
            raise _fail("emails", f"{address!r} is not an e-mail address")
        emails.append(address)
        _add(
            vc,
            "email",
            address,
            ["INTERNET", *_type_params(_flags(entry, "contexts", "emails"), [])],
            entry.get("pref"),
        )
    for entry in _map(card, "phones").values():
        number = _string(entry, "number", "phones", required=True)
        back = {v: k for k, v in PHONE_FEATURES.items()}
        features = [back[f] for f in _flags(entry, "features", "phones") if f in back]
        _add(
            vc, "tel", number, _type_params(_flags(entry, "contexts", "phones"), features), entry.get("pref")
        )
    for entry in _map(card, "addresses").values():
        comps = entry.get("components") or []
        if not isinstance(comps, list):
            raise _fail("addresses", "components must be a list")
        fields: dict[str, list[str]] = {}
        kinds = {kind: attr for attr, kind in ADR_PARTS}
        for comp in comps:
            if not isinstance(comp, dict):
                raise _fail("addresses", "each component is an object")
            attr = kinds.get(str(comp.get("kind")), "street")
            fields.setdefault(attr, []).append(_string(comp, "value", "addresses"))
        if fields:
            value = vobject.vcard.Address(**{attr: " ".join(v) for attr, v in fields.items()})
            _add(vc, "adr", value, _type_params(_flags(entry, "contexts", "addresses"), []))
    organisations = []
    for entry in _map(card, "organizations").values():
        units = entry.get("units") or []
        if not isinstance(units, list) or not all(isinstance(u, dict) for u in units):
            raise _fail("organizations", "units must be a list of objects")
        org = [_string(entry, "name", "organizations")] + [_string(u, "name", "organizations") for u in units]
        if any(org):
            organisations.append(org[0])
            _add(vc, "org", org)
    for entry in _map(card, "titles").values():
        title = _string(entry, "name", "titles", required=True)
        _add(vc, "role" if entry.get("kind") == "role" else "title", title)
    for entry in _map(card, "nicknames").values():
        _add(vc, "nickname", _string(entry, "name", "nicknames", required=True))
    for entry in _map(card, "notes").values():
        note = _string(entry, "note", "notes")
        if note.strip():
            _add(vc, "note", note)
    keywords = card.get("keywords")
    if keywords:
        if not isinstance(keywords, dict) or not all(v is True for v in keywords.values()):
            raise _fail("keywords", "must map words to true")
        _add(vc, "categories", [str(k) for k in keywords])
    for entry in _map(card, "anniversaries").values():
        when = entry.get("date")
        if entry.get("kind") != "birth" or not isinstance(when, dict):
            continue
        try:
            year, month, day = (int(when[k]) for k in ("year", "month", "day"))
            _add(vc, "bday", datetime(year, month, day).strftime("%Y-%m-%d"))
        except (KeyError, TypeError, ValueError):
            raise _fail("anniversaries", "a birthday needs a valid year, month and day") from None
    members = card.get("members")
    if members:
        if kind != "group":
            raise _fail("members", "only a group has members")
        if not isinstance(members, dict) or not all(v is True for v in members.values()):
            raise _fail("members", "must map member UIDs to true")
        if len(members) > MAX_MEMBERS:
            raise _fail("members", f"at most {MAX_MEMBERS} members")
        for member in members:
            value = str(member) if ":" in str(member) else f"mailto:{member}"
            _add(vc, "member", value)
            _add(vc, "x-addressbookserver-member", value)

    given = " ".join(parts.get("given", []))
    family = " ".join(parts.get("surname", []))
    shown = full or " ".join(p for p in (given, family) if p) or (organisations[0] if organisations else "")
    shown = shown or (emails[0] if emails else "")
    if not shown:
        raise CardInvalid("a card needs a name, an organization or an e-mail address", ["name"])
    _add(vc, "fn", shown)
    _add(vc, "n", n)
    _add(vc, "rev", datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return str(vc.serialize()).encode("utf-8")
