"""ManageSieve transcripts (RFC 5804) against a session over a real SQLite store."""

from __future__ import annotations

import base64

from storage.store import Store
from tests.sidecars.managesieve.conftest import ALICE, MakeClient, plain_token

SCRIPT = 'require "fileinto";\r\nif header :contains "subject" "spam" { fileinto "Junk"; }\r\n'


def literal(text: str) -> str:
    return f"{{{len(text.encode())}+}}\r\n{text}"


def test_greeting_lists_capabilities(make_client: MakeClient) -> None:
    client = make_client(tls_active=False)
    assert '"IMPLEMENTATION" "Fieldpost"\r\n' in client.banner
    assert '"SASL" ""\r\n' in client.banner  # nothing before STARTTLS
    assert '"STARTTLS"\r\n' in client.banner
    assert '"VERSION" "1.0"\r\n' in client.banner
    assert '"SIEVE" "' in client.banner and "fileinto" in client.banner
    assert client.banner.endswith("\r\n") and client.banner.splitlines()[-1].startswith("OK")

    tls = make_client(tls_active=True)
    assert "PLAIN" in tls.banner and '"STARTTLS"' not in tls.banner


def test_authenticate_refused_before_tls_then_starttls(make_client: MakeClient) -> None:
    client = make_client(tls_active=False)
    assert client.cmd(f'AUTHENTICATE "PLAIN" "{plain_token()}"').startswith("NO (ENCRYPT-NEEDED)")
    reply = client.send("STARTTLS\r\nCAPABILITY\r\n")
    assert reply.startswith("OK") and client.last.start_tls and "CAPABILITY" not in reply
    again = client.session.tls_started().decode()
    assert "PLAIN" in again and '"STARTTLS"' not in again
    assert client.login().startswith("OK")


def test_full_flow(make_client: MakeClient, store: Store) -> None:
    client = make_client()
    assert client.login().startswith("OK")
    assert client.cmd('HAVESPACE "rules" 100').startswith("OK")
    assert client.cmd(f'PUTSCRIPT "rules" {literal(SCRIPT)}').startswith("OK")
    assert client.cmd('PUTSCRIPT "other" "keep;"').startswith("OK")
    assert client.cmd("LISTSCRIPTS") == '"other"\r\n"rules"\r\nOK "LISTSCRIPTS completed"\r\n'
    assert client.cmd('SETACTIVE "rules"').startswith("OK")
    assert '"rules" ACTIVE\r\n' in client.cmd("LISTSCRIPTS")
    got = client.cmd('GETSCRIPT "rules"')
    assert got == f'{{{len(SCRIPT)}}}\r\n{SCRIPT}\r\nOK "GETSCRIPT completed"\r\n'
    assert client.cmd('DELETESCRIPT "rules"').startswith("NO (ACTIVE)")
    assert client.cmd('DELETESCRIPT "other"').startswith("OK")
    assert client.cmd('RENAMESCRIPT "rules" "main"').startswith("OK")
    active = store.scripts.active("account", ALICE)
    assert active is not None and active.name == "main" and active.content == SCRIPT
    assert client.cmd('SETACTIVE ""').startswith("OK")
    assert store.scripts.active("account", ALICE) is None
    assert client.cmd("LOGOUT").startswith("OK") and client.last.close


def test_syntax_error_is_refused_with_its_line(make_client: MakeClient, store: Store) -> None:
    client = make_client()
    client.login()
    bad = "keep;\r\nif true {\r\n  stop\r\n}\r\n"
    reply = client.cmd(f'PUTSCRIPT "bad" {literal(bad)}')
    assert reply.startswith("NO") and "line " in reply
    assert store.scripts.list("account", ALICE) == []
    unknown = "keep;\r\nfrobnicate;\r\n"
    check = client.cmd(f"CHECKSCRIPT {literal(unknown)}")
    assert check.startswith('NO "line 2:')
    assert client.cmd("CHECKSCRIPT " + literal("keep;")).startswith("OK")


def test_nonexistent_and_alreadyexists(make_client: MakeClient) -> None:
    client = make_client()
    client.login()
    assert client.cmd('GETSCRIPT "nope"').startswith("NO (NONEXISTENT)")
    assert client.cmd('SETACTIVE "nope"').startswith("NO (NONEXISTENT)")
    client.cmd('PUTSCRIPT "a" "keep;"')
    client.cmd('PUTSCRIPT "b" "keep;"')
    assert client.cmd('RENAMESCRIPT "a" "b"').startswith("NO (ALREADYEXISTS)")


def test_quota_errors(make_client: MakeClient, store: Store) -> None:
    store.settings.set("sieve.max_scripts", 2)
    store.settings.set("sieve.max_script_bytes", 1024)
    client = make_client()
    client.login()
    assert client.cmd('HAVESPACE "x" 5000').startswith("NO (QUOTA/MAXSIZE)")
    big = "# " + "x" * 1100 + "\r\nkeep;\r\n"
    assert client.cmd(f'PUTSCRIPT "big" {literal(big)}').startswith("NO (QUOTA/MAXSIZE)")
    client.cmd('PUTSCRIPT "a" "keep;"')
    client.cmd('PUTSCRIPT "b" "keep;"')
    assert client.cmd('PUTSCRIPT "c" "keep;"').startswith("NO (QUOTA/MAXSCRIPTS)")
    assert client.cmd('HAVESPACE "c" 10').startswith("NO (QUOTA/MAXSCRIPTS)")
    assert client.cmd('PUTSCRIPT "a" "stop;"').startswith("OK")  # replacing fits


def test_literal_beyond_the_limit_is_skipped(make_client: MakeClient, store: Store) -> None:
    store.settings.set("sieve.max_script_bytes", 1024)
    client = make_client()
    client.login()
    huge = "x" * (1024 + 64 * 1024)
    reply = client.send(f'PUTSCRIPT "h" {{{len(huge)}+}}\r\n{huge}\r\nNOOP\r\n')
    assert reply.startswith("NO (QUOTA/MAXSIZE)") and reply.endswith('OK "NOOP completed"\r\n')


def test_overlong_line_says_bye(make_client: MakeClient) -> None:
    client = make_client()
    reply = client.send("NOOP " + "a" * 20_000)
    assert reply.startswith("BYE") and client.last.close


def test_authenticate_with_continuation_and_failures(make_client: MakeClient) -> None:
    client = make_client()
    assert client.cmd('AUTHENTICATE "PLAIN"') == '""\r\n'
    assert client.cmd('"' + plain_token() + '"').startswith("OK")
    assert client.cmd('AUTHENTICATE "PLAIN"').startswith("NO")  # already logged in

    other = make_client()
    other.cmd('AUTHENTICATE "PLAIN"')
    assert other.cmd('"*"').startswith("NO")
    token = base64.b64encode(f"\0{ALICE}\0wrong".encode()).decode()
    assert other.cmd('AUTHENTICATE "PLAIN" ' + literal(token)).startswith("NO")
    assert other.cmd("LISTSCRIPTS").startswith("NO")


def test_noop_tag_and_unauthenticate(make_client: MakeClient) -> None:
    client = make_client()
    assert client.cmd('NOOP "abc"') == 'OK (TAG "abc") "NOOP completed"\r\n'
    client.login()
    assert client.cmd("UNAUTHENTICATE").startswith("OK")
    assert client.cmd("LISTSCRIPTS").startswith("NO")
    assert client.cmd("FROB").startswith("NO")
