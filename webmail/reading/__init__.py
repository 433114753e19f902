"""Reading a message in WebMail, safely: the view-independent service behind every reader page.

Layout: ``source`` opens a stored message through the user-bound facade (rights checked); ``parts``
tells body from attachments in the cached MIME tree; ``headers`` decodes the header fields into text;
``plaintext`` renders text/plain as escaped HTML with safe links; ``sanitise`` (with ``css``) cleans
text/html with nh3 and ``stylesheet`` rebuilds its <style> blocks for the body frame; ``view`` puts it
together (``build_view``); ``policy`` holds the iframe sandbox and the body document's CSP;
``filenames`` makes attachment names and download headers safe. No Flask here: the Standard and Mobile
blueprints (and later Ajax and print) call it. See docs/webmail-reading.md.
"""

from __future__ import annotations

from webmail.reading.filenames import download_headers, inline_image_headers, safe_filename
from webmail.reading.headers import HeaderView
from webmail.reading.parts import INLINE_IMAGE_TYPES, Attachment, find_part
from webmail.reading.policy import IFRAME_SANDBOX, body_csp, body_document, body_headers
from webmail.reading.sanitise import CleanHtml, sanitise_html
from webmail.reading.source import StoredMessage, open_message
from webmail.reading.view import (
    BodySection,
    MessageView,
    ReadOptions,
    body_section,
    build_view,
    sender_is_trusted,
)

__all__ = [
    "IFRAME_SANDBOX",
    "INLINE_IMAGE_TYPES",
    "Attachment",
    "BodySection",
    "CleanHtml",
    "HeaderView",
    "MessageView",
    "ReadOptions",
    "StoredMessage",
    "body_csp",
    "body_document",
    "body_headers",
    "body_section",
    "build_view",
    "download_headers",
    "find_part",
    "inline_image_headers",
    "open_message",
    "safe_filename",
    "sanitise_html",
    "sender_is_trusted",
]
