"""fetchmail fetching alice's INBOX (300 messages) over IMAP with implicit TLS (``ssl``, ``sslcertck``,
the data directory's certificate as ``sslcertfile``) into a local MDA that writes one file per message.

fetchmail's IMAP logic: it fetches the unseen messages and marks them \\Seen (RFC 3501 FETCH of
BODY[] sets \\Seen); with ``keep`` they stay, so a second run finds no mail; with ``fetchall`` and
without ``keep`` every message is fetched again and then deleted (STORE +FLAGS \\Deleted, EXPUNGE).
The same is done over STARTTLS on the plain port (``sslproto tls1.2+`` without ``ssl``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interop.imap_clients import (
    ALICE,
    Target,
    ids,
    imap_target,  # noqa: F401  (fixture)
    message_id,
    need,
    run_client,
    server_state,
)

pytestmark = pytest.mark.slow


def fetch(
    fetchmail: str, tmp: Path, target: Target, *options: str, starttls: bool = False
) -> tuple[int, str]:
    """One fetchmail run with a fresh rc file; the MDA writes each message to ``tmp/out/``.
    Returns (exit status, transcript with the protocol exchange: ``-v -v``)."""
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    port = target.imap_port if starttls else target.imaps_port
    tls = "sslproto 'tls1.2+'" if starttls else "ssl"
    rc = tmp / "fetchmailrc"
    rc.write_text(
        "set no bouncemail\nset no syslog\n"
        f"poll {target.host} service {port} protocol IMAP auth password\n"
        f'  user "{ALICE}" there with password "{target.password}" is root here\n'
        f"  {tls} sslcertck sslcertfile {target.cafile}\n"
        f"  {' '.join(options)}\n"
        f"  mda \"sh -c 'cat > $(mktemp {out}/msg.XXXXXXXX)'\"\n"
    )
    rc.chmod(0o600)
    env = {**os.environ, "FETCHMAILHOME": str(tmp), "HOME": str(tmp)}
    result = run_client([fetchmail, "-f", str(rc), "-v", "-v", "--nodetach"], timeout=120, env=env)
    return result.returncode, result.stdout


def fetched(tmp: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((tmp / "out").iterdir())]


def test_fetch_keep_then_nothing_new_then_fetchall_and_delete(imap_target: Target, tmp_path: Path) -> None:  # noqa: F811
    fetchmail = need("fetchmail", "fetchmail")
    status, log = fetch(fetchmail, tmp_path, imap_target, "keep")
    assert status == 0, log[-6000:]  # 0: mail was fetched
    total = len(imap_target.initial)
    assert f"{total} messages for {ALICE}" in log, log[-3000:]
    got = fetched(tmp_path)
    assert len(got) == total
    assert {message_id(raw) for raw in got} == imap_target.initial
    messages = imap_target.extra["messages"]
    assert isinstance(messages, list)
    by_id = {message_id(raw): raw for raw in got}
    assert messages[5].replace(b"\r\n", b"\n") in by_id["<interop.5@example.org>"].replace(b"\r\n", b"\n")
    state = server_state(imap_target)
    assert len(state) == total
    assert all("\\Seen" in flags for _mid, flags in state.values())

    status, log = fetch(fetchmail, tmp_path, imap_target, "keep")
    assert status == 1, log[-6000:]  # 1: no mail
    assert len(fetched(tmp_path)) == total

    status, log = fetch(fetchmail, tmp_path, imap_target, "fetchall", "nokeep")
    assert status == 0, log[-6000:]
    assert len(fetched(tmp_path)) == 2 * total
    assert server_state(imap_target) == {}


def test_fetch_over_starttls(imap_target: Target, tmp_path: Path) -> None:  # noqa: F811
    fetchmail = need("fetchmail", "fetchmail")
    status, log = fetch(fetchmail, tmp_path, imap_target, "keep", starttls=True)
    assert status == 0, log[-6000:]
    assert "STARTTLS" in log, log[-3000:]
    assert len(fetched(tmp_path)) == len(imap_target.initial)
    assert ids(server_state(imap_target)) == imap_target.initial
