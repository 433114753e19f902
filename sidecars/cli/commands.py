"""The console's surface at a glance: every command, where it is allowed, its syntax and its help.

A command is one to three words; ``lookup`` takes the longest that matches what was typed, the rest of
the line being its parameters. The contexts: ``login`` (before logging in), ``server`` (``<#>``),
``domain``, ``account``, ``class`` and ``group`` (``<domain#>``, ``<domain-account#>``...).
"""

from __future__ import annotations

from sidecars.cli import (
    accounts,
    admins,
    domains,
    filtering,
    general,
    groups,
    levels,
    maintenance,
    operations,
    public_folders,
    remote_mailboxes,
    setting_docs,
    transfers,
    two_step,
)
from sidecars.cli.state import (
    ACCOUNT,
    ADMIN,
    ADMIN_GROUP,
    ANY,
    CLASS,
    DOMAIN,
    GROUP,
    LOGIN,
    SERVER,
    SERVER_WIDE,
    Command,
)

_LOGIN = frozenset({LOGIN})
_EVERYWHERE = ANY | _LOGIN
_SERVER = frozenset({SERVER})
_DOMAIN = frozenset({DOMAIN})
_ACCOUNT = frozenset({ACCOUNT})
_GROUP = frozenset({GROUP})
_SETTINGS = frozenset({SERVER, DOMAIN, CLASS, ACCOUNT})
_HOLDERS = frozenset({ADMIN, ADMIN_GROUP})

COMMANDS: dict[tuple[str, ...], Command] = {
    # session
    ("USER",): Command(general.user, _LOGIN, "USER name", "log in as administrator name; the password is asked next"),
    ("STARTTLS",): Command(general.starttls, _LOGIN, "STARTTLS", "turn TLS on before logging in"),
    ("HELP",): Command(general.help_, _EVERYWHERE, "HELP [word...]", "the commands of this context (those starting with the words)"),
    ("QUIT",): Command(general.quit_, _EVERYWHERE, "QUIT", "end the session"),
    ("BACK",): Command(general.back, ANY, "BACK", "go up one context (abandons an object not committed)"),
    ("COMMIT",): Command(general.commit, ANY, "COMMIT", "create the object being made here, then go up one context"),
    ("SAVE", "CONFIG"): Command(general.save_config, ANY, "SAVE CONFIG", "settings are stored as they are set; kept for scripts"),
    # settings of every level
    ("SHOW",): Command(levels.show, ANY, "SHOW [setting]", "this context's object and settings (or one setting in full)"),
    ("SET",): Command(levels.set_, _SETTINGS | _HOLDERS, "SET name value", "set a setting of this level, or a property (password, enabled...)"),
    ("CLEAR",): Command(levels.clear, _SETTINGS, "CLEAR setting", "remove this level's value so the inherited one applies"),
    ("HELP", "SETTING"): Command(setting_docs.setting_doc, ANY, "HELP SETTING name|section", "a setting's reference: type, levels, default, limits, help (a section: its settings)"),
    ("SHOW", "SETTINGDOC"): Command(setting_docs.setting_doc, ANY, "SHOW SETTINGDOC name|section", "the same as HELP SETTING"),
    # domains
    ("LIST", "DOMAINS"): Command(domains.list_domains, _SERVER, "LIST DOMAINS", "the domains you administer"),
    ("CREATE", "DOMAIN"): Command(domains.create_domain, _SERVER, "CREATE DOMAIN name D [domainLocation PATH] [postmasterPassword P]", "start a new domain (COMMIT creates it)", server_right="domains"),
    ("UPDATE", "DOMAIN"): Command(domains.update_domain, _SERVER, "UPDATE DOMAIN name D", "enter domain D"),
    ("REMOVE", "DOMAIN"): Command(domains.remove_domain, _SERVER, "REMOVE DOMAIN name D", "delete domain D with all its accounts and mail", server_right="domains"),
    ("RENAME", "DOMAIN"): Command(domains.rename_domain, _SERVER, "RENAME DOMAIN name D newName N", "rename domain D and its addresses", server_right="domains"),
    ("LIST", "ALIASES"): Command(accounts.list_aliases, _ACCOUNT | _DOMAIN, "LIST ALIASES", "the aliases of this domain or account"),
    ("ADD", "ALIAS"): Command(accounts.add_alias, _ACCOUNT | _DOMAIN, "ADD ALIAS name A", "another name for this domain or account"),
    ("REMOVE", "ALIAS"): Command(accounts.remove_alias, _ACCOUNT | _DOMAIN, "REMOVE ALIAS name A", "remove an alias of this domain or account"),
    ("DKIM", "GENERATE"): Command(domains.dkim_generate, _DOMAIN, "DKIM GENERATE [selector S] [replace yes]", "make the domain's DKIM signing key; shows the TXT record to publish"),
    ("DKIM", "SHOW"): Command(domains.dkim_show, _DOMAIN, "DKIM SHOW", "the domain's DKIM key: the TXT record to publish"),
    # accounts
    ("LIST", "ACCOUNTS"): Command(accounts.list_accounts, _SERVER | _DOMAIN, "LIST ACCOUNTS", "the accounts of this domain (at the top: of every domain you administer)"),
    ("ADD", "ACCOUNT"): Command(accounts.add_account, _DOMAIN, "ADD ACCOUNT name U password P [displayName N]", "start a new account (COMMIT creates it)"),
    ("UPDATE", "ACCOUNT"): Command(accounts.update_account, _DOMAIN, "UPDATE ACCOUNT name U", "enter account U"),
    ("REMOVE", "ACCOUNT"): Command(accounts.remove_account, _DOMAIN, "REMOVE ACCOUNT name U", "delete account U and its mail"),
    ("IMPORT", "ACCOUNTS"): Command(transfers.import_accounts, _DOMAIN, "IMPORT ACCOUNTS file PATH", "add the accounts of a CSV file on the server (fieldpost account import); a report line per line", server_right=SERVER_WIDE),
    # groups, forwarders, classes
    ("LIST", "GROUPS"): Command(groups.list_groups, _DOMAIN, "LIST GROUPS", "the groups of this domain"),
    ("ADD", "GROUP"): Command(groups.add_group, _DOMAIN, "ADD GROUP name G [displayName N]", "create a group"),
    ("REMOVE", "GROUP"): Command(groups.remove_group, _DOMAIN, "REMOVE GROUP name G", "delete a group"),
    ("UPDATE", "GROUP"): Command(groups.update_group, _DOMAIN, "UPDATE GROUP name G", "enter group G"),
    ("LIST", "MEMBERS"): Command(admins.list_members, _GROUP | {ADMIN_GROUP}, "LIST MEMBERS", "the members of this group"),
    ("ADD", "MEMBER"): Command(admins.add_member, _GROUP | {ADMIN_GROUP}, "ADD MEMBER name M", "add a member (a mail group: an account, group or outside address; an administrator group: an administrator)"),
    ("REMOVE", "MEMBER"): Command(admins.remove_member, _GROUP | {ADMIN_GROUP}, "REMOVE MEMBER name M", "remove a member"),
    ("LIST", "FORWARDERS"): Command(groups.list_forwarders, _DOMAIN, "LIST FORWARDERS", "the forwarders of this domain"),
    ("ADD", "FORWARDER"): Command(groups.add_forwarder, _DOMAIN, 'ADD FORWARDER name F to "a@x, b@y"', "an address that forwards to others"),
    ("REMOVE", "FORWARDER"): Command(groups.remove_forwarder, _DOMAIN, "REMOVE FORWARDER name F", "delete a forwarder"),
    ("ADD", "CLASS"): Command(groups.add_class, _DOMAIN, "ADD CLASS name C", "create an account class (settings shared by its accounts)"),
    ("UPDATE", "CLASS"): Command(groups.update_class, _DOMAIN, "UPDATE CLASS name C", "enter account class C (its settings)"),
    # public folders
    ("LIST", "PUBLICFOLDERS"): Command(public_folders.list_public_folders, _DOMAIN, "LIST PUBLICFOLDERS", "the domain's public folders and their folder recipients"),
    ("ADD", "PUBLICFOLDER"): Command(public_folders.add_public_folder, _DOMAIN, "ADD PUBLICFOLDER path P [kind K]", "create a public folder (kind mail, calendar, contacts, tasks, notes or journal)"),
    ("RENAME", "PUBLICFOLDER"): Command(public_folders.rename_public_folder, _DOMAIN, "RENAME PUBLICFOLDER path P newPath N", "rename or move a public folder"),
    ("REMOVE", "PUBLICFOLDER"): Command(public_folders.remove_public_folder, _DOMAIN, "REMOVE PUBLICFOLDER path P", "delete a public folder with its subfolders and messages"),
    ("ADD", "FOLDERRECIPIENT"): Command(public_folders.add_folder_recipient, _DOMAIN, "ADD FOLDERRECIPIENT name A folder P", "mail to address A goes into public folder P"),
    ("REMOVE", "FOLDERRECIPIENT"): Command(public_folders.remove_folder_recipient, _DOMAIN, "REMOVE FOLDERRECIPIENT name A", "remove a folder recipient"),
    # administrators and their groups
    ("LIST", "ADMINS"): Command(admins.list_admins, _SERVER, "LIST ADMINS", "the administrators you manage", server_right="admins"),
    ("ADD", "ADMIN"): Command(admins.add_admin, _SERVER, 'ADD ADMIN name N password P [serverWide yes] [rights "queue, services"]', "add an administrator (delegated unless serverWide)", server_right="admins"),
    ("REMOVE", "ADMIN"): Command(admins.remove_admin, _SERVER, "REMOVE ADMIN name N", "delete an administrator", server_right="admins"),
    ("UPDATE", "ADMIN"): Command(admins.update_admin, _SERVER, "UPDATE ADMIN name N", "enter administrator N (permissions, grants)", server_right="admins"),
    ("LIST", "ADMINGROUPS"): Command(admins.list_admin_groups, _SERVER, "LIST ADMINGROUPS", "the administrator groups you manage", server_right="admins"),
    ("ADD", "ADMINGROUP"): Command(admins.add_admin_group, _SERVER, 'ADD ADMINGROUP name G [rights "queue"]', "add an administrator group", server_right="admins"),
    ("REMOVE", "ADMINGROUP"): Command(admins.remove_admin_group, _SERVER, "REMOVE ADMINGROUP name G", "delete an administrator group", server_right="admins"),
    ("UPDATE", "ADMINGROUP"): Command(admins.update_admin_group, _SERVER, "UPDATE ADMINGROUP name G", "enter administrator group G", server_right="admins"),
    ("GRANT", "DOMAIN"): Command(admins.grant_domain, _HOLDERS, 'GRANT DOMAIN name D [rights "accounts, settings"] [maxAccounts N] [maxQuotaMb N]', "grant a domain with permissions and limits (rights all, or none: read only)"),
    ("REVOKE", "DOMAIN"): Command(admins.revoke_domain, _HOLDERS, "REVOKE DOMAIN name D", "withdraw a domain"),
    # two-step sign-in
    ("TWOSTEP", "STATUS"): Command(two_step.status, _DOMAIN | _ACCOUNT, "TWOSTEP STATUS [name U]", "whether an account uses two-step sign-in (inside an account: this one)"),
    ("TWOSTEP", "RESET"): Command(two_step.reset, _DOMAIN | _ACCOUNT, "TWOSTEP RESET [name U]", "turn an account's two-step sign-in off, for a user who lost phone and recovery codes"),
    ("TWOSTEP", "RESET", "ADMIN"): Command(two_step.reset_admin, _SERVER, "TWOSTEP RESET ADMIN name N", "turn an administrator's two-step sign-in off (server-wide administrators only)", server_right=SERVER_WIDE),
    # an account's folders from and to files on the server
    ("IMPORT", "MBOX"): Command(transfers.import_mbox, _ACCOUNT, "IMPORT MBOX file PATH into FOLDER", "append the messages of an mbox file on the server to a folder (server-wide administrators only)", server_right=SERVER_WIDE),
    ("IMPORT", "MAILDIR"): Command(transfers.import_maildir, _ACCOUNT, "IMPORT MAILDIR dir PATH into FOLDER", "append a Maildir on the server (subfolders below FOLDER) to this account (server-wide administrators only)", server_right=SERVER_WIDE),
    ("EXPORT", "MBOX"): Command(transfers.export_mbox, _ACCOUNT, "EXPORT MBOX folder F file PATH", "write a folder to a new mbox file on the server (server-wide administrators only)", server_right=SERVER_WIDE),
    # remote mailboxes of an account
    ("LIST", "REMOTEMAILBOXES"): Command(remote_mailboxes.list_remote_mailboxes, _ACCOUNT, "LIST REMOTEMAILBOXES", "the remote POP3/IMAP mailboxes fetched into this account"),
    ("ADD", "REMOTEMAILBOX"): Command(remote_mailboxes.add_remote_mailbox, _ACCOUNT, "ADD REMOTEMAILBOX protocol pop3|imap host H user U password P [port N] [security implicit|starttls|none] [folder F] [every MINUTES] [delete yes]", "fetch a remote mailbox into this account"),
    ("REMOVE", "REMOTEMAILBOX"): Command(remote_mailboxes.remove_remote_mailbox, _ACCOUNT, "REMOVE REMOTEMAILBOX id N", "stop fetching a remote mailbox (fetched mail stays)"),
    ("FETCH", "REMOTEMAILBOX"): Command(remote_mailboxes.fetch_remote_mailbox, _ACCOUNT, "FETCH REMOTEMAILBOX id N", "fetch a remote mailbox now"),
    # the connection-time checks' state
    ("SHOW", "FILTERING"): Command(filtering.show_filtering, _SERVER, "SHOW FILTERING", "greylisting, DNSBL and country checks: on or off, greylisting's counts, the country table's size", server_right="security"),
    ("DNSBL", "LOOKUP"): Command(filtering.dnsbl_lookup, _SERVER, "DNSBL LOOKUP ip A", "ask every list of dnsbl.zones about address A, as the check would", server_right="security"),
    ("GREYLIST", "PRUNE"): Command(filtering.greylist_prune, _SERVER, "GREYLIST PRUNE", "delete greylisting entries past their lifetimes now", server_right="security"),
    ("GREYLIST", "FORGET"): Command(filtering.greylist_forget, _SERVER, "GREYLIST FORGET", "forget every greylisting entry: every sender is greylisted afresh", server_right="security"),
    ("COUNTRIES", "LOAD"): Command(filtering.countries_load, _SERVER, "COUNTRIES LOAD file PATH", "replace the country table by a CSV file on the server (server-wide administrators only)", server_right=SERVER_WIDE),
    ("COUNTRIES", "CLEAR"): Command(filtering.countries_clear, _SERVER, "COUNTRIES CLEAR", "empty the country table", server_right="security"),
    # store maintenance
    ("CHECK", "STORAGE"): Command(maintenance.check_storage, _SERVER, "CHECK STORAGE", "the store's read-only consistency check (the console waits while it runs)", server_right=SERVER_WIDE),
    ("REPAIR", "STORAGE"): Command(maintenance.repair_storage, _SERVER, "REPAIR STORAGE", "repair the store (fieldpost storage repair), then check it again (the console waits while it runs)", server_right=SERVER_WIDE),
    ("REINDEX", "STORAGE"): Command(maintenance.reindex_storage, _SERVER, "REINDEX STORAGE", "parse every stored message again: search index and cached envelopes (the console waits while it runs)", server_right=SERVER_WIDE),
    ("COUNTRY", "LOOKUP"): Command(filtering.country_lookup, _SERVER, "COUNTRY LOOKUP ip A", "the country the country table gives address A", server_right="security"),
    # the queue and the services
    ("LIST", "QUEUE"): Command(operations.list_queue, _SERVER, "LIST QUEUE [sender S] [recipient R] [state ST] [minSize N] [failure T]", "queued messages", server_right="queue"),
    ("SHOW", "QUEUE"): Command(operations.show_queue, _SERVER, "SHOW QUEUE id N", "one queued message: envelope, recipients, header", server_right="queue"),
    ("RETRY", "QUEUE"): Command(operations.retry_queue, _SERVER, "RETRY QUEUE id N | RETRY QUEUE all yes", "make messages due now", server_right="queue"),
    ("DELETE", "QUEUE"): Command(operations.delete_queue, _SERVER, "DELETE QUEUE id N", "remove a message without telling anyone", server_right="queue"),
    ("BOUNCE", "QUEUE"): Command(operations.bounce_queue, _SERVER, "BOUNCE QUEUE id N", "return a message to its sender now", server_right="queue"),
    ("LIST", "SERVICES"): Command(operations.list_services, _SERVER, "LIST SERVICES", "each service's state, process and listeners", server_right="services"),
    ("START", "SERVICE"): Command(operations.start_service, _SERVER, "START SERVICE name S", "start a service", server_right="services"),
    ("STOP", "SERVICE"): Command(operations.stop_service, _SERVER, "STOP SERVICE name S", "stop a service", server_right="services"),
    ("RESTART", "SERVICE"): Command(operations.restart_service, _SERVER, "RESTART SERVICE name S", "restart a service", server_right="services"),
}  # fmt: skip

MAX_PHRASE = max(len(phrase) for phrase in COMMANDS)


def lookup(words: list[str]) -> tuple[tuple[str, ...], list[str]] | None:
    """The longest command phrase ``words`` start with, and the words after it."""
    for size in range(min(MAX_PHRASE, len(words)), 0, -1):
        phrase = tuple(w.upper() for w in words[:size])
        if phrase in COMMANDS:
            return phrase, words[size:]
    return None
