"""The HTML body of a message written in WebMail: sanitised before it leaves, and its plain-text version.

Why here and not in the web layer: whatever builds a message (the Standard and Mobile pages, later the
Ajax client over JMAP) must send the same safe HTML, so the rule lives with the message builder
(mailflow.compose). The editor produces a small vocabulary (bold, italic, underline, strike, font face,
size and colour, lists, links, paragraphs, quotes); everything else is dropped by nh3: scripts, event
handlers, styles other than a few text properties, ``javascript:`` and ``data:`` URLs, forms, frames.

The plain-text version is what RFC 2046 5.1.4 multipart/alternative puts first: readers that show no
HTML (and filters, and the snippet of the list view) get the same words, with list items, quotes and
link targets kept readable.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

#: The tags the editor makes, plus what a quoted reply carries.
TAGS = frozenset(
    {"a", "b", "blockquote", "br", "div", "em", "font", "i", "li", "ol", "p", "pre", "s", "span"}
    | {"strike", "strong", "u", "ul", "hr", "h1", "h2", "h3", "sub", "sup", "code", "table", "tr", "td"}
    | {"th", "tbody", "thead"}
)
ATTRIBUTES = {
    "a": {"href", "title"},
    "font": {"face", "size", "color"},
    "span": {"style"},
    "div": {"style"},
    "p": {"style"},
    "blockquote": {"type", "cite"},
}
STYLE_PROPERTIES = frozenset(
    {"color", "background-color", "font-family", "font-size", "font-weight", "font-style", "text-decoration"}
    | {"text-align"}
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise(html: str) -> str:
    """``html`` with only the editor's vocabulary left (see the module docstring); links get
    ``rel="noopener noreferrer"``."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        filter_style_properties=set(STYLE_PROPERTIES),
        clean_content_tags={"script", "style"},
    )


_BLOCKS = frozenset({"p", "div", "blockquote", "ul", "ol", "pre", "table", "tr", "h1", "h2", "h3", "hr"})
_SKIPPED = frozenset({"script", "style", "head", "title"})


class _TextWriter(HTMLParser):
    """Collects the text of an HTML document, one line per block (see ``to_text``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote = 0  # blockquote depth: each level prefixes "> "
        self.lists: list[list[int]] = []  # per open list: [next number] (ordered) or [] (bullets)
        self.skipping = 0
        self.href: list[str | None] = []
        self.pre = 0

    def _new_line(self) -> None:
        if self.lines[-1].strip(" >"):
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.lines.append("")
        elif tag in ("ul", "ol"):
            self._new_line()
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            self._new_line()
            marker = "- "
            if self.lists and self.lists[-1]:
                marker = f"{self.lists[-1][0]}. "
                self.lists[-1][0] += 1
            self.lines[-1] += "  " * max(len(self.lists) - 1, 0) + marker
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
        elif tag in _BLOCKS:
            self._new_line()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "hr":
                self.lines[-1] = "-" * 20
                self.lines.append("")
        if self.lines[-1] == "" and self.quote:
            self.lines[-1] = "> " * self.quote

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._new_line()
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http:", "https:")) and href not in self.lines[-1]:
                self.lines[-1] += f" <{href}>"
        elif tag in _BLOCKS:
            if tag == "blockquote":
                self.quote = max(self.quote - 1, 0)
            elif tag == "pre":
                self.pre = max(self.pre - 1, 0)
            self._new_line()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.lines[-1] += first
            self.lines += ["> " * self.quote + line for line in rest]
            return
        text = re.sub(r"\s+", " ", data)
        if not self.lines[-1].strip(" >"):
            text = text.lstrip()
        self.lines[-1] += text


def to_text(html: str) -> str:
    """A readable plain-text rendering of ``html``: blocks and ``<br>`` become line ends, list items
    get "- " or "1. ", quotes get "> ", link targets follow their text in angle brackets; runs of empty
    lines shrink to one. Ends with a line end unless empty."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    lines = [line.rstrip() for line in writer.lines]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""
