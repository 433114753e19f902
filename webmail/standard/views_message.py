"""Standard pages of one message: the reader, its sandboxed body frame, attachments, source and print
(webmail/message_routes.py holds them; HTML bodies are shown in ``<iframe sandbox>``)."""

from __future__ import annotations

from webmail.message_routes import add_reader_routes
from webmail.standard.blueprint import bp

add_reader_routes(bp, inline_html=False)
