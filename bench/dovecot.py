"""Debian's Dovecot (dovecot-imapd) as a private IMAP server: the peer of bench/imap.py and the reference
server the IMAP interop tests can be pointed at (to prove a test harness right before blaming Fieldpost).

Nothing of the system's Dovecot set-up is used: the config, the password file, the mail (Maildir) and the
runtime directories all live in one temp directory, and the master runs in the foreground (``-F``) on
loopback ports given by the caller. Dovecot refuses mail access as root, so the mail belongs to
``nobody`` and the directory is made traversable for it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

NOBODY = 65534


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


def dovecot_version() -> str:
    binary = dovecot_binary()
    if binary is None:
        return "not installed"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True)
    return out.stdout.strip()


class Dovecot:
    """One private Dovecot master process; ``users`` maps address -> password (all get a Maildir).

    ``imap_port`` offers STARTTLS, ``imaps_port`` implicit TLS, both with ``cert``/``key``. ``idle_clients``
    sizes the limits for that many concurrent connections. ``sessions_per_process`` is the imap service's
    ``client_limit``: 1 (Dovecot's default) is one imap process per logged-in connection; more lets one
    process hold that many sessions, which is how many idle connections fit on a small machine here.
    (Dovecot's other way, ``imap_hibernate_timeout``, needs an inotify instance per imap process, and the
    kernel's default of 128 per user stops it: every session runs as ``nobody``.)

    ``argon2``: passwords stored as argon2id hashes (t=3, m=64 MiB like Fieldpost's; p=1, the only
    parallelism Dovecot's libsodium verifier takes), with Dovecot's auth cache on. Measured under load,
    logins still cost an argon2 run each (median LOGIN 4 s with 20 clients), so the cache does not
    spare it here; otherwise (the default) plain passwords.
    """

    def __init__(
        self,
        users: dict[str, str],
        cert: Path,
        key: Path,
        imap_port: int,
        imaps_port: int,
        *,
        idle_clients: int = 0,
        sessions_per_process: int = 1,
        argon2: bool = False,
        plaintext: bool = True,
        pop3_ports: tuple[int, int] | None = None,
    ) -> None:
        self.users, self.imap_port, self.imaps_port = users, imap_port, imaps_port
        self.pop3_ports = pop3_ports
        self.work = Path(tempfile.mkdtemp(prefix="fp-dovecot-"))
        os.chmod(self.work, 0o755)
        self.conf = self.work / "dovecot.conf"
        self.log = self.work / "dovecot.log"
        self.cafile = self.work / "cert.pem"
        shutil.copyfile(cert, self.cafile)
        shutil.copyfile(key, self.work / "key.pem")
        lines = []
        for address, password in users.items():
            home = self.home(address)
            (home / "Maildir").mkdir(parents=True)
            for path in (home, home / "Maildir"):
                os.chown(path, NOBODY, NOBODY)
            lines.append(f"{address}:{_stored(password, argon2)}:{NOBODY}:{NOBODY}::{home}::\n")
        (self.work / "passwd").write_text("".join(lines))
        limit = max(idle_clients + 100, 1000)
        processes = limit // sessions_per_process + 10
        self.conf.write_text(
            f"base_dir = {self.work}/run\nstate_dir = {self.work}/state\n"
            f"instance_name = fp-dovecot-{imap_port}\n"
            f"protocols = imap{' pop3' if pop3_ports else ''}\nlisten = 127.0.0.1\n"
            f"log_path = {self.log}\n"
            "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
            f"ssl = yes\nssl_cert = <{self.work}/cert.pem\nssl_key = <{self.work}/key.pem\n"
            f"disable_plaintext_auth = {'no' if plaintext else 'yes'}\n"
            "auth_mechanisms = plain login\n"
            f"{'auth_cache_size = 10M' if argon2 else 'auth_cache_size = 0'}\nauth_cache_ttl = 1 hour\n"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {self.work}/passwd\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {self.work}/passwd\n}}\n"
            "mail_location = maildir:~/Maildir\n"
            f"mail_max_userip_connections = {limit}\n"
            f"default_client_limit = {limit}\ndefault_process_limit = {limit}\n"
            "service imap-login {\n"
            f"  inet_listener imap {{\n    port = {imap_port}\n  }}\n"
            f"  inet_listener imaps {{\n    port = {imaps_port}\n    ssl = yes\n  }}\n"
            "  service_count = 0\n  process_min_avail = 2\n"
            f"  client_limit = {limit}\n"
            "}\n"
            f"service imap {{\n  process_limit = {processes}\n  client_limit = {sessions_per_process}\n"
            f"  service_count = {1 if sessions_per_process == 1 else 0}\n}}\n"
            f"service anvil {{\n  client_limit = {limit * 3}\n}}\n"
            f"service auth {{\n  client_limit = {limit * 3}\n}}\n"
            + (_pop3_services(pop3_ports, limit, processes) if pop3_ports else "")
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def home(self, address: str) -> Path:
        return self.work / "home" / address

    def maildir(self, address: str) -> Path:
        return self.home(address) / "Maildir"

    def start(self, timeout: float = 20) -> Dovecot:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (Debian packages dovecot-core dovecot-imapd)")
        self.proc = subprocess.Popen(
            [binary, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not _listening(self.imap_port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                self.stop()
                raise RuntimeError(f"dovecot did not start: {out}\n{self.log_text()}")
            time.sleep(0.1)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _pop3_services(ports: tuple[int, int], limit: int, processes: int) -> str:
    """dovecot-pop3d (Debian package) on ``ports`` (plain with STLS, implicit TLS): the peer of
    bench/pop3.py. UIDLs in Dovecot's default form; flags updated as RETR marks \\Seen (its default)."""
    plain, implicit = ports
    return (
        "service pop3-login {\n"
        f"  inet_listener pop3 {{\n    port = {plain}\n  }}\n"
        f"  inet_listener pop3s {{\n    port = {implicit}\n    ssl = yes\n  }}\n"
        f"  service_count = 0\n  process_min_avail = 2\n  client_limit = {limit}\n"
        "}\n"
        f"service pop3 {{\n  process_limit = {processes}\n}}\n"
        "protocol pop3 {\n  pop3_uidl_format = %08Xu%08Xv\n}\n"
    )


def _stored(password: str, argon2: bool) -> str:
    if not argon2:
        return "{PLAIN}" + password
    from argon2 import PasswordHasher

    return "{ARGON2ID}" + PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1).hash(password)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
