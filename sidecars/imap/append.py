"""APPEND (RFC 3501 6.3.11) with flags and internal date, answering APPENDUID (RFC 4315 3).

The message arrives as a literal that the reader spooled to a temporary file when large; it is read
into memory once, here, for storage (which parses it once and writes the blob). Its size was already
held to the account's ``mail.max_message_bytes`` by the reader's literal limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.imap.contract import Bad, Done, No
from sidecars.imap.grammar import Append
from sidecars.imap.parser import Command
from sidecars.imap.selected import resolve_folder

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession


def append(s: ImapSession, cmd: Command) -> Done:
    spec: Append = cmd.spec
    literal = spec.message.literal
    try:
        try:
            folder, _ = resolve_folder(s, spec.mailbox)
        except No as exc:
            if exc.code == "NONEXISTENT":
                raise No(exc.text, "TRYCREATE") from None
            raise
        raw = literal.read() if literal is not None else spec.message.value
        if not raw:
            raise No("an empty message cannot be appended", "CANNOT")
        if b"\x00" in raw:
            raise Bad("NUL is not allowed in a message literal (RFC 3501 9 CHAR8)")
        flags = [f for f in spec.flags if f.lower() != "\\recent"]
        sel = s.selection if s.selection is not None and s.selection.id == folder.id else None
        if sel is not None and not sel.readonly:
            # this session is the first to be told of the message: its \Recent claim rides on the write
            new, held = s.mine.append_claiming_recent(folder.id, raw, flags, spec.date)
            sel.claimed.append((held, new.uid))
        else:
            new = s.mine.append(folder.id, raw, flags, spec.date)
    finally:
        if literal is not None:
            literal.close()
    if sel is not None:
        sel.dirty = True  # RFC 3501 6.3.11: the selected mailbox reports the new EXISTS
    return Done([], "APPEND completed", f"APPENDUID {folder.uidvalidity} {new.uid}")
