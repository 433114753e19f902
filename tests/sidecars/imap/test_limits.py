"""Bad input and limits (RFC 3501 7.1.3, RFC 7888 4, issue 5): unknown commands, overlong lines, literals
over the limit, bad sequence sets, deep nesting and binary garbage are answered with BAD/NO and a text, and
the server keeps answering - on the same connection where the RFC allows, and always on a new one."""

from __future__ import annotations

import contextlib
import re
import time

import pytest

from tests.sidecars.imap.conftest import Closed, ImapService, Raw, plain


@pytest.fixture
def selected(client: Raw, folder: str) -> Raw:
    client.append(folder, plain("one"))
    client.append(folder, plain("two"))
    client.select(folder)
    return client


def alive(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def refused(line: bytes) -> bool:
    """A BAD/NO status (tagged or untagged) with some human-readable text."""
    return re.match(rb"\S+ (BAD|NO) \S", line) is not None


def test_unknown_command_is_bad(client: Raw) -> None:
    reply = client.command("FROBNICATE now")
    assert reply.status == "BAD" and refused(reply.tagged), reply
    assert client.command("NOOP").ok


def test_empty_line_is_bad(client: Raw) -> None:
    client.send(b"\r\n")
    assert refused(client.read_line())
    assert client.command("NOOP").ok


@pytest.mark.parametrize("line", [b"* NOOP", b"+ NOOP", b"A(1 NOOP", b"NOOP"])
def test_bad_tags_are_bad(client: Raw, line: bytes) -> None:
    client.send(line + b"\r\n")
    assert refused(client.read_line())
    assert client.command("NOOP").ok


def test_overlong_line(imap_service: ImapService, client: Raw) -> None:
    client.send(b"A1 SEARCH " + b"ALL " * 50_000 + b"\r\n")  # 200 KB, over any sane line limit
    line = client.read_line()
    assert refused(line) or line.startswith(b"* BYE"), line
    if not line.startswith(b"* BYE"):
        assert client.command("NOOP").ok
    alive(imap_service)


def test_literal_over_the_limit_gets_no_continuation(selected: Raw, folder: str) -> None:
    tag = selected.next_tag()
    selected.send(f"{tag} APPEND {folder} {{3000000000}}\r\n".encode())
    line = selected.read_line()
    assert line.startswith(tag.encode() + b" ") and refused(line), line  # no "+": RFC 3501 7.5
    assert b"[TOOBIG]" in line  # docs/imap.md "Limits"
    assert selected.command("NOOP").ok


def test_non_synchronising_literal_over_the_limit(
    imap_service: ImapService, client: Raw, folder: str
) -> None:
    client.send(f"A1 APPEND {folder} {{3000000000+}}\r\n".encode() + b"x" * 1000)
    line = client.read_line()
    assert refused(line) or line.startswith(b"* BYE"), line  # RFC 7888 4
    alive(imap_service)


def test_message_size_limit_of_the_account(imap_service: ImapService) -> None:
    address = imap_service.new_account("small")
    imap_service.set_setting("mail.max_message_bytes", 2048, account=address)
    conn = imap_service.login(address)
    try:
        tag = conn.next_tag()
        conn.send(f"{tag} APPEND INBOX {{5000}}\r\n".encode())
        line = conn.read_line()
        assert line.startswith(tag.encode() + b" BAD [TOOBIG]"), line  # docs/imap.md "Limits"
        assert conn.command("NOOP").ok
        assert conn.literal_command("APPEND INBOX", plain("fits")).ok
    finally:
        conn.close()


def test_literal_before_login_is_limited(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        conn.send(b"A1 LOGIN {10000000}\r\n")
        line = conn.read_line()
        assert line.startswith(b"A1 ") and refused(line), line
        assert conn.command("NOOP").ok
    finally:
        conn.close()


@pytest.mark.parametrize("sequence", ["0", "1:0", "-1", "1,,2", "x", "1:*:2", "4294967296"])
def test_bad_sequence_sets_are_bad(selected: Raw, sequence: str) -> None:
    assert selected.command(f"FETCH {sequence} FLAGS").status == "BAD"
    assert selected.command("NOOP").ok


def test_deep_nesting_is_refused(selected: Raw) -> None:
    reply = selected.command("SEARCH " + "(" * 500 + "ALL" + ")" * 500)
    assert reply.status in ("BAD", "NO") and refused(reply.tagged), reply
    assert selected.command("NOOP").ok


def test_nul_byte_is_bad(client: Raw) -> None:
    assert client.command(b"NOOP \x00").status == "BAD"
    assert client.command("NOOP").ok


def test_binary_garbage_does_not_kill_the_server(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        conn.send(bytes(range(256)) * 4 + b"\r\n")
        first = conn.read_line()
        assert refused(first) or first.startswith(b"* BYE"), first
    except Closed:
        pass
    finally:
        conn.close()
    alive(imap_service)


def test_too_many_errors_end_the_session(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    lines: list[bytes] = []
    try:
        with pytest.raises((Closed, OSError)):
            for n in range(50):
                conn.send(f"E{n} FROBNICATE\r\n".encode())
                lines.append(conn.read_line())
        assert any(line.startswith(b"* BYE") for line in lines), lines[-3:]
    finally:
        conn.close()
    alive(imap_service)


def test_pipelined_commands_are_answered_in_order(client: Raw) -> None:
    client.send(b"P1 NOOP\r\nP2 CAPABILITY\r\nP3 NOOP\r\n")
    tags = []
    while len(tags) < 3:
        line = client.read_line()
        if not line.startswith(b"*"):
            tags.append(line.split(b" ")[0])
    assert tags == [b"P1", b"P2", b"P3"]


TOKENS = [
    "FETCH", "STORE", "SEARCH", "UID", "SELECT", "LIST", "APPEND", "(", ")", "[", "]", "<1.2>", "BODY[",
    "1:*", "*", "0", "4294967296", '"', '"x"', "{5}", "{2+}", "NIL", "\\Seen", "+FLAGS", "CHARSET", "UTF-8",
    "RETURN", "(ALL)", "%", "~{1}", "\x01", "ä", "BODY.PEEK[1.2.MIME]", "HEADER.FIELDS",
]  # fmt: skip


def test_random_commands_never_crash_the_server(imap_service: ImapService, account: str, folder: str) -> None:
    """Seeded random token soup: every line gets an answer (or the session is ended politely), and the
    server keeps accepting connections."""
    import random

    rng = random.Random(5)
    conn = imap_service.login(account)
    conn.select(folder)
    try:
        for n in range(60):
            words = " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 8)))
            if words.endswith("}"):  # a literal announced at the end of a line really waits for its bytes
                words += " x"
            conn.send(f"R{n} {words}\r\n".encode())
            conn.send(f"Z{n} NOOP\r\n".encode())
            try:
                reply = conn.until_tagged(f"Z{n}")
            except Closed:
                conn = imap_service.login(account)
                conn.select(folder)
                continue
            assert reply.ok or reply.status == "BAD", reply  # NOOP after junk: OK, or BAD if eaten
    finally:
        conn.close()
    alive(imap_service)


def test_many_pipelined_commands(client: Raw) -> None:
    client.send(b"".join(b"Q%d NOOP\r\n" % n for n in range(1000)))
    answered = 0
    while answered < 1000:
        line = client.read_line()
        if not line.startswith(b"*"):
            assert line.startswith(b"Q%d OK " % answered), line  # in order, each answered
            answered += 1


def test_connections_per_address_are_limited(imap_service: ImapService) -> None:
    """net.imap.max_per_ip: the connection over the limit is greeted with BYE (RFC 3501 7.1.5) and the
    limit frees up again once connections close."""
    limit = int(imap_service.store.settings.get("net.imap.max_per_ip"))
    assert 0 < limit <= 200, "the test expects the default per-address limit (50)"
    held: list[Raw] = []
    try:
        for _ in range(limit):
            held.append(imap_service.raw(tls=False))
            assert held[-1].greeting.startswith(b"* OK"), held[-1].greeting
        extra = imap_service.raw(tls=False)
        held.append(extra)
        assert extra.greeting.startswith(b"* BYE"), extra.greeting
    finally:
        for conn in held:
            conn.close()
    deadline = time.monotonic() + 5
    while True:
        conn = imap_service.raw(tls=False)
        try:
            if conn.greeting.startswith(b"* OK"):
                break
        finally:
            conn.close()
        assert time.monotonic() < deadline, "the limit was not released"
        time.sleep(0.1)


def test_line_just_under_the_documented_limit_works(selected: Raw) -> None:
    """docs/imap.md: command lines up to 64 KiB (literals not counted) are accepted, longer ones are not."""
    assert selected.command('SEARCH HEADER X-Long "' + "x" * 60_000 + '"').named("SEARCH") == [b"* SEARCH"]
    reply = selected.command('SEARCH HEADER X-Long "' + "x" * 70_000 + '"')
    assert reply.status == "BAD" and b"too long" in reply.tagged.lower(), reply
    assert selected.command("NOOP").ok


def test_literal_before_login_is_toobig(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        conn.send(b"A1 LOGIN {70000}\r\n")
        line = conn.read_line()
        assert line.startswith(b"A1 BAD [TOOBIG]"), line  # docs/imap.md, RFC 7888 4
    finally:
        conn.close()


def test_failed_logins_end_the_session(imap_service: ImapService, account: str) -> None:
    """docs/imap.md: after net.imap.max_auth_failures failed logins the session ends with BYE."""
    limit = int(imap_service.store.settings.get("net.imap.max_auth_failures"))
    conn = imap_service.raw()
    lines: list[bytes] = []
    try:
        for n in range(limit):
            conn.send(f'F{n} LOGIN "{account}" "not-it-{n}"\r\n'.encode())
        with pytest.raises((Closed, OSError)):
            while True:
                lines.append(conn.read_line())
        tagged = [line for line in lines if line.startswith(b"F")]
        assert len(tagged) == limit and all(line.split()[1] == b"NO" for line in tagged), lines
        assert any(line.startswith(b"* BYE") for line in lines), lines
    finally:
        conn.close()


def test_clear_text_on_the_tls_port_and_abrupt_closes(imap_service: ImapService) -> None:
    """A client speaking IMAP to the implicit-TLS port, or vanishing mid-handshake, costs the server
    nothing but that connection."""
    import socket

    for payload in (b"A1 NOOP\r\n", b"\x16\x03\x01\x00\x05hello", b""):
        sock = socket.create_connection(("127.0.0.1", imap_service.port("imaps")), timeout=5)
        with sock, contextlib.suppress(OSError):  # the server may drop the connection at any point here
            if payload:
                sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            sock.recv(1024)
    conn = imap_service.raw(tls=False)
    try:
        conn.send(b"S1 STARTTLS\r\n")
        assert conn.read_line().startswith(b"S1 OK")
        conn.send(b"this is not a TLS ClientHello\r\n")
    finally:
        conn.close()
    alive(imap_service)
