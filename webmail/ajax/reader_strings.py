"""The strings of the Ajax reader's meeting panel, read-receipt question and "Add sender to contacts"
(skins/base/static/ajax/meeting.js, receipt.js, add_sender.js). Most are the Standard reader's own
messages (layout/meeting_panel.html, layout/message_view.html), so both readers say the same thing in
every language."""

from __future__ import annotations

from flask_babel import gettext as _


def reader_strings() -> dict[str, str]:
    return {
        # the meeting panel (meeting.js)
        "meeting": _("Meeting"),
        "when": _("When"),
        "where": _("Where"),
        "organizer": _("Organizer"),
        "repeats": _("repeats"),
        "accept": _("Accept"),
        "tentative": _("Tentative"),
        "decline": _("Decline"),
        "your_answer": _("Your answer: %(answer)s"),
        "meeting_was_cancelled": _("This meeting was cancelled."),
        "meeting_outdated": _("This invitation was replaced by a newer one."),
        "meeting_cancel": _("The organizer cancelled this meeting."),
        "answered": _("%(who)s answered: %(answer)s"),
        "meeting_conflicts": _("At the same time in your calendar: %(events)s"),
        "meeting_free": _("Nothing else is in your calendar at that time."),
        # the read-receipt question (receipt.js)
        "receipt_asked": _("The sender asks for a read receipt (to %(address)s)."),
        "send_receipt": _("Send receipt"),
        "no_receipt": _("Do not send"),
        "receipt_sent": _("The read receipt was sent."),
        "receipt_declined": _("No read receipt was sent; you will not be asked again."),
        # the header lines, body notices and attachment list as the Standard reader words them
        # (layout/message_view.html)
        "sent_by": _("Sent by"),
        "sent_on_behalf": _("%(sender)s, on behalf of the sender above"),
        "reply_to": _("Reply to"),
        "plain_text": _("Plain text"),
        "formatted_text": _("Formatted text"),
        "too_long": _("This text is too long to show in full; the source has all of it."),
        # printing the selected messages (print.js; the Standard print view's limit)
        "print_limit": _("Only the first %(count)s messages were printed."),
        # an ended session (session.js), in the words of the sign-in page's own notice
        "session_ended": _("Your session has ended. Please sign in again."),
        "sign_in_again": _("Sign in again"),
        # add_sender.js
        "add_sender": _("Add sender to contacts"),
        "sender_added": _("%(address)s is in your contacts."),
        "sender_in_contacts": _("In your contacts"),
        "no_address_book": _("You have no address book to add the sender to."),
    }
