"""Debian's ``sieve-connect`` (a Perl ManageSieve client, RFC 5804) driven as a user types it.

Each call is one ``sieve-connect`` run with one action (``--upload``, ``--activate``, ``--download``,
``--list``, ``--checkscript``): it connects to 127.0.0.1 without SRV lookups, upgrades with STARTTLS
verifying the server against the data directory's certificate (``--tlscafile``; the certificate names
127.0.0.1, so verification is real, not switched off) and authenticates with the password on its
standard input (``--passwordfd 0``, the way its manual says to script it, so the password is never on a
command line). Its exit status and its output (stdout and stderr together) are what a user would see.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

TIMEOUT = 30.0


@dataclass
class SieveConnect:
    """One user's ``sieve-connect`` command line against one server."""

    binary: str
    port: int
    cafile: str
    user: str
    password: str
    workdir: Path

    def run(self, *action: str) -> subprocess.CompletedProcess[str]:
        """``sieve-connect --server 127.0.0.1 ... ACTION...``; output is stdout then stderr."""
        argv = [
            self.binary, "--server", "127.0.0.1", "--port", str(self.port), "--nosrv", "--4",
            "--tlscafile", self.cafile, "--noclearauth", "--user", self.user, "--passwordfd", "0", *action,
        ]  # fmt: skip
        proc = subprocess.run(
            argv,
            input=self.password + "\n",
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=self.workdir,
        )
        return subprocess.CompletedProcess(argv, proc.returncode, proc.stdout + proc.stderr, "")

    def upload(self, name: str, text: str) -> subprocess.CompletedProcess[str]:
        """Write ``text`` to NAME.siv in the work directory and upload it as ``name`` (PUTSCRIPT)."""
        local = self.workdir / f"{name}.siv"
        local.write_text(text)
        return self.run("--localsieve", local.name, "--remotesieve", name, "--upload")

    def activate(self, name: str) -> subprocess.CompletedProcess[str]:
        return self.run("--remotesieve", name, "--activate")

    def listing(self) -> subprocess.CompletedProcess[str]:
        return self.run("--list")

    def download(self, name: str) -> str:
        """GETSCRIPT ``name`` into a fresh local file and return what the client wrote there."""
        local = self.workdir / f"{name}.downloaded.siv"
        local.unlink(missing_ok=True)
        proc = self.run("--localsieve", local.name, "--remotesieve", name, "--download")
        assert proc.returncode == 0, proc.stdout
        return local.read_text()


def sieve_connect_binary() -> str:
    """The ``sieve-connect`` program, or skip (the Makefile's deps target installs the package)."""
    path = shutil.which("sieve-connect")
    if path is None:
        pytest.skip("sieve-connect is not installed (`make deps` installs the Debian package)")
    return path
