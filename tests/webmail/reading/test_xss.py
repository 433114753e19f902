"""Every message of the XSS corpus, delivered and read through the user's facade, yields markup with no
active content: checked structurally (every tag, attribute and URL of the output against what the reader
allows), not by looking for known strings."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from storage.store import Store
from tests.storage.conftest import Demo
from tests.webmail.reading.xss_corpus import EVIL, HTML_PAYLOADS, Case, corpus
from webmail.reading import ReadOptions, build_view, open_message, sanitise_html
from webmail.reading.sanitise import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, BLOCKED_IMAGE, DATA_IMAGE

LINK_SCHEMES = ("http:", "https:", "mailto:")
_STYLE_FORBIDDEN = re.compile(r"url|expression|javascript|behavior|binding|import|\\", re.I)


class _Inspector(HTMLParser):
    """Fails on anything outside the reader's allow-list; collects image sources."""

    def __init__(self, *, remote_images: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.remote_images = remote_images
        self.problems: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed_tags = ALLOWED_TAGS | {"blockquote"}
        if tag not in allowed_tags:
            self.problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        if tag == "a":
            allowed = allowed | {"target", "rel"}
        if tag == "blockquote":
            allowed = allowed | {"class"}
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href" and not value.lower().startswith(LINK_SCHEMES):
                self.problems.append(f"href {value!r}")
            if name == "src":
                self._image(value)
            if name == "cite" and not value.lower().startswith(("http:", "https:")):
                self.problems.append(f"cite {value!r}")
            if name == "style" and _STYLE_FORBIDDEN.search(value):
                self.problems.append(f"style {value!r}")
            if name == "target" and value != "_blank":
                self.problems.append(f"target {value!r}")
            if name == "rel" and value != "noopener noreferrer":
                self.problems.append(f"rel {value!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def _image(self, src: str) -> None:
        self.images.append(src)
        if src == BLOCKED_IMAGE or DATA_IMAGE.fullmatch(src):
            return
        if self.remote_images and src.startswith(("http:", "https:")):
            return
        self.problems.append(f"img src {src!r}")


def inspect(markup: str, *, remote_images: bool = False) -> _Inspector:
    inspector = _Inspector(remote_images=remote_images)
    inspector.feed(markup)
    inspector.close()
    return inspector


def _read(store: Store, account_id: int, folder_id: int, uid: int, remote: bool) -> str:
    view = build_view(
        open_message(store.for_user(account_id), folder_id, uid), ReadOptions(remote_images=remote)
    )
    return "".join(s.html for s in view.sections)


@pytest.mark.parametrize("name", sorted(HTML_PAYLOADS))
def test_sanitiser_alone_keeps_no_active_content(name: str) -> None:
    clean = sanitise_html(HTML_PAYLOADS[name])
    inspector = inspect(clean.html)
    assert inspector.problems == [], clean.html
    assert EVIL not in clean.html  # no reference at all to the evil host
    assert not re.search(
        r"<\s*(script|svg|math|iframe|object|embed|base|meta|form|style|link)", clean.html, re.I
    )


def test_every_corpus_message_reads_without_active_content(demo: Demo) -> None:
    store = demo.store
    cases: list[Case] = corpus()
    for case in cases:
        store.mail.deliver(case.raw, ["alice@example.test"])
    inbox = demo.folder("alice@example.test")
    uids = store.for_user(demo.alice.id).reader(inbox.id).uids()
    assert len(uids) == len(cases)
    for case, uid in zip(cases, uids, strict=True):
        for remote in (False, True):
            markup = _read(store, demo.alice.id, inbox.id, uid, remote)
            inspector = inspect(markup, remote_images=remote)
            assert inspector.problems == [], (case.name, markup)
            if not remote:
                assert all(EVIL not in src for src in inspector.images), case.name


def test_remote_images_are_blocked_counted_and_let_through_on_request(demo: Demo) -> None:
    store = demo.store
    raw = corpus()[0].raw.replace(
        b"<script>", b'<img src="http://evil.test/a.png"><img src="https://x.test/b.png"><script>'
    )
    store.mail.deliver(raw, ["alice@example.test"])
    inbox = demo.folder("alice@example.test")
    message = open_message(store.for_user(demo.alice.id), inbox.id, 1)
    blocked = build_view(message, ReadOptions())
    assert blocked.blocked_images == 2
    assert inspect(blocked.sections[0].html).images == [BLOCKED_IMAGE, BLOCKED_IMAGE]
    allowed = build_view(message, ReadOptions(remote_images=True))
    assert allowed.blocked_images == 0
    assert inspect(allowed.sections[0].html, remote_images=True).images == [
        "http://evil.test/a.png",
        "https://x.test/b.png",
    ]


def test_markup_in_headers_and_names_stays_text(demo: Demo) -> None:
    store = demo.store
    by_name = {c.name: c for c in corpus()}
    for name in ("header_subject_markup", "header_subject_encoded", "header_from_markup", "attachment_names"):
        store.mail.deliver(by_name[name].raw, ["alice@example.test"])
    inbox = demo.folder("alice@example.test")
    user = store.for_user(demo.alice.id)
    views = [build_view(open_message(user, inbox.id, uid), ReadOptions()) for uid in (1, 2, 3, 4)]
    assert views[0].headers.subject == "<script>top.document.title='PWNED';alert(1)</script>"
    assert views[1].headers.subject == "<img src=x onerror=top.document.title='PWNED';alert(1)>"
    assert views[2].headers.reply_to.startswith("<img src=x onerror=")
    assert views[2].headers.read_receipt_to == "mdn@outside.test"
    for section in views[2].sections:  # the text body escapes what it holds
        assert "<script>" not in section.html and "&lt;script&gt;" in section.html
        assert 'href="javascript' not in section.html
    names = [a.filename for a in views[3].attachments]
    assert names == [
        "<img src=x onerror=alert(1)>.png",
        "passwd",
        "evil.bat",
        "script>.html",  # the last segment of "<script>alert(1)</script>.html"
        "invoicefdp.exe",
        "pic.svg",
    ]
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names)
    assert [a.is_image for a in views[3].attachments] == [True, False, False, False, False, False]
