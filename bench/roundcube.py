"""Debian's Roundcube (roundcube-core, roundcube-sqlite3) as a private WebMail: the peer of bench/webmail.py.

Nothing of the system's set-up is changed or started: php-fpm and nginx run in the foreground with config
files written here into one temp directory, on a free 127.0.0.1 port, and are stopped (the directory
removed) by :meth:`Roundcube.stop`. Roundcube reads its configuration from that directory too (Debian's
``iniset.php`` takes ``ROUNDCUBE_CONFIG_DIR`` from the environment, which the php-fpm pool sets): the
package's ``defaults.inc.php`` plus a ``config.inc.php`` written here (SQLite database, logs and temp in
the temp directory, IMAP at the private Dovecot given). Everything else is Roundcube's default: elastic
skin, 50 messages a page, no IMAP or message cache (``imap_cache``/``messages_cache`` off; ``cache=True``
turns both on, kept in the SQLite database), opcache on.

php-fpm runs a static pool of ``children`` processes (20 by default: one per benchmark user, so no user
waits for a free PHP worker), nginx two worker processes, both as ``www-data``. ``make bench-deps``
installs the packages.

The client side (:func:`login`, :func:`list_page`, :func:`open_message`, :func:`search`) sends the
requests Roundcube's own JavaScript sends (program/js/app.js: ``list_mailbox_remote``, ``show_message``
in the preview frame, ``search_params``): the Ajax ones carry ``_remote=1`` and the session's request
token in the ``X-Roundcube-Request`` header.
"""

from __future__ import annotations

import imaplib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.webmail_load import HttpError, Session, login_form

PACKAGES = ("roundcube-core", "roundcube-sqlite3", "php-fpm", "php-sqlite3", "nginx-light")
ROUNDCUBE = Path("/usr/share/roundcube")
PUBLIC = Path("/var/lib/roundcube/public_html")
WWW = "www-data"


def php_fpm_binary() -> str | None:
    found = sorted(Path("/usr/sbin").glob("php-fpm*"))
    return str(found[-1]) if found else None


def missing() -> list[str]:
    """What is not installed (the bench then says so instead of measuring)."""
    out = []
    if not (ROUNDCUBE / "index.php").exists():
        out.append("roundcube-core")
    if php_fpm_binary() is None:
        out.append("php-fpm")
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        out.append("nginx")
    return out


def version() -> str:
    text = (ROUNDCUBE / "index.php").read_text(errors="replace") if (ROUNDCUBE / "index.php").exists() else ""
    match = re.search(r"Version (\S+)", text)
    php = subprocess.run([php_fpm_binary() or "false", "-v"], capture_output=True, text=True).stdout.split(
        "\n"
    )[0]
    return f"Roundcube {match.group(1) if match else '?'}, {php.split(' (')[0]}"


class Roundcube:
    """php-fpm + nginx serving Roundcube on ``port``, its IMAP server at 127.0.0.1:``imap_port``."""

    def __init__(self, port: int, imap_port: int, *, children: int = 20, cache: bool = False) -> None:
        self.port, self.imap_port, self.children = port, imap_port, children
        self.work = Path(tempfile.mkdtemp(prefix="fp-roundcube-"))
        os.chmod(self.work, 0o755)
        for sub in ("config", "logs", "temp", "db", "nginx"):
            (self.work / sub).mkdir()
        for sub in ("logs", "temp", "db"):
            shutil.chown(self.work / sub, WWW, WWW)
        config = self.work / "config"
        for name in ("defaults.inc.php", "mimetypes.php"):
            if (Path("/etc/roundcube") / name).exists():
                shutil.copyfile(Path("/etc/roundcube") / name, config / name)
        db = self.work / "db" / "roundcube.db"
        with sqlite3.connect(db) as conn:
            conn.executescript((ROUNDCUBE / "SQL" / "sqlite.initial.sql").read_text())
        shutil.chown(db, WWW, WWW)
        (config / "config.inc.php").write_text(
            "<?php\n$config = [];\n"
            f"$config['db_dsnw'] = 'sqlite:///{db}?mode=0640';\n"
            f"$config['imap_host'] = '127.0.0.1:{imap_port}';\n"
            "$config['smtp_host'] = '';\n"
            f"$config['log_dir'] = '{self.work}/logs/';\n$config['temp_dir'] = '{self.work}/temp/';\n"
            "$config['des_key'] = 'fieldpost-bench-des-key!';\n"
            "$config['plugins'] = [];\n$config['skin'] = 'elastic';\n"
            "$config['enable_spellcheck'] = false;\n$config['session_lifetime'] = 60;\n"
            "$config['login_rate_limit'] = 0;\n"
            + ("$config['imap_cache'] = 'db';\n$config['messages_cache'] = true;\n" if cache else "")
        )
        sock = self.work / "php-fpm.sock"
        (self.work / "php-fpm.conf").write_text(
            f"[global]\npid = {self.work}/php-fpm.pid\nerror_log = {self.work}/php-fpm.log\ndaemonize = no\n"
            f"[roundcube]\nuser = {WWW}\ngroup = {WWW}\nlisten = {sock}\n"
            f"listen.owner = {WWW}\nlisten.group = {WWW}\nlisten.mode = 0660\n"
            f"pm = static\npm.max_children = {children}\n"
            f"env[ROUNDCUBE_CONFIG_DIR] = {config}\n"
            f"php_admin_value[error_log] = {self.work}/logs/php-errors.log\n"
            "php_admin_flag[log_errors] = on\nphp_admin_value[max_execution_time] = 600\n"
        )
        tmp = self.work / "nginx"
        (self.work / "nginx.conf").write_text(
            f"user {WWW};\nworker_processes 2;\ndaemon off;\npid {self.work}/nginx.pid;\n"
            f"error_log {self.work}/nginx-error.log;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  access_log off;\n"
            f"  client_body_temp_path {tmp}/body;\n  fastcgi_temp_path {tmp}/fastcgi;\n"
            f"  proxy_temp_path {tmp}/proxy;\n  uwsgi_temp_path {tmp}/uwsgi;\n  scgi_temp_path {tmp}/scgi;\n"
            "  keepalive_requests 100000;\n"
            f"  server {{\n    listen 127.0.0.1:{port};\n    root {PUBLIC};\n    index index.php;\n"
            "    location ~ \\.php$ {\n      include /etc/nginx/fastcgi_params;\n"
            "      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
            f"      fastcgi_pass unix:{sock};\n      fastcgi_read_timeout 600s;\n    }}\n  }}\n}}\n"
        )
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: float = 30) -> Roundcube:
        fpm = php_fpm_binary()
        if fpm is None or missing():
            raise RuntimeError(f"not installed: {', '.join(missing())} (make bench-deps)")
        out = open(self.work / "servers.out", "wb")  # noqa: SIM115  (the children keep it)
        for argv in ([fpm, "-F", "-y", str(self.work / "php-fpm.conf")],
                     ["nginx", "-e", str(self.work / "nginx-error.log"), "-p", str(self.work),
                      "-c", str(self.work / "nginx.conf")]):  # fmt: skip
            self.procs.append(
                subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if Session(self.port).get("/").status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                log = (self.work / "servers.out").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"roundcube did not start: {log}")
            time.sleep(0.2)

    def logs(self) -> str:
        parts = []
        for path in sorted((self.work / "logs").glob("*")) + [
            self.work / "nginx-error.log",
            self.work / "php-fpm.log",
        ]:
            if path.exists():
                parts.append(f"{path.name}: {path.read_text(errors='replace')[-800:]}")
        return "\n".join(parts)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if "nginx" in str(proc.args) else signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)


#: The header fields Roundcube fetches for a message list (rcube_imap_generic::fetchHeaders).
LIST_FIELDS = "DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY"


def warm_imap(port: int, address: str, password: str, rounds: int = 2) -> tuple[list[float], list[int]]:
    """What a mailbox in use has had long before: Dovecot's index, its date sort and the list's header
    fields in its cache. Each round is a new connection (a new imap process, as Roundcube's requests are):
    SELECT, the date SORT and the list fields of every message. Returns each round's seconds and the
    mailbox's UIDs (Dovecot need not number a big Maildir 1..N: a full run found UIDs past N)."""
    times, uids = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        imap = imaplib.IMAP4("127.0.0.1", port)
        imap.login(address, password)
        imap.select("INBOX")
        uids = sorted(int(u) for u in imap.uid("SORT", "(DATE)", "US-ASCII", "ALL")[1][0].split())
        imap.uid(
            "FETCH", "1:*", f"(UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS ({LIST_FIELDS})])"
        )
        imap.logout()
        times.append(time.perf_counter() - t)
    return times, uids


# -- the client: what Roundcube's JavaScript asks for ------------------------------------------------


class RoundcubeUser:
    """A logged-in browser: the session cookie and the request token Ajax calls must carry."""

    def __init__(self, session: Session, token: str) -> None:
        self.session, self.token = session, token

    def ajax(self, params: dict[str, str]) -> str:
        query = urlencode({"_task": "mail", **params, "_remote": "1", "_unlock": "loading1"})
        response = self.session.get(
            f"/?{query}", {"X-Roundcube-Request": self.token, "X-Requested-With": "XMLHttpRequest"}
        )
        if response.status != 200 or not response.text.startswith("{"):
            raise HttpError(f"{params.get('_action')}: HTTP {response.status} {response.text[:200]!r}")
        if '"action":"login"' in response.text or "session_error" in response.text:
            raise HttpError(f"{params.get('_action')}: the session was lost")
        return response.text


def login(port: int, address: str, password: str) -> RoundcubeUser:
    """The login page, the form posted back with its ``_token``, then the mail page's request token."""
    session = Session(port)
    page = session.get("/?_task=login")
    form = login_form(page.text, address, password)
    form.fields["_timezone"] = "UTC"
    response = session.request("POST", "/?_task=login", form.fields)
    match = re.search(r'"request_token":"([^"]+)"', response.text)
    if response.status != 200 or '"task":"mail"' not in response.text or not match:
        raise HttpError(f"roundcube login failed: HTTP {response.status}, {response.url}")
    return RoundcubeUser(session, match.group(1))


def rows(answer: str) -> int:
    return answer.count("add_message_row(")


def list_page(user: RoundcubeUser, page: int, sort: str | None = None) -> int:
    params = {"_action": "list", "_layout": "widescreen", "_mbox": "INBOX", "_page": str(page)}
    if sort:
        params["_sort"] = sort
    return rows(user.ajax(params))


def open_message(user: RoundcubeUser, uid: int) -> int:
    query = urlencode(
        {"_task": "mail", "_uid": str(uid), "_mbox": "INBOX", "_framed": "1", "_action": "preview"}
    )
    response = user.session.get(f"/?{query}")
    if response.status != 200 or "messagebody" not in response.text:
        said = re.search(r"(?i)(could not|not found|error)[^<\"]{0,100}", response.text)
        raise HttpError(
            f"preview {uid}: HTTP {response.status}, no message body; {said.group(0) if said else ''!r}"
        )
    return -1


def search(user: RoundcubeUser, word: str) -> int:
    params = {"_action": "search", "_q": word, "_headers": "subject", "_layout": "widescreen",
              "_filter": "ALL", "_scope": "base", "_mbox": "INBOX"}  # fmt: skip
    return rows(user.ajax(params))
