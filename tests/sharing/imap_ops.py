"""The matrix's operations done the way an IMAP client does them: Python's imaplib against the real IMAP
service, logged in as the guest, the owner's folders under "Other Users/<owner>/" (RFC 2342).

Each operation gives (done, answer): ``done`` is what the client got done; ``answer`` is the server's
refusal (the status and text, the mailbox name blanked), compared with the answer for a mailbox that
does not exist.
"""

from __future__ import annotations

import imaplib

from tests.sharing.matrix import SUBJECT, message

Outcome = tuple[bool, str]


class ImapGuest:
    """One logged-in imaplib session of the guest."""

    def __init__(self, client: imaplib.IMAP4, owner: str) -> None:
        self.client = client
        self.prefix = f"Other Users/{owner}/"

    def _name(self, path: str) -> str:
        return f'"{self.prefix}{path}"'

    @staticmethod
    def _answer(typ: str, data: list[object], path: str) -> str:
        text = b" ".join(d if isinstance(d, bytes) else str(d).encode() for d in data).decode()
        return f"{typ} {text.replace(path, '<name>')}"

    def _done(self, reply: tuple[str, list[object]], path: str) -> Outcome:
        typ, data = reply
        return typ == "OK", "" if typ == "OK" else self._answer(typ, data, path)

    def _selected(self, box: str, *, readonly: bool = False) -> Outcome:
        try:
            return self._done(self.client.select(self._name(box), readonly=readonly), box)
        except imaplib.IMAP4.readonly:  # imaplib's word for SELECT answered [READ-ONLY]
            self.client.close()
            return False, "READ-ONLY"

    def run(self, box: str, gone: str, third: str) -> dict[str, Outcome]:
        """Every operation of the matrix, in order, on the mailboxes with these paths."""
        c = self.client
        out: dict[str, Outcome] = {}
        typ, listing = c.list('""', '"*"')
        assert typ == "OK"
        names = [line.decode() for line in listing if isinstance(line, bytes)]
        out["list"] = (any(n.endswith(f'{self.prefix}{box}"') for n in names), "absent")
        selected = self._selected(box, readonly=True)
        if selected[0]:
            typ, data = c.fetch("1", "(BODY.PEEK[])")
            body = b"".join(part[1] for part in data if isinstance(part, tuple))
            out["read"] = (typ == "OK" and SUBJECT.encode() in body, "")
            c.close()
        else:
            out["read"] = selected
        out["add"] = self._done(c.append(self._name(box), "", None, message()), box)
        out["change"] = self._flagged(box, "\\Flagged")
        out["delete_item"] = self._flagged(box, "\\Deleted", expunge=True)
        out["create_subfolder"] = self._done(c.create(self._name(f"{box}/Sub")), box)
        out["share"] = self._done(c.setacl(self._name(box), third, "lr"), box)
        out["delete_folder"] = self._done(c.delete(self._name(gone)), gone)
        return out

    def _flagged(self, box: str, flag: str, *, expunge: bool = False) -> Outcome:
        """STORE +FLAGS on the first message (then EXPUNGE); refused when SELECT, STORE or EXPUNGE is."""
        selected = self._selected(box)
        if not selected[0]:
            return selected
        c = self.client
        try:
            done = self._done(c.store("1", "+FLAGS", f"({flag})"), box)
            if done[0] and expunge:
                done = self._done(c.expunge(), box)
        finally:
            c.close()
        return done
