"""The storage exception family.

Every protocol maps these to its own replies in one place (IMAP NO/BAD, SMTP 4xx/5xx, CLI exit codes), so
the classes are about *what went wrong for the caller*, not where in the code it happened.

Messages reach clients as they are, so they never name internal ids (folder, account or principal
numbers), and a folder the user may not look up is reported in the very words used for one that does not
exist (``storage.acl.NO_SUCH_FOLDER``).
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of everything storage raises on purpose."""


class NotFound(StorageError):
    """The named domain, account, folder, message or setting does not exist."""


class AlreadyExists(StorageError):
    """A name that must be unique is taken (address, folder path, domain)."""


class InvalidInput(StorageError, ValueError):
    """A value fails validation: bad address, folder name, setting value, rights string."""


class PermissionDenied(StorageError):
    """The ACL engine refused the operation for this principal."""


class QuotaExceeded(StorageError):
    """Accepting the change would exceed a size, message-count or folder-count quota."""


class AuthFailed(StorageError):
    """Wrong credentials, unknown user, or a disabled account or service (deliberately not told apart)."""


class Throttled(StorageError):
    """Too many recent failures for this account or address; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AppPasswordRequired(AuthFailed):
    """The account password was right, but the account uses two-step sign-in: a mail program must sign
    in with an app password (storage/app_passwords.py). The message says so, for the user to read."""


class PreconditionFailed(StorageError):
    """A conditional change did not apply: the item's ETag is not the one the caller named (If-Match), or
    an item exists where the caller asked for a new one (If-None-Match). The caller reloads and retries."""
