"""Debian's swaks against the SMTP service process (``python -m sidecars.smtp``): submission with AUTH
PLAIN and LOGIN over STARTTLS and over implicit TLS, PIPELINING, a 5 MB message, a wrong password, and
the MX refusing to relay for an unauthenticated client. Every message swaks sees accepted must be in
the queue, with its envelope, under the id the "250" reply named.

Only the SMTP service runs here (no processing service), so accepted mail stays in the queue to be
looked at.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from tests.interop.conftest import DEMO_PASSWORD, Server, queue_ids, run_swaks

pytestmark = pytest.mark.slow

BOB = "bob@example.test"
ALICE = "alice@example.test"


def submit(swaks: str, service: Server, *extra: str, password: str = DEMO_PASSWORD, mech: str = "PLAIN"):
    """bob -> alice over submission (2587 + offset) with STARTTLS, checking the certificate of init."""
    return run_swaks(
        swaks,
        "--server", f"localhost:{service.port('submission')}",
        "--tls", "--tls-verify", "--tls-ca-path", service.cafile,
        "--auth", mech, "--auth-user", BOB, "--auth-password", password,
        "--from", BOB,
        *extra,
    )  # fmt: skip


def accepted(service: Server, transcript: str, count: int = 1) -> list[tuple[object, bytes]]:
    """The queued messages named by the transcript's "queued as" replies (there must be ``count``)."""
    ids = queue_ids(transcript)
    assert len(ids) == count, transcript
    queued = service.queued()
    missing = [qid for qid in ids if qid not in queued]
    assert not missing, f"queue ids {missing} announced by the server are not in the queue"
    return [queued[qid] for qid in ids]


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_submission_starttls_auth(swaks: str, smtp_service: Server, mech: str) -> None:
    subject = f"swaks {mech} over STARTTLS"
    result = submit(swaks, smtp_service, "--to", ALICE, "--header", f"Subject: {subject}", mech=mech)
    assert result.returncode == 0, result.stdout
    assert "TLS started" in result.stdout
    assert f"AUTH {mech}" in result.stdout
    assert "235 2.7.0" in result.stdout
    [(msg, raw)] = accepted(smtp_service, result.stdout)
    assert msg.sender == BOB  # type: ignore[attr-defined]
    assert [r.address for r in msg.recipients] == [ALICE]  # type: ignore[attr-defined]
    assert subject.encode() in raw
    # the trace field says TLS and AUTH were used (RFC 3848: ESMTPSA), and by whom
    assert re.search(
        rb"Received: from client\.example\.org \(\[127\.0\.0\.1\]\)\r\n"
        rb"\t\(authenticated as bob@example\.test\)\r\n\tby mx\.example\.test",
        raw,
    )
    assert b"with ESMTPSA" in raw


def test_auth_is_not_offered_before_starttls(swaks: str, smtp_service: Server) -> None:
    result = run_swaks(
        swaks, "--server", f"127.0.0.1:{smtp_service.port('submission')}",
        "--auth", "PLAIN", "--auth-user", BOB, "--auth-password", DEMO_PASSWORD,
        "--from", BOB, "--to", ALICE,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    assert "250-AUTH" not in result.stdout and "250 AUTH" not in result.stdout
    assert queue_ids(result.stdout) == []


def test_submission_without_auth_is_refused(swaks: str, smtp_service: Server) -> None:
    result = run_swaks(
        swaks, "--server", f"localhost:{smtp_service.port('submission')}", "--tls",
        "--from", BOB, "--to", ALICE,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    assert "530 5.7.0 Authentication required" in result.stdout
    assert queue_ids(result.stdout) == []


def test_implicit_tls_submission(swaks: str, smtp_service: Server) -> None:
    result = run_swaks(
        swaks, "--server", f"localhost:{smtp_service.port('submissions')}",
        "--tls-on-connect", "--tls-verify", "--tls-ca-path", smtp_service.cafile,
        "--auth", "LOGIN", "--auth-user", BOB, "--auth-password", DEMO_PASSWORD,
        "--from", BOB, "--to", ALICE, "--header", "Subject: swaks over implicit TLS",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    [(msg, raw)] = accepted(smtp_service, result.stdout)
    assert b"swaks over implicit TLS" in raw


def test_pipelining(swaks: str, smtp_service: Server) -> None:
    rcpts = [ALICE, "carol@example.test", "someone@far.test"]  # an authenticated user may relay
    result = submit(
        swaks,
        smtp_service,
        "--pipeline",
        "--to",
        ",".join(rcpts),
        "--header",
        "Subject: pipelined",
        mech="LOGIN",
    )
    assert result.returncode == 0, result.stdout
    lines = [line.strip() for line in result.stdout.splitlines()]
    # with PIPELINING, swaks writes MAIL, every RCPT and DATA before it reads the first of their replies
    start = lines.index(f"~> MAIL FROM:<{BOB}>")
    assert lines[start + 1 : start + 5] == [f"~> RCPT TO:<{r}>" for r in rcpts] + ["~> DATA"]
    assert lines[start + 5].startswith("<~  250 2.1.0")
    [(msg, raw)] = accepted(smtp_service, result.stdout)
    assert [r.address for r in msg.recipients] == rcpts  # type: ignore[attr-defined]


def test_large_message(swaks: str, smtp_service: Server, tmp_path: Path) -> None:
    payload = tmp_path / "payload.bin"
    blob = bytes(range(256)) * (5 * 1024 * 1024 // 256)  # 5 MiB, every byte value
    payload.write_bytes(blob)
    result = submit(
        swaks, smtp_service, "--pipeline", "--to", ALICE, "--header", "Subject: five megabytes",
        "--attach-type", "application/octet-stream", "--attach", f"@{payload}",
        "--suppress-data",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    [(msg, raw)] = accepted(smtp_service, result.stdout)
    assert msg.size > len(blob) * 4 // 3  # type: ignore[attr-defined]  # base64 in the message
    assert len(raw) == msg.size  # type: ignore[attr-defined]
    assert base64.b64encode(blob[:3000]).decode()[:2000].encode() in raw.replace(b"\r\n", b"")


def test_wrong_password_then_the_next_session_works(swaks: str, smtp_service: Server) -> None:
    before = len(smtp_service.queued())
    bad = submit(
        swaks, smtp_service, "--to", ALICE, "--header", "Subject: wrong password", password="wrongpass1"
    )
    assert bad.returncode != 0, bad.stdout
    assert "535 5.7.8" in bad.stdout
    assert queue_ids(bad.stdout) == []
    assert smtp_service.alive, smtp_service.output()
    assert len(smtp_service.queued()) == before
    good = submit(swaks, smtp_service, "--to", ALICE, "--header", "Subject: right password")
    assert good.returncode == 0, good.stdout
    [(_msg, raw)] = accepted(smtp_service, good.stdout)
    assert b"right password" in raw


def test_mx_refuses_to_relay_for_strangers(swaks: str, smtp_service: Server) -> None:
    result = run_swaks(
        swaks, "--server", f"127.0.0.1:{smtp_service.port('smtp')}",
        "--from", "someone@remote.example", "--to", "victim@far.test",
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    assert "554 5.7.1 <victim@far.test>: relay access denied" in result.stdout
    assert queue_ids(result.stdout) == []
    assert not any(
        r.address == "victim@far.test"  # type: ignore[attr-defined]
        for msg, _raw in smtp_service.queued().values()
        for r in msg.recipients  # type: ignore[attr-defined]
    )


def test_mx_accepts_local_mail_and_relays_for_trusted_networks(swaks: str, smtp_service: Server) -> None:
    mx = f"127.0.0.1:{smtp_service.port('smtp')}"
    local = run_swaks(swaks, "--server", mx, "--from", "someone@remote.example", "--to", ALICE)
    assert local.returncode == 0, local.stdout
    accepted(smtp_service, local.stdout)

    smtp_service.cli("settings", "set", "smtp.trusted_networks", "127.0.0.0/8")
    try:  # settings are read per session: no restart
        trusted = run_swaks(swaks, "--server", mx, "--from", "app@example.test", "--to", "friend@far.test")
    finally:
        smtp_service.cli("settings", "clear", "smtp.trusted_networks")
    assert trusted.returncode == 0, trusted.stdout
    [(msg, _raw)] = accepted(smtp_service, trusted.stdout)
    assert [r.address for r in msg.recipients] == ["friend@far.test"]  # type: ignore[attr-defined]


def test_acceptance_rule_makes_local_senders_authenticate_on_the_mx(swaks: str, smtp_service: Server) -> None:
    """Example 1 of docs/smtp.md, set live with the CLI: mail claiming to be from example.test must
    come through submission."""
    rules = (
        '[{"event": "onMailFrom", "if": {"ip": "10.1.0.0/16"}, "then": "accept"},'
        ' {"event": "onMailFrom", "if": {"listener": "smtp", "sender": ["*@example.test", "*@*.example.test"]},'
        ' "then": "require_auth"}]'
    )
    mx = f"127.0.0.1:{smtp_service.port('smtp')}"
    smtp_service.cli("settings", "set", "smtp.acceptance_rules", rules)
    try:
        spoofed = run_swaks(swaks, "--server", mx, "--from", "ceo@example.test", "--to", ALICE)
        outsider = run_swaks(swaks, "--server", mx, "--from", "someone@remote.example", "--to", ALICE)
    finally:
        smtp_service.cli("settings", "clear", "smtp.acceptance_rules")
    assert spoofed.returncode != 0, spoofed.stdout
    assert "530 5.7.0 Authentication required" in spoofed.stdout
    assert queue_ids(spoofed.stdout) == []
    assert outsider.returncode == 0, outsider.stdout
    accepted(smtp_service, outsider.stdout)
