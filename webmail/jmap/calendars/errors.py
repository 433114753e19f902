"""Storage's refusals as the SetErrors of RFC 8620 5.3, for the calendar methods."""

from __future__ import annotations

from storage.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
)
from webmail.jmap import standard_methods as std
from webmail.jmap.registry import Args


def set_error_of(exc: Exception, prop: str | None) -> Args:
    """The SetError for ``exc`` (``prop``: the property an InvalidInput is about, when known)."""
    if isinstance(exc, NotFound):
        return std.set_error("notFound")
    if isinstance(exc, PermissionDenied):
        return std.set_error("forbidden", "you may not change this calendar")
    if isinstance(exc, QuotaExceeded):
        return std.set_error("overQuota", str(exc))
    if isinstance(exc, AlreadyExists):
        return std.set_error("invalidProperties", str(exc), properties=[prop] if prop else [])
    if isinstance(exc, PreconditionFailed):
        return std.set_error("stateMismatch", str(exc))
    if isinstance(exc, InvalidInput):
        return std.set_error("invalidProperties", str(exc), properties=[prop] if prop else [])
    return std.set_error("forbidden", str(exc))
