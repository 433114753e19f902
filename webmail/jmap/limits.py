"""The JMAP server's explicit limits: what the Session resource announces (RFC 8620 2, the core
capability) and what the envelope, upload and push enforce. docs/jmap.md lists them.

Why these values: a request body of 10 MB holds thousands of method calls' worth of ids; 64 calls per
request is plenty for a client's batch (the Ajax client sends fewer than ten); 500 objects per /get or
/set bound one call's work to well under a second on the storage layer. Uploads are bounded like a
WebMail attachment (``webmail.max_attachment_bytes`` defaults to 25 MB; a JMAP upload may be a whole
message to import, so 50 MB, the default ``mail.max_message_bytes``). Concurrency is counted per account
in each web process (the web service runs one gunicorn worker, so that is per account).
"""

from __future__ import annotations

from typing import Final

MAX_SIZE_UPLOAD: Final = 50 * 1024 * 1024
MAX_CONCURRENT_UPLOAD: Final = 4
MAX_SIZE_REQUEST: Final = 10 * 1024 * 1024
MAX_CONCURRENT_REQUESTS: Final = 4
MAX_CALLS_IN_REQUEST: Final = 64
MAX_OBJECTS_IN_GET: Final = 500
MAX_OBJECTS_IN_SET: Final = 500
#: How deep arrays and objects may nest in a request (the Request object itself is level 1). A method
#: call's arguments start at level 4, and a deep filter of RFC 8621 needs two levels per operator, so 64
#: leaves room; it keeps every response (which references can only make one level deeper per call) far
#: below Python's recursion limit when it is encoded -- an unbounded request failed there with a 500.
MAX_DEPTH_REQUEST: Final = 64
#: RFC 4790 collations the /query methods accept in a Comparator's ``collation``.
COLLATION_ALGORITHMS: Final = ("i;ascii-numeric", "i;ascii-casemap", "i;unicode-casemap")

#: Push (RFC 8620 7.3): the longest ``ping`` interval a client may ask for (seconds; the RFC's
#: recommended maximum is 300) and the most EventSource connections one account may hold in one process.
MAX_PING_SECONDS: Final = 300
MAX_EVENT_SOURCES: Final = 8

#: Uploaded blobs not used are removed after this long (RFC 8620 6.1 asks for at least an hour).
UPLOAD_KEEP_SECONDS: Final = 24 * 3600
#: Bytes of pending uploads one account may hold at once (older ones must expire or be used first).
MAX_PENDING_UPLOAD_BYTES: Final = 500 * 1024 * 1024

CORE_CAPABILITY: Final = {
    "maxSizeUpload": MAX_SIZE_UPLOAD,
    "maxConcurrentUpload": MAX_CONCURRENT_UPLOAD,
    "maxSizeRequest": MAX_SIZE_REQUEST,
    "maxConcurrentRequests": MAX_CONCURRENT_REQUESTS,
    "maxCallsInRequest": MAX_CALLS_IN_REQUEST,
    "maxObjectsInGet": MAX_OBJECTS_IN_GET,
    "maxObjectsInSet": MAX_OBJECTS_IN_SET,
    "collationAlgorithms": list(COLLATION_ALGORITHMS),
}
