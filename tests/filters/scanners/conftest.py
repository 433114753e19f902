"""Session-wide scanner daemons (spamd, clamd, clamav-milter from Debian's packages), started once and
skipped only when the program is not installed (``make deps`` installs them)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from filters.scanners.level import HEALTH
from tests.filters.scanners.daemons import Daemon, start_clamav_milter, start_clamd, start_spamd

# The processing tests' world (a store with example.test, alice and bob; the test DNS; the SMTP sink; a
# fake clock; a Worker), for the tests that run the scanners in the real delivery path.
from tests.interop.conftest import swaks  # noqa: F401  (the end-to-end test's client)
from tests.sidecars.processing.conftest import clock, dns_server, sink, store, worker  # noqa: F401


def _need(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (Debian package; make deps installs it)")


@pytest.fixture(scope="session")
def daemon_dir() -> Iterator[Path]:
    """The daemons' configuration and databases: a directory of its own, not pytest's rotating base
    directory, which another pytest run on the same machine may prune while the daemons still read it.
    Readable by all: spamd run as root scans as "nobody", which must read the configuration."""
    path = Path(tempfile.mkdtemp(prefix="fieldpost-scanners-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def spamd_daemon(daemon_dir: Path) -> Iterator[Daemon]:
    _need("spamd")
    daemon = start_spamd(daemon_dir / "spamd")
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def clamd_daemon(daemon_dir: Path) -> Iterator[Daemon]:
    _need("clamd")
    daemon = start_clamd(daemon_dir / "clamd")
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def milter_daemon(daemon_dir: Path, clamd_daemon: Daemon) -> Iterator[Daemon]:
    _need("clamav-milter")
    daemon = start_clamav_milter(daemon_dir / "milter", clamd_daemon.address)
    yield daemon
    daemon.stop()


@pytest.fixture(autouse=True)
def _forget_scanner_health() -> Iterator[None]:
    """Each test starts with no scanner remembered as down."""
    HEALTH.clear()
    yield
    HEALTH.clear()
