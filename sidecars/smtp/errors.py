"""The SMTP package's exception family.

It lives apart from parser.py so that the grammar modules (parser, params) can raise the same
``ParseError`` without importing each other.
"""

from __future__ import annotations

from sidecars.smtp import replies as R


class ParseError(Exception):
    """Input that does not fit the grammar; ``reply`` is what to answer."""

    def __init__(self, reply: R.Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply
