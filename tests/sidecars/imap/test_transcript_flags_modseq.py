"""Byte-exact transcripts of the session over a real SQLite store for issue 15's conformance cases:
keywords announced before they are shown (RFC 3501 7.2.6), NIL refused as a keyword (RFC 3501 4.5),
the HIGHESTMODSEQ of the first CONDSTORE enabling command (RFC 7162 3.1), the MODSEQ of an ESEARCH
(RFC 7162 3.1.5, RFC 4731) and MOVE into the selected mailbox (RFC 6851).

The store starts with three unseen messages in alice's INBOX (UIDs 1-3, HIGHESTMODSEQ 4)."""

from __future__ import annotations

from storage.store import Store
from tests.sidecars.imap import test_session_transcript as transcript
from tests.sidecars.imap.test_session_transcript import Client

# the transcript module's fixtures: a fresh copy of a store with three messages in alice's INBOX
template, store = transcript.template, transcript.store

SYSTEM = "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
PERMANENT = "\\Answered \\Flagged \\Draft \\Deleted \\Seen"


def selected(store: Store, command: str = "s SELECT INBOX") -> Client:
    c = Client(store)
    c.login()
    assert " OK " in c.cmd(command)
    return c


def test_store_announces_a_new_keyword_before_the_fetch_that_shows_it(store: Store) -> None:
    c = selected(store)
    assert c.cmd("a STORE 1 +FLAGS ($Work)") == (
        f"* FLAGS ({SYSTEM} $Work)\r\n"
        f"* OK [PERMANENTFLAGS ({PERMANENT} $Work \\*)] flags the session may change\r\n"
        "* 1 FETCH (FLAGS (\\Recent $Work))\r\n"
        "a OK STORE completed\r\n"
    )
    # known now: no second announcement
    assert (
        c.cmd("b STORE 2 +FLAGS ($Work)") == "* 2 FETCH (FLAGS (\\Recent $Work))\r\nb OK STORE completed\r\n"
    )
    # .SILENT shows no flags, but the mailbox now has the keyword: FLAGS still lists it
    assert c.cmd("c STORE 3 +FLAGS.SILENT ($Later)") == (
        f"* FLAGS ({SYSTEM} $Later $Work)\r\n"
        f"* OK [PERMANENTFLAGS ({PERMANENT} $Later $Work \\*)] flags the session may change\r\n"
        "c OK STORE completed\r\n"
    )


def test_select_lists_the_keywords_in_flags_and_permanentflags(store: Store) -> None:
    selected(store).cmd("a STORE 2 +FLAGS.SILENT ($Work)")
    reply = Client(store)
    reply.login()
    select = reply.cmd("s SELECT INBOX")
    assert f"* FLAGS ({SYSTEM} $Work)\r\n" in select
    assert f"* OK [PERMANENTFLAGS ({PERMANENT} $Work \\*)] flags the session may change\r\n" in select


def test_other_sessions_get_flags_before_the_fetch_of_the_change(store: Store) -> None:
    writer, reader = selected(store), selected(store, "s EXAMINE INBOX")
    writer.cmd("a STORE 2 +FLAGS.SILENT ($Work)")
    reader.session.selection.dirty = True  # what the change hub does
    # read-only: PERMANENTFLAGS stays empty, so only FLAGS is sent again (RFC 3501 7.1)
    assert reader.cmd("n NOOP") == (
        f"* FLAGS ({SYSTEM} $Work)\r\n* 2 FETCH (FLAGS ($Work))\r\nn OK NOOP completed\r\n"
    )


def test_fetch_announces_a_keyword_another_session_set_before_any_update(store: Store) -> None:
    writer, reader = selected(store), selected(store)
    writer.cmd("a STORE 1 +FLAGS.SILENT ($Work)")
    # the change hub has not woken the reader yet: its FETCH reads the new flags all the same
    assert reader.cmd("f FETCH 1 FLAGS") == (
        f"* FLAGS ({SYSTEM} $Work)\r\n"
        f"* OK [PERMANENTFLAGS ({PERMANENT} $Work \\*)] flags the session may change\r\n"
        "* 1 FETCH (FLAGS ($Work))\r\n"
        "f OK FETCH completed\r\n"
    )


def test_append_with_a_new_keyword_announces_it_before_exists(store: Store) -> None:
    appender, other = selected(store), selected(store)
    reply = appender.send(b"a APPEND INBOX ($Later) {12}\r\nSubject: x\r\n\r\n")
    assert reply == (
        "+ Ready for literal data\r\n"
        f"* FLAGS ({SYSTEM} $Later)\r\n"
        f"* OK [PERMANENTFLAGS ({PERMANENT} $Later \\*)] flags the session may change\r\n"
        "* 4 EXISTS\r\n* 4 RECENT\r\n"
        f"a OK [APPENDUID {appender.session.selection.folder.uidvalidity} 4] APPEND completed\r\n"
    )
    other.session.selection.dirty = True
    assert other.cmd("n NOOP") == (
        f"* FLAGS ({SYSTEM} $Later)\r\n"
        f"* OK [PERMANENTFLAGS ({PERMANENT} $Later \\*)] flags the session may change\r\n"
        "* 4 EXISTS\r\n* 0 RECENT\r\nn OK NOOP completed\r\n"
    )


def test_nil_is_not_a_keyword(store: Store) -> None:
    c = selected(store)
    assert (
        c.cmd("a STORE 1 +FLAGS (NIL)") == "a BAD NIL is not a keyword (RFC 3501 4.5: NIL means no value)\r\n"
    )
    assert c.cmd("b STORE 1 +FLAGS (\\Seen nil)").startswith("b BAD NIL is not a keyword")
    assert c.cmd("c APPEND INBOX (Nil) {1+}\r\nx").startswith("c BAD NIL is not a keyword")
    assert c.cmd("d FETCH 1 FLAGS") == "* 1 FETCH (FLAGS (\\Recent))\r\nd OK FETCH completed\r\n"


def test_first_condstore_enabling_command_reports_highestmodseq(store: Store) -> None:
    c = selected(store)
    assert c.cmd("a FETCH 1 (FLAGS MODSEQ)") == (
        "* OK [HIGHESTMODSEQ 4] highest mod-sequence\r\n"
        "* 1 FETCH (FLAGS (\\Recent) MODSEQ (2))\r\n"
        "a OK FETCH completed\r\n"
    )
    # only the first: CONDSTORE is on for the rest of the session
    assert c.cmd("b FETCH 1 MODSEQ") == "* 1 FETCH (MODSEQ (2))\r\nb OK FETCH completed\r\n"


def test_each_condstore_enabling_command_reports_highestmodseq_first(store: Store) -> None:
    highest = "* OK [HIGHESTMODSEQ 4] highest mod-sequence\r\n"
    commands = {
        "FETCH 1:* (FLAGS) (CHANGEDSINCE 3)": "* 3 FETCH (FLAGS (\\Recent) MODSEQ (4))\r\n",
        "SEARCH MODSEQ 1": "* SEARCH 1 2 3 (MODSEQ 4)\r\n",
        "STATUS INBOX (HIGHESTMODSEQ)": "* STATUS INBOX (HIGHESTMODSEQ 4)\r\n",
        "STORE 3 (UNCHANGEDSINCE 4) +FLAGS.SILENT (\\Seen)": "* 3 FETCH (MODSEQ (5))\r\n",  # the last: it writes
    }
    for command, response in commands.items():
        c = selected(store)
        reply = c.cmd(f"a {command}")
        assert reply.startswith(highest + response), (command, reply)
        assert reply.endswith(" completed\r\n") and reply.count("HIGHESTMODSEQ 4] ") == 1, reply
        assert highest not in c.cmd(f"b {command.replace('UNCHANGEDSINCE 4', 'UNCHANGEDSINCE 9')}")


def test_condstore_enabled_without_a_selected_mailbox_sends_nothing_extra(store: Store) -> None:
    c = Client(store)
    c.login()
    assert c.cmd("a STATUS INBOX (HIGHESTMODSEQ)") == (
        "* STATUS INBOX (HIGHESTMODSEQ 4)\r\na OK STATUS completed\r\n"
    )


def test_esearch_modseq_is_that_of_the_messages_returned(store: Store) -> None:
    c = selected(store)
    folder = c.session.selection.id
    # message modseqs: 1 -> 7, 2 -> 5, 3 -> 6
    for uid in (2, 3, 1):
        store.mail.set_flags(folder, [uid], ["$Done"], "add")
    c.cmd("n NOOP")
    assert c.cmd("a SEARCH RETURN (MIN) MODSEQ 5").endswith(
        '* ESEARCH (TAG "a") MIN 1 MODSEQ 7\r\na OK SEARCH completed\r\n'
    )
    assert c.cmd("b SEARCH RETURN (MAX) 2:3 MODSEQ 5") == (
        '* ESEARCH (TAG "b") MAX 3 MODSEQ 6\r\nb OK SEARCH completed\r\n'
    )
    assert c.cmd("c SEARCH RETURN (MIN) 2:3 MODSEQ 5") == (
        '* ESEARCH (TAG "c") MIN 2 MODSEQ 5\r\nc OK SEARCH completed\r\n'
    )
    # MIN and MAX: the higher of the two; ALL and COUNT: the highest of every match
    assert c.cmd("d SEARCH RETURN (MIN MAX) 2:3 MODSEQ 5") == (
        '* ESEARCH (TAG "d") MIN 2 MAX 3 MODSEQ 6\r\nd OK SEARCH completed\r\n'
    )
    assert c.cmd("e SEARCH RETURN (ALL) MODSEQ 5") == (
        '* ESEARCH (TAG "e") ALL 1:3 MODSEQ 7\r\ne OK SEARCH completed\r\n'
    )
    assert c.cmd("f UID SEARCH RETURN (COUNT MIN) 2:3 MODSEQ 5") == (
        '* ESEARCH (TAG "f") UID MIN 2 COUNT 2 MODSEQ 6\r\nf OK UID SEARCH completed\r\n'
    )


def test_move_into_the_selected_mailbox_is_copy_and_expunge(store: Store) -> None:
    c = selected(store)
    validity = c.session.selection.folder.uidvalidity
    c.cmd("a STORE 2 +FLAGS.SILENT (\\Flagged)")
    assert c.cmd("m MOVE 2 INBOX") == (
        f"* OK [COPYUID {validity} 2 4] moved\r\n"
        "* 2 EXPUNGE\r\n"
        "* 3 EXISTS\r\n* 3 RECENT\r\n"
        "m OK MOVE completed\r\n"
    )
    assert c.cmd("u UID MOVE 1 INBOX") == (
        f"* OK [COPYUID {validity} 1 5] moved\r\n"
        "* 1 EXPUNGE\r\n"
        "* 3 EXISTS\r\n* 3 RECENT\r\n"
        "u OK UID MOVE completed\r\n"
    )
    assert c.cmd("f FETCH 1:* (UID FLAGS)") == (
        "* 1 FETCH (UID 3 FLAGS (\\Recent))\r\n"
        "* 2 FETCH (UID 4 FLAGS (\\Flagged \\Recent))\r\n"
        "* 3 FETCH (UID 5 FLAGS (\\Recent))\r\n"
        "f OK FETCH completed\r\n"
    )


def test_fetch_streamed_before_the_updates_still_announces_the_keyword(store: Store) -> None:
    writer, reader = selected(store), selected(store)
    writer.cmd("a STORE 1 +FLAGS.SILENT ($Work)")
    reader.session.selection.dirty = True  # the change hub woke the reader: updates follow the FETCH
    # the FETCH responses are written before the updates computed after the command: each part
    # announces the keyword before it shows it, even if that means a second FLAGS
    announce = (
        f"* FLAGS ({SYSTEM} $Work)\r\n"
        f"* OK [PERMANENTFLAGS ({PERMANENT} $Work \\*)] flags the session may change\r\n"
    )
    assert reader.cmd("f FETCH 1 FLAGS") == (
        f"{announce}* 1 FETCH (FLAGS ($Work))\r\n{announce}* 1 FETCH (FLAGS ($Work))\r\nf OK FETCH completed\r\n"
    )


def test_sort_with_modseq_enables_condstore_and_reports_the_highest(store: Store) -> None:
    c = selected(store)
    store.mail.set_flags(c.session.selection.id, [2], ["$Done"], "add")  # message 2: modseq 5
    c.cmd("n NOOP")
    assert c.cmd("a SORT (REVERSE ARRIVAL) UTF-8 MODSEQ 3") == (
        "* OK [HIGHESTMODSEQ 5] highest mod-sequence\r\n* SORT 3 2 (MODSEQ 5)\r\na OK SORT completed\r\n"
    )
    assert c.cmd("b UID SORT (ARRIVAL) UTF-8 MODSEQ 9") == "* SORT\r\nb OK UID SORT completed\r\n"
