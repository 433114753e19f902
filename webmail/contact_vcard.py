"""Contacts and contact groups as the forms show them, and as the vCards the organizer stores.

Cards are written as vCard 3.0 (RFC 2426; what ``vobject`` writes and every CardDAV client reads); a
card written by a client in 4.0 (RFC 6350) is read the same way. Editing writes over the previous card,
so what the form does not show (photos, a client's X- lines, IMPP...) survives.

A group (a distribution list) is a card with ``KIND:group`` and one ``MEMBER`` per member (RFC 6350
6.1.4, 6.6.5) and, for vCard 3.0 clients (Apple's), the same as ``X-ADDRESSBOOKSERVER-KIND`` and
``X-ADDRESSBOOKSERVER-MEMBER``. A member is ``mailto:address`` here; a client may also name another card
as ``urn:uuid:UID`` (resolved when the group is used as a recipient: webmail/recipient_groups.py).

Limits: ``MAX_VALUES`` e-mail addresses and as many phone numbers per card, ``MAX_MEMBERS`` members
per group.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import vobject
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from storage.errors import InvalidInput
from webmail import item_fields as f

MAX_VALUES = 10
MAX_MEMBERS = 500
EMAIL_TYPES = ("home", "work", "other")
PHONE_TYPES = ("cell", "home", "work", "fax", "other")
MANAGED = ("fn", "n", "email", "tel", "org", "title", "adr", "bday", "note", "categories", "rev")
GROUP_MANAGED = (
    "fn",
    "n",
    "note",
    "kind",
    "member",
    "x-addressbookserver-kind",
    "x-addressbookserver-member",
    "rev",
)


@dataclass(frozen=True)
class PostalAddress:
    street: str = ""
    city: str = ""
    region: str = ""
    code: str = ""
    country: str = ""

    def __bool__(self) -> bool:
        return any((self.street, self.city, self.region, self.code, self.country))


@dataclass(frozen=True)
class ContactFields:
    given: str = ""
    family: str = ""
    display: str = ""  # FN; made from the names (or the first address) when left empty
    emails: tuple[tuple[str, str], ...] = ()  # (type, address)
    phones: tuple[tuple[str, str], ...] = ()  # (type, number)
    organisation: str = ""
    title: str = ""
    address: PostalAddress = PostalAddress()
    birthday: date | None = None
    note: str = ""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupFields:
    name: str = ""
    members: tuple[str, ...] = ()  # addresses, or urn:uuid: references kept as they were
    note: str = ""


def _pairs(
    form: MultiDict[str, str], name: str, kinds: tuple[str, ...], errors: f.FieldErrors
) -> list[tuple[str, str]]:
    values, types = form.getlist(name), form.getlist(f"{name}_type")
    out: list[tuple[str, str]] = []
    for index, raw in enumerate(values):
        kind = types[index] if index < len(types) and types[index] in kinds else kinds[0]
        value = f.address(raw, name, errors) if name == "email" else f.line(raw, name, errors)
        if name == "tel" and value and not any(c.isdigit() for c in value):
            errors.add(name, str(_l("A phone number needs digits.")))
        if value:
            out.append((kind, value))
    if len(out) > MAX_VALUES:
        errors.add(name, str(_l("At most %(count)d values.", count=MAX_VALUES)))
    return out[:MAX_VALUES]


def read_contact(form: MultiDict[str, str]) -> tuple[ContactFields, f.FieldErrors]:
    """The contact the form describes (repeated ``email``/``email_type`` and ``tel``/``tel_type``)."""
    errors = f.FieldErrors()
    emails = _pairs(form, "email", EMAIL_TYPES, errors)
    contact = ContactFields(
        given=f.line(form.get("given"), "given", errors),
        family=f.line(form.get("family"), "family", errors),
        display=f.line(form.get("display"), "display", errors),
        emails=tuple(emails),
        phones=tuple(_pairs(form, "tel", PHONE_TYPES, errors)),
        organisation=f.line(form.get("organisation"), "organisation", errors),
        title=f.line(form.get("title"), "title", errors),
        address=PostalAddress(
            *(f.line(form.get(k), k, errors) for k in ("street", "city", "region", "code", "country"))
        ),
        birthday=f.day(form.get("birthday"), "birthday", errors),
        note=f.text_block(form.get("note"), "note", errors),
        categories=f.categories(form.get("categories"), "categories", errors),
    )
    if not (contact.given or contact.family or contact.display or contact.organisation or emails):
        errors.add("display", str(_l("Give at least a name, an organisation or an e-mail address.")))
    return contact, errors


def read_group(form: MultiDict[str, str]) -> tuple[GroupFields, f.FieldErrors]:
    """The group the form describes: a name and members, one address per line (or comma separated)."""
    errors = f.FieldErrors()
    members: dict[str, None] = {}
    for raw in form.get("members", "").replace(",", "\n").replace(";", "\n").split("\n"):
        text = raw.strip()
        if "<" in text and text.endswith(">"):  # "Name <address>" as the composer writes it
            text = text[text.rindex("<") + 1 : -1]
        if text.startswith("urn:uuid:"):
            members.setdefault(text, None)
        elif text:
            found = f.address(text, "members", errors)
            if found:
                members.setdefault(found.lower(), None)
    if len(members) > MAX_MEMBERS:
        errors.add("members", str(_l("At most %(count)d members.", count=MAX_MEMBERS)))
    group = GroupFields(
        name=f.line(form.get("name"), "name", errors, required=True),
        members=tuple(members)[:MAX_MEMBERS],
        note=f.text_block(form.get("note"), "note", errors),
    )
    return group, errors


def _parse(data: bytes) -> Any:
    try:
        return vobject.readOne(data.decode("utf-8", "replace"))
    except Exception as exc:  # vobject raises ParseError and assorted ValueErrors on bad input
        raise InvalidInput(f"the stored card cannot be read: {exc}") from None


def _new_card() -> Any:
    card = vobject.vCard()
    card.add("uid").value = f"{uuid.uuid4()}@fieldpost"
    return card


def _drop(card: Any, names: tuple[str, ...]) -> None:
    for name in names:
        card.contents.pop(name, None)


def _rev(card: Any) -> None:
    from datetime import UTC, datetime

    card.add("rev").value = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def display_name(contact: ContactFields) -> str:
    return (
        contact.display
        or " ".join(p for p in (contact.given, contact.family) if p)
        or contact.organisation
        or (contact.emails[0][1] if contact.emails else "")
    )


def contact_to_vcard(contact: ContactFields, *, previous: bytes | None = None) -> bytes:
    """The vCard of ``contact`` (over ``previous`` when editing)."""
    card = _parse(previous) if previous is not None else _new_card()
    _drop(card, MANAGED)
    card.add("fn").value = display_name(contact)
    card.add("n").value = vobject.vcard.Name(family=contact.family, given=contact.given)
    for kind, value in contact.emails:
        line = card.add("email")
        line.value = value
        line.type_paramlist = ["INTERNET", kind.upper()] if kind != "other" else ["INTERNET"]
    for kind, value in contact.phones:
        line = card.add("tel")
        line.value = value
        line.type_paramlist = [kind.upper()] if kind != "other" else ["VOICE"]
    if contact.organisation:
        card.add("org").value = [contact.organisation]
    if contact.title:
        card.add("title").value = contact.title
    if contact.address:
        a = contact.address
        card.add("adr").value = vobject.vcard.Address(
            street=a.street, city=a.city, region=a.region, code=a.code, country=a.country
        )
    if contact.birthday is not None:
        card.add("bday").value = contact.birthday.isoformat()
    if contact.note:
        card.add("note").value = contact.note
    if contact.categories:
        card.add("categories").value = list(contact.categories)
    _rev(card)
    return str(card.serialize()).encode("utf-8")


def group_to_vcard(group: GroupFields, *, previous: bytes | None = None) -> bytes:
    """The group card of ``group`` (over ``previous`` when editing): KIND/MEMBER and the X-ADDRESSBOOKSERVER
    spellings of both."""
    card = _parse(previous) if previous is not None else _new_card()
    _drop(card, GROUP_MANAGED)
    card.add("fn").value = group.name
    card.add("n").value = vobject.vcard.Name(family=group.name)
    card.add("kind").value = "group"
    card.add("x-addressbookserver-kind").value = "group"
    for member in group.members:
        value = member if member.startswith("urn:uuid:") else f"mailto:{member}"
        card.add("member").value = value
        card.add("x-addressbookserver-member").value = value
    if group.note:
        card.add("note").value = group.note
    _rev(card)
    return str(card.serialize()).encode("utf-8")


def _texts(card: Any, name: str) -> list[Any]:
    return list(card.contents.get(name, []))


def is_group(data: bytes) -> bool:
    card = _parse(data)
    kinds = _texts(card, "kind") + _texts(card, "x-addressbookserver-kind")
    return any(str(k.value).strip().lower() == "group" for k in kinds)


def _first_type(line: Any, kinds: tuple[str, ...]) -> str:
    types = [str(t).lower() for t in line.params.get("TYPE", [])]
    return next((t for t in types if t in kinds), "other")


def contact_from_vcard(data: bytes) -> ContactFields:
    """The form's view of a stored card.

    Raises:
        InvalidInput: the bytes are not a vCard."""
    card = _parse(data)
    name = _texts(card, "n")
    n = name[0].value if name else None
    adr = _texts(card, "adr")
    a = adr[0].value if adr else None
    org = _texts(card, "org")
    bday = _texts(card, "bday")
    birthday = None
    if bday:
        text = str(bday[0].value).strip()
        if len(text) == 8 and text.isdigit():
            text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
        try:
            birthday = date.fromisoformat(text[:10])
        except ValueError:
            birthday = None
    cats: list[str] = []
    for line in _texts(card, "categories"):
        cats += [str(c) for c in (line.value if isinstance(line.value, list) else [line.value])]

    def one(name: str) -> str:
        found = _texts(card, name)
        return str(found[0].value) if found else ""

    org_value = org[0].value if org else ""
    return ContactFields(
        given=str(n.given) if n is not None else "",
        family=str(n.family) if n is not None else "",
        display=one("fn"),
        emails=tuple((_first_type(e, EMAIL_TYPES), str(e.value)) for e in _texts(card, "email")),
        phones=tuple((_first_type(t, PHONE_TYPES), str(t.value)) for t in _texts(card, "tel")),
        organisation=";".join(org_value) if isinstance(org_value, list) else str(org_value),
        title=one("title"),
        address=PostalAddress(str(a.street), str(a.city), str(a.region), str(a.code), str(a.country))
        if a is not None
        else PostalAddress(),
        birthday=birthday,
        note=one("note"),
        categories=tuple(cats),
    )


def group_from_vcard(data: bytes) -> GroupFields:
    """The form's view of a stored group card (members from MEMBER and X-ADDRESSBOOKSERVER-MEMBER)."""
    card = _parse(data)
    members: dict[str, None] = {}
    for line in _texts(card, "member") + _texts(card, "x-addressbookserver-member"):
        value = str(line.value).strip()
        value = value[7:] if value.lower().startswith("mailto:") else value
        if value:
            members.setdefault(value, None)
    fn = _texts(card, "fn")
    note = _texts(card, "note")
    return GroupFields(
        name=str(fn[0].value) if fn else "",
        members=tuple(members),
        note=str(note[0].value) if note else "",
    )
