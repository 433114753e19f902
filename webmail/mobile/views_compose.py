"""Mobile pages for writing mail (``/m/compose``): the same form and work as the Standard pages
(webmail/compose_routes.py, webmail.composing), one column, plain text editing (an HTML draft is edited
as its source)."""

from __future__ import annotations

from webmail.compose_routes import add_compose_routes
from webmail.mobile.blueprint import bp

add_compose_routes(bp, template="mobile/compose.html", frame="mobile/frame.html", json_answers=False)
