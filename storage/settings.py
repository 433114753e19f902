"""The settings registry: one declarative list that WebAdmin forms, CLI contexts, validation and the docs
are generated from, plus the stored values and how they resolve.

A setting may be given at up to four levels, from the most general to the most specific: ``server``,
``domain``, ``class`` (an account class of a domain) and ``account``. The effective value for an account is
the most specific explicit value among account, its class, its domain and the server, else the registry
default. A setting lists the levels where it may be set; values at other levels are refused on write and
ignored on read.

Values are stored as JSON text in ``setting_values`` (``scope_id`` is 0 for the server level, else the id
of the domain, account class or account). Every read goes to the database, so a change made by any
process applies at the next lookup; nothing is cached beyond the caller's transaction. A stored value that
no longer passes validation (the registry changed) is treated as unset rather than breaking a login.

Units when typing values (CLI, WebAdmin): sizes take K, M, G, T (binary: 1K = 1024 bytes, an optional
trailing "B" or "iB" is accepted); durations take s, m, h, d, w and may be combined ("1h30m").

The ``Setting`` type and the value validation each entry is built with live in storage.setting_types
(re-exported here); this module keeps the list itself, lookups, stored values and the generated docs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Executable, and_, bindparam, delete, func, or_, select

from storage import dialect
from storage import schema as s
from storage.errors import InvalidInput, NotFound
from storage.setting_types import (
    ALL_LEVELS,
    LEVELS,
    LOG_SERVICES,
    NET_PREAUTH_IDLE,
    NET_SERVICES,
    SERVER,
    SERVER_DOMAIN,
    TYPES,
    Setting,
    coerce_value,
    format_scalar,
    value_kind,
)

__all__ = [
    "ALL_LEVELS",
    "LEVELS",
    "LOG_SERVICES",
    "NET_PREAUTH_IDLE",
    "NET_SERVICES",
    "REGISTRY",
    "ReferenceRow",
    "SERVER",
    "SERVER_DOMAIN",
    "TYPES",
    "Setting",
    "clear_value",
    "coerce_value",
    "docs_markdown",
    "effective",
    "effective_many",
    "explicit_values",
    "format_scalar",
    "format_value",
    "get",
    "reference",
    "resolve",
    "set_value",
    "settings_for_level",
    "validate",
    "value_kind",
    "values_by_level",
]


def get(name: str) -> Setting:
    """The registry entry for ``name``.

    Raises:
        NotFound: no such setting.
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFound(f"unknown setting {name!r}") from None


def settings_for_level(level: str) -> list[Setting]:
    """Settings that may be set at ``level``, by name (what a WebAdmin page or CLI context offers)."""
    return sorted((st for st in REGISTRY.values() if level in st.levels), key=lambda st: st.name)


def validate(name: str, value: Any) -> Any:
    """Check ``value`` for setting ``name`` and return it in its stored type.

    Strings as typed on the CLI are converted: "10M" for sizes, "5m" for durations, "yes"/"no" for
    switches, "80, 95" for lists.

    Raises:
        NotFound: no such setting.
        InvalidInput: the value does not fit (the message names the setting and the rule broken).
    """
    return coerce_value(get(name), value)


def format_value(name: str, value: Any) -> str:
    """The typed-in form of a value; ``validate(name, format_value(name, v)) == v``."""
    setting = get(name)
    if setting.type == "list":
        return ", ".join(format_scalar(setting.item_type, item) for item in value)
    return format_scalar(setting.type, value)


# -- the registry (below the validators: each entry checks its own default when it is built)


def _s(name: str, type_: str, default: Any, levels: frozenset[str], help_: str, **extra: Any) -> Setting:
    return Setting(name=name, type=type_, default=default, levels=levels, help=help_, **extra)


_DEFINITIONS: list[Setting] = [
    # quotas
    _s("quota.storage_bytes", "bytes", 0, ALL_LEVELS, "Largest total size of a mailbox's messages; 0 means no limit.", minimum=0),
    _s("quota.messages", "int", 0, ALL_LEVELS, "Largest number of messages in a mailbox; 0 means no limit.", minimum=0),
    _s("quota.folders", "int", 0, ALL_LEVELS, "Largest number of folders in a mailbox; 0 means no limit.", minimum=0),
    _s("quota.warn_percent", "list", (80, 95), ALL_LEVELS, "Usage levels, in percent of a quota, at which the account gets a warning message.", item_type="int", minimum=1, maximum=100, unit="%"),
    _s("limits.accounts", "int", 0, SERVER_DOMAIN, "Most accounts a domain may hold; 0 means no limit.", minimum=0),
    # authentication
    _s("auth.cache_seconds", "seconds", 300, SERVER, "How long a process remembers a successful password check; 0 turns the cache off.", minimum=0, maximum=86400),
    _s("auth.free_failures", "int", 3, SERVER, "Failed logins allowed before further attempts are slowed down.", minimum=0, maximum=1000),
    _s("auth.base_delay_seconds", "seconds", 1, SERVER, "First wait imposed once the free failures are used up; it doubles with each failure.", minimum=0, maximum=3600),
    _s("auth.max_delay_seconds", "seconds", 60, SERVER, "Longest wait imposed between failed logins.", minimum=0, maximum=3600),
    _s("auth.failure_window_seconds", "seconds", 900, SERVER, "Failures older than this are forgotten; also how long a lockout lasts.", minimum=1, maximum=7 * 86400),
    _s("auth.lockout_failures", "int", 20, SERVER, "Failures within the window that lock the account or client address; 0 never locks.", minimum=0, maximum=100_000),
    _s("auth.allow_cram", "bool", False, SERVER_DOMAIN, "Keep the sealed secret that CRAM-MD5 and APOP need when a password is set.", ),
    _s("auth.scram_iterations", "int", 4096, SERVER_DOMAIN, "PBKDF2 iteration count for newly stored SCRAM-SHA-256 keys.", minimum=4096, maximum=10_000_000),
    _s("auth.password_min_length", "int", 8, frozenset({"server", "domain", "class"}), "Shortest password accepted when a password is set.", minimum=1, maximum=256, unit="characters"),
    # per-account service switches
    _s("services.imap", "bool", True, ALL_LEVELS, "The account may log in over IMAP."),
    _s("services.pop3", "bool", True, ALL_LEVELS, "The account may log in over POP3."),
    _s("services.smtp", "bool", True, ALL_LEVELS, "The account may authenticate to SMTP submission and send mail."),
    _s("services.webmail", "bool", True, ALL_LEVELS, "The account may log in to WebMail."),
    _s("services.dav", "bool", True, ALL_LEVELS, "The account may use calendar and contact programs over CalDAV and CardDAV."),
    _s("services.jmap", "bool", True, ALL_LEVELS, "The account may use the JMAP API: the Ajax WebMail and JMAP mail programs."),
    # mail handling
    _s("mail.max_message_bytes", "bytes", 50 * 1024**2, ALL_LEVELS, "Largest message the account may send or receive.", minimum=1024, maximum=2 * 1024**3),
    _s("mail.max_recipients", "int", 1000, ALL_LEVELS, "Most recipients one submitted message may have.", minimum=1, maximum=100_000),
    # web sessions and user preferences
    _s("web.session_idle_seconds", "seconds", 1800, ALL_LEVELS, "A web session without activity for this long is closed.", minimum=60, maximum=7 * 86400),
    _s("web.session_max_seconds", "seconds", 12 * 3600, ALL_LEVELS, "A web session is closed this long after login, however active.", minimum=300, maximum=30 * 86400),
    _s("webmail.interface", "enum", "ajax", ALL_LEVELS, "WebMail flavour shown after login.", choices=("ajax", "standard", "mobile")),
    _s("webmail.interfaces", "list", ("ajax", "standard", "mobile"), ALL_LEVELS, "WebMail flavours the user may choose at login; the first one built is used when the choice is not allowed.", item_type="enum", choices=("ajax", "standard", "mobile")),
    _s("webmail.mobile_agents", "list", ("Mobile", "Android", "iPhone", "iPod", "BlackBerry", "Kindle", "MIDP", "Symbian"), SERVER_DOMAIN, "Parts of a browser's User-Agent (any case) that make WebMail offer the Mobile pages at login.", item_type="str", minimum=2, maximum=100),
    _s("webmail.skin", "enum", "classic", ALL_LEVELS, "Look of the Standard WebMail pages.", choices=("classic", "collwater", "webreflection")),
    _s("webmail.trusted_image_senders", "list", (), frozenset({"account"}), "Senders whose messages show remote images without asking: addresses, or domains (example.org). WebMail's \"always show images from this sender\" adds to it.", item_type="str", minimum=1, maximum=320),
    _s("webmail.max_attachment_bytes", "bytes", 25 * 1024**2, ALL_LEVELS, "Largest file that may be attached to a message written in WebMail (the whole message is still bounded by mail.max_message_bytes).", minimum=1024, maximum=2 * 1024**3),
    _s("webmail.signatures", "str", "{}", frozenset({"account"}), "Signatures of the account's WebMail identities: a JSON object from sending address to signature text; the key \"*\" serves identities without one of their own.", minimum=2, maximum=64_000),
    # organizer (storage.pim)
    _s("organizer.max_item_bytes", "bytes", 1024**2, ALL_LEVELS, "Largest calendar item, task, note or contact card (its iCalendar or vCard text) the organizer accepts.", minimum=1024, maximum=64 * 1024**2),
    _s("organizer.max_occurrences", "int", 5000, ALL_LEVELS, "Most occurrences of events one calendar view or free/busy answer returns; recurring events are expanded up to this many.", minimum=10, maximum=1_000_000),
    _s("organizer.resource_policy", "enum", "none", ALL_LEVELS, "How an account answers meeting requests by itself, for rooms and equipment (set it on the account, or on an account class of rooms): none (a person answers), accept_if_free (accept when free, decline conflicts) or always_accept.", choices=("none", "accept_if_free", "always_accept")),
    _s("organizer.reminder_mail", "bool", False, ALL_LEVELS, "Also mail the reminders that calendar programs show on screen (alarms of action DISPLAY); reminders of action EMAIL are always mailed."),
    _s("user.language", "str", "en", ALL_LEVELS, "Language of the user interface, as a locale tag.", minimum=2, maximum=16),
    _s("user.timezone", "str", "UTC", ALL_LEVELS, "Time zone used to show dates, as an IANA name.", minimum=1, maximum=64),
    # temporary aliases users make in WebMail's settings (storage/temporary_aliases.py); docs/webmail-settings.md
    _s("aliases.temporary_max", "int", 5, ALL_LEVELS, "Most temporary aliases an account may hold at once; 0 turns the feature off.", minimum=0, maximum=100),
    _s("aliases.temporary_max_days", "int", 30, ALL_LEVELS, "Longest life of a temporary alias; it stops receiving mail this many days after it was made at the latest.", minimum=1, maximum=3650, unit="days"),
    # server-wide
    _s("server.hostname", "str", "", SERVER, "Name the server uses in greetings and generated mail; empty takes the static configuration's.", maximum=253),
    _s("changes.retention_seconds", "seconds", 30 * 86400, SERVER, "How long the change feed and expunged UIDs are kept for resynchronising clients.", minimum=3600, maximum=3650 * 86400),
    *(
        _s(f"log.level.{svc}", "int", 15, SERVER, f"What the {svc} service logs, as a bit mask: 1 critical, 2 error, 4 warning, 8 info, 16 protocol.", minimum=0, maximum=31)
        for svc in LOG_SERVICES
    ),
    # queue, processing and SMTP out (sidecars/processing, sidecars/relay, filters/dns); docs/queue.md
    _s("queue.retry_first_seconds", "seconds", 60, SERVER, "Wait before the first retry of a delivery that failed temporarily; the wait doubles with each further failure.", minimum=1, maximum=86400),
    _s("queue.retry_max_interval_seconds", "seconds", 3600, SERVER, "Longest wait between two delivery retries (the doubling stops here).", minimum=1, maximum=7 * 86400),
    _s("queue.max_lifetime_seconds", "seconds", 5 * 86400, SERVER, "A message still undelivered this long after it was queued goes back to its sender.", minimum=60, maximum=60 * 86400),
    _s("queue.max_retries", "int", 0, SERVER, "Most delivery attempts per recipient before the message goes back to its sender; 0: only the lifetime limits them.", minimum=0, maximum=100_000),
    _s("queue.delay_warning_seconds", "seconds", 4 * 3600, SERVER_DOMAIN, "Tell the sender once that delivery is late when it is still pending this long after queuing; 0 never tells.", minimum=0, maximum=60 * 86400),
    _s("queue.hold_rules", "list", (), SERVER, "Delayed delivery: items FIELD:PATTERN:MINUTES hold matching messages that long after queuing. FIELD is sender or recipient (shell pattern, *@news.test) or size (at least this size, 10M).", item_type="str", maximum=300),
    _s("queue.batch_size", "int", 20, SERVER, "Messages the processing service takes from the queue at a time.", minimum=1, maximum=1000),
    _s("queue.processing_threads", "int", 1, SERVER, "Threads the processing service works on a taken batch with; messages sharing a recipient stay in one thread, in queue order.", minimum=1, maximum=64),
    _s("ndr.sender", "str", "", SERVER_DOMAIN, "From address of delivery reports; empty: MAILER-DAEMON at the server's host name.", maximum=320),
    _s("ndr.subject", "str", "Undeliverable: {subject}", SERVER_DOMAIN, "Subject of a final delivery failure report; {subject} is the original subject.", minimum=1, maximum=300),
    _s("ndr.text", "str", "Your message could not be delivered to one or more recipients. The reasons are listed below.", SERVER_DOMAIN, "Opening text of a final delivery failure report.", minimum=1, maximum=4000),
    _s("ndr.delay_subject", "str", "Delivery delayed: {subject}", SERVER_DOMAIN, "Subject of the report telling a sender that delivery is late; {subject} is the original subject.", minimum=1, maximum=300),
    _s("ndr.delay_text", "str", "Your message has not been delivered yet to the recipients below. Delivery is still being tried; you need not send it again.", SERVER_DOMAIN, "Opening text of the delay report.", minimum=1, maximum=4000),
    _s("ndr.attach", "enum", "headers", SERVER_DOMAIN, "What of the original message a delivery report carries.", choices=("headers", "message", "none")),
    _s("appender.footer_text", "str", "", SERVER_DOMAIN, "Footer added to the plain-text parts of mail sent by the domain's authenticated users; empty adds none.", maximum=4000),
    _s("appender.footer_html", "str", "", SERVER_DOMAIN, "Footer (HTML) added to the HTML parts of mail sent by the domain's authenticated users; empty adds none.", maximum=8000),
    _s("relay.port", "int", 25, SERVER, "TCP port of remote mail exchangers; change it only for tests or a lab.", minimum=1, maximum=65535),
    _s("relay.timeout_seconds", "seconds", 120, SERVER, "Longest wait for a remote mail server's answer.", minimum=1, maximum=3600),
    _s("relay.routes", "list", (), SERVER, "Routing rules DOMAIN=[USER:PASSWORD@]HOST[:PORT]: send mail for DOMAIN through HOST (with SMTP AUTH when a user is given). DOMAIN * matches every destination, .example.com its subdomains.", item_type="str", maximum=500),
    _s("relay.require_tls_domains", "list", (), SERVER, "Destination domains whose servers must accept STARTTLS; mail for them waits rather than travel in clear.", item_type="str", maximum=253),
    _s("relay.tls_cafile", "str", "", SERVER, "File of extra CA certificates trusted when verifying servers of relay.require_tls_domains (besides the system's); empty: the system's only.", maximum=4096),
    _s("relay.source_address", "str", "", SERVER_DOMAIN, "Local IP address for outbound connections carrying mail of the sending domain; empty: the system's choice.", maximum=45),
    _s("dns.nameservers", "list", (), SERVER, "Nameservers asked, in order, as IP or IP:PORT; empty: the system's.", item_type="str", maximum=60),
    _s("dns.timeout_seconds", "seconds", 5, SERVER, "Longest time one DNS lookup may take.", minimum=1, maximum=60),
    # listeners of the protocol services (sidecars/net): access rules, flow control, error control, idle
    # time. Rules are typed "SET[@PRIORITY][;KEY=VALUE...]", see sidecars/net/rules.py.
    *(
        entry
        for svc, idle in NET_SERVICES.items()
        for entry in (
            _s(f"net.{svc}.max_connections", "int", 500, SERVER, f"Most simultaneous connections to each {svc} listener; 0 means no limit.", minimum=0, maximum=1_000_000),
            _s(f"net.{svc}.max_per_ip", "int", 50, SERVER, f"Most simultaneous connections from one client address to each {svc} listener; 0 means no limit.", minimum=0, maximum=1_000_000),
            _s(f"net.{svc}.new_per_interval", "int", 0, SERVER, f"Most new connections per interval to each {svc} listener; 0 means no limit.", minimum=0, maximum=1_000_000),
            _s(f"net.{svc}.new_per_ip_per_interval", "int", 0, SERVER, f"Most new connections per interval from one client address to each {svc} listener; 0 means no limit.", minimum=0, maximum=1_000_000),
            _s(f"net.{svc}.interval_seconds", "seconds", 60, SERVER, f"Length of the interval the {svc} new-connection limits count in.", minimum=1, maximum=86400),
            _s(f"net.{svc}.idle_seconds", "seconds", idle, SERVER, f"A {svc} connection silent for this long is closed.", minimum=10, maximum=86400),
            _s(f"net.{svc}.preauth_idle_seconds", "seconds", NET_PREAUTH_IDLE[svc], SERVER, f"A {svc} connection silent for this long before its client has logged in (SMTP: authenticated or sent MAIL) is closed; never longer than net.{svc}.idle_seconds.", minimum=1, maximum=86400),
            _s(f"net.{svc}.reserve_authenticated", "int", 100, SERVER, f"Of net.{svc}.max_connections, this many are kept for clients that have logged in (SMTP: authenticated or sent MAIL). When the other connections are all waiting for a login, or the listener is full, a new connection displaces the oldest of those instead of being refused.", minimum=0, maximum=1_000_000),
            _s(f"net.{svc}.allow_rules", "list", (), SERVER, f"Client addresses let in to the {svc} listeners, with optional limits: SET[@PRIORITY][;max=N;per_ip=N;new=N;new_per_ip=N;interval=S]. SET is an address, a range a-b or a network (CIDR or address/mask); a lower priority number is stronger.", item_type="str", maximum=200),
            _s(f"net.{svc}.deny_rules", "list", (), SERVER, f"Client addresses refused by the {svc} listeners: SET[@PRIORITY]. A deny rule loses to an allow rule of the same or a stronger (lower) priority.", item_type="str", maximum=200),
            _s(f"net.{svc}.max_errors", "int", 10, SERVER, f"Protocol errors after which a {svc} session is dropped; 0 means no limit.", minimum=0, maximum=10_000),
            _s(f"net.{svc}.max_auth_failures", "int", 3, SERVER, f"Failed authentications after which a {svc} session is dropped; 0 means no limit.", minimum=0, maximum=10_000),
        )
    ),
    # SMTP receiving (sidecars/smtp): acceptance, relaying, loop protection; docs/smtp.md
    _s("smtp.max_received_headers", "int", 20, SERVER, "A message arriving with more Received header fields than this is refused as a mail loop.", minimum=1, maximum=1000),
    _s("smtp.allow_plaintext_auth", "bool", False, SERVER, "Offer SMTP AUTH on submission listeners before STARTTLS (PLAIN and LOGIN then send passwords in clear)."),
    _s("smtp.vrfy", "bool", False, SERVER, "Answer VRFY with whether a local address exists; off, VRFY gets a neutral 252 reply."),
    _s("smtp.trusted_networks", "list", (), SERVER, "Client networks (CIDR) allowed to relay mail to outside domains without authenticating.", item_type="str", maximum=64),
    _s("smtp.postmaster_domain", "str", "", SERVER, "Domain whose postmaster receives mail sent to <postmaster> without a domain; empty: the domain of server.hostname (or of a parent name), else the first domain created.", maximum=253),
    _s("smtp.allow_any_header_from", "bool", False, ALL_LEVELS, "Let authenticated users put any address in the From: header field of mail they submit; off, only their own addresses, their aliases and mailboxes they may send as (the \"0\" right)."),
    _s("smtp.acceptance_rules", "str", "[]", SERVER, "Message acceptance rules: a JSON list of {event, if, then} entries evaluated in order at each SMTP event (see docs/smtp.md).", maximum=200_000),
    # FTP backup and restore (sidecars/ftp); docs/backup.md
    _s("ftp.allow_plaintext_auth", "bool", False, SERVER, "Accept FTP USER/PASS before AUTH TLS (the administrator's password then travels in clear); off, a login needs TLS first."),
    _s("ftp.passive_ports", "str", "", SERVER, "Ports FTP data connections listen on in passive mode, as LOW-HIGH (open them in the firewall); empty: any free port the system picks.", maximum=11),
    _s("ftp.max_upload_bytes", "bytes", 256 * 1024**2, SERVER, "Largest file one FTP upload (STOR) may carry; a restore of a bigger message or document is refused.", minimum=1024, maximum=4 * 1024**3),
    # IMAP access (sidecars/imap); docs/imap.md
    _s("imap.allow_plaintext_auth", "bool", False, SERVER, "Accept IMAP LOGIN and AUTHENTICATE PLAIN/LOGIN before STARTTLS on the plain IMAP listener (passwords then travel in clear); off, LOGINDISABLED is advertised until TLS is active."),
    _s("imap.expunged_hold_seconds", "seconds", 35 * 60, SERVER, "How long an expunged message stays readable (FETCH) for the IMAP sessions not yet told of the expunge, in any process (RFC 2180 4.1.1); keep it longer than net.imap.idle_seconds and IDLE's 31 minutes. The processing service then frees its body within 10 minutes (housekeeping). 0: freed at once, and such a FETCH answers NO [EXPUNGEISSUED].", minimum=0, maximum=7 * 86400),
    # POP3 access (sidecars/pop3); docs/pop3.md
    _s("pop3.allow_plaintext_auth", "bool", False, SERVER, "Accept POP3 USER/PASS and AUTH PLAIN/LOGIN before STLS on the plain POP3 listener (passwords then travel in clear); off, USER is not advertised and those commands are refused until TLS is active."),
    # the administrator's console (sidecars/cli); docs/cli.md
    _s("cli.allow_plaintext_auth", "bool", False, SERVER, "Take administrator passwords on the plain console listener before STARTTLS (they then travel in clear); off, USER is refused until TLS is on."),
    _s("cli.max_commands", "int", 100_000, SERVER, "Most command lines one console session may send; the session then ends (a script logs in again). 0 means no limit.", minimum=0, maximum=100_000_000),
    # Remote POP: other mailboxes fetched into an account (storage/remote_accounts.py, sidecars/rpop); docs/rpop.md
    _s("rpop.max_accounts", "int", 5, ALL_LEVELS, "Most remote POP3/IMAP mailboxes one account may have fetched into it; 0 turns the feature off for the account.", minimum=0, maximum=100),
    _s("rpop.min_interval", "seconds", 300, ALL_LEVELS, "Shortest time a user may set between two fetches from one remote mailbox.", minimum=60, maximum=86400),
    _s("rpop.allow_plaintext", "bool", False, ALL_LEVELS, "Allow remote mailboxes reached without TLS (the remote password then travels in clear); off, only implicit TLS and STARTTLS may be chosen."),
    _s("rpop.max_messages_per_run", "int", 200, SERVER, "Most messages fetched from one remote mailbox in one run; the rest come in the next runs.", minimum=1, maximum=100_000),
    _s("rpop.max_message_size", "bytes", 50 * 1024**2, SERVER, "Largest message fetched from a remote mailbox; a larger one is left there (and noted in the mailbox's last error).", minimum=1024, maximum=2 * 1024**3),
    _s("rpop.timeout", "seconds", 60, SERVER, "How long the fetcher waits on a remote server's answer before it gives up that run.", minimum=5, maximum=3600),
    _s("rpop.ca_file", "str", "", SERVER, "A PEM file of extra certificate authorities trusted for remote mailboxes' TLS (besides the system's); empty: the system's only.", maximum=1000),
    # Sieve scripts kept by storage.scripts (ManageSieve, WebMail rules); docs/storage.md
    _s("sieve.max_script_bytes", "bytes", 64 * 1024, SERVER_DOMAIN, "Largest Sieve script that may be stored, in bytes of its UTF-8 text.", minimum=1024, maximum=16 * 1024**2),
    _s("sieve.max_scripts", "int", 20, SERVER_DOMAIN, "Most Sieve scripts one account, domain or the server may keep (active or not).", minimum=1, maximum=10_000),
    # sender lists and identity confirmation (filters/lists.py, filters/identity.py); docs/filters.md.
    # List entries are address patterns: * and ? wildcards, an entry without "@" names a whole domain.
    _s("lists.server_blacklist", "list", (), SERVER, "Senders (From header address patterns such as *@spam.example) whose mail is refused or discarded (lists.server_blacklist_action) for every recipient.", item_type="str", minimum=1, maximum=320),
    _s("lists.server_blacklist_action", "enum", "reject", SERVER, "What happens to mail from a server black-listed sender: reject (the sender gets a failure report) or discard (dropped silently).", choices=("reject", "discard")),
    _s("lists.server_whitelist", "list", (), SERVER, "Trusted senders (From header address patterns): the spam scanners' actions and identity confirmation are skipped for them.", item_type="str", minimum=1, maximum=320),
    _s("lists.blocked_senders", "list", (), frozenset({"account"}), "The account's own black list: mail from these senders (From address patterns) goes to its Trash.", item_type="str", minimum=1, maximum=320),
    _s("lists.safe_senders", "list", (), frozenset({"account"}), "The account's safe senders (From address patterns): never challenged by identity confirmation, never treated as spam.", item_type="str", minimum=1, maximum=320),
    _s("identity.enabled", "bool", False, ALL_LEVELS, "Identity confirmation (challenge/response): mail from unknown senders waits in \"Unconfirmed Messages\" until the sender answers one challenge."),
    _s("identity.challenge_days", "int", 7, ALL_LEVELS, "A sender still unconfirmed is challenged again at most once in this many days.", minimum=1, maximum=90, unit="days"),
    _s("identity.pending_days", "int", 30, SERVER, "A challenge not answered within this many days expires (its code stops working; the waiting mail stays in \"Unconfirmed Messages\").", minimum=1, maximum=365, unit="days"),
    _s("identity.local_part", "str", "confirm", SERVER, "Local part of the confirmation address LOCAL+CODE@DOMAIN of every local domain that challenges carry.", minimum=1, maximum=40),
    # connection-time checks of SMTP receiving (filters/checks: dnsbl, rdns, mx, greylist, country);
    # docs/filters.md. Every one is off until an operator turns it on.
    _s("dnsbl.enabled", "bool", False, SERVER, "Look unauthenticated clients up in the DNS block lists of dnsbl.zones and refuse listed ones at MAIL FROM."),
    _s("dnsbl.zones", "list", (), SERVER, "DNS block lists asked, as ZONE or ZONE=WEIGHT (weight 1 to 100, default 1).", item_type="str", maximum=260),
    _s("dnsbl.threshold", "int", 1, SERVER, "Sum of the weights of the lists naming a client at which it is refused; 1 refuses on any listing.", minimum=1, maximum=10_000),
    _s("dnsbl.action", "enum", "reject", SERVER, "What a listed client gets: a permanent refusal, a temporary one, or its mail accepted with an X-Fieldpost-DNSBL header field.", choices=("reject", "tempfail", "mark")),
    _s("dnsbl.exclude_networks", "list", (), SERVER, "Client addresses or networks (CIDR) never looked up in the block lists.", item_type="str", maximum=64),
    _s("dnsbl.exclude_sender_domains", "list", (), SERVER, "Envelope sender domains whose mail is never refused by the block lists (a leading '.' also matches subdomains).", item_type="str", maximum=253),
    _s("rdns.policy", "enum", "off", SERVER, "Clients whose address has no reverse DNS name that resolves back to it: accepted (off), marked with an X-Fieldpost-RDNS header field, refused for now (tempfail) or refused (reject).", choices=("off", "mark", "tempfail", "reject")),
    _s("rdns.exclude_networks", "list", (), SERVER, "Client addresses or networks (CIDR) the reverse DNS check skips.", item_type="str", maximum=64),
    _s("mx_check.policy", "enum", "off", SERVER, "Envelope sender domains without a mail host (no MX and no address, a null MX, or no such domain): accepted (off), marked with an X-Fieldpost-MX-Check header field, refused for now (tempfail) or refused (reject).", choices=("off", "mark", "tempfail", "reject")),
    _s("greylist.enabled", "bool", False, SERVER, "Refuse the first attempt of every new (client network, sender, recipient) triplet for now; the retry after greylist.delay_seconds is accepted."),
    _s("greylist.delay_seconds", "seconds", 300, SERVER, "How long a new triplet must wait before its retry is accepted.", minimum=1, maximum=86400),
    _s("greylist.retry_window_seconds", "seconds", 86400, SERVER, "How long a refused triplet is remembered; a retry after that counts as a new first attempt.", minimum=60, maximum=30 * 86400),
    _s("greylist.pass_ttl_seconds", "seconds", 35 * 86400, SERVER, "How long a triplet that passed stays accepted without delay after its last use.", minimum=3600, maximum=365 * 86400),
    _s("greylist.auto_whitelist_passes", "int", 5, SERVER, "Triplets a client network must pass before all its mail skips greylisting; 0 never whitelists.", minimum=0, maximum=10_000),
    _s("greylist.whitelist_ttl_seconds", "seconds", 35 * 86400, SERVER, "How long a client network stays whitelisted (and its passes counted) after its last mail.", minimum=3600, maximum=365 * 86400),
    _s("greylist.ipv4_prefix", "int", 24, SERVER, "IPv4 clients in one network of this prefix length share their triplets (a sending farm retries from another address).", minimum=8, maximum=32),
    _s("greylist.ipv6_prefix", "int", 64, SERVER, "IPv6 clients in one network of this prefix length share their triplets.", minimum=16, maximum=128),
    _s("greylist.exempt_networks", "list", (), SERVER, "Client addresses or networks (CIDR) never greylisted.", item_type="str", maximum=64),
    _s("greylist.exempt_senders", "list", (), SERVER, "Envelope senders never greylisted: an address, a domain, or a shell pattern (*@lists.example.org).", item_type="str", maximum=320),
    _s("greylist.exempt_recipients", "list", (), SERVER, "Recipients whose mail is never greylisted: an address, a domain, or a shell pattern (postmaster@*).", item_type="str", maximum=320),
    _s("country.enabled", "bool", False, SERVER, "Refuse mail from unauthenticated clients by the country of their address (from the table loaded with 'fieldpost filters countries import')."),
    _s("country.blocked", "list", (), SERVER, "Two-letter country codes (ISO 3166) whose clients are refused.", item_type="str", minimum=2, maximum=2),
    _s("country.allowed", "list", (), SERVER, "When not empty, only clients of these two-letter country codes are accepted.", item_type="str", minimum=2, maximum=2),
    _s("country.unknown", "enum", "accept", SERVER, "What a client whose address is in no range of the loaded table gets (private addresses and an empty table included; list them in country.skip_networks to exempt them).", choices=("accept", "reject")),
    _s("country.skip_networks", "list", (), SERVER, "Client addresses or networks (CIDR) never looked up nor refused by country.", item_type="str", maximum=64),
    # sender authentication of SMTP receiving (filters/checks/spf.py, authentication.py) and DKIM signing of
    # outgoing mail (filters/dkim_sign.py); docs/filters.md "SPF, DKIM and DMARC". On by default for the MX
    # listener; DNS trouble only ever delays mail (SPF temperror), it never refuses it for good.
    _s("spf.enabled", "bool", True, SERVER, "Check the envelope sender's SPF record (RFC 7208) at MAIL FROM for mail arriving from unauthenticated clients."),
    _s("spf.fail_action", "enum", "mark", SERVER, "What an SPF fail result does: mark (accept with Received-SPF: fail) or reject (550 5.7.23).", choices=("mark", "reject")),
    _s("spf.permerror_action", "enum", "reject", SERVER, "What an SPF permerror (the sender domain's record is invalid) does: reject (550 5.7.24) or mark (accept with Received-SPF: permerror).", choices=("reject", "mark")),
    _s("spf.temperror_action", "enum", "tempfail", SERVER, "What an SPF temperror (DNS trouble) does: tempfail (451 4.7.24, the client retries later) or mark (accept with Received-SPF: temperror).", choices=("tempfail", "mark")),
    _s("dkim.verify", "bool", True, SERVER, "Verify the DKIM signatures (RFC 6376) of mail from unauthenticated clients and report them in Authentication-Results."),
    _s("dkim.max_signatures", "int", 5, SERVER, "Most DKIM signatures of one message that are verified; further ones are ignored.", minimum=1, maximum=50),
    _s("dkim.sign", "bool", True, SERVER_DOMAIN, "Sign mail that the domain's authenticated users send to other servers, when the domain has a DKIM key ('fieldpost domain dkim DOMAIN generate')."),
    _s("dkim.selector", "str", "fieldpost", SERVER_DOMAIN, "Selector of the domain's DKIM key: its public key is published as a TXT record at SELECTOR._domainkey.DOMAIN.", minimum=1, maximum=63),
    _s("dmarc.enabled", "bool", True, SERVER, "Apply the From domain's DMARC policy (RFC 7489) to mail from unauthenticated clients: p=reject refuses, p=quarantine files in Junk."),
    _s("dmarc.reject_action", "enum", "reject", SERVER, "What mail failing DMARC gets when its domain asks for p=reject: reject (550 5.7.1) or quarantine (accepted and filed in Junk).", choices=("reject", "quarantine")),
    # content scanners of processing (filters/scanners: spamd, clamd, milters); docs/filters.md "Scanners".
    # All off until an operator turns them on; a scanner that is down keeps mail queued (failsafe).
    _s("scan.spamd.enabled", "bool", False, SERVER, "Grade every queued message with SpamAssassin's spamd and write its spam level (1-10)."),
    _s("scan.spamd.address", "str", "127.0.0.1:783", SERVER, "Where spamd listens: HOST:PORT or unix:/path/to/socket.", minimum=3, maximum=4096),
    _s("scan.spamd.timeout_seconds", "seconds", 30, SERVER, "Longest wait for spamd at each step (connect, send, answer); past it the message waits in the queue.", minimum=1, maximum=600),
    _s("scan.spamd.max_bytes", "bytes", 512 * 1024, SERVER, "Messages larger than this are not sent to spamd and get no spam level.", minimum=1024, maximum=256 * 1024**2),
    _s("scan.spam.threshold_level", "int", 6, SERVER, "Spam level from which scan.spam.action applies; 6 is where spamd's own required score is reached.", minimum=1, maximum=10),
    _s("scan.spam.action", "enum", "junk", SERVER, "What happens to mail at or above the threshold: tag (only the level fields), junk (file into scan.spam.folder), reject (returned to the sender), discard (dropped).", choices=("tag", "junk", "reject", "discard")),
    _s("scan.spam.folder", "str", "Junk", SERVER, "Folder that spam goes to with the junk action (INBOX when the recipient has no such folder).", minimum=1, maximum=255),
    _s("scan.clamd.enabled", "bool", False, SERVER, "Scan every queued message with ClamAV's clamd and write its virus level (1-5)."),
    _s("scan.clamd.address", "str", "127.0.0.1:3310", SERVER, "Where clamd listens: HOST:PORT or unix:/path/to/socket.", minimum=3, maximum=4096),
    _s("scan.clamd.timeout_seconds", "seconds", 60, SERVER, "Longest wait for clamd at each step; past it the message waits in the queue.", minimum=1, maximum=600),
    _s("scan.clamd.max_bytes", "bytes", 25 * 1024**2, SERVER, "Largest message sent to clamd (keep it at most clamd's StreamMaxLength); larger ones are unscannable.", minimum=1024, maximum=4 * 1024**3),
    _s("scan.virus.action", "enum", "discard", SERVER, "What happens to mail with a virus: discard (dropped), reject (returned to the sender), quarantine (sent to scan.quarantine_address only).", choices=("discard", "reject", "quarantine")),
    _s("scan.unscannable.action", "enum", "deliver", SERVER, "What happens to mail the virus scanner cannot scan (too large, a scan error): deliver, discard, reject or quarantine.", choices=("deliver", "discard", "reject", "quarantine")),
    _s("scan.quarantine_address", "str", "", SERVER, "Address that quarantined messages are sent to; empty: quarantined messages are dropped.", maximum=320),
    _s("scan.milters", "list", (), SERVER, "Milters asked about every queued message, in order: HOST:PORT or unix:/path/to/socket.", item_type="str", maximum=4096),
    _s("scan.milter.timeout_seconds", "seconds", 30, SERVER, "Longest wait for a milter at each step; past it the message waits in the queue.", minimum=1, maximum=600),
]  # fmt: skip

REGISTRY: dict[str, Setting] = {setting.name: setting for setting in _DEFINITIONS}
assert len(REGISTRY) == len(_DEFINITIONS), "duplicate setting name"


# -- resolution


def resolve(name: str, values_by_level: Mapping[str, Any]) -> Any:
    """The effective value from explicit values keyed by level (pure): the most specific level wins."""
    setting = get(name)
    for level in reversed(LEVELS):
        if level in setting.levels and level in values_by_level:
            return coerce_value(setting, values_by_level[level])
    return coerce_value(setting, setting.default)


# Built once: an account's effective settings are read for every recipient SMTP accepts (its size
# limit) and at every delivery, and building the statements cost more than running them.
_ACCOUNT_SCOPE = select(s.accounts.c.domain_id, s.accounts.c.account_class_id).where(
    s.accounts.c.id == bindparam("account_id")
)
_STORED: dict[tuple[str, ...], Executable] = {}  # by the levels asked, in order


def _stored_statement(levels: tuple[str, ...]) -> Executable:
    """The values of the settings ``:names`` at the levels given, each level's scope id ``:<level>``."""
    found = _STORED.get(levels)
    if found is not None:
        return found
    sv = s.setting_values
    where = or_(*(and_(sv.c.level == level, sv.c.scope_id == bindparam(level)) for level in levels))
    statement = select(sv.c.level, sv.c.name, sv.c.value).where(
        sv.c.name.in_(bindparam("names", expanding=True)), where
    )
    _STORED[levels] = statement  # a handful of shapes: server always, then account/class/domain
    return statement


def _scopes(conn: Connection, account_id: int | None, domain_id: int | None) -> dict[str, int]:
    scopes = {"server": 0}
    if account_id is not None:
        row = conn.execute(_ACCOUNT_SCOPE, {"account_id": account_id}).first()
        if row is None:
            raise NotFound("no such account")
        if domain_id is not None and domain_id != row.domain_id:
            raise InvalidInput("the account is not in that domain")
        scopes["account"] = account_id
        domain_id = row.domain_id
        if row.account_class_id is not None:
            scopes["class"] = row.account_class_id
    if domain_id is not None:
        scopes["domain"] = domain_id
    return scopes


def _stored(conn: Connection, names: Iterable[str], scopes: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """name -> {level: value} for the scopes, validated; one statement."""
    statement = _stored_statement(tuple(scopes))
    rows = conn.execute(statement, {"names": list(names), **scopes})
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        try:
            value = coerce_value(REGISTRY[row.name], json.loads(row.value))
        except (InvalidInput, ValueError):
            continue  # a stale value from an older registry counts as unset
        found.setdefault(row.name, {})[row.level] = value
    return found


def effective_for_accounts(
    conn: Connection, name: str, scopes: Iterable[tuple[int, int, int | None]]
) -> dict[int, Any]:
    """One setting's effective value for many accounts at once: account id -> value.

    ``scopes`` holds (account id, domain id, class id or None) per account, as the caller already read
    them; every stored value of the setting is read in one statement whatever the number of accounts,
    which is what a list of ten thousand accounts needs (one lookup each took 6 ms).
    """
    setting = get(name)
    sv = s.setting_values
    stored: dict[tuple[str, int], Any] = {}
    for row in conn.execute(select(sv.c.level, sv.c.scope_id, sv.c.value).where(sv.c.name == setting.name)):
        try:
            stored[(row.level, int(row.scope_id))] = coerce_value(setting, json.loads(row.value))
        except (InvalidInput, ValueError):
            continue  # a stale value from an older registry counts as unset
    out: dict[int, Any] = {}
    for account_id, domain_id, class_id in scopes:
        keys = {"server": 0, "domain": domain_id, "account": account_id}
        if class_id is not None:
            keys["class"] = class_id
        levels = {lv: stored[(lv, sid)] for lv, sid in keys.items() if (lv, sid) in stored}
        out[account_id] = resolve(setting.name, levels)
    return out


def values_by_level(
    conn: Connection, name: str, account_id: int | None = None, domain_id: int | None = None
) -> dict[str, Any]:
    """The explicit values that apply to the account (or domain), keyed by level: where a value comes from.

    Raises:
        NotFound: unknown setting or account.
    """
    get(name)
    return _stored(conn, [name], _scopes(conn, account_id, domain_id)).get(name, {})


def effective_many(
    conn: Connection, names: Iterable[str], account_id: int | None = None, domain_id: int | None = None
) -> dict[str, Any]:
    """Effective values of several settings for an account, a domain (no account) or the server (neither).

    Raises:
        NotFound: unknown setting or account.
        InvalidInput: ``domain_id`` given and not the account's domain.
    """
    wanted = [get(name).name for name in names]
    stored = _stored(conn, wanted, _scopes(conn, account_id, domain_id))
    return {name: resolve(name, stored.get(name, {})) for name in wanted}


def on_for_any_domain(conn: Connection, names: Iterable[str]) -> dict[str, bool]:
    """For each boolean setting of ``names``: whether it is on, in effect, for at least one domain (the
    domain's own value, else the server's). Two statements whatever the number of domains (one
    transaction per domain cost every new IMAP and POP3 connection a millisecond or more).

    Raises:
        NotFound: unknown setting.
    """
    wanted = [get(name).name for name in names]
    if not wanted:
        return {}
    domains = int(conn.execute(select(func.count()).select_from(s.domains)).scalar_one())
    sv = s.setting_values
    rows = conn.execute(
        select(sv.c.level, sv.c.name, sv.c.value).where(
            sv.c.name.in_(wanted),
            or_(
                and_(sv.c.level == "server", sv.c.scope_id == 0),
                and_(sv.c.level == "domain", sv.c.scope_id.in_(select(s.domains.c.id))),
            ),
        )
    )
    server: dict[str, Any] = {}
    domain_on: set[str] = set()
    domain_off: dict[str, int] = {}
    for row in rows:
        try:
            value = coerce_value(REGISTRY[row.name], json.loads(row.value))
        except (InvalidInput, ValueError):
            continue  # a stale value from an older registry counts as unset
        if row.level == "server":
            server[row.name] = value
        elif value:
            domain_on.add(row.name)
        else:
            domain_off[row.name] = domain_off.get(row.name, 0) + 1
    out = {}
    for name in wanted:
        server_on = bool(resolve(name, {"server": server[name]} if name in server else {}))
        out[name] = name in domain_on or (server_on and domains > domain_off.get(name, 0))
    return out


def effective(
    conn: Connection, name: str, account_id: int | None = None, domain_id: int | None = None
) -> Any:
    """Effective value of one setting; see ``effective_many``."""
    return effective_many(conn, [name], account_id, domain_id)[name]


# -- writing


_SCOPE_TABLES = {"domain": s.domains, "class": s.account_classes, "account": s.accounts}


def _check_scope(conn: Connection, setting: Setting | None, level: str, scope_id: int) -> None:
    if level not in LEVELS:
        raise InvalidInput(f"unknown settings level {level!r}; expected one of {', '.join(LEVELS)}")
    if setting is not None and level not in setting.levels:
        allowed = ", ".join(lv for lv in LEVELS if lv in setting.levels)
        raise InvalidInput(f"setting {setting.name} cannot be set at {level} level (only: {allowed})")
    if level == "server":
        if scope_id != 0:
            raise InvalidInput("server-level settings use scope id 0")
        return
    table = _SCOPE_TABLES[level]
    if conn.execute(select(table.c.id).where(table.c.id == scope_id)).first() is None:
        raise NotFound(f"no such {level}")


def set_value(conn: Connection, name: str, level: str, scope_id: int, value: Any) -> Any:
    """Store an explicit value at one level and return it as stored (validated and converted).

    Raises:
        NotFound: unknown setting, or the domain/class/account does not exist.
        InvalidInput: bad value, or the setting may not be set at this level.
    """
    setting = get(name)
    _check_scope(conn, setting, level, scope_id)
    clean = coerce_value(setting, value)
    stmt = dialect.insert(conn, s.setting_values).values(
        level=level, scope_id=scope_id, name=name, value=json.dumps(clean)
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["level", "scope_id", "name"], set_={"value": stmt.excluded.value}
        )
    )
    return clean


def clear_value(conn: Connection, name: str, level: str, scope_id: int) -> bool:
    """Remove an explicit value so the level inherits again; True if there was one."""
    sv = s.setting_values
    result = conn.execute(delete(sv).where(sv.c.name == name, sv.c.level == level, sv.c.scope_id == scope_id))
    return bool(result.rowcount)


def explicit_values(conn: Connection, level: str, scope_id: int) -> dict[str, Any]:
    """Everything set explicitly at one scope, name -> value (including names the registry no longer
    knows, so an administrator can see and clear them)."""
    if level not in LEVELS:
        raise InvalidInput(f"unknown settings level {level!r}; expected one of {', '.join(LEVELS)}")
    sv = s.setting_values
    rows = conn.execute(
        select(sv.c.name, sv.c.value)
        .where(sv.c.level == level, sv.c.scope_id == scope_id)
        .order_by(sv.c.name)
    )
    return {row.name: json.loads(row.value) for row in rows}


# -- documentation


def _limits(setting: Setting) -> str:
    kind = value_kind(setting)
    if setting.type == "enum":
        return " / ".join(f"`{c}`" for c in setting.choices)
    if kind == "str":
        bounds = [f"{setting.minimum}" if setting.minimum is not None else "0", f"{setting.maximum}"]
        return f"length {bounds[0]}-{bounds[1]}" if setting.maximum is not None else ""
    low = format_scalar(kind, setting.minimum) if setting.minimum is not None else ""
    high = format_scalar(kind, setting.maximum) if setting.maximum is not None else ""
    if low and high:
        return f"{low} - {high}"
    return f">= {low}" if low else (f"<= {high}" if high else "")


@dataclass(frozen=True)
class ReferenceRow:
    """One setting as the reference shows it (docs/settings.md, WebAdmin's settings reference page)."""

    name: str
    kind: str
    default: str
    levels: str
    limits: str
    help: str


def reference() -> dict[str, list[ReferenceRow]]:
    """The registry as a reference: section -> its settings, both in name order."""
    out: dict[str, list[ReferenceRow]] = {}
    for section in sorted({st.section for st in REGISTRY.values()}):
        rows = out[section] = []
        for st in sorted((st for st in REGISTRY.values() if st.section == section), key=lambda x: x.name):
            kind = f"list of {st.item_type}" if st.type == "list" else st.type
            default = format_value(st.name, st.default) or '""'
            levels = ", ".join(lv for lv in LEVELS if lv in st.levels)
            limits = _limits(st) + (f" ({st.unit})" if st.unit else "")
            rows.append(ReferenceRow(st.name, kind, default, levels, limits.strip(), st.help))
    return out


def docs_markdown() -> str:
    """The registry as markdown: one table per section, for docs/settings.md."""
    out = [
        "# Settings",
        "",
        "Levels from general to specific: server, domain, class (account class), account. The most specific"
        " explicit value wins; a setting can only be set at the levels listed. Sizes accept K/M/G/T"
        " (binary), durations s/m/h/d/w.",
    ]
    for section, rows in reference().items():
        out += ["", f"## {section}", "", "| Setting | Type | Default | Levels | Limits | Description |"]
        out.append("|---|---|---|---|---|---|")
        for r in rows:
            help_ = r.help.replace("|", "\\|")
            out.append(f"| `{r.name}` | {r.kind} | `{r.default}` | {r.levels} | {r.limits} | {help_} |")
    return "\n".join(out) + "\n"
