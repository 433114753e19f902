"""Transcripts of the session surface: greeting, EHLO per listener and TLS state, HELP, NOOP, VRFY, EXPN,
QUIT, and the bad-input replies (syntax, overlong lines, NUL bytes, error control)."""

from __future__ import annotations

from sidecars.smtp import replies as R
from sidecars.smtp.session import COMMANDS
from storage.store import Store
from tests.sidecars.smtp.conftest import HOST, Client, MakeClient

BASE = ("SIZE 52428800", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8", "CHUNKING")


def say(reply: R.Reply, extra: tuple[str, ...] = (), **values: object) -> str:
    return (reply.format(**values) if values else reply).encode(extra).decode()


def ehlo_reply(*extensions: str) -> str:
    return say(R.EHLO_OK, (*BASE, *extensions), host=HOST, name="client.example.net", ip="192.0.2.10")


def test_greeting(make_client: MakeClient) -> None:
    assert make_client().banner == f"220 {HOST} ESMTP Fieldpost ready\r\n"


def test_ehlo_on_mx_offers_starttls_but_never_auth(make_client: MakeClient) -> None:
    assert make_client().ehlo() == ehlo_reply("STARTTLS")
    assert make_client(tls_active=True).ehlo() == ehlo_reply()
    assert make_client(tls_available=False).ehlo() == ehlo_reply()


def test_ehlo_on_submission_offers_auth_only_over_tls(make_client: MakeClient) -> None:
    assert make_client("submission").ehlo() == ehlo_reply("STARTTLS")
    assert make_client("submission", tls_active=True).ehlo() == ehlo_reply("AUTH SCRAM-SHA-256 PLAIN LOGIN")
    assert make_client("submissions", tls_active=True).ehlo() == ehlo_reply("AUTH SCRAM-SHA-256 PLAIN LOGIN")


def test_ehlo_with_plaintext_auth_allowed_and_cram(make_client: MakeClient, store: Store) -> None:
    store.settings.set("smtp.allow_plaintext_auth", True)
    store.settings.set("auth.allow_cram", True)
    assert make_client("submission").ehlo() == ehlo_reply(
        "STARTTLS", "AUTH SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5"
    )


def test_ehlo_literal_and_bad_argument(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd("EHLO [192.0.2.10]").startswith("250-")
    assert c.cmd("EHLO") == say(R.SYNTAX, usage="EHLO <domain or address literal>")
    assert c.cmd("EHLO two words") == say(R.SYNTAX, usage="EHLO <domain or address literal>")


def test_help_lists_the_command_table(client: Client) -> None:
    out = client.cmd("HELP")
    assert out.startswith("214-2.0.0 Commands:\r\n") and out.splitlines()[-1].startswith("214 2.0.0 QUIT")
    assert len(out.splitlines()) == len(COMMANDS) + 1
    assert client.cmd("HELP bdat") == say(R.HELP_TOPIC, text=f"{COMMANDS['BDAT'].help} (RFC 3030 2)")


def test_noop_rset_quit(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd("NOOP") == say(R.OK)
    assert c.cmd("RSET") == say(R.RESET_OK)
    assert c.cmd("QUIT") == say(R.CLOSING, host=HOST)
    assert c.last.close
    assert c.session.receive(b"NOOP\r\n").close


def test_vrfy_is_off_by_default_and_expn_unavailable(client: Client) -> None:
    assert client.cmd("VRFY alice") == say(R.VRFY_DISABLED)
    assert client.cmd("EXPN staff") == say(R.NOT_IMPLEMENTED, verb="EXPN")


def test_vrfy_when_enabled(make_client: MakeClient, store: Store) -> None:
    store.settings.set("smtp.vrfy", True)
    c = make_client()
    c.ehlo()
    assert c.cmd("VRFY <alice@example.test>") == say(R.VRFY_OK, address="alice@example.test")
    assert c.cmd("VRFY nobody@example.test") == say(R.UNKNOWN_USER, address="nobody@example.test")


def test_unknown_command_and_bad_syntax(client: Client) -> None:
    assert client.cmd("FOO bar") == say(R.UNKNOWN_COMMAND)
    assert client.cmd("MAIL TO:<x@example.net>") == say(R.SYNTAX, usage="MAIL FROM:<address> [parameters]")
    assert client.cmd("MAIL FROM:x@example.net") == say(
        R.BAD_SENDER_SYNTAX, text="the address must be enclosed in <>"
    )
    assert client.cmd("MAIL FROM:<x@example.net> BODY=BINARYMIME") == say(
        R.BAD_PARAMETER, text="BODY must be one of 7BIT, 8BITMIME"
    )
    assert client.cmd("MAIL FROM:<x@example.net> XFORWARD=1") == say(R.UNSUPPORTED_PARAMETER, name="XFORWARD")
    assert client.cmd("DATA now") == say(R.SYNTAX, usage="DATA")


def test_overlong_line_is_refused_and_the_rest_discarded(client: Client) -> None:
    long_line = "NOOP " + "x" * 600
    assert client.cmd(long_line) == say(R.LINE_TOO_LONG)
    # far beyond the reader's limit, in pieces: one reply when the line finally ends
    assert client.send("MAIL FROM:<" + "a" * 20000) == ""
    assert client.send("b" * 20000) == ""
    assert client.send(">\r\nNOOP\r\n") == say(R.LINE_TOO_LONG) + say(R.OK)


def test_nul_and_control_bytes_in_commands(client: Client) -> None:
    assert client.send(b"NO\x00OP\r\n") == say(R.NUL_IN_COMMAND)
    assert client.send(b"NOOP \xff\xfe\r\n") == say(R.BAD_ENCODING)
    assert client.send(b"NOOP\r\n") == say(R.OK)


def test_bare_lf_commands_are_understood(client: Client) -> None:
    assert client.send(b"NOOP\nNOOP\r\n") == say(R.OK) * 2


def test_too_many_errors_close_the_session(make_client: MakeClient, store: Store) -> None:
    store.settings.set("net.smtp.max_errors", 3)
    c = make_client()
    assert c.cmd("BOGUS") == say(R.UNKNOWN_COMMAND)
    assert c.cmd("BOGUS") == say(R.UNKNOWN_COMMAND)
    assert not c.last.close
    assert c.send("BOGUS\r\nNOOP\r\n") == say(R.UNKNOWN_COMMAND) + say(R.TOO_MANY_ERRORS, host=HOST)
    assert c.last.close


def test_http_request_is_cut_short(make_client: MakeClient) -> None:
    c = make_client()
    assert c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == say(R.FORBIDDEN_COMMAND, host=HOST)
    assert c.last.close


def test_starttls_resets_the_session(make_client: MakeClient) -> None:
    c = make_client("submission")
    c.ehlo()
    # anything pipelined after STARTTLS is thrown away (RFC 3207 5)
    assert c.send("STARTTLS\r\nMAIL FROM:<x@example.net>\r\n") == say(R.TLS_GO_AHEAD)
    assert c.last.start_tls
    c.session.tls_started()
    assert c.cmd("MAIL FROM:<x@example.net>") == say(R.NEED_EHLO)
    assert "AUTH SCRAM-SHA-256 PLAIN LOGIN" in c.ehlo()
    assert c.cmd("STARTTLS") == say(R.BAD_SEQUENCE, text="TLS is already active")


def test_starttls_unavailable(make_client: MakeClient) -> None:
    c = make_client(tls_available=False)
    c.ehlo()
    assert c.cmd("STARTTLS") == say(R.TLS_UNAVAILABLE)
    assert c.cmd("STARTTLS now") == say(R.SYNTAX, usage="STARTTLS")


def test_every_reply_constant_is_used_and_well_formed() -> None:
    """One check per family: 2xx/3xx/4xx/5xx constants carry a matching enhanced code and are all used."""
    import pathlib
    import re

    import sidecars.smtp as package

    folder = pathlib.Path(package.__file__ or "").parent
    modules = sorted(p for p in folder.glob("*.py") if p.name != "replies.py")
    assert {"session.py", "parser.py", "auth.py", "handoff.py", "intake.py"} <= {p.name for p in modules}
    source = "".join(p.read_text() for p in modules)
    constants = {name: value for name, value in vars(R).items() if isinstance(value, R.Reply)}
    families = {str(reply.code)[0] for reply in constants.values()}
    assert families == {"2", "3", "4", "5"}
    for name, reply in constants.items():
        assert re.search(rf"R\.{name}\b", source), f"{name} is never sent"
        assert reply.status == "" or reply.status[0] == str(reply.code)[0], name
        wire = reply.format(
            host="h",
            text="t",
            usage="u",
            address="a",
            name="n",
            verb="v",
            limit=1,
            id=1,
            size=1,
            count=1,
            user="u",
            data="d",
            ip="i",
        ).encode()
        assert re.fullmatch(rb"\d{3} [^\r\n]*\r\n", wire), name
