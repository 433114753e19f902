"""The Ajax interface (``/ajax/``): one page whose ES modules talk JMAP to this server.

The page itself is a shell (skins/base/templates/ajax/app.html): three panes the modules in
skins/base/static/ajax/ fill from the JMAP API (RFC 8620/8621, webmail/jmap), kept live by its
EventSource. The few routes here serve what JMAP has no word for and the Standard interface already
does well, so both interfaces share one implementation:

* ``/ajax/read/<folder>/<uid>``: which sanitised body documents to show in the reader's sandboxed frames
  (the Standard reader's ``/mail/folder/.../body/<section>`` route, with its own CSP) and the attachment
  links, never the message's raw HTML (webmail/ajax/reader.py);
* ``/ajax/compose/clean``: the composer's HTML put through the server's sanitiser before it is saved or
  sent (webmail/ajax/reader.py);
* ``/ajax/sharing/<folder>``: the sharing dialog's entries, read and changed through the Standard
  permissions page's service (webmail/ajax/sharing_views.py);
* ``/ajax/calendar/reminders``: the calendar's due reminders, the Standard calendar's list as JSON
  (webmail/ajax/calendar_reminders.py);
* ``/ajax/calendar/freebusy``: the free/busy grid's hours per address, from the Standard free/busy
  page's service (webmail/ajax/calendar_freebusy.py);
* ``/ajax/calendar/<folder_id>/link``: a calendar's read-only .ics / webcal link, shown or made anew by
  the Standard link page's code (webmail/ajax/calendar_feed.py);
* ``/ajax/meeting/<folder>/<uid>``: the answer to an invitation the reader shows, through the Standard
  reader's meeting service (webmail/ajax/meeting.py);
* ``/ajax/organizer/import``: an .ics or .vcf file into an organizer folder, through the Standard
  import's function, answered as JSON (webmail/ajax/transfer.py); export is the Standard download;
* recipient suggestions come from the Standard composer's ``/mail/compose/suggest``;
* ``/ajax/settings/...``: the Standard settings tabs JMAP has no type for (general, rules, senders,
  temporary addresses, password, two-step sign-in, app passwords), run by the Standard tabs' own forms
  and code (webmail/ajax/settings_routes.py, settings_account_routes.py).
"""

from __future__ import annotations

from webmail.ajax import (
    calendar_feed,
    calendar_freebusy,
    calendar_reminders,
    meeting,
    settings_account_routes,
    settings_routes,
    sharing_views,
    transfer,
    views,
)
from webmail.ajax.blueprint import bp

__all__ = [
    "bp",
    "calendar_feed",
    "calendar_freebusy",
    "calendar_reminders",
    "meeting",
    "settings_account_routes",
    "settings_routes",
    "sharing_views",
    "transfer",
    "views",
]
