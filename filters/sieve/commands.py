"""The Sieve command and test registry: what each name takes and which extension it needs.

One table, ``COMMANDS`` and ``TESTS``: per name, the extension that must be required, its tagged
arguments (what value each takes, which extension it needs, its exclusive group), its positional
argument types, whether it takes a test or test list, and whether it takes a block. The validator
checks scripts against it; the interpreter dispatches on the same names. Adding an extension is adding
rows here plus its handler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from filters.sieve import dates

STRING: Final = "string"
STRING_LIST: Final = "string-list"
NUMBER: Final = "number"


@dataclass(frozen=True)
class TagSpec:
    takes: str | None = None  # None: a flag; else the type of the value following the tag
    extension: str | None = None  # the extension to require (None: core)
    group: str | None = None  # at most one tag per group


@dataclass(frozen=True)
class Spec:
    extensions: frozenset[str] = frozenset()  # any of these required (empty: core)
    tags: dict[str, TagSpec] = field(default_factory=dict)
    positional: tuple[str, ...] = ()
    optional_leading: int = 0  # how many leading positionals may be left out
    tests: str = "none"  # "none" | "one" | "list"
    block: bool = False
    required_groups: frozenset[str] = frozenset()


def _tags(*groups: dict[str, TagSpec]) -> dict[str, TagSpec]:
    merged: dict[str, TagSpec] = {}
    for group in groups:
        merged.update(group)
    return merged


COMPARATOR: Final = {"comparator": TagSpec(STRING, group="comparator")}
MATCH_TYPE: Final = {
    "is": TagSpec(group="match-type"),
    "contains": TagSpec(group="match-type"),
    "matches": TagSpec(group="match-type"),
    "regex": TagSpec(extension="regex", group="match-type"),
    "value": TagSpec(STRING, extension="relational", group="match-type"),
    "count": TagSpec(STRING, extension="relational", group="match-type"),
}
ADDRESS_PART: Final = {
    "all": TagSpec(group="address-part"),
    "localpart": TagSpec(group="address-part"),
    "domain": TagSpec(group="address-part"),
    "user": TagSpec(extension="subaddress", group="address-part"),
    "detail": TagSpec(extension="subaddress", group="address-part"),
}
BODY_TRANSFORM: Final = {
    "raw": TagSpec(group="transform"),
    "text": TagSpec(group="transform"),
    "content": TagSpec(STRING_LIST, group="transform"),
}
ZONE: Final = {"zone": TagSpec(STRING, group="zone")}
ORIGINAL_ZONE: Final = {"originalzone": TagSpec(group="zone")}
FLAGS: Final = {"flags": TagSpec(STRING_LIST, extension="imap4flags")}
COPY: Final = {"copy": TagSpec(extension="copy")}
MODIFIERS: Final = {
    name: TagSpec(group=f"modifier-{precedence}")
    for name, precedence in (
        ("lower", 40),
        ("upper", 40),
        ("lowerfirst", 30),
        ("upperfirst", 30),
        ("quotewildcard", 20),
        ("length", 10),
    )
}
MATCH: Final = _tags(COMPARATOR, MATCH_TYPE)

#: Commands (RFC 5228 3-4 and the extensions). ``if``/``elsif``/``else``/``require`` are control commands.
COMMANDS: Final[dict[str, Spec]] = {
    # RFC 5228 3
    "require": Spec(positional=(STRING_LIST,)),
    "if": Spec(tests="one", block=True),
    "elsif": Spec(tests="one", block=True),
    "else": Spec(block=True),
    "stop": Spec(),
    # RFC 5228 4
    "keep": Spec(tags=FLAGS),
    "discard": Spec(),
    "redirect": Spec(tags=COPY, positional=(STRING,)),
    "fileinto": Spec(
        frozenset({"fileinto"}),
        tags=_tags(COPY, FLAGS, {"create": TagSpec(extension="mailbox")}),
        positional=(STRING,),
    ),
    # RFC 5429
    "reject": Spec(frozenset({"reject"}), positional=(STRING,)),
    "ereject": Spec(frozenset({"ereject"}), positional=(STRING,)),
    # RFC 5230
    "vacation": Spec(
        frozenset({"vacation"}),
        tags={
            "days": TagSpec(NUMBER),
            "subject": TagSpec(STRING),
            "from": TagSpec(STRING),
            "addresses": TagSpec(STRING_LIST),
            "mime": TagSpec(),
            "handle": TagSpec(STRING),
        },
        positional=(STRING,),
    ),
    # RFC 5232
    "setflag": Spec(frozenset({"imap4flags"}), positional=(STRING, STRING_LIST), optional_leading=1),
    "addflag": Spec(frozenset({"imap4flags"}), positional=(STRING, STRING_LIST), optional_leading=1),
    "removeflag": Spec(frozenset({"imap4flags"}), positional=(STRING, STRING_LIST), optional_leading=1),
    # RFC 5229
    "set": Spec(frozenset({"variables"}), tags=MODIFIERS, positional=(STRING, STRING)),
}

#: Tests (RFC 5228 5 and the extensions).
TESTS: Final[dict[str, Spec]] = {
    "address": Spec(tags=_tags(MATCH, ADDRESS_PART), positional=(STRING_LIST, STRING_LIST)),
    "allof": Spec(tests="list"),
    "anyof": Spec(tests="list"),
    "envelope": Spec(
        frozenset({"envelope"}), tags=_tags(MATCH, ADDRESS_PART), positional=(STRING_LIST, STRING_LIST)
    ),
    "exists": Spec(positional=(STRING_LIST,)),
    "false": Spec(),
    "header": Spec(tags=MATCH, positional=(STRING_LIST, STRING_LIST)),
    "not": Spec(tests="one"),
    "size": Spec(
        tags={"over": TagSpec(group="size"), "under": TagSpec(group="size")},
        positional=(NUMBER,),
        required_groups=frozenset({"size"}),
    ),
    "true": Spec(),
    # RFC 5229
    "string": Spec(frozenset({"variables"}), tags=MATCH, positional=(STRING_LIST, STRING_LIST)),
    # RFC 5173
    "body": Spec(frozenset({"body"}), tags=_tags(MATCH, BODY_TRANSFORM), positional=(STRING_LIST,)),
    # RFC 5260
    "date": Spec(
        frozenset({"date"}), tags=_tags(MATCH, ZONE, ORIGINAL_ZONE), positional=(STRING, STRING, STRING_LIST)
    ),
    "currentdate": Spec(frozenset({"date"}), tags=_tags(MATCH, ZONE), positional=(STRING, STRING_LIST)),
    # RFC 5490
    "mailboxexists": Spec(frozenset({"mailbox"}), positional=(STRING_LIST,)),
    # RFC 5232
    "hasflag": Spec(
        frozenset({"imap4flags"}), tags=MATCH, positional=(STRING_LIST, STRING_LIST), optional_leading=1
    ),
    # RFC 5235
    "spamtest": Spec(
        frozenset({"spamtest", "spamtestplus"}),
        tags=_tags(MATCH, {"percent": TagSpec(extension="spamtestplus")}),
        positional=(STRING,),
    ),
    "virustest": Spec(frozenset({"virustest"}), tags=MATCH, positional=(STRING,)),
}

#: Every extension this engine implements (``require`` of anything else is a validation error).
EXTENSIONS: Final = frozenset(
    {
        "fileinto",
        "reject",
        "ereject",
        "envelope",
        "copy",
        "relational",
        "subaddress",
        "spamtest",
        "spamtestplus",
        "virustest",
        "vacation",
        "imap4flags",
        "body",
        "variables",
        "date",
        "mailbox",
        "regex",
        "comparator-i;octet",
        "comparator-i;ascii-casemap",
        "comparator-i;ascii-numeric",
    }
)

#: Comparators usable without requiring "comparator-<name>" (RFC 5228 2.7.3).
BUILTIN_COMPARATORS: Final = frozenset({"i;octet", "i;ascii-casemap"})
COMPARATORS: Final = frozenset({"i;octet", "i;ascii-casemap", "i;ascii-numeric"})
RELATIONS: Final = frozenset({"gt", "ge", "lt", "le", "eq", "ne"})
#: Date-part names of the "date" and "currentdate" tests (RFC 5260 4.2), as filters.sieve.dates reads them.
DATE_PARTS: Final = frozenset(dates.DATE_PARTS)
#: Extensions that imply others when required (RFC 5235 3.1: spamtestplus includes spamtest).
IMPLIES: Final = {"spamtestplus": frozenset({"spamtest"})}
