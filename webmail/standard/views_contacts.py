"""Standard pages of the address book: "add the sender" in the reader, contacts and groups, the directory
(webmail/contact_routes.py)."""

from __future__ import annotations

from webmail.contact_routes import add_contact_routes
from webmail.standard.blueprint import bp

add_contact_routes(bp)
