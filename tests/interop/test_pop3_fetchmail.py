"""fetchmail downloading alice's INBOX (500 messages plus the demo's) over POP3 into a local MDA that
writes one file per message: over implicit TLS (``ssl``) and over STLS on the plain port, the server
certificate checked against the data directory's (``sslcertck``, ``sslcertfile``).

With ``keep`` fetchmail leaves the mail on the server and remembers the UIDLs it has seen (``uidl``), so
a second run finds nothing new. It reads with TOP then, which leaves the messages unseen over IMAP. Then
``fetchall nokeep`` fetches every message again and deletes it: the INBOX is empty over IMAP.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interop.imap_clients import ALICE, message_id, need, run_client, server_state
from tests.interop.pop3_clients import Pop3Target, pop3_target  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def fetch(
    fetchmail: str, tmp: Path, target: Pop3Target, *options: str, stls: bool = False
) -> tuple[int, str]:
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    port = target.pop3_port if stls else target.pop3s_port
    tls = "sslproto 'tls1.2+'" if stls else "ssl"
    rc = tmp / "fetchmailrc"
    rc.write_text(
        "set no bouncemail\nset no syslog\n"
        f"poll {target.host} service {port} protocol POP3 auth password uidl\n"
        f'  user "{ALICE}" there with password "{target.password}" is root here\n'
        f"  {tls} sslcertck sslcertfile {target.cafile}\n"
        f"  {' '.join(options)}\n"
        f"  mda \"sh -c 'cat > $(mktemp {out}/msg.XXXXXXXX)'\"\n"
    )
    rc.chmod(0o600)
    env = {**os.environ, "FETCHMAILHOME": str(tmp), "HOME": str(tmp)}
    result = run_client([fetchmail, "-f", str(rc), "-v", "-v", "--nodetach"], timeout=240, env=env)
    return result.returncode, result.stdout


def fetched(tmp: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((tmp / "out").iterdir())]


@pytest.mark.parametrize("stls", [False, True], ids=["pop3s", "stls"])
def test_keep_then_nothing_new_then_fetchall_and_delete(
    pop3_target: Pop3Target,  # noqa: F811
    tmp_path: Path,
    stls: bool,
) -> None:
    fetchmail = need("fetchmail", "fetchmail")
    total = len(pop3_target.imap.initial)
    status, log = fetch(fetchmail, tmp_path, pop3_target, "keep", stls=stls)
    assert status == 0, log[-6000:] + pop3_target.log()
    assert f"{total} messages for {ALICE}" in log, log[-3000:]
    got = fetched(tmp_path)
    assert len(got) == total
    assert {message_id(raw) for raw in got} == pop3_target.imap.initial
    by_id = {message_id(raw): raw for raw in got}
    body = pop3_target.messages[5].replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]
    assert body in by_id["<pop.5@example.org>"].replace(b"\r\n", b"\n")
    state = server_state(pop3_target.imap)
    assert len(state) == total
    # with keep, fetchmail reads with TOP (not RETR) so as to leave the server's flags alone: TOP never
    # sets \\Seen here
    assert f"POP3> TOP {total} " in log and "POP3> RETR" not in log
    assert not any("\\Seen" in flags for _mid, flags in state.values())

    status, log = fetch(fetchmail, tmp_path, pop3_target, "keep", stls=stls)
    assert status == 1, log[-6000:]  # 1: no new mail (the UIDLs were all seen)
    assert len(fetched(tmp_path)) == total

    status, log = fetch(fetchmail, tmp_path, pop3_target, "fetchall", "nokeep", stls=stls)
    assert status == 0, log[-6000:] + pop3_target.log()
    assert f"POP3> RETR {total}" in log and f"POP3> DELE {total}" in log
    assert len(fetched(tmp_path)) == 2 * total
    assert server_state(pop3_target.imap) == {}
