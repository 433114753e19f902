"""Standard pages of contacts: "add the sender" in the reader and the contacts list (webmail/contact_routes.py)."""

from __future__ import annotations

from webmail.contact_routes import add_contact_routes
from webmail.standard.blueprint import bp

add_contact_routes(bp)
