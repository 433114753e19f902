"""mbox/Maildir reading and mbox writing, without a store."""

from __future__ import annotations

import io
import mailbox
from datetime import UTC, datetime
from pathlib import Path

from fieldpost import mailfiles
from fieldpost.progress import ProgressBar


def test_mbox_round_trip_keeps_from_lines_and_flags(tmp_path: Path) -> None:
    raw = b"From: a@example.org\r\nSubject: hi\r\n\r\nFrom here on\r\n>From quoted already\r\nend\r\n"
    when = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    buffer = io.BytesIO()
    mailfiles.write_mbox_message(buffer, raw, when, {"\\Seen", "\\Flagged"})
    mailfiles.write_mbox_message(buffer, b"Subject: second\n\nbody", None, ())
    path = tmp_path / "box"
    path.write_bytes(buffer.getvalue())
    assert buffer.getvalue().startswith(b"From a@example.org Fri Mar 01 12:30:00 2024\n")
    assert b"\n>From here on\n>>From quoted already\n" in buffer.getvalue()

    first, second = mailfiles.read_mbox(path)
    assert first.raw == raw  # stored with CRLF line ends whatever the mbox holds
    assert first.flags == {"\\Seen", "\\Flagged"}
    assert first.internal_date == when
    assert second.raw == b"Subject: second\r\n\r\nbody\r\n" and second.flags == frozenset()
    assert mailfiles.count_mbox(path) == 2
    # Python's own mbox reader agrees on the message boundaries
    assert [m["subject"] for m in mailbox.mbox(path)] == ["hi", "second"]


def test_mbox_status_headers_become_flags(tmp_path: Path) -> None:
    path = tmp_path / "box"
    path.write_bytes(
        b"From x@y Mon Jan  1 00:00:00 2024\nSubject: a\nStatus: RO\nX-Status: AF\n\nbody\n\n"
        b"From x@y Mon Jan  1 00:00:01 2024\nSubject: b\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n\nb\n"
    )
    first, second = mailfiles.read_mbox(path)
    assert first.flags == {"\\Seen", "\\Answered", "\\Flagged"}
    assert b"Status" not in first.raw
    assert second.internal_date == datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_not_an_mbox(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    try:
        list(mailfiles.read_mbox(path))
    except ValueError as exc:
        assert "not an mbox" in str(exc)
    else:
        raise AssertionError("no error")


def test_maildir_flags_and_subfolders(tmp_path: Path) -> None:
    md = mailbox.Maildir(tmp_path / "md")
    message = mailbox.MaildirMessage(b"Subject: one\n\n1\n")
    message.set_subdir("cur")
    message.set_flags("FRS")
    md.add(message)
    md.add(b"Subject: new\n\n2\n")
    md.add_folder("Lists.python").add(b"Subject: deep\n\n3\n")
    read = {m.raw.split(b"\r\n")[0]: m for m in mailfiles.read_maildir(tmp_path / "md")}
    assert all(b"\n" not in m.raw.replace(b"\r\n", b"") for m in read.values())
    assert read[b"Subject: one"].flags == {"\\Flagged", "\\Answered", "\\Seen"}
    assert read[b"Subject: new"].flags == frozenset() and read[b"Subject: new"].folder == ""
    assert read[b"Subject: deep"].folder == "Lists/python"
    assert mailfiles.count_maildir(tmp_path / "md") == 3


def test_progress_bar_prints_its_final_state_off_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressBar(4, "import box", stream) as bar:
        for _ in range(4):
            bar.advance()
    line = stream.getvalue()
    assert line.count("\n") == 1 and "4/4" in line and "100%" in line and "#" * ProgressBar.WIDTH in line
