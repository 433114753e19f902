"""APPEND (RFC 3501 6.3.11) with flags, keywords and internal date, the non-synchronising literal of
LITERAL+ (RFC 7888), TRYCREATE, and the EXISTS a selected session gets."""

from __future__ import annotations

from datetime import datetime

from tests.sidecars.imap.conftest import MULTIPART, ImapService, Raw, code_of, fetches, plain


def test_append_with_flags_and_date(client: Raw, folder: str) -> None:
    reply = client.append(
        folder, MULTIPART, flags="\\Seen \\Flagged $Important", date="07-Oct-2026 08:09:10 +0200"
    )
    assert reply.ok
    client.select(folder)
    items = fetches(client.command("FETCH 1 (FLAGS INTERNALDATE BODY.PEEK[])"))[1]
    assert set(items["FLAGS"]) - {"\\Recent"} == {"\\Seen", "\\Flagged", "$Important"}  # type: ignore[arg-type]
    assert items["BODY[]"] == MULTIPART
    when = datetime.strptime(items["INTERNALDATE"].decode(), "%d-%b-%Y %H:%M:%S %z")  # type: ignore[union-attr]
    assert when == datetime.strptime("07-Oct-2026 08:09:10 +0200", "%d-%b-%Y %H:%M:%S %z")


def test_append_without_date_uses_now(client: Raw, folder: str) -> None:
    client.append(folder, plain("now"))
    client.select(folder)
    raw = fetches(client.command("FETCH 1 INTERNALDATE"))[1]["INTERNALDATE"]
    when = datetime.strptime(raw.decode(), "%d-%b-%Y %H:%M:%S %z")  # type: ignore[union-attr]
    assert abs((datetime.now(when.tzinfo) - when).total_seconds()) < 3600


def test_append_to_missing_folder_says_trycreate(client: Raw) -> None:
    reply = client.literal_command("APPEND NoSuchFolder", plain("x"))
    assert reply.status == "NO" and code_of(reply.tagged) == "TRYCREATE", reply  # RFC 3501 6.3.11


def test_append_to_the_selected_folder_reports_exists(client: Raw, folder: str) -> None:
    client.append(folder, plain("one"))
    client.select(folder)
    reply = client.append(folder, plain("two"))
    assert b"* 2 EXISTS" in reply.untagged, reply


def test_literal_plus_needs_no_continuation(client: Raw, folder: str) -> None:
    message = plain("literal plus")
    tag = client.next_tag()
    client.send(f"{tag} APPEND {folder} (\\Draft) {{{len(message)}+}}\r\n".encode() + message + b"\r\n")
    reply = client.until_tagged(tag)
    assert reply.ok, reply
    assert not any(line.startswith(b"+") for line in reply.untagged)  # RFC 7888 3
    assert b"MESSAGES 1" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_literal_plus_in_other_commands(client: Raw, folder: str) -> None:
    name = f"{folder}/LitPlus".encode()
    tag = client.next_tag()
    client.send(tag.encode() + b" CREATE {%d+}\r\n%s\r\n" % (len(name), name))
    assert client.until_tagged(tag).ok
    assert client.command(b"SELECT " + name).ok


def test_bad_date_and_bad_flags_are_bad(client: Raw, folder: str) -> None:
    assert client.literal_command(f'APPEND {folder} "31-Foo-2026 00:00:00 +0000"', plain("x")).status == "BAD"
    assert client.literal_command(f"APPEND {folder} (\\Seen", plain("x")).status == "BAD"
    assert client.command("NOOP").ok
    assert b"MESSAGES 0" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_imaplib_append(imap_service: ImapService, account: str, folder: str) -> None:
    with imap_service.imaplib(account) as c:
        typ, data = c.append(folder, "(\\Draft)", None, MULTIPART)
        assert typ == "OK" and b"APPENDUID" in data[0]
        c.select(folder)
        typ, data = c.search(None, "DRAFT")
        assert data == [b"1"]


def test_nul_in_a_literal_is_refused(client: Raw, folder: str) -> None:
    """RFC 3501 4.3 and 9: a literal is CHAR8s and CHAR8 excludes NUL (only BINARY's literal8 may carry
    NUL); such an APPEND is a syntax error and must not store anything."""
    reply = client.literal_command(f"APPEND {folder}", b"Subject: nul\r\n\r\nnul \x00 byte\r\n")
    assert reply.status in ("BAD", "NO"), reply
    assert b"MESSAGES 0" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_large_message_round_trip(client: Raw, folder: str) -> None:
    """A 3 MB message goes in through one literal and comes back byte for byte, also in partial ranges."""
    line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n"
    big = plain("big one").rstrip(b"\r\n") + b"\r\n" + line * (3 * 1024 * 1024 // len(line))
    client.append(folder, big)
    client.select(folder)
    items = fetches(client.command("FETCH 1 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[]<2000000.100>)"))[1]
    assert items["RFC822.SIZE"] == len(big)
    assert items["BODY[]"] == big
    assert items["BODY[]<2000000>"] == big[2000000:2000100]


def test_utf8_append_data_extension(client: Raw, folder: str) -> None:
    """RFC 6855 4: with UTF8=ACCEPT enabled, APPEND takes ``UTF8 (~{n})`` for a message with raw UTF-8
    header fields."""
    assert client.command("ENABLE UTF8=ACCEPT").ok
    message = "From: Jürgen <j@example.org>\r\nSubject: Grüße\r\n\r\nHallo\r\n".encode()
    tag = client.next_tag()
    client.send(f"{tag} APPEND {folder} UTF8 (~{{{len(message)}}}\r\n".encode())
    line = client.read_line()
    assert line.startswith(b"+"), line
    client.send(message + b")\r\n")
    assert client.until_tagged(tag).ok
    client.select(folder)
    assert fetches(client.command("FETCH 1 BODY.PEEK[]"))[1]["BODY[]"] == message


def test_literal_plus_append_pipelined_with_the_next_command(client: Raw, folder: str) -> None:
    message = plain("pipelined")
    client.send(
        f"P1 APPEND {folder} {{{len(message)}+}}\r\n".encode()
        + message
        + b"\r\nP2 STATUS "
        + folder.encode()
        + b" (MESSAGES)\r\n"
    )
    assert client.until_tagged("P1").ok
    reply = client.until_tagged("P2")
    assert reply.ok and b"MESSAGES 1" in reply.named("STATUS")[0], reply
