"""Binary data over JMAP: upload (RFC 8620 6.1) and download (6.2).

* ``POST /jmap/upload/<accountId>/``: the body is the file, its Content-Type the declared type; kept in
  the account's upload area (storage/uploads.py) and answered 201 with ``accountId``, ``blobId``
  (``u<sha256>``, webmail/jmap/ids.py), ``type`` and ``size``. Bounded by ``maxSizeUpload`` (413 with the
  ``limit`` problem) and ``maxConcurrentUpload`` per account.
* ``GET /jmap/download/<accountId>/<blobId>/<name>?type=<type>``: an upload of the account, a whole
  stored message (``b<folder>_<uid>``) or one MIME part of it (``b<folder>_<uid>_<section>``), read
  through the user's facade, so the rights engine decides (no "r" on the folder: 404, like no message).
  The file is always sent as an attachment named by a cleaned ``name`` (webmail/reading/filenames.py:
  no path, no control or bidi characters), under ``nosniff`` and a sandboxing CSP; the ``type`` asked
  for is used when it is one of the safe download types, else ``application/octet-stream``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from flask import Response, request

from storage.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from webmail.binding import current_store
from webmail.jmap import ids, limits, problems
from webmail.jmap.blueprint import bp, json_response, read_body, signed_account, slot
from webmail.jmap.problems import Problem
from webmail.reading.filenames import download_headers, safe_filename

CHUNK = 256 * 1024


def _not_found(what: str = "no such blob") -> Response:
    return Problem("about:blank", 404, what).response()


def _own_account(account_id: str) -> bool:
    return account_id == ids.account_id(signed_account().id)


@bp.post("/upload/<account_id>/")
def upload(account_id: str) -> Response:
    if not _own_account(account_id):
        return _not_found("no such account")
    account = signed_account()
    try:
        with slot("upload", account.id, limits.MAX_CONCURRENT_UPLOAD, "maxConcurrentUpload"):
            data = read_body(limits.MAX_SIZE_UPLOAD, "maxSizeUpload")
            kind = request.headers.get("Content-Type") or "application/octet-stream"
            made = (
                current_store().for_user(account.id).uploads.put(data, kind, max_bytes=limits.MAX_SIZE_UPLOAD)
            )
    except Problem as problem:
        if problem.extra.get("limit") == "maxSizeUpload":
            problem.status = 413
        return problem.response()
    except InvalidInput as exc:
        return Problem("about:blank", 400, str(exc)).response()
    except QuotaExceeded as exc:
        return Problem(problems.URN + "overQuota", 413, str(exc)).response()
    body = {
        "accountId": account_id,
        "blobId": ids.upload_blob_id(made.sha256),
        "type": made.type,
        "size": made.size,
    }
    return json_response(body, 201)


@bp.get("/download/<account_id>/<blob_id>/<path:name>")
def download(account_id: str, blob_id: str, name: str) -> Response:
    if not _own_account(account_id):
        return _not_found("no such account")
    user = current_store().for_user(signed_account().id)
    asked_type = request.args.get("type") or "application/octet-stream"
    filename = safe_filename(name, "download")
    chunks: Iterator[bytes] | bytes
    try:
        sha = ids.parse_upload_blob_id(blob_id)
        message = ids.parse_message_blob_id(blob_id)
        if sha is not None:
            user.uploads.get(sha)
            chunks = _file_chunks(user.uploads.open(sha))
        elif message is not None:
            folder_id, uid, part = message
            if part is None:
                chunks = user.view.raw(folder_id, uid)
            else:
                _described, chunks = user.view.part(folder_id, uid, part)
        else:
            return _not_found()
    except (NotFound, PermissionDenied):
        return _not_found()
    headers = download_headers(asked_type, filename)
    headers["Cache-Control"] = "private, max-age=31536000, immutable"  # a blob id's bytes never change
    return Response(chunks, headers=headers)


def _file_chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while piece := handle.read(CHUNK):
            yield piece
