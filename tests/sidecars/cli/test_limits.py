"""Error control and limits: unknown commands, wrong contexts, bad syntax, over-long lines, commands per
session, chunked input, HELP per context, service commands without a supervisor."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sidecars.cli import parser as P
from sidecars.cli.state import CommandFailed
from sidecars.net.errorcontrol import ErrorLimits
from tests.sidecars.cli.conftest import Client, MakeClient, table


def logged_in(make_client: MakeClient, **options: Any) -> Client:
    client = make_client(**options)
    assert client.login().endswith("<#> ")
    return client


def test_protocol_errors_are_counted_and_end_the_session(make_client: MakeClient) -> None:
    client = logged_in(make_client, errors=ErrorLimits(max_errors=3, max_auth_failures=3))
    assert client.cmd("FROB") == "-ERR: unknown command 'FROB'; HELP lists the commands\r\n<#> "
    assert client.cmd('LIST "DOMAINS') == "-ERR: unterminated quoted string\r\n<#> "
    assert client.cmd("REMOVE DOMAIN name nowhere.test").startswith("-ERR: domain")  # an answer: not counted
    reply = client.cmd("ADD MEMBER name x")
    assert reply == (
        "-ERR: ADD MEMBER is not available here (<#>); HELP lists what is; too many errors, closing the connection\r\n"
    )
    assert client.last.close


def test_an_overlong_line_is_refused_whole(admin: Client) -> None:
    reply = admin.send(b"SET ndr.text " + b"x" * (P.MAX_LINE + 10) + b"\r\nLIST DOMAINS\r\n")
    first, rest = reply.split("\r\n<#> ", 1)
    assert first == f"-ERR: line longer than {P.MAX_LINE} octets ignored"
    assert "example.test" in rest and rest.endswith("+OK: 2 domain(s)\r\n<#> ")


def test_overlong_password_line_ends_the_login_attempt(make_client: MakeClient) -> None:
    client = make_client()
    client.cmd("USER admin")
    assert client.send(b"p" * (P.MAX_LINE + 1) + b"\n").startswith("-ERR: line longer than")
    assert client.session.user is None and client.cmd("HELP").endswith("<login> ")


def test_commands_per_session(make_client: MakeClient) -> None:
    client = logged_in(make_client, max_commands=4)  # USER and the password count
    client.cmd("SAVE CONFIG")
    assert client.cmd("SAVE CONFIG").startswith("+OK")
    assert (
        client.cmd("SAVE CONFIG") == "-ERR: more than 4 commands in one session; closing the connection\r\n"
    )
    assert client.last.close


def test_any_chunking_and_bare_lf(admin: Client) -> None:
    data = b"UPDATE DOMAIN name example.test\nLIST ACCOUNTS\r\nBACK\n"
    replies = "".join(admin.send(data[i : i + 1]) for i in range(len(data)))
    assert replies.count("+OK: ") == 3 and replies.endswith("+OK: left domain example.test\r\n<#> ")


def test_empty_lines_only_prompt_again(admin: Client) -> None:
    assert admin.cmd("") == "<#> "
    assert admin.cmd("   \t ") == "<#> "


def test_help_follows_the_context(admin: Client) -> None:
    top = admin.cmd("HELP")
    assert "LIST DOMAINS" in top and "ADD ACCOUNT" not in top
    admin.cmd("UPDATE DOMAIN name example.test")
    inside = admin.cmd("HELP")
    assert "ADD ACCOUNT name U password P" in inside and "LIST DOMAINS" not in inside
    assert inside.endswith("command(s) in <domain#>\r\n<domain#> ")
    assert [row[0] for row in table(admin.cmd("HELP add"))] == [
        "ADD ALIAS name A",
        "ADD ACCOUNT name U password P [displayName N]",
        "ADD GROUP name G [displayName N]",
        'ADD FORWARDER name F to "a@x, b@y"',
        "ADD CLASS name C",
        "ADD PUBLICFOLDER path P [kind K]",
        "ADD FOLDERRECIPIENT name A folder P",
    ]
    assert (
        admin.cmd("HELP frob")
        == "-ERR: no command 'frob' here; HELP lists this context's commands\r\n<domain#> "
    )


def test_service_commands_without_a_supervisor(admin: Client) -> None:
    assert admin.cmd("LIST SERVICES") == (
        "-ERR: no supervisor to ask: this console runs outside 'fieldpost serve'\r\n<#> "
    )


def test_service_commands_report_the_supervisors_refusal(make_client: MakeClient) -> None:
    asked: list[tuple[str, str | None]] = []

    def control(command: str, service: str | None) -> dict[str, Any]:
        asked.append((command, service))
        raise CommandFailed(f"unknown service: {service}")

    client = logged_in(make_client, control=control)
    assert client.cmd("RESTART SERVICE name imapx") == "-ERR: unknown service: imapx\r\n<#> "
    assert client.cmd("STOP SERVICE name cli") == (
        "-ERR: the console cannot stop its own service; use 'fieldpost service stop cli'\r\n<#> "
    )
    assert asked == [("restart", "imapx")]


def test_control_characters_and_bad_utf8_are_refused(admin: Client) -> None:
    assert admin.send(b"LIST\x00DOMAINS\r\n") == "-ERR: control characters are not allowed\r\n<#> "
    assert admin.send(b"LIST \xff\r\n") == "-ERR: the line is not valid UTF-8\r\n<#> "


def test_no_password_reaches_the_log(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="test.cli")
    client = make_client()
    client.cmd("s3cret-typed-at-login")  # a password typed at the wrong prompt
    client.login()
    client.cmd("UPDATE DOMAIN name example.test")
    client.cmd("ADD ACCOUNT name zed s3cret-misplaced")  # a parameter name missing
    client.cmd("ADD ACCOUNT name zed password s3cret-right")
    client.cmd("SET password s3cret-changed")
    client.cmd("COMMIT")
    assert "administrator admin logged in" in caplog.text and "ADD ACCOUNT" in caplog.text
    assert "s3cret" not in caplog.text and "adminpass1" not in caplog.text
