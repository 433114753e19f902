"""The strings of the Ajax settings pane's tabs (skins/base/static/ajax/settings_*.js), merged into the
page's strings by webmail/ajax/strings.py. Most are the Standard settings pages' own, so the two
interfaces share their translations; ``%(name)s`` marks a value the client fills in."""

from __future__ import annotations

from flask_babel import gettext as _


def settings_strings() -> dict[str, str]:
    return {
        # tabs, as the Standard settings tabs
        "st_general": _("General"),
        "st_rules": _("Rules"),
        "st_senders": _("Senders"),
        "st_aliases": _("Temporary addresses"),
        "st_password": _("Password"),
        "st_two_step": _("Two-step sign-in"),
        "st_app_passwords": _("App passwords"),
        # General
        "st_language": _("Language"),
        "st_skin": _("Skin"),
        "st_timezone": _("Time zone"),
        "st_reload_note": _("Language, skin and time zone apply when the page is loaded again."),
        "st_reload": _("Reload now"),
        "st_mailbox_size": _("Mailbox size"),
        "st_devices": _("Mail on your phone or computer"),
        "st_devices_intro": _(
            "Thunderbird, Outlook and most other mail programs set your account up by themselves: give them "
            "your address and password."
        ),
        "st_apple_profile": _("Download the set-up profile for iPhone, iPad and Mac"),
        "st_apple_hint": _(
            "Open it on the device and install it from Settings; it asks for your password. The profile is "
            "not signed, so the device calls it “Not Verified”."
        ),
        "st_quota_used": _("%(used)s of %(limit)s used (%(percent)s)"),
        "st_quota_unlimited": _("%(used)s used; no size limit."),
        "st_quota_messages": _("%(count)s of %(limit)s messages."),
        "st_quota_full": _("Your mailbox is full: new mail is refused until you delete some."),
        "st_quota_warning": _("Your mailbox is over %(level)s full. Delete or archive some mail soon."),
        # Senders
        "st_blocked": _("Blocked senders"),
        "st_blocked_hint": _("Their mail goes straight to Trash."),
        "st_safe": _("Safe senders"),
        "st_safe_hint": _("Their mail is never treated as spam."),
        "st_senders_hint": _(
            "One entry per line: an address (pest@spam.example), a pattern with * and ? (*@*.spam.example) "
            "or a whole domain (spam.example)."
        ),
        # Temporary addresses
        "st_aliases_intro": _(
            "A temporary address receives mail for you until it expires, then refuses it: give it to a site "
            "you do not quite trust."
        ),
        "st_aliases_limits": _("At most %(most)s at a time, each for up to %(days)s days."),
        "st_aliases_off": _("Temporary addresses are turned off for your account."),
        "st_no_aliases": _("You have no temporary addresses."),
        "st_new_alias": _("New temporary address"),
        "st_local_part": _("Name before the @ (empty: a random one)"),
        "st_days": _("Valid for (days)"),
        "st_expires": _("Expires"),
        "st_alias_made": _("%(address)s receives mail from now on."),
        "st_create": _("Create"),
        # Password
        "st_current": _("Current password"),
        "st_new": _("New password"),
        "st_confirm": _("New password again"),
        "st_password_changed": _(
            "Your password was changed. Other sessions and programs must sign in again."
        ),
        # Rules
        "st_rules_intro": _("Rules apply to incoming mail in this order."),
        "st_no_rules": _("No rules yet."),
        "st_new_rule": _("New rule"),
        "st_rule": _("Rule"),
        "st_name": _("Name"),
        "st_status": _("Status"),
        "st_on": _("on"),
        "st_off": _("off"),
        "st_up": _("Up"),
        "st_down": _("Down"),
        "st_turn_on": _("Turn on"),
        "st_turn_off": _("Turn off"),
        "st_edit": _("Change"),
        "st_apply_when": _("Apply when"),
        "st_all": _("all conditions hold"),
        "st_any": _("any condition holds"),
        "st_conditions": _("Conditions"),
        "st_field": _("Field"),
        "st_comparison": _("Comparison"),
        "st_text": _("Text"),
        "st_then": _("Then"),
        "st_folder": _("Folder"),
        "st_folder_hint": _("For “move” and “copy”."),
        "st_address": _("Address"),
        "st_address_hint": _("For “forward” and “redirect”."),
        "st_also_flag": _("Also flag the message"),
        "st_stop": _("Do not apply later rules"),
        "st_enabled": _("Enabled"),
        "st_replace_edited": _("Keep the changed script as a copy and save mine"),
        "st_script_edited": _(
            "Another program (a Sieve client) changed WebMail's filter script. What is shown here is what "
            "WebMail saved last; saving again asks you to keep the changed script as a copy first."
        ),
        "st_other_script": _(
            "The filter script in force is “%(name)s”, set up with another program. Your rules and automatic "
            "reply here are saved but do not apply until you use WebMail's script instead (“%(name)s” is kept)."
        ),
        "st_activate": _("Use WebMail's rules and reply"),
        # Two-step sign-in
        "st_two_step_off": _(
            "Two-step sign-in is off. With it on, signing in to WebMail also asks for a code from an app on "
            "your phone, so a stolen password alone is not enough; mail programs then sign in with app "
            "passwords you make here."
        ),
        "st_two_step_on": _(
            "Two-step sign-in is on since %(when)s. Signing in to WebMail asks for a code from your "
            "authenticator app; mail programs sign in with app passwords."
        ),
        "st_recovery_left": _("Recovery codes left: %(left)s."),
        "st_set_up": _("Set up two-step sign-in"),
        "st_set_up_app": _("Set up your authenticator app"),
        "st_scan": _(
            "Open an authenticator app on your phone (any app for time-based codes) and scan this code:"
        ),
        "st_qr": _("QR code for the authenticator app"),
        "st_key": _("Or type this key into the app:"),
        "st_first_code": _("Type the six-digit code the app shows:"),
        "st_code": _("Code"),
        "st_turn_on_two_step": _("Turn on"),
        "st_turn_off_two_step": _("Turn off two-step sign-in"),
        "st_turn_off_hint": _("A code from your app or a recovery code. Your app passwords are removed too."),
        "st_new_codes": _("Make new recovery codes"),
        "st_new_codes_hint": _("A code from your app. The old recovery codes stop working."),
        "st_codes_title": _("New recovery codes"),
        "st_codes_note": _(
            "Write these down or print them and keep them apart from your phone: each signs you in once if "
            "the phone is lost. They are not shown again."
        ),
        "st_two_step_off_done": _("Two-step sign-in is off. Your app passwords were removed."),
        # App passwords
        "st_app_intro": _(
            "Mail programs (IMAP, POP3, SMTP, Sieve editors) cannot ask for a code, so once two-step sign-in "
            "is on they sign in with an app password instead of your password: one for each program or "
            "device, each revocable on its own. Choose the plain “normal password” sign-in in the program, "
            "over an encrypted connection."
        ),
        "st_app_needs_two_step": _("App passwords are for accounts with two-step sign-in."),
        "st_no_app_passwords": _("You have no app passwords."),
        "st_new_app_password": _("New app password"),
        "st_app_name": _("Name (the program or device it is for)"),
        "st_created": _("Created"),
        "st_last_used": _("Last used"),
        "st_never": _("Never"),
        "st_from": _("from %(address)s"),
        "st_revoke": _("Revoke"),
        "st_revoked": _("The app password was revoked: programs using it can no longer sign in."),
        "st_app_password_for": _("The app password for “%(name)s”:"),
        "st_app_password_once": _(
            "Type it into the program instead of your password (spaces do not matter). It is not shown again."
        ),
        # Other mailboxes, as the Standard tab
        "st_remote": _("Other mailboxes"),
        "st_remote_intro": _(
            "Mail from your other mailboxes (at another provider, over POP3 or IMAP) can be fetched into this "
            "one regularly. It goes through your rules like any other mail."
        ),
        "st_no_remote": _("No other mailbox is fetched into this one."),
        "st_mailbox": _("Mailbox"),
        "st_into": _("Into"),
        "st_last_fetched": _("Last fetched"),
        "st_state": _("State"),
        "st_not_yet": _("Not yet"),
        "st_working": _("Working"),
        "st_paused": _("Paused"),
        "st_fetch_now": _("Fetch now"),
        "st_remove": _("Remove"),
        "st_add_mailbox": _("Add a mailbox"),
        "st_change_mailbox": _("Change a mailbox"),
        "st_provider": _("Provider"),
        "st_provider_hint": _("A provider fills in the server, port and security."),
        "st_protocol": _("Protocol"),
        "st_server": _("Server"),
        "st_port": _("Port (empty: the usual one)"),
        "st_security": _("Security"),
        "st_user_name": _("User name"),
        "st_password_kept": _("Left empty on a change, the saved password stays."),
        "st_put_into": _("Put the mail in"),
        "st_every": _("Fetch every (minutes)"),
        "st_keep_copy": _("Leave a copy on the server"),
        "st_fetch_it": _("Fetch this mailbox"),
        "st_remote_saved": _("Saved. %(mailbox)s is fetched within a minute."),
        "st_fetched_soon": _("It is fetched within a minute."),
        "st_remote_removed": _("The remote mailbox was removed. Mail already fetched stays here."),
    }
