"""Mobile pages of one message (webmail/message_routes.py holds them): the sanitised HTML is put into the
page itself under the page's script-free CSP rather than in a frame (see that module for why)."""

from __future__ import annotations

from webmail.message_routes import add_reader_routes
from webmail.mobile.blueprint import bp

add_reader_routes(bp, inline_html=True)
