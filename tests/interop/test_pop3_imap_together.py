"""POP3 and IMAP on the same INBOX at the same time, both as real clients (poplib, imaplib) against the
two service processes: an IMAP expunge during a POP3 session, and POP3 deletions seen by a selected IMAP
session, leave both consistent.

- the POP3 session keeps its numbering; the message IMAP expunged becomes a zombie (RETR fails, LIST
  says 0 octets) once the session looks again (at most a second later);
- at QUIT the POP3 deletions go, the one already expunged is simply skipped, nothing else is touched;
- the IMAP session that stayed selected learns of the POP3 deletions as EXPUNGE responses at its NOOP.
"""

from __future__ import annotations

import poplib
import re
import ssl
import time

import pytest

from storage.maildrop import REFRESH_SECONDS
from tests.interop.imap_clients import ALICE, ids, message_id, server_state
from tests.interop.pop3_clients import Pop3Target, pop3_target  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def test_imap_expunge_during_a_pop3_session(pop3_target: Pop3Target) -> None:  # noqa: F811
    target = pop3_target
    ctx = ssl.create_default_context(cafile=target.cafile)
    pop = poplib.POP3_SSL(target.host, target.pop3s_port, context=ctx, timeout=30)
    pop.user(ALICE)
    total = int(pop.pass_(target.password).split()[1])
    assert total == len(target.imap.initial)
    first, second, third = (message_id(b"\r\n".join(pop.top(n, 0)[1])) for n in (1, 2, 3))

    imap = target.imap.connect()
    try:
        imap.select("INBOX")
        imap.store("2", "+FLAGS.SILENT", "(\\Deleted)")
        typ, data = imap.expunge()
        assert typ == "OK" and data == [b"2"]
        time.sleep(REFRESH_SECONDS + 0.2)

        with pytest.raises(poplib.error_proto, match="removed meanwhile"):
            pop.retr(2)
        assert pop.list(2) == b"+OK 2 0"
        assert message_id(b"\r\n".join(pop.retr(3)[1])) == third  # numbering unchanged
        pop.dele(1)
        pop.dele(2)
        assert pop.quit().startswith(b"+OK")

        typ, _ = imap.noop()
        untagged = imap.response("EXPUNGE")[1]
        assert typ == "OK" and untagged == [b"1"], untagged  # the POP3 deletion, seen by IMAP
        typ, data = imap.search(None, "ALL")
        assert len(data[0].split()) == total - 2
    finally:
        imap.logout()

    left = ids(server_state(target.imap))
    assert left == target.imap.initial - {first, second}
    assert third in left

    again = poplib.POP3_SSL(target.host, target.pop3s_port, context=ctx, timeout=30)
    again.user(ALICE)
    assert re.match(rb"\+OK %d messages" % (total - 2), again.pass_(target.password))
    again.quit()
