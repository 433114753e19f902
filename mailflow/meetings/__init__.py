"""Meetings: invitations, answers and cancellations by mail (iTIP, RFC 5546, over iMIP, RFC 6047),
rooms and equipment that answer for themselves, and reminder mails.

Modules:

* ``itip``: reading a scheduling message and building REQUEST / REPLY / CANCEL (pure).
* ``copies``: what a scheduling message does to a stored copy of the event (pure).
* ``imip``: the mail that carries one (multipart/alternative, text/calendar; method=...) and finding
  it in a received message (pure).
* ``sending``: sending invitations, answers and cancellations as the user, through
  ``mailflow.submission.submit``.
* ``incoming``: what local delivery does with a scheduling message for an account (update the copy in
  the account's calendar; rooms answer by themselves, ``resources``).
* ``answering``: answering an invitation found in a message, as the user (WebMail's reader).
* ``resources``: how rooms and equipment decide their answer.
* ``reminders``: the periodic sweep that mails due reminders.

Storage is reached through the organizer facade (``store.for_user(id).organizer``) when a user acts and
through ``store.pim_system`` when the server acts on delivery (no user is logged in then).
"""
