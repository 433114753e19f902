"""The browser-side walls around a message body: the iframe's sandbox, the body document's CSP, images.

Why two walls: the sanitiser (webmail/reading/sanitise.py) removes active content, and the body document
is shown in an ``<iframe sandbox>`` without ``allow-scripts`` and without ``allow-same-origin``, served by
its own route with a CSP that allows no script, no plugin, no form, no frame, no font and no fetch. A
hole in either wall alone still runs nothing and reaches nothing.

- ``IFRAME_SANDBOX``: only ``allow-popups`` and ``allow-popups-to-escape-sandbox``, so a link (which the
  sanitiser gives ``target="_blank"`` and ``rel="noopener noreferrer"``) opens a normal tab; no scripts,
  no same origin (the document cannot read our cookies or call our pages as the user), no forms, no
  top navigation, no modals;
- :func:`body_csp`: ``default-src 'none'``; images only from ``data:`` (cid: parts are embedded as data
  URIs by the reader, see webmail/reading/view.py) plus ``http:``/``https:`` once the user allowed
  remote images; ``style-src 'unsafe-inline'`` for the inline styles the sanitiser kept; the CSP
  ``sandbox`` directive repeats the iframe's, so the document is sandboxed even when opened on its own.

Why cid images are embedded rather than linked: a sandboxed document has an opaque origin, so its image
requests to our origin are cross-site and a SameSite session cookie is not sent with them; embedding also
keeps every request of the body document away from our own pages.
"""

from __future__ import annotations

from html import escape

from webmail.reading.sanitise import BLOCKED_IMAGE

IFRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
#: A held-back remote image is a small grey square, whatever size the message gave it (with the
#: ``height: auto`` images need, the 1x1 placeholder would otherwise grow as tall as it is wide).
BLOCKED_IMAGE_STYLE = (
    f'img[src="{BLOCKED_IMAGE}"]{{width:1.2em!important;height:1.2em!important;'
    "background:#e8e8e8;outline:1px dashed #aaa}"
)
_BASE_STYLE = (
    "body{margin:8px;font-family:sans-serif;font-size:14px;overflow-wrap:break-word}"
    "img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}"
    "blockquote.quoted{margin:0 0 0 .5em;padding-left:.5em;border-left:2px solid #999}" + BLOCKED_IMAGE_STYLE
)


def body_csp(*, remote_images: bool) -> str:
    """The Content-Security-Policy of a message body document."""
    images = "data: http: https:" if remote_images else "data:"
    return (
        f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; font-src 'none'; "
        "media-src 'none'; object-src 'none'; frame-src 'none'; child-src 'none'; worker-src 'none'; "
        "connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
        f"sandbox {IFRAME_SANDBOX}"
    )


def body_document(body_html: str, *, title: str = "", direction: str = "auto", stylesheet: str = "") -> str:
    """A complete HTML document around sanitised body HTML, for the iframe route.

    Args:
        body_html: output of ``sanitise_html`` (or ``text_to_html``): already safe markup.
        title: plain text; escaped here.
        stylesheet: output of ``clean_stylesheet`` (holds no ``<``), after our base style.
        direction: "ltr", "rtl" or "auto".
    """
    if direction not in ("ltr", "rtl", "auto"):
        direction = "auto"
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_BASE_STYLE}\n{stylesheet.replace('<', '')}</style></head>"
        f'<body dir="{direction}">{body_html}</body></html>'
    )


def body_headers(*, remote_images: bool) -> dict[str, str]:
    """Response headers of a body document."""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": body_csp(remote_images=remote_images),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }
