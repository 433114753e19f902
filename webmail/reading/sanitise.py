"""HTML mail made safe to show: nh3 with an allow-list, plus our rules for URLs, images and styles.

What survives (everything else is removed; the text inside a removed tag stays, as text):

- the tags of ``ALLOWED_TAGS`` (text formatting, lists, tables, links, images) with the attributes of
  ``ALLOWED_ATTRIBUTES``; never an event handler (``on*``), ``id``, ``class`` (kept only inside the body
  frame, with the message's cleaned stylesheet), ``target`` from the message, ``srcset``, ``background`` or ``formaction``;
- ``<script>``, ``<style>``, ``<title>``, ``<template>`` are removed *with* their content; ``<base>``,
  ``<meta>`` (refresh), ``<link>``, ``<iframe>``, ``<frame>``, ``<object>``, ``<embed>``, ``<applet>``,
  forms and their controls, SVG and MathML elements are not on the list, so they go;
- links: ``http:``, ``https:`` and ``mailto:`` only, each with ``target="_blank"`` and
  ``rel="noopener noreferrer"``;
- images: ``cid:`` becomes the app's URL of that part (``CidResolver``), an unknown cid is dropped;
  ``data:`` only for raster images (``DATA_IMAGE``; never SVG, which can carry script when opened on its
  own); remote ``http(s):`` images are replaced by ``BLOCKED_IMAGE`` (a transparent pixel, ``alt``
  kept) and counted, unless the caller allowed remote images for this message;
- relative URLs from the message are dropped (they would reach our own origin with the user's cookies);
- ``style`` attributes go through :func:`webmail.reading.css.clean_style`.

URL checks see the attribute value after HTML entity decoding (nh3 hands us the parsed value) and after
removing ASCII whitespace and control characters, which is how browsers read a scheme, so ``jav&#x09;
ascript:`` and ``&#106;avascript:`` are caught. The result is shown in a sandboxed iframe under a CSP that
allows no script at all (webmail/reading/policy.py): the sanitiser and the CSP each stop the corpus alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3

from webmail.reading.css import clean_style

#: Decoded HTML longer than this is cut before sanitising (the rest stays reachable as raw source).
MAX_HTML_CHARS = 2_000_000

ALLOWED_TAGS = frozenset(
    """
    a abbr address article aside b bdi bdo big blockquote br caption center cite code col colgroup dd del
    dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li main mark
    ol p pre q rp rt ruby s samp section small span strike strong sub summary sup table tbody td tfoot th
    thead time tr tt u ul var wbr
    """.split()  # noqa: SIM905  (a word list reads better than 70 quoted strings)
)
_TABLE_CELL = {"align", "valign", "bgcolor", "width", "height", "colspan", "rowspan", "nowrap"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "title", "dir", "lang", "align"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor", "height", "summary"},
    "td": _TABLE_CELL,
    "th": _TABLE_CELL,
    "tr": {"valign", "bgcolor", "height"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value", "type"},
    "blockquote": {"cite"},
    "hr": {"size", "width", "noshade", "color"},
    "div": {"bgcolor"},
    "time": {"datetime"},
}
_REMOVE_WITH_CONTENT = {"script", "style", "title", "template", "noembed", "noframes", "xmp", "plaintext"}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|webp);base64,[a-z0-9+/=]+", re.I)
BLOCKED_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.I)
_CONTENT_URL_ATTRIBUTES = {"cite"}  # kept only when http(s): a plain reference, never fetched

_VOID = re.compile(r"<(br|hr|img|col|wbr)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*/?>", re.I)

#: Maps a ``cid:`` reference (without the scheme) to the app's URL of the part, or None if unknown.
CidResolver = Callable[[str], str | None]


@dataclass(frozen=True)
class CleanHtml:
    """Sanitised HTML and what was held back from it."""

    html: str
    blocked_images: int
    truncated: bool


def scheme_of(url: str) -> str | None:
    """The scheme of ``url`` as a browser reads it (whitespace and controls ignored), lower case; None for
    a relative URL."""
    m = _SCHEME.match(_IGNORED_IN_URL.sub("", url))
    return m.group(1).lower() if m else None


def sanitise_html(
    html: str,
    *,
    cid_url: CidResolver | None = None,
    allow_remote_images: bool = False,
    keep_classes: bool = False,
) -> CleanHtml:
    """Sanitise one HTML part (see the module docstring for the rules).

    Args:
        html: the decoded text of a text/html part.
        cid_url: how ``cid:`` image references become URLs of the app; without it they are dropped.
        allow_remote_images: keep ``http(s):`` image sources (the user allowed them).
        keep_classes: keep ``class`` attributes, for the body frame whose document carries the message's
            cleaned stylesheet (webmail/reading/stylesheet.py); never in our own pages, where a message's
            class names could restyle the interface.
    """
    truncated = len(html) > MAX_HTML_CHARS
    blocked = 0

    def attribute(tag: str, name: str, value: str) -> str | None:
        nonlocal blocked
        if name == "style":
            return clean_style(value)
        if tag == "a" and name == "href":
            return value.strip() if scheme_of(value) in LINK_SCHEMES else None
        if tag == "img" and name == "src":
            scheme = scheme_of(value)
            compact = _IGNORED_IN_URL.sub("", value)
            if scheme == "cid":
                return cid_url(compact[4:]) if cid_url else None
            if scheme == "data":
                return compact if DATA_IMAGE.fullmatch(compact) else None
            if scheme in ("http", "https"):
                if allow_remote_images:
                    return value.strip()
                blocked += 1
                return BLOCKED_IMAGE
            return None
        if name in _CONTENT_URL_ATTRIBUTES:
            return value if scheme_of(value) in ("http", "https") else None
        return value

    cleaned = nh3.clean(
        html[:MAX_HTML_CHARS],
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_REMOVE_WITH_CONTENT),
        attributes={
            tag: set(names) | ({"class"} if keep_classes and tag == "*" else set())
            for tag, names in ALLOWED_ATTRIBUTES.items()
        },
        attribute_filter=attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        # Our filter has already dropped the message's own relative URLs; what is relative now is a
        # part URL we wrote, which nh3 must let through.
        url_schemes={"http", "https", "mailto", "data", "cid"},
        url_relative="pass_through",
    )
    return CleanHtml(cleaned, blocked, truncated)


def as_xhtml(fragment: str) -> str:
    """Sanitised HTML written as well-formed XML, for the Mobile pages (XHTML): the void elements the
    allow-list keeps are self-closed and ``&nbsp;`` (the only entity nh3 writes beyond XML's own) becomes
    ``&#160;``. Only for ``sanitise_html`` output, whose elements are already properly nested."""
    return _VOID.sub(r"<\1\2 />", fragment).replace("&nbsp;", "&#160;")
