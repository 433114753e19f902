"""The relational model, as SQLAlchemy Core tables.

This module is the single description of the schema; Alembic revisions in ``storage/migrations`` move a
database from one version of it to the next. Only storage modules import it.

Shape of the model (see docs/storage.md for the long version):

* ``addresses`` is the one name table of a domain: every deliverable local part (account, alias, group,
  forwarder) is a row, so uniqueness across kinds is a database constraint and resolving a recipient is
  one indexed lookup.
* ``bodies`` holds one row per distinct message content (SHA-256 of the bytes); ``messages`` holds one row
  per message *in a folder*. N recipients of one delivery share one body row, one blob file and one
  full-text row ("single storage"); ``bodies.refcount`` counts the message and queue rows that use it.
* ``folders`` carry the IMAP counters (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) and cached totals, so opening
  a folder never counts its messages. Every account and every domain's public namespace has a root folder
  with an empty path: it anchors the ACL chain ("grant the whole mailbox").
* ``changes`` is the change feed; ``expunged`` keeps expunged UIDs with their MODSEQ for QRESYNC.
* ``expunged_holds`` keeps, for a while, what FETCH needs of an expunged message and one reference on its
  body, for the IMAP sessions (in any process) not yet told of the expunge (storage.holds).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT primary keys do not autoincrement on SQLite; this variant does on both backends.
Id = BigInteger().with_variant(Integer(), "sqlite")

domains = Table(
    "domains",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(253), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

domain_aliases = Table(
    "domain_aliases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(253), nullable=False, unique=True),
)

account_classes = Table(
    "account_classes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    UniqueConstraint("domain_id", "name"),
    sqlite_autoincrement=True,
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("local_part", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("account_class_id", ForeignKey("account_classes.id", ondelete="SET NULL"), nullable=True),
    Column("display_name", String(200), nullable=True),
    Column("password_hash", Text, nullable=True),  # argon2id; NULL = cannot log in
    Column("scram_keys", Text, nullable=True),  # SCRAM-SHA-256 stored/server keys, never the password
    Column("sealed_secret", Text, nullable=True),  # CRAM-MD5/APOP secret, encrypted; only if domain allows
    Column("password_generation", Integer, nullable=False, default=0),
    Column("used_bytes", BigInteger, nullable=False, default=0),
    Column("message_count", BigInteger, nullable=False, default=0),
    Column("folder_count", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("domain_id", "local_part"),
    sqlite_autoincrement=True,
)

groups = Table(
    "groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("local_part", String(64), nullable=False),
    Column("display_name", String(200), nullable=True),
    UniqueConstraint("domain_id", "local_part"),
    sqlite_autoincrement=True,
)

group_members = Table(
    "group_members",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("member_group_id", ForeignKey("groups.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("external", String(320), nullable=True),  # an outside address that receives the group's mail
    UniqueConstraint("group_id", "account_id", "member_group_id", "external"),
)

forwarders = Table(
    "forwarders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("local_part", String(64), nullable=False),
    Column("targets", Text, nullable=False),  # JSON list of addresses
    UniqueConstraint("domain_id", "local_part"),
)

# One row per deliverable name in a domain; exactly one of the target columns is set, matching ``kind``.
addresses = Table(
    "addresses",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("local_part", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # account | alias | group | forwarder | folder
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True),
    # a folder recipient: mail to this address is filed straight into this (public) folder
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("forwarder_id", ForeignKey("forwarders.id", ondelete="CASCADE"), nullable=True, index=True),
    # a temporary alias (WebMail settings) stops receiving at this time; NULL for every permanent address
    Column("expires_at", DateTime(timezone=True), nullable=True, index=True),
    UniqueConstraint("domain_id", "local_part"),
)

admins = Table(
    "admins",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("password_generation", Integer, nullable=False, default=0),
    # True: the server administrator (everything). False: a delegated administrator, who holds only the
    # server permissions below and the domain grants in admin_domains (storage/adminscope.py).
    Column("server_wide", Boolean, nullable=False, default=True),
    # space-separated server permissions of a delegated administrator (storage/adminscope.py lists them)
    Column("server_rights", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
)

# Administrator groups (the manual's delegated administration): an administrator holds the server
# permissions and domain grants of each group they belong to, besides their own.
admin_groups = Table(
    "admin_groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("server_rights", Text, nullable=False, default=""),
)

admin_group_members = Table(
    "admin_group_members",
    metadata,
    Column("group_id", ForeignKey("admin_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("admin_id", ForeignKey("admins.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# A domain granted to an administrator or to an administrator group: which kinds of work (space-separated
# domain permissions) and the limits that hold while doing it (NULL: no limit).
admin_domains = Table(
    "admin_domains",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("admin_id", ForeignKey("admins.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("group_id", ForeignKey("admin_groups.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("rights", Text, nullable=False, default=""),
    Column("max_accounts", Integer, nullable=True),
    Column("max_account_quota_mb", BigInteger, nullable=True),
    UniqueConstraint("admin_id", "group_id", "domain_id"),
)

# Second sign-in factor (RFC 6238 TOTP) of an account or an administrator: the shared secret sealed under
# the store's key; confirmed_at stays NULL until the owner proved one code, and only then is it asked for.
second_factors = Table(
    "second_factors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, unique=True),
    Column("admin_id", ForeignKey("admins.id", ondelete="CASCADE"), nullable=True, unique=True),
    Column("sealed_secret", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    # the last time step accepted, so one code cannot be used twice (RFC 6238 5.2)
    Column("last_step", BigInteger, nullable=False, default=0),
)

# One-time recovery codes of a second factor, kept hashed; a used code stays with used_at set.
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("factor_id", ForeignKey("second_factors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code_hash", Text, nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# App-specific passwords: what IMAP, POP3, SMTP and ManageSieve accept for an account that turned on two
# factors. Hashed like account passwords; revocable one by one; last use shown to the owner.
app_passwords = Table(
    "app_passwords",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("last_used_from", String(64), nullable=True),
    UniqueConstraint("account_id", "name"),
)

# Remote POP3/IMAP accounts fetched into a local account (sidecars/rpop); the remote password is sealed
# under the store's key, because it must be replayed to the remote server.
remote_accounts = Table(
    "remote_accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("protocol", String(8), nullable=False),  # pop3 | imap
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("tls_mode", String(16), nullable=False),  # implicit | starttls | none
    Column("username", String(255), nullable=False),
    Column("sealed_password", Text, nullable=False),
    Column("folder", String(1000), nullable=False, default="INBOX"),  # the local target folder
    Column("interval_seconds", Integer, nullable=False, default=600),
    Column("keep_on_server", Boolean, nullable=False, default=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_run_at", DateTime(timezone=True), nullable=False, index=True),
    Column("last_run_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
)

# What a remote account has already handed us (POP3 UIDL or IMAP "UIDVALIDITY.UID"), so a message kept on
# the remote server is fetched once.
remote_fetched = Table(
    "remote_fetched",
    metadata,
    Column("remote_id", ForeignKey("remote_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("remote_uid", String(255), primary_key=True),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

folders = Table(
    "folders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # "a<account id>" for a mailbox, "p<domain id>" for a domain's public folders
    Column("namespace", String(32), nullable=False),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("parent_id", ForeignKey("folders.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("path", String(1000), nullable=False),  # "/"-separated; "" is the namespace root
    Column("role", String(16), nullable=True),  # inbox sent drafts trash junk archive
    Column("kind", String(16), nullable=False, default="mail"),  # mail calendar contacts tasks notes journal
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uidnext", BigInteger, nullable=False, default=1),
    Column("highestmodseq", BigInteger, nullable=False, default=1),
    Column("message_count", BigInteger, nullable=False, default=0),
    Column("unseen_count", BigInteger, nullable=False, default=0),
    Column("total_bytes", BigInteger, nullable=False, default=0),
    Column("thread_count", BigInteger, nullable=False, default=0),  # rows of folder_threads
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("namespace", "path"),
    sqlite_autoincrement=True,
)

# IMAP subscriptions (RFC 3501 6.3.6): names, not folder ids, because a subscription outlives its folder
# ("the server MUST NOT unilaterally remove" a name). ``name`` is the folder name as the subscribing
# client sees it: "Work/2024" in the own mailbox, "Other Users/bob/Shared" for someone else's folder.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(1024), primary_key=True),
)

bodies = Table(
    "bodies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("refcount", BigInteger, nullable=False),
    Column("structure", Text, nullable=False),  # storage.mime.to_json: envelope + MIME tree with offsets
    Column("subject", Text, nullable=False, default=""),
    Column("from_display", Text, nullable=False, default=""),
    Column("from_addr", String(320), nullable=True),
    Column("to_addrs", Text, nullable=False, default=""),
    Column("message_id", String(998), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("snippet", Text, nullable=False, default=""),
    Column("has_attachments", Boolean, nullable=False, default=False),
    sqlite_autoincrement=True,
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("body_id", ForeignKey("bodies.id"), nullable=False, index=True),
    Column("modseq", BigInteger, nullable=False),
    Column("flags", Integer, nullable=False, default=0),  # bit set of the system flags, see storage.flags
    Column("keywords", Text, nullable=False, default=""),  # space-separated IMAP keywords
    Column("internal_date", DateTime(timezone=True), nullable=False),
    Column("size", BigInteger, nullable=False),  # copy of bodies.size, so quota and list views need no join
    # WebMail's list keys (storage.list_keys), copied from the body so each sort is an index range scan
    Column("sort_date", DateTime(timezone=True), nullable=False),  # Date header, else internal date
    Column("sort_subject", String(200), nullable=False, default=""),  # folded base subject
    Column("sort_from", String(200), nullable=False, default=""),  # folded sender name, else address
    Column("thread_key", String(32), nullable=False, default=""),  # hash of the conversation's root id
    UniqueConstraint("folder_id", "uid"),
    Index("ix_messages_folder_modseq", "folder_id", "modseq"),
    Index("ix_messages_folder_date", "folder_id", "internal_date"),
    Index("ix_messages_folder_sort_date", "folder_id", "sort_date", "uid"),
    Index("ix_messages_folder_sort_subject", "folder_id", "sort_subject", "uid"),
    Index("ix_messages_folder_sort_from", "folder_id", "sort_from", "uid"),
    Index("ix_messages_folder_size", "folder_id", "size", "uid"),
    Index("ix_messages_folder_thread", "folder_id", "thread_key", "sort_date"),
    sqlite_autoincrement=True,
)

# One row per conversation per folder (storage.list_keys): how many of its messages the folder holds and
# which is the newest, kept by the transactions that add and expunge messages, so a threaded list is an
# index range scan over conversations instead of a GROUP BY over the folder.
folder_threads = Table(
    "folder_threads",
    metadata,
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("thread_key", String(32), primary_key=True),
    Column("message_count", BigInteger, nullable=False),
    Column("latest_date", DateTime(timezone=True), nullable=False),  # the newest message's sort_date
    Column("latest_uid", BigInteger, nullable=False),  # ... and its UID
    Index("ix_folder_threads_folder_latest", "folder_id", "latest_date", "thread_key"),
)

# Per-user flags on folders where the ACL does not share \Seen ("s" right missing).
private_flags = Table(
    "private_flags",
    metadata,
    Column("message_id", ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("flags", Integer, nullable=False, default=0),
)

expunged = Table(
    "expunged",
    metadata,
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("uid", BigInteger, primary_key=True),
    Column("modseq", BigInteger, nullable=False),
    Index("ix_expunged_folder_modseq", "folder_id", "modseq"),
)

# RFC 2180 4.1.1: an expunged message's last metadata, kept until ``held_until`` for the IMAP sessions not
# yet told of the expunge. Each row is one reference counted in bodies.refcount, so the body (its cached
# envelope and structure, its blob) stays until the hold is released (storage.holds). No foreign key on
# the folder: deleting a folder releases its holds itself (a cascade would drop the rows, not the references).
expunged_holds = Table(
    "expunged_holds",
    metadata,
    Column("folder_id", BigInteger, primary_key=True),
    Column("uid", BigInteger, primary_key=True),
    Column("message_id", BigInteger, nullable=False),  # the deleted messages row's id
    Column("body_id", ForeignKey("bodies.id"), nullable=False),
    Column("modseq", BigInteger, nullable=False),  # the message's own, before the expunge
    Column("flags", Integer, nullable=False),
    Column("keywords", Text, nullable=False),
    Column("internal_date", DateTime(timezone=True), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("held_until", DateTime(timezone=True), nullable=False),
    Index("ix_expunged_holds_held_until", "held_until"),
)

changes = Table(
    "changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("folder_id", BigInteger, nullable=False),  # no FK: the feed outlives deleted folders
    Column("account_id", BigInteger, nullable=True),
    Column("modseq", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # new flags expunge folder
    Column("uid", BigInteger, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

acl_entries = Table(
    "acl_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("principal_kind", String(8), nullable=False),  # user | group | domain | anyone
    Column("principal_id", BigInteger, nullable=False, default=0),  # account/group/domain id, 0 for anyone
    Column("allow", Boolean, nullable=False),
    Column("rights", String(32), nullable=False),  # letters, see storage.acl
    Column("inherit", Boolean, nullable=False, default=True),  # "apply to sub-folders"
    UniqueConstraint("folder_id", "principal_kind", "principal_id", "allow"),
)

setting_values = Table(
    "setting_values",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("level", String(8), nullable=False),  # server | domain | class | account
    Column("scope_id", BigInteger, nullable=False, default=0),
    Column("name", String(100), nullable=False),
    Column("value", Text, nullable=False),  # JSON
    UniqueConstraint("level", "scope_id", "name"),
)

queue_messages = Table(
    "queue_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("body_id", ForeignKey("bodies.id"), nullable=False, index=True),
    Column("sender", String(320), nullable=False),  # "" for the null reverse-path
    Column("state", String(24), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("origin", Text, nullable=False, default="{}"),  # JSON: client ip, helo, auth user, listener
    Column("last_error", Text, nullable=True),
    Index("ix_queue_messages_state_next", "state", "next_attempt_at"),
    sqlite_autoincrement=True,
)

queue_recipients = Table(
    "queue_recipients",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("queue_id", ForeignKey("queue_messages.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("address", String(320), nullable=False),
    Column("state", String(24), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("dsn", Text, nullable=False, default="{}"),  # JSON: NOTIFY, ORCPT
)

# Sieve scripts at three levels (storage.scripts). ``scope_id`` is 0 for the server, else the domain or
# account id; ``domain_id``/``account_id`` repeat it for the owning row so deleting a domain or an account
# removes its scripts by cascade. At most one script per (level, scope_id) is active (kept in code).
sieve_scripts = Table(
    "sieve_scripts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("level", String(8), nullable=False),  # server | domain | account
    Column("scope_id", BigInteger, nullable=False, default=0),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("name", String(128), nullable=False),  # RFC 5804 script name, NFC
    Column("content", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=False),
    Column("size", Integer, nullable=False),  # bytes of the UTF-8 content
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("level", "scope_id", "name"),
    sqlite_autoincrement=True,
)

# Vacation (RFC 5230) response tracking: when an account last answered a sender for a given :handle.
vacation_replies = Table(
    "vacation_replies",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("handle", String(256), primary_key=True),  # the :handle, or a hash of reason/subject/from
    Column("sender", String(320), primary_key=True),
    Column("last_sent", DateTime(timezone=True), nullable=False),
    Index("ix_vacation_replies_last_sent", "last_sent"),
)

# -- connection-time and sender state of the filter engine (filters/checks, filters/identity)

greylist_triplets = Table(
    "greylist_triplets",
    metadata,
    # sha256 hex of "client network|sender|recipient": fixed width, nothing personal in the key
    Column("triplet", String(64), primary_key=True),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("passed_at", DateTime(timezone=True)),  # first retry after the delay: the triplet is known
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Index("ix_greylist_triplets_last_seen", "last_seen"),
)

greylist_clients = Table(
    "greylist_clients",
    metadata,
    # client addresses (or networks) that passed greylisting often enough to skip it until expires_at
    Column("client", String(64), primary_key=True),
    Column("passes", Integer, nullable=False, default=0),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_greylist_clients_expires_at", "expires_at"),
)

sender_confirmations = Table(
    "sender_confirmations",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("sender", String(320), primary_key=True),  # lower-cased address
    Column("state", String(12), nullable=False),  # "pending" (challenge sent) or "confirmed"
    Column("token", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Failed logins per login name and per client address (storage/throttle.py): shared by every service and
# process, so a throttle earned on SMTP holds on IMAP and survives restarts.
login_failures = Table(
    "login_failures",
    metadata,
    Column("kind", String(8), primary_key=True),  # "account" (a login name) or "client" (an address, /64)
    Column("subject", String(255), primary_key=True),  # the case-folded name, or the client address
    Column("failures", Integer, nullable=False),  # failures since window_start
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("last_failure", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),  # set when a lock is earned; NULL: never locked
    Column("expires_at", DateTime(timezone=True), nullable=False),  # last_failure + window: prune after
    Index("ix_login_failures_expires_at", "expires_at"),
)

# \Recent (RFC 3501 2.3.2, storage/recent.py): per folder, the highest UID some IMAP session has been given
# as recent, shared by every worker process so that exactly one session sees a new message as recent.
folder_recent = Table(
    "folder_recent",
    metadata,
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("uid", BigInteger, nullable=False),
)

# IP-to-country ranges loaded from a CSV file (storage/countries.py); bounds are 16-byte big-endian
# numbers, so the primary key's order is address order and a lookup is one index descent.
ip_country_ranges = Table(
    "ip_country_ranges",
    metadata,
    Column("family", Integer, primary_key=True),  # 4 or 6
    Column("range_start", LargeBinary(16), primary_key=True),
    Column("range_end", LargeBinary(16), nullable=False),
    Column("country", String(2), nullable=False),  # ISO 3166 alpha-2, upper-case
    Column("name", String(100), nullable=False, default=""),
)

# The organizer (storage/pim): one row per message of a PIM-kind folder (its bytes are the item's iCalendar
# or vCard text), with the columns a calendar range, a task list, a contact search or a DAV sync reads, so
# none of them parses an item to answer. Kept by the transactions that add and expunge messages, whoever
# makes them (storage.pim.item_rows). Times are UTC; see storage.pim.index for what each column holds.
pim_items = Table(
    "pim_items",
    metadata,
    Column("message_id", ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), nullable=False),
    Column("uid", BigInteger, nullable=False),  # the message's IMAP UID
    Column("name", String(255), nullable=False),  # the resource name a DAV client uses ("x.ics")
    Column("item_uid", String(1000), nullable=False),  # the iCalendar / vCard UID
    Column("component", String(16), nullable=False),  # VEVENT VTODO VJOURNAL VCARD
    Column("summary", Text, nullable=False, default=""),  # SUMMARY, or FN for a card
    Column("starts_at", DateTime(timezone=True), nullable=True),
    Column("ends_at", DateTime(timezone=True), nullable=True),
    Column("all_day", Boolean, nullable=False, default=False),
    Column("recurs", Boolean, nullable=False, default=False),
    Column("recur_end", DateTime(timezone=True), nullable=True),  # end of the last occurrence; NULL: never
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("status", String(32), nullable=False, default=""),
    Column("priority", Integer, nullable=True),
    Column("percent", Integer, nullable=True),
    Column("categories", Text, nullable=False, default=""),  # comma-separated
    Column("organizer", String(320), nullable=False, default=""),  # lower-case address
    Column("emails", Text, nullable=False, default=""),  # space-separated lower-case addresses
    Column("etag", String(32), nullable=False),  # sha256 of the bytes, hex[:32]
    # The item's identity, kept when it is replaced or moved (storage.pim.item_rows): a number drawn from
    # pim_item_keys when the item is first stored (never reused); set on every insert.
    Column("item_key", BigInteger, nullable=True),
    UniqueConstraint("folder_id", "name"),
    UniqueConstraint("folder_id", "item_uid"),
    Index("ix_pim_items_item_key", "item_key", unique=True),
    Index("ix_pim_items_folder_starts", "folder_id", "starts_at"),
    Index("ix_pim_items_folder_recur_end", "folder_id", "recur_end"),
    Index("ix_pim_items_folder_due", "folder_id", "due_at"),
)

# Names removed from a PIM folder and the MODSEQ of their removal, for sync-collection (RFC 6578): a sync
# reports a name here as removed when the removal is newer than the client's token and no item of that
# name is in the folder now. One row per name (the latest removal).
pim_removed = Table(
    "pim_removed",
    metadata,
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("modseq", BigInteger, nullable=False),
    Index("ix_pim_removed_folder_modseq", "folder_id", "modseq"),
)

# Where the organizer's item keys are drawn from: a row is inserted for its new id and deleted again; the
# autoincrement (SQLite AUTOINCREMENT, a PostgreSQL sequence) never hands out an id twice, and unlike a
# counter row it locks nothing between two writers.
pim_item_keys = Table(
    "pim_item_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    sqlite_autoincrement=True,
)

# Items that left a PIM folder (deleted, replaced or moved away) by their ``item_key``, and the MODSEQ
# of their leaving: what a JMAP /changes reports destroyed (pim_removed keeps names, for DAV). One row per
# (folder, key), removed again when an item of that key comes back into the folder.
pim_gone = Table(
    "pim_gone",
    metadata,
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("item_key", BigInteger, primary_key=True, autoincrement=False),
    Column("component", String(16), nullable=False),
    Column("modseq", BigInteger, nullable=False),
    Index("ix_pim_gone_folder_modseq", "folder_id", "modseq"),
)

# A PIM folder's display name and colour, when the user set them (else the folder's name is shown).
pim_collections = Table(
    "pim_collections",
    metadata,
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("display_name", String(200), nullable=True),
    Column("color", String(16), nullable=True),
)

# The secret of a calendar's read-only ICS feed link (stored as its SHA-256; the link holds the secret).
calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("folder_id", ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# JMAP EmailSubmission records (RFC 8621 7; storage.submissions): what an account submitted through JMAP,
# kept for ``submissions.RETENTION`` so EmailSubmission/get, /query and /changes can answer. ``modseq`` is
# the account's own counter (state strings); a destroyed record stays as a tombstone (``destroyed``) until
# it is older than twice the retention, so /changes can report it.
jmap_submissions = Table(
    "jmap_submissions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("identity_id", String(64), nullable=False),
    Column("email_id", String(64), nullable=False),
    Column("thread_id", String(80), nullable=False),
    Column("envelope", Text, nullable=False),  # JSON: {"mailFrom": {...}, "rcptTo": [...]} (RFC 8621 7)
    Column("send_at", DateTime(timezone=True), nullable=False),
    Column("queue_id", BigInteger, nullable=True),  # no FK: the queue row goes when delivery finishes
    Column("created_seq", BigInteger, nullable=False),
    Column("modseq", BigInteger, nullable=False),
    Column("destroyed", Boolean, nullable=False, default=False),
    UniqueConstraint("account_id", "modseq"),
    sqlite_autoincrement=True,
)

# Per account, the newest modseq of submission records removed for good: a /changes from a state at or
# below it cannot be answered (cannotCalculateChanges), and new modseqs continue above it.
jmap_submission_horizons = Table(
    "jmap_submission_horizons",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("horizon", BigInteger, nullable=False),
)

# One row (id 1): a counter that triggers (migration 0014) bump in every transaction writing the tables a
# recipient lookup reads, so a process can keep RCPT answers in memory and check them with one read
# (storage.recipients). The triggers are the migration's, not this module's: every writer bumps it.
directory_generation = Table(
    "directory_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
)
