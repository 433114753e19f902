"""Pure parts of the scanner level and the transport: our fields, the "higher level wins" rule, addresses."""

from __future__ import annotations

import pytest

from filters.scanners import level
from filters.scanners.transport import parse_address

RAW = b"Subject: hi\r\n\r\nbody\r\n"


def test_fields_are_written_on_top():
    scan = level.Scan(message=RAW, spam_level=7, virus_level=1, spam_report="score=8.0 required=5.0 tests=X")
    assert level.stamped(scan) == (
        b"X-Fieldpost-Spam-Level: 7\r\nX-Fieldpost-Virus-Level: 1\r\n"
        b"X-Fieldpost-Spam-Report: score=8.0 required=5.0 tests=X\r\n" + RAW
    )


def test_a_higher_level_already_there_is_kept_and_not_duplicated():
    before = b"X-Fieldpost-Spam-Level: 9\r\nX-Fieldpost-Virus-Level: 1 clean\r\n" + RAW
    stamped = level.stamped(level.Scan(message=before, spam_level=3, virus_level=5, virus="Eicar"))
    assert stamped.count(b"X-Fieldpost-Spam-Level") == 1 and b"X-Fieldpost-Spam-Level: 9\r\n" in stamped
    assert stamped.count(b"X-Fieldpost-Virus-Level") == 1 and b"X-Fieldpost-Virus-Level: 5\r\n" in stamped


def test_nothing_scanned_leaves_the_message_alone():
    assert level.stamped(level.Scan(message=RAW)) is RAW


@pytest.mark.parametrize(
    ("address", "parsed"),
    [
        ("127.0.0.1:783", ("tcp", ("127.0.0.1", 783))),
        ("[::1]:3310", ("tcp", ("::1", 3310))),
        ("unix:/run/clamav/clamd.ctl", ("unix", "/run/clamav/clamd.ctl")),
        ("/run/spamd.sock", ("unix", "/run/spamd.sock")),
    ],
)
def test_addresses(address, parsed):
    assert parse_address(address) == parsed


@pytest.mark.parametrize("address", ["localhost", "host:0", "host:70000", ":25", "unix:", "host:port"])
def test_bad_addresses(address):
    with pytest.raises(ValueError, match="scanner address"):
        parse_address(address)
