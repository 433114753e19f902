"""The Standard contact form's fields through the JSContact conversion (webmail/jmap/contacts/jscontact.py)
and back: every e-mail and phone type the Standard form offers, the birthday, categories and job title,
written as the Ajax form writes them (its TYPE_FLAGS, skins/base/static/ajax/contacts.js, copied below),
read by the Standard form's own reader, and the other way round. A type that does not survive would show
differently in the two interfaces."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from webmail import contact_vcard
from webmail.jmap.contacts.jscontact import card_from_vcard, vcard_from_card

# contacts.js TYPE_FLAGS: a Standard type as the Ajax form writes it
EMAIL_FLAGS: dict[str, dict[str, Any]] = {
    "home": {"contexts": {"private": True}},
    "work": {"contexts": {"work": True}},
    "other": {},
}
PHONE_FLAGS: dict[str, dict[str, Any]] = {
    "cell": {"features": {"mobile": True}},
    "home": {"contexts": {"private": True}},
    "work": {"contexts": {"work": True}},
    "fax": {"features": {"fax": True}},
    "other": {"features": {"voice": True}},
}


def email_type(entry: dict[str, Any]) -> str:
    """contacts.js emailType."""
    contexts = entry.get("contexts") or {}
    return "work" if contexts.get("work") else "home" if contexts.get("private") else "other"


def phone_type(entry: dict[str, Any]) -> str:
    """contacts.js phoneType."""
    features, contexts = entry.get("features") or {}, entry.get("contexts") or {}
    if features.get("mobile"):
        return "cell"
    if features.get("fax"):
        return "fax"
    return "work" if contexts.get("work") else "home" if contexts.get("private") else "other"


def test_every_standard_type_is_the_same_on_both_sides() -> None:
    assert set(EMAIL_FLAGS) == set(contact_vcard.EMAIL_TYPES)
    assert set(PHONE_FLAGS) == set(contact_vcard.PHONE_TYPES)


@pytest.mark.parametrize("kind", contact_vcard.EMAIL_TYPES)
def test_email_type_from_ajax_to_standard_and_back(kind: str) -> None:
    card = {"name": {"full": "Ada"}, "emails": {"e1": {"address": "ada@example.test", **EMAIL_FLAGS[kind]}}}
    standard = contact_vcard.contact_from_vcard(vcard_from_card(card))
    assert standard.emails == ((kind, "ada@example.test"),)
    written = contact_vcard.contact_to_vcard(standard)
    assert email_type(card_from_vcard(written, "u")["emails"]["e1"]) == kind


@pytest.mark.parametrize("kind", contact_vcard.PHONE_TYPES)
def test_phone_type_from_ajax_to_standard_and_back(kind: str) -> None:
    card = {"name": {"full": "Ada"}, "phones": {"p1": {"number": "+1 555 0100", **PHONE_FLAGS[kind]}}}
    standard = contact_vcard.contact_from_vcard(vcard_from_card(card))
    assert standard.phones == ((kind, "+1 555 0100"),)
    written = contact_vcard.contact_to_vcard(standard)
    assert phone_type(card_from_vcard(written, "u")["phones"]["p1"]) == kind


def test_birthday_categories_and_title_both_ways() -> None:
    card = {
        "name": {"full": "Grace Hopper"},
        "titles": {"t1": {"name": "Rear Admiral", "kind": "title"}},
        "anniversaries": {
            "b1": {"kind": "birth", "date": {"@type": "PartialDate", "year": 1906, "month": 12, "day": 9}}
        },
        "keywords": {"Navy": True, "COBOL": True},
    }
    standard = contact_vcard.contact_from_vcard(vcard_from_card(card))
    assert (standard.title, standard.birthday, standard.categories) == (
        "Rear Admiral",
        date(1906, 12, 9),
        ("Navy", "COBOL"),
    )
    back = card_from_vcard(contact_vcard.contact_to_vcard(standard), "u")
    assert back["titles"] == {"t1": {"name": "Rear Admiral", "kind": "title"}}
    assert back["anniversaries"]["b1"]["date"] == {
        "@type": "PartialDate",
        "year": 1906,
        "month": 12,
        "day": 9,
    }
    assert back["keywords"] == {"Navy": True, "COBOL": True}
