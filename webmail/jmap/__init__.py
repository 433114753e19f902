"""JMAP (RFC 8620 core, RFC 8621 mail) on the WebMail listener: the API of the Ajax interface and of
third-party JMAP clients.

The layers, one module each:

* :mod:`.registry` -- the method table, ``Call``, ``MethodError``, and the hooks the data types fill
  (capability objects, per-type state); :mod:`.ids` -- id shapes;
* :mod:`.envelope` -- Request checks, dispatch, result references (:mod:`.pointer`), createdIds;
  :mod:`.problems` -- request-level errors (RFC 7807); :mod:`.limits` -- every limit;
* :mod:`.standard_methods` -- argument checks shared by the /get, /set, /query... methods;
* :mod:`.core_methods` (Core/echo); :mod:`.mail` -- the RFC 8621 data types; :mod:`.quota` -- RFC
  9425 (the mailbox quota); :mod:`.contacts` --
  RFC 9610 (address books and cards); :mod:`.principals` -- RFC 9670's Principal/get and /query;
  :mod:`.tasks` -- JMAP for Tasks; :mod:`.notes` -- our notes and journal extension, both on
  :mod:`.organizer_items`;
* :mod:`.blueprint` -- routes, sign-in (:mod:`.auth`), the Session (:mod:`.session_resource`);
  :mod:`.blob_routes` -- upload and download; :mod:`.push` -- EventSource.

docs/jmap.md says what is supported and how a client connects.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the JMAP routes on the WebMail app and every method (importing their modules)."""
    import webmail.jmap.calendars  # noqa: F401  (registers the Calendars methods)
    import webmail.jmap.contacts  # noqa: F401  (registers the Contacts methods)
    import webmail.jmap.core_methods
    import webmail.jmap.mail  # noqa: F401  (registers the Mail methods)
    import webmail.jmap.notes  # noqa: F401  (registers our notes and journal methods)
    import webmail.jmap.principals  # noqa: F401  (RFC 9670 Principal/get, /query)
    import webmail.jmap.quota  # noqa: F401  (registers the Quotas methods, RFC 9425)
    import webmail.jmap.tasks  # noqa: F401  (registers the Tasks methods)
    from webmail.jmap import blob_routes, blueprint, push  # the last two add their routes to blueprint.bp

    del blob_routes, push
    blueprint.init_app(app)
