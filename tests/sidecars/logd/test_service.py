"""The log service as a process: records sent over UDP land in files by the rules, or go to syslog."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldpost import config as configuration
from fieldpost.log_rules import LogRule, LogSettings
from sidecars.logd import forward
from sidecars.logd.files import LogFiles
from sidecars.logd.server import LogService, Router, resolve_once
from tests.sidecars.net.serving import wait_for
from tests.support.service import running

LINE = "12-07 03:04:05 +0000 {level:02d} mail.example.test {service}:0000a3f1: {text}"


def line(text: str, service: str = "IMAP", level: int = 8) -> bytes:
    return LINE.format(level=level, service=service, text=text).encode()


@pytest.fixture
def syslog() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    yield sock
    sock.close()


@pytest.fixture
def logd(tmp_path: Path, syslog: socket.socket) -> Iterator[tuple[Path, int]]:
    data = tmp_path / "data"
    data.mkdir()
    port = syslog.getsockname()[1]
    (data / configuration.CONFIG_FILE).write_text(
        configuration.render("mail.example.test")
        + '\n[[logging.rules]]\ntarget = "file"\n'
        + '\n[[logging.rules]]\nservices = ["smtp"]\nlevels = 3\ntarget = "file:mail-errors.log"\n'
        + f'\n[[logging.rules]]\nlevels = 2\ntarget = "syslog://127.0.0.1:{port}"\n'
    )
    with running("sidecars.logd", "logd", data) as (offset, _proc):
        yield data / "logs", 2000 + offset


def send(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, ("127.0.0.1", port))


def test_records_land_in_their_service_file(logd: tuple[Path, int]) -> None:
    logs, port = logd
    send(port, line("alice logged in"), line("queued 1 message", service="SMTP"))
    imap = logs / "imap.log"
    wait_for(lambda: imap.exists() and b"alice logged in" in imap.read_bytes(), 10)
    assert imap.read_text().splitlines()[-1] == line("alice logged in").decode()
    smtp = logs / "smtp.log"
    wait_for(lambda: smtp.exists() and b"queued 1 message" in smtp.read_bytes(), 10)


def test_a_rule_collects_one_services_errors_in_a_file_of_its_own(logd: tuple[Path, int]) -> None:
    logs, port = logd
    send(port, line("relay refused", service="SMTP", level=2), line("just info", service="SMTP"))
    errors = logs / "mail-errors.log"
    wait_for(lambda: errors.exists() and b"relay refused" in errors.read_bytes(), 10)
    wait_for(lambda: b"just info" in (logs / "smtp.log").read_bytes(), 10)
    assert b"just info" not in errors.read_bytes()


def test_errors_are_forwarded_to_syslog(logd: tuple[Path, int], syslog: socket.socket) -> None:
    _, port = logd
    send(port, line("disk full", level=2))
    data, _ = syslog.recvfrom(4096)
    # RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD BOM MSG; mail.err = 2*8+3
    assert data.startswith(b"<19>1 ")
    assert b" mail.example.test fieldpost-imap - 0000a3f1 - \xef\xbb\xbfdisk full" in data


def test_bad_datagrams_do_not_stop_the_service(logd: tuple[Path, int]) -> None:
    logs, port = logd
    send(port, b"", b"garbage", b"\xff\xfe" * 100, line("after the garbage"))
    imap = logs / "imap.log"
    wait_for(lambda: imap.exists() and b"after the garbage" in imap.read_bytes(), 10)
    assert imap.read_text().splitlines() == [line("after the garbage").decode()]


def test_its_own_lines_follow_the_rules(logd: tuple[Path, int]) -> None:
    logs, _ = logd
    assert " 08 mail.example.test LOGD:00000000: logd started" in (logs / "logd.log").read_text()


def test_senders_outside_accept_from_are_dropped(tmp_path: Path) -> None:
    settings = LogSettings(accept_from=("10.0.0.0/8",), rules=(LogRule(),))
    files = LogFiles(tmp_path, 10**6, 0, 1)
    router = Router(settings, files, forward.SyslogForwarder(), resolve_once)
    service = LogService(configuration.from_mapping(tmp_path, {}), socket.socket(), router, _null_logger())
    service.handle(line("from afar"), "192.0.2.1")
    service.handle(line("from inside"), "10.1.2.3")
    files.close()
    assert (tmp_path / "imap.log").read_text() == line("from inside").decode() + "\n"
    assert service.refused == {"192.0.2.1": 1}
    service.sock.close()


def _null_logger():  # type: ignore[no-untyped-def]
    import logging

    log = logging.getLogger("test.logd.null")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


def test_a_record_sent_while_no_one_reads_is_kept_by_the_held_socket(tmp_path: Path) -> None:
    """What the supervisor's held socket buys: records sent before the service reads still arrive."""
    from fieldpost.processes import listen_datagrams

    held = listen_datagrams("127.0.0.1", 0)
    port = held.getsockname()[1]
    send(port, line("sent before the service started"))
    time.sleep(0.1)
    settings = LogSettings()
    files = LogFiles(tmp_path, 10**6, 0, 1)
    router = Router(settings, files, forward.SyslogForwarder(), resolve_once)
    held.setblocking(False)
    service = LogService(configuration.from_mapping(tmp_path, {}), held, router, _null_logger())
    service.drain()
    files.close()
    held.close()
    assert "sent before the service started" in (tmp_path / "imap.log").read_text()


def test_a_logd_rule_hands_lines_unchanged_to_a_central_log_service(tmp_path: Path) -> None:
    central = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    central.bind(("127.0.0.1", 0))
    central.settimeout(5)
    port = central.getsockname()[1]
    settings = LogSettings(rules=(LogRule(levels=2, target=f"logd://127.0.0.1:{port}"),))
    files = LogFiles(tmp_path, 10**6, 0, 1)
    forwarder = forward.SyslogForwarder()
    router = Router(settings, files, forwarder, resolve_once)
    service = LogService(configuration.from_mapping(tmp_path, {}), socket.socket(), router, _null_logger())
    service.handle(line("only info"), "127.0.0.1")
    service.handle(line("an error", level=2), "127.0.0.1")
    assert central.recvfrom(4096)[0] == line("an error", level=2)
    forwarder.close()
    central.close()
    service.sock.close()
    assert list(tmp_path.iterdir()) == []
