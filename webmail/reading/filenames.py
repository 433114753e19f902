"""Attachment names and how an attachment is handed to the browser, so neither can hurt the reader.

A sender chooses the name (``../../.bashrc``, ``<img src=x onerror=alert(1)>.png``, ``invoice\\u202Efdp.exe``
that displays as "invoiceexe.pdf") and the declared type (``text/html`` on a page that would then run in
our origin). So:

- :func:`safe_filename` keeps the last path segment only, drops control and format characters (bidi
  overrides included), leading dots and surrounding blanks, and caps the length keeping the extension;
  markup characters stay (they are text; every page escapes them), path separators never do;
- :func:`download_headers` always sends ``Content-Disposition: attachment`` (RFC 6266, with an ASCII
  fallback and the UTF-8 ``filename*``), ``X-Content-Type-Options: nosniff`` and a CSP that sandboxes
  the response, and a type from ``SAFE_DOWNLOAD_TYPES`` or ``application/octet-stream``;
- :func:`inline_image_headers` serves raster images inline (never SVG) under the same CSP.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_CHARS = 180

#: Types sent as declared on download; anything else (HTML, SVG, XML, scripts...) is octet-stream.
SAFE_DOWNLOAD_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "image/png",
        "image/gif",
        "image/jpeg",
        "image/webp",
        "image/bmp",
        "audio/mpeg",
        "audio/ogg",
        "video/mp4",
        "text/plain",
        "text/calendar",
        "text/vcard",
        "message/rfc822",
    }
)
#: A response whose document can do nothing, even when opened on its own.
LOCKED_DOWN_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
_BLANKS = re.compile(r"\s+")
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 !#$&+,.=@^_`{}~()\[\]-]")


def safe_filename(name: str, fallback: str) -> str:
    """A file name that names one file in the current folder and displays as what it is."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _BLANKS.sub(" ", name).strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and 0 < len(ext) <= 10 else ""
        name = name[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name or fallback


def content_disposition(kind: str, filename: str) -> str:
    """``attachment`` or ``inline`` with an ASCII fallback name and the exact UTF-8 one (RFC 6266 4.3)."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", filename) if unicodedata.category(ch) != "Mn")
    ascii_name = _UNSAFE_ASCII.sub("_", folded).strip() or "download"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_type(declared: str) -> str:
    """The Content-Type a download is served with (see ``SAFE_DOWNLOAD_TYPES``)."""
    declared = declared.lower()
    if declared == "text/plain":
        return "text/plain; charset=utf-8"
    return declared if declared in SAFE_DOWNLOAD_TYPES else "application/octet-stream"


def download_headers(declared_type: str, filename: str) -> dict[str, str]:
    """Headers of an attachment download."""
    return {
        "Content-Type": download_type(declared_type),
        "Content-Disposition": content_disposition("attachment", filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": LOCKED_DOWN_CSP,
        "Cache-Control": "private, no-store",
    }


def inline_image_headers(image_type: str, filename: str) -> dict[str, str]:
    """Headers of an image shown inline (the caller has checked it is one of INLINE_IMAGE_TYPES)."""
    return {
        "Content-Type": image_type,
        "Content-Disposition": content_disposition("inline", filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": LOCKED_DOWN_CSP,
        "Cache-Control": "private, max-age=3600",
    }
