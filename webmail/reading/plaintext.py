"""A text/plain body as HTML: every character escaped, web and mail addresses made into safe links.

Why here and not in a template: the links must be found in the *unescaped* text (``&amp;`` inside a URL
is an escaping artefact) and each piece escaped on its own, so no text of the message can ever become
markup. Only ``http://``, ``https://``, ``www.`` and ``mailto:`` are linked; a trailing ``.``, ``,``,
``)`` and the like stays outside the link, as a reader expects. Links open in a new browsing context with
``rel="noopener noreferrer"`` (no opener, no Referer carrying the message URL).

Quoted lines (``>`` at the start, RFC 3676 4.5) are wrapped in ``<blockquote>`` per level, so replies
read as in any mail client. Limits: ``MAX_TEXT_CHARS`` of text are rendered (the rest is cut and the
caller told), URLs are at most ``MAX_URL_CHARS`` long.
"""

from __future__ import annotations

import re
from html import escape

MAX_TEXT_CHARS = 1_000_000
MAX_URL_CHARS = 2048

_LINK = re.compile(
    rf"(?P<url>(?:https?://|www\.)[^\s<>\"'`]{{1,{MAX_URL_CHARS}}})|(?P<mail>mailto:[^\s<>\"'`]{{1,320}})",
    re.I,
)
_TRAILING = ".,;:!?)]}'\""
_QUOTE = re.compile(r"^((?:> ?)+)")


def _link(match: re.Match[str]) -> tuple[str, str]:
    """(HTML of the link, text left after it)."""
    text = match.group()
    tail = ""
    while text and text[-1] in _TRAILING:
        if text[-1] == ")" and text.count("(") >= text.count(")"):
            break  # "(https://en.wikipedia.org/wiki/Foo_(bar))" keeps its own parenthesis
        tail = text[-1] + tail
        text = text[:-1]
    href = text if not text.lower().startswith("www.") else "http://" + text
    link = f'<a href="{escape(href)}" target="_blank" rel="noopener noreferrer">{escape(text)}</a>'
    return link, tail


def linkify_line(line: str) -> str:
    """One line of text as escaped HTML with its links."""
    out: list[str] = []
    pos = 0
    for m in _LINK.finditer(line):
        out.append(escape(line[pos : m.start()]))
        link, tail = _link(m)
        out.append(link + escape(tail))
        pos = m.end()
    out.append(escape(line[pos:]))
    return "".join(out)


def text_to_html(text: str) -> tuple[str, bool]:
    """(HTML of a plain-text body, whether it was cut at ``MAX_TEXT_CHARS``), to go inside a ``<div>``
    styled ``white-space: pre-wrap``."""
    truncated = len(text) > MAX_TEXT_CHARS
    out: list[str] = []
    depth = 0
    for line in text[:MAX_TEXT_CHARS].replace("\r\n", "\n").split("\n"):
        m = _QUOTE.match(line)
        level = m.group(1).count(">") if m else 0
        if m:
            line = line[m.end() :]
        while depth < level:
            out.append('<blockquote class="quoted">')
            depth += 1
        while depth > level:
            out.append("</blockquote>")
            depth -= 1
        out.append(linkify_line(line) + "\n")
    out.append("</blockquote>" * depth)
    return "".join(out), truncated
