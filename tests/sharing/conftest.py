"""Fixtures of the sharing tests: the real IMAP service of the worker (tests/sidecars/imap) and WebMail's
Flask app on the very same data directory, so every protocol answers from one store."""

from __future__ import annotations

from tests.sidecars.imap.conftest import imap_service as imap_service  # the real service, one per worker
