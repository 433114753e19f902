"""The strings of the Ajax sharing dialog (skins/base/static/ajax/sharing.js), merged into the page's
strings by webmail/ajax/strings.py; nearly all are the Standard permissions page's own
(skins/base/templates/layout/sharing_body.html), so their translations are shared."""

from __future__ import annotations

from flask_babel import gettext as _


def sharing_strings() -> dict[str, str]:
    return {
        "share_folder": _("Share…"),
        "share_mailbox": _("Share my whole mailbox, or let someone send for me"),
        "sharing_of": _("Sharing: %(folder)s"),
        "sharing_mailbox": _("Sharing: my whole mailbox"),
        "sharing_mailbox_hint": _(
            "An entry here that applies to subfolders reaches every folder of your mailbox, mail and organizer "
            "alike. Set an exception on a folder's own page to keep one folder (or branch) out."
        ),
        "sharing_denied": _(
            'You may not change who this folder is shared with: that needs the "administer" right (a) on it.'
        ),
        "shared_with": _("Shared with"),
        "sharing_none": _("This folder is not shared with anyone."),
        "denied": _("denied"),
        "and_subfolders": _("and subfolders"),
        "this_folder_only": _("this folder only"),
        "role": _("Role"),
        "custom_letters": _("Custom letters"),
        "custom_letters_hint": _("Custom letters (l r s w i p k x t e a)"),
        "rights_letters": _("Rights letters"),
        "apply_to_subfolders": _("Apply to subfolders"),
        "change": _("Change"),
        "remove": _("Remove"),
        "passed_down": _("Passed down from the folders above"),
        "passed_down_hint": _(
            "A denied right wins over an allowed one wherever it is set. To narrow what someone holds on this "
            "folder, set an exception: they keep at most the role you choose here."
        ),
        "from_folder": _("from %(folder)s"),
        "from_whole_mailbox": _("from the whole mailbox"),
        "from_public": _("from all public folders"),
        "nothing_hide": _("Nothing (hide the folder)"),
        "set_exception": _("Set exception here"),
        "share_this_folder": _("Share this folder"),
        "share_whole_mailbox": _("Share the whole mailbox"),
        "with": _("With"),
        "this_user_or_group": _("This user or group"),
        "address": _("Address"),
        "all_users_of": _("All users of %(domain)s"),
        "anyone": _("Anyone"),
        "effect": _("Effect"),
        "effect_allow": _("Allow these rights"),
        "effect_deny": _("Deny these rights (wins over any allow)"),
        "share": _("Share"),
        "shared": _("Shared."),
        "permissions_changed": _("Permissions changed."),
        "entry_removed": _("Entry removed."),
        "exception_set": _("Exception set for this folder."),
        "delegation": _("Delegation"),
        "delegation_hint": _(
            "Send as: their mail shows you as the sender. Send on behalf: it shows them, on behalf of you. "
            "Free/busy: they see when you are busy when planning a meeting."
        ),
        "delegation_none": _("Nobody may send for you or read your free/busy time."),
        "send_as": _("Send as"),
        "send_on_behalf": _("Send on behalf"),
        "read_free_busy": _("Read free/busy"),
        "delegate_to": _("Delegate to"),
        "delegate": _("Delegate"),
        "delegation_changed": _("Delegation changed."),
    }
