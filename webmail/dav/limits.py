"""The DAV server's explicit limits (documented in docs/dav.md).

A request body larger than ``MAX_BODY_BYTES`` is refused with 413 before it is read; an item is further
bounded by the ``organizer.max_item_bytes`` setting (storage refuses a larger one). A multiget names at
most ``MAX_MULTIGET_HREFS`` resources (403 with DAV:number-of-matches-within-limits beyond that).
"""

from __future__ import annotations

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_MULTIGET_HREFS = 1000
