"""The strings of the Ajax composer's Standard-composer options (skins/base/static/ajax/compose.js):
From identity, read receipt, priority, format, forward as attachment, removing an attachment, the
editor's strike, font, size and colour. Merged into the page's strings by webmail/ajax/strings.py;
most are the Standard compose form's own words, so their translations are shared."""

from __future__ import annotations

from flask_babel import gettext as _


def compose_strings() -> dict[str, str]:
    return {
        "message_body": _("Message"),
        "ask_receipt": _("Ask for a read receipt"),
        "priority": _("Priority"),
        "priority_high": _("High"),
        "priority_normal": _("Normal"),
        "priority_low": _("Low"),
        "format": _("Format"),
        "format_html": _("HTML"),
        "format_text": _("Plain text"),
        "forward_attached": _("Forward as attachment"),
        "on_behalf": _("%(owner)s (sent by %(me)s on their behalf)"),
        "refused_identity": _("You may not send as %(identity)s."),
        "no_identity": _("No address to send from could be found. Reload the page to try again."),
        "remove": _("Remove"),
        "remove_named": _("Remove %(name)s"),
        "fmt_strike": _("Strike through"),
        "fmt_font": _("Font"),
        "fmt_size": _("Size"),
        "fmt_colour": _("Colour"),
        "sent_not_filed": _("The message was sent, but no copy could be filed in Sent."),
        "not_addresses": _("Not an e-mail address: %(entries)s"),
        "limits_hint": _("Each file may be at most %(size)s; the whole message at most %(total)s."),
        "file_too_large": _("%(name)s was not attached: a file may be at most %(limit)s."),
    }
