"""The message's own stylesheet, as the body frame carries it: looks kept, anything that fetches, runs or
escapes the <style> element gone; and every corpus message rendered for the frame keeps no active CSS."""

from __future__ import annotations

import re

import pytest

from tests.webmail.reading.xss_corpus import EVIL, HTML_PAYLOADS
from webmail.reading import body_document, sanitise_html
from webmail.reading.stylesheet import clean_stylesheet, style_blocks

NEWSLETTER = """<html><head><style type="text/css">
/* layout */
body { margin: 0; background-color: #eee }
.card, td.inner > p { color: #333; padding: 8px 12px; position: fixed; }
#top a:hover { text-decoration: underline }
@media only screen and (max-width: 600px) { .card { width: 100% !important } }
@import url(http://evil.test/x.css);
@font-face { font-family: x; src: url(http://evil.test/f.woff) }
.bg { background: url(http://evil.test/bg.png) }
.x { width: expression(alert(1)); color: red }
.esc { b\\61ckground: red }
</style></head><body><div class="card">hi</div></body></html>"""


def test_a_newsletter_keeps_its_looks_and_nothing_else() -> None:
    sheet = clean_stylesheet(style_blocks(NEWSLETTER))
    assert sheet.splitlines() == [
        "body { margin: 0; background-color: #eee }",
        ".card, td.inner > p { color: #333; padding: 8px 12px }",
        "#top a:hover { text-decoration: underline }",
        "@media only screen and (max-width: 600px) {",
        ".card { width: 100% !important }",
        "}",
        ".x { color: red }",
    ]
    clean = sanitise_html(NEWSLETTER, keep_classes=True)
    assert clean.html == '<div class="card">hi</div>'
    assert sanitise_html(NEWSLETTER).html == "<div>hi</div>"  # our own pages never get the message's classes


@pytest.mark.parametrize(
    "css",
    [
        "p{color:red}</style><script>alert(1)</script>",
        "p{color:red<}",
        "p { color: red } @import 'http://evil.test/a.css';",
        "p { background-image: image-set('http://evil.test/a.png' 1x) }",
        "p { behavior: url(x.htc) } q { -moz-binding: url(x.xml) }",
        "@font-face { font-family: a; src: url(http://evil.test/f) } p { font-family: a }",
        "p[x='}</style><img src=x onerror=alert(1)>'] { color: red }",
        "@media screen { p { background: url(http://evil.test/m.png) } }",
        "p { color: red",
    ],
)
def test_hostile_css_cannot_fetch_run_or_escape(css: str) -> None:
    sheet = clean_stylesheet(css)
    assert not re.search(r"url|import|expression|behavior|binding|image-set|<|\\\\", sheet, re.I), sheet
    document = body_document("<p>x</p>", stylesheet=sheet)
    assert document.count("<style>") == 1 and document.count("</style>") == 1
    assert "<script" not in document and "<img" not in document


@pytest.mark.parametrize("name", sorted(HTML_PAYLOADS))
def test_corpus_in_the_frame_keeps_no_active_css(name: str) -> None:
    html = f"<html><body>{HTML_PAYLOADS[name]}</body></html>"
    sheet = clean_stylesheet(style_blocks(html))
    assert EVIL not in sheet and "url(" not in sheet.lower()
    assert EVIL not in sanitise_html(html, keep_classes=True).html
