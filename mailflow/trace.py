"""The trace fields a message gets when it enters the queue (RFC 5321 4.4): our Received field, then the
fields the checks and acceptance rules asked to add.

Protocol-neutral on purpose: the caller names its protocol (``with ESMTPSA``, RFC 3848) and its own trace
id, so SMTP submission today and WebMail compose later write the same Received field. (The SMTP
protocol log, what a client sent and the server answered, is ``sidecars.smtp.trace``, a different thing.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.utils import format_datetime


def trace_fields(
    *,
    helo: str | None,
    peer_ip: str,
    hostname: str,
    protocol: str,
    trace_id: str,
    recipients: Sequence[str],
    added: Iterable[tuple[str, str]],
    now: datetime,
    auth: str | None = None,
) -> bytes:
    """The Received field (RFC 5321 4.4) followed by ``added`` fields, CRLF-terminated.

    ``trace_id`` is the ``id`` clause (the session id and the message's number in the session, for SMTP);
    characters an id may not hold are left out. ``for <recipient>`` is written for one recipient only, so
    a message to many does not list them all in every copy.

    ``auth`` (the login of an authenticated session) is named in a comment after the from clause, as
    "(authenticated as alice@example.test)": RFC 3848's ``with ESMTPA`` says that the client
    authenticated, this says as whom, so a recipient or postmaster can trace a message to its account.
    """
    literal = f"[IPv6:{peer_ip}]" if ":" in peer_ip else f"[{peer_ip}]"
    msg_id = re.sub(r"[^A-Za-z0-9.-]", "", trace_id) or "0"
    stamp = format_datetime(now)
    lines = [f"Received: from {helo} ({literal})"]
    if auth is not None:
        lines.append(f"\t(authenticated as {_comment_text(auth)})")
    lines.append(f"\tby {hostname} (Fieldpost) with {protocol} id {msg_id}")
    if len(recipients) == 1:
        lines.append(f"\tfor <{recipients[0]}>")
    lines[-1] += f"; {stamp}"
    lines += [f"{name}: {value}" for name, value in added]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _comment_text(text: str) -> str:
    """``text`` safe inside an RFC 5322 comment: parentheses and backslashes quoted, no line breaks."""
    text = re.sub(r"[\r\n]+", " ", text)
    return re.sub(r"([()\\])", r"\\\1", text)
