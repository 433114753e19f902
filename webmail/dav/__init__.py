"""CalDAV (RFC 4791) and CardDAV (RFC 6352) for the organizer, on the WebMail listener under ``/dav/``.

The layers, one module each:

* XML in and out, pure and fuzzable: :mod:`.xml_requests` (defusedxml) and :mod:`.xml_responses`;
  filters and expansion on item text: :mod:`.calendar_filter`, :mod:`.card_filter`, :mod:`.expand`;
* the tree: :mod:`.paths` (URL layout), :mod:`.tree` (one request's view), :mod:`.properties`;
* the method handlers: :mod:`.propfind`, :mod:`.mkcol`, :mod:`.objects`, :mod:`.report` with
  :mod:`.calendar_reports`, :mod:`.card_reports`, :mod:`.sync_report`; :mod:`.schedule` (outbox POST);
* :mod:`.blueprint`: routes, the method table, Basic authentication (:mod:`.auth`), error mapping, the
  secret ICS feed and the RFC 6764 well-known redirects.

All data goes through ``store.for_user(id).organizer``: rights are applied in storage. docs/dav.md
describes client set-up, what is supported and the limits (:mod:`.limits`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the DAV routes on the WebMail app (imported here, so the pure modules load alone)."""
    from webmail.dav import blueprint

    blueprint.init_app(app)
