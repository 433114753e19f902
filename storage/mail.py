"""Messages in folders: deliver, append, copy, move, set_flags, expunge.

Implementation notes:

* Order of durability: the blob is written and fsync'd (storage.blobs) *before* the transaction that
  references it; the transaction then takes the body reference, allocates UIDs and updates counters
  atomically. A crash before the commit leaves at most an unreferenced blob file, which `storage check`
  removes; it never leaves a row without its file.
* The blob collector deletes a body row *and* unlinks its file inside one write transaction, and every
  writer re-checks the file inside its own transaction after taking the body reference. So a delivery
  racing the collector for the same content rewrites the file instead of losing it.
* UIDs and MODSEQs come from the folder row, updated in the same transaction (on PostgreSQL the row is
  locked FOR UPDATE first; on SQLite the transaction holds the write lock from BEGIN IMMEDIATE). One
  transaction = one new MODSEQ per folder touched, shared by every message it changed (RFC 7162 3.1).
* Folder totals (messages, unseen, bytes) and account usage are maintained here, in the same
  transaction, so nothing ever counts a folder to answer SELECT or STATUS.
* ``Mail`` is the *system* path (delivery, Sieve, filters, the CLI): it checks no rights. Everything done
  on behalf of a user goes through ``store.for_user(account_id)`` (storage.usermail), which asks the ACL
  engine and then runs the ``*_in(conn, ...)`` methods of the parts below inside the same transaction.
"""

from __future__ import annotations

from storage.mail_delivery import QUOTA_SETTINGS, NewMessage, StagedMessage
from storage.mail_reading import MailReading, search_words
from storage.mail_updates import MailUpdates

__all__ = ["QUOTA_SETTINGS", "Mail", "NewMessage", "StagedMessage", "search_words"]


class Mail(MailUpdates, MailReading):
    """``store.mail``: bodies (storage.mail_bodies), delivery and append (storage.mail_delivery),
    flags/copy/move/expunge (storage.mail_updates) and reading (storage.mail_reading), as one object."""
