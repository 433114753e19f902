"""Inline ``style`` attributes of HTML mail, reduced to declarations that can only change looks.

Why our own filter: nh3 (ammonia) can keep a list of property *names*, but it passes every value through,
so ``background: url(https://tracker.example/p.gif)`` or an old IE ``width: expression(alert(1))`` would
survive. Here each declaration is kept only when its property is on the allow-list and its value holds
nothing that can fetch, run or escape:

- no ``url(``, ``image-set(``, ``image(``, ``expression``, ``javascript:``, ``vbscript:``, ``behavior``,
  ``-moz-binding``, ``@import`` anywhere in the value (checked case-insensitively after removing
  whitespace, so ``u r l (`` does not slip through);
- no backslash at all (CSS escapes such as ``\\75 rl(`` spell ``url(``), no comments, no ``<``, ``>``,
  quotes around anything but font names, no ``{``/``}``/``;`` smuggled inside a value;
- ``position`` is dropped entirely (``fixed`` lets a message draw over the reader's own buttons).

Limits: at most ``MAX_DECLARATIONS`` declarations and ``MAX_STYLE_CHARS`` characters per attribute;
longer styles are cut, not rejected. The message's ``<style>`` blocks are rebuilt with the same
declaration check by webmail/reading/stylesheet.py, for the body frame only (docs/webmail-reading.md).
"""

from __future__ import annotations

import re

MAX_STYLE_CHARS = 4000
MAX_DECLARATIONS = 60

#: Properties that change appearance only (colours, fonts, text, box model, tables, lists).
ALLOWED_PROPERTIES = frozenset(
    """
    color background-color background font font-family font-size font-style font-weight font-variant
    text-align text-decoration text-indent text-transform letter-spacing word-spacing line-height
    white-space word-break word-wrap overflow-wrap direction unicode-bidi vertical-align
    width height min-width max-width min-height max-height
    margin margin-top margin-right margin-bottom margin-left
    padding padding-top padding-right padding-bottom padding-left
    border border-top border-right border-bottom border-left border-color border-style border-width
    border-top-color border-right-color border-bottom-color border-left-color
    border-top-style border-right-style border-bottom-style border-left-style
    border-top-width border-right-width border-bottom-width border-left-width
    border-radius border-collapse border-spacing caption-side empty-cells table-layout
    list-style list-style-type list-style-position display float clear overflow text-overflow
    """.split()  # noqa: SIM905  (a word list reads better than 70 quoted strings)
)

_FORBIDDEN_IN_VALUE = re.compile(
    r"url\(|image-set\(|image\(|cross-fade\(|element\(|expression|javascript:|vbscript:|"
    r"behavior|binding|@import|attr\(|var\(|env\(",
    re.I,
)
_BAD_CHARS = re.compile(r"[\\<>{}@\x00-\x08\x0b\x0e-\x1f\x7f]|/\*")
_PROPERTY = re.compile(r"[a-z-]{1,40}")
_VALUE = re.compile(r"[^;\"']*(?:(?:\"[^\"]*\"|'[^']*')[^;\"']*)*")


def clean_style(style: str) -> str | None:
    """The kept declarations of a ``style`` attribute value, re-serialised; None when nothing is kept."""
    kept: list[str] = []
    for declaration in style[:MAX_STYLE_CHARS].split(";"):
        if len(kept) >= MAX_DECLARATIONS:
            break
        name, colon, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not colon or not value or name not in ALLOWED_PROPERTIES or not _PROPERTY.fullmatch(name):
            continue
        if _BAD_CHARS.search(value) or not _VALUE.fullmatch(value):
            continue
        if _FORBIDDEN_IN_VALUE.search("".join(value.split())):
            continue
        kept.append(f"{name}: {value}")
    return "; ".join(kept) or None
