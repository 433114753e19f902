"""A Fieldpost protocol service run as its own process, the way the supervisor runs it, for tests that
talk to it over real sockets."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fieldpost.conftest import REPO, cli_env, pick_port_offset, run_cli
from tests.sidecars.net.serving import wait_for


def init_demo(data: Path, hostname: str) -> None:
    """``fieldpost init --demo`` with the passwords the service tests use."""
    run_cli(
        "init", "--data", str(data), "--demo", "--admin-password", "adminpass1", "--demo-password", "demopass1",
        "--hostname", hostname, check=True,
    )  # fmt: skip


@contextmanager
def running(module: str, service: str, data: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Start ``python -m MODULE --service SERVICE`` on a free port offset, wait for a new "SERVICE started"
    line in its log (the data directory may have run it before), yield (offset, process); stop it with
    SIGTERM afterwards and require a clean exit."""
    offset = pick_port_offset()
    log = data / "logs" / f"{service}.log"
    seen = log.stat().st_size if log.exists() else 0  # a restart must not take the last run's line
    out_path = data.parent / f"{module.rsplit('.', 1)[-1]}.out"
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, "--data", str(data), "--service", service]
            + ["--port-offset", str(offset)],
            cwd=REPO,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            started = f"{service} started".encode()
            wait_for(
                lambda: proc.poll() is not None or (log.exists() and started in log.read_bytes()[seen:]), 30
            )
            assert proc.poll() is None, out_path.read_text()
            yield offset, proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    assert proc.wait(timeout=20) == 0
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
