"""Debian's spamd, clamd and clamav-milter started for the tests, each with a private configuration in a
temporary directory, on a free port of 127.0.0.1, and never with downloaded signatures or rules:

* spamd runs with the rules Debian ships in /usr/share/spamassassin (GTUBE is one of them), a site
  configuration of the shipped ``*.pre`` plugin lists, no user configuration, local tests only (-L).
* clamd runs with a signature database this module writes: the EICAR test string as a body signature
  (``.ndb``), so it is found inside a mail whatever its encoding, and nothing else.
* clamav-milter asks that clamd and rejects infected mail.

Each ``start_*`` returns a ``Daemon`` whose ``stop()`` ends the process group it started (spamd forks
children) and nothing else.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filters import FilterUnavailable
from filters.scanners import clamd, milter, spamd

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SIGNATURE = "Fieldpost.Test.EICAR"
STARTUP_SECONDS = 90  # hang guard only: spamd compiles its rules at start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Daemon:
    name: str
    address: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this module created for it
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def _start(name: str, argv: list[str], address: str, workdir: Path, ready: Callable[[], None]) -> Daemon:
    log = workdir / f"{name}.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    daemon = Daemon(name, address, proc, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: {daemon.output()}")
        try:
            ready()
            return daemon
        except FilterUnavailable:
            if time.monotonic() > deadline:
                daemon.stop()
                raise RuntimeError(
                    f"{name} did not answer within {STARTUP_SECONDS} s: {daemon.output()}"
                ) from None
            time.sleep(0.3)


def start_spamd(workdir: Path) -> Daemon:
    workdir.mkdir(parents=True, exist_ok=True)
    for pre in Path("/etc/spamassassin").glob("*.pre"):
        shutil.copy(pre, workdir / pre.name)
    (workdir / "local.cf").write_text("use_bayes 0\nbayes_auto_learn 0\n")
    port = free_port()
    argv = [
        shutil.which("spamd") or "spamd", f"--siteconfigpath={workdir}", "--nouser-config", "-x", "-L",
        "-i", f"127.0.0.1:{port}", "-A", "127.0.0.1", "--max-children=2", "--min-children=1",
        f"--pidfile={workdir / 'spamd.pid'}", "-s", "stderr",
    ]  # fmt: skip
    address = f"127.0.0.1:{port}"
    return _start("spamd", argv, address, workdir, lambda: spamd.ping(address, timeout=2))


def start_clamd(workdir: Path, stream_max: str = "1M") -> Daemon:
    db = workdir / "db"
    db.mkdir(parents=True, exist_ok=True)
    (db / "fieldpost-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    port = free_port()
    conf = workdir / "clamd.conf"
    conf.write_text(
        f"TCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {db}\nForeground yes\nUser root\n"
        f"LogFile {workdir / 'clamd.log'}\nTemporaryDirectory {workdir}\nStreamMaxLength {stream_max}\n"
        f"PidFile {workdir / 'clamd.pid'}\nSelfCheck 0\nLocalSocket {workdir / 'clamd.sock'}\n"
    )
    address = f"127.0.0.1:{port}"
    argv = [shutil.which("clamd") or "clamd", "-c", str(conf)]
    return _start("clamd", argv, address, workdir, lambda: clamd.ping(address, timeout=2))


def start_clamav_milter(workdir: Path, clamd_address: str, on_infected: str = "Reject") -> Daemon:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "clamav-milter.conf"
    conf.write_text(
        f"MilterSocket inet:{port}@127.0.0.1\nClamdSocket tcp:{clamd_address}\nForeground yes\nUser root\n"
        f"OnClean Accept\nOnInfected {on_infected}\nOnFail Defer\nAddHeader Replace\n"
        f"RejectMsg Virus found: %v\nLogFile {workdir / 'milter.log'}\nLogInfected Basic\n"
        f"TemporaryDirectory {workdir}\nPidFile {workdir / 'milter.pid'}\nMaxFileSize 1M\n"
    )
    address = f"127.0.0.1:{port}"
    argv = [shutil.which("clamav-milter") or "clamav-milter", "-c", str(conf)]
    return _start("clamav-milter", argv, address, workdir, lambda: milter.ping(address, timeout=2))
