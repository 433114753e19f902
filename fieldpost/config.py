"""Static configuration of one Fieldpost data directory.

This is the only module that reads environment variables or the configuration file. Everything else
receives a :class:`Config` (or values taken from one).

The file is ``<data>/fieldpost.toml``. Every key is optional; a missing key takes the default below.
Relative paths are relative to the data directory, so a data directory can be moved as a whole.

    hostname = "mail.example.org"
    listen_host = "127.0.0.1"
    user = "fieldpost"      # optional: services started as root switch to it once their ports are bound
    services = ["smtp", "processing", "imap", "pop3", "ftp", "cli", "logd", "rpop", "web"]

    [storage]
    database_url = "sqlite:///<data>/db.sqlite3"   # or postgresql+psycopg://user@host/db
    blob_dir = "blobs"

    [logging]
    log_dir = "logs"
    via_logd = true         # services send records to the log service when it runs (else own files)
    rotate_bytes = 10485760 # the log service starts a file anew past this size...
    rotate_every = "daily"  # ...or at this period: never, hourly, daily, weekly
    keep = 7                # rotated files kept per log file
    accept_from = ["127.0.0.0/8", "::1/128"]   # who may send records to the log service (UDP)
    [logging.levels]        # bitmask 0-31: critical 1, error 2, warning 4, info 8, protocol 16
    smtp = 31
    [[logging.rules]]       # see fieldpost/log_rules.py and docs/logging.md; default: <service>.log
    services = ["smtp"]
    levels = 3
    target = "syslog://192.0.2.10:514"

    [ports]                 # listener name = port (before --port-offset)
    smtp = 25

    [supervisor]
    liveness_seconds = 30   # a service whose heartbeat is older than this is killed and restarted; 0: never

    [workers]               # worker processes of a listening service (default: the number of CPUs)
    imap = 4
    smtp = 2
    web = 2                 # gunicorn's workers for WebMail/WebAdmin/JMAP (default: 1)

    [web]
    secure_cookies = "auto" # "always" behind a TLS-terminating proxy, "never" only for plain-HTTP tests

The worker counts are read when ``fieldpost serve`` starts (a change needs a restart of the supervisor):
they size a process pool, which is a property of the deployment rather than a setting an administrator
changes from the CLI or WebAdmin.
"""

from __future__ import annotations

import os
import pwd
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldpost import log_rules
from fieldpost.log_rules import LogSettings

CONFIG_FILE = "fieldpost.toml"
DATA_ENV = "FIELDPOST_DATA"
PORT_OFFSET_ENV = "FIELDPOST_PORT_OFFSET"  # set with DATA_ENV for services started without our argv
LOG_TO_ENV = "FIELDPOST_LOG_TO"  # "logd": the supervisor runs the log service; send records to it

#: Services in start order; the supervisor stops them in reverse.
SERVICES: tuple[str, ...] = ("smtp", "processing", "imap", "pop3", "ftp", "cli", "logd", "rpop", "web")

DEFAULT_LOG_LEVEL = 15  # critical + error + warning + info; protocol traces off
DEFAULT_LIVENESS_SECONDS = 30.0

#: Listening services that run as a pool of worker processes accepting on the same sockets (the
#: supervisor binds them once). A protocol joins when it runs on :mod:`sidecars.net.service`.
WORKER_POOLS: tuple[str, ...] = ("smtp", "imap", "pop3")
#: ``[workers] web = N``: gunicorn's worker processes for the web service (gunicorn runs its own pool, so
#: the supervisor still starts one process). One by default: JMAP's per-account request slots and push
#: stream caps are counted per process, so N workers admit N times them. A deployment that wants the
#: web service on every CPU sets it (bench/jmap.py does, as its Roundcube runs a pool of php-fpm).
WEB_WORKERS = "web"
MAX_WORKERS = 255  # a worker number is the top byte of its session ids

#: When WebMail's cookies carry the Secure attribute: "auto" when the request came over https.
SECURE_COOKIES = ("auto", "always", "never")


@dataclass(frozen=True)
class ListenerSpec:
    """One default listener: which service owns it, its development port and its transport."""

    service: str
    port: int
    proto: str = "tcp"
    description: str = ""


#: Development defaults (DESIGN.md section 4). Production ports go in the [ports] table of the file.
LISTENERS: dict[str, ListenerSpec] = {
    "smtp": ListenerSpec("smtp", 2525, description="SMTP (MX)"),
    "submission": ListenerSpec("smtp", 2587, description="Submission (STARTTLS)"),
    "submissions": ListenerSpec("smtp", 2465, description="Submission (TLS)"),
    "imap": ListenerSpec("imap", 1143, description="IMAP"),
    "imaps": ListenerSpec("imap", 1993, description="IMAPS"),
    "managesieve": ListenerSpec("imap", 4190, description="ManageSieve"),
    "pop3": ListenerSpec("pop3", 1110, description="POP3"),
    "pop3s": ListenerSpec("pop3", 1995, description="POP3S"),
    "ftp": ListenerSpec("ftp", 2121, description="FTP backup"),
    "cli": ListenerSpec("cli", 7000, description="CLI (admin)"),
    "clis": ListenerSpec("cli", 7443, description="CLI over TLS (admin)"),
    "log": ListenerSpec("logd", 2000, proto="udp", description="Log service (UDP)"),
    "webmail": ListenerSpec("web", 8000, description="WebMail"),
    "webadmin": ListenerSpec("web", 9000, description="WebAdmin"),
}


#: How each TCP listener speaks TLS, as its service serves it: "implicit" (TLS from the first byte; the
#: listener is not served without a TLS pair), "starttls" (plain, upgraded when the client asks and a TLS pair
#: is loaded) or "none" (plain only: the web listeners, which a TLS-terminating proxy fronts, and UDP logging).
#: Autoconfig (webmail/autoconfig.py) and WebAdmin's services page read it, so clients are told what the
#: servers do.
TLS_MODES: dict[str, str] = {
    "smtp": "starttls",
    "submission": "starttls",
    "submissions": "implicit",
    "imap": "starttls",
    "imaps": "implicit",
    "managesieve": "starttls",
    "pop3": "starttls",
    "pop3s": "implicit",
    "ftp": "starttls",  # explicit FTPS: AUTH TLS (RFC 4217)
    "cli": "starttls",
    "clis": "implicit",
}


class ConfigError(ValueError):
    """The data directory or its configuration file is missing or wrong."""


@dataclass(frozen=True)
class Listener:
    name: str
    service: str
    host: str
    port: int
    proto: str
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "host": self.host, "port": self.port, "proto": self.proto}

    @property
    def tls(self) -> str:
        """ "implicit", "starttls" or "none" (see :data:`TLS_MODES`)."""
        return TLS_MODES.get(self.name, "none")


@dataclass(frozen=True)
class Config:
    data_dir: Path
    hostname: str
    database_url: str
    blob_dir: Path
    log_dir: Path
    listen_host: str = "127.0.0.1"
    services: tuple[str, ...] = SERVICES
    ports: dict[str, int] = field(default_factory=dict)
    log_levels: dict[str, int] = field(default_factory=dict)
    port_offset: int = 0
    demo: dict[str, Any] = field(default_factory=dict)
    user: str | None = None  # services started as root switch to this user once their ports are bound
    liveness_seconds: float = DEFAULT_LIVENESS_SECONDS  # heartbeat age at which a service is restarted
    workers: dict[str, int] = field(default_factory=dict)  # [workers]: pool size per service, when set
    secure_cookies: str = "auto"  # [web] secure_cookies: one of SECURE_COOKIES
    logging: LogSettings = field(default_factory=LogSettings)  # [logging]: rotation, rules (the log service)

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    @property
    def config_file(self) -> Path:
        return self.data_dir / CONFIG_FILE

    def child_environment(self) -> dict[str, str]:
        """Environment for a service process: ours, plus the data directory and unbuffered output."""
        env = dict(os.environ)
        env[DATA_ENV] = str(self.data_dir)
        env[PORT_OFFSET_ENV] = str(self.port_offset)
        env["PYTHONUNBUFFERED"] = "1"
        if "logd" in self.services and self.logging.via_logd:
            env[LOG_TO_ENV] = "logd"
        else:
            env.pop(LOG_TO_ENV, None)
        return env

    def logd_address(self) -> tuple[str, int] | None:
        """Where this process sends its log records: the log service's listener when the supervisor runs
        one (it says so in the environment), else None (the process writes its own file)."""
        if os.environ.get(LOG_TO_ENV) != "logd":
            return None
        for listener in self.listeners("logd"):
            host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(listener.host, listener.host)
            return host, listener.port
        return None

    def log_level(self, service: str) -> int:
        return self.log_levels.get(service, DEFAULT_LOG_LEVEL)

    def worker_count(self, service: str) -> int:
        """How many processes run ``service``: its ``[workers]`` entry, else one per CPU for a pool (one
        for the web service, see WEB_WORKERS)."""
        if service == WEB_WORKERS:
            return self.workers.get(service) or 1
        if service not in WORKER_POOLS:
            return 1
        return self.workers.get(service) or os.cpu_count() or 1

    def listeners(self, service: str | None = None) -> list[Listener]:
        """Listeners of one service (or all), with the port offset applied."""
        result = []
        for name, spec in LISTENERS.items():
            if service is not None and spec.service != service:
                continue
            port = self.ports.get(name, spec.port) + self.port_offset
            result.append(Listener(name, spec.service, self.listen_host, port, spec.proto, spec.description))
        return result


def resolve_data_dir(arg: str | os.PathLike[str] | None) -> Path:
    """The data directory from ``--data``, else ``$FIELDPOST_DATA``; error if neither is given."""
    value = os.fspath(arg) if arg else os.environ.get(DATA_ENV, "")
    if not value:
        raise ConfigError(f"no data directory: pass --data DIR or set ${DATA_ENV}")
    return Path(value).expanduser().absolute()


def from_environment() -> Config:
    """The configuration of the data directory named by ``$FIELDPOST_DATA``, with the port offset of
    ``$FIELDPOST_PORT_OFFSET``: how the web service, which gunicorn starts without our command line,
    finds its data and its listeners (the supervisor sets both, see :meth:`Config.child_environment`).

    Raises:
        ConfigError: the data directory is unset or is not a data directory, or the offset is not a number.
    """
    return load(resolve_data_dir(None), environment_port_offset())


def environment_port_offset() -> int:
    """The port offset the supervisor passed in ``$FIELDPOST_PORT_OFFSET`` (0 when unset).

    Raises:
        ConfigError: the value is not a number.
    """
    raw = os.environ.get(PORT_OFFSET_ENV, "") or "0"
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"${PORT_OFFSET_ENV} must be a number, not {raw!r}") from None


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'db.sqlite3'}"


def load(data_dir: str | os.PathLike[str], port_offset: int = 0) -> Config:
    """Read ``<data_dir>/fieldpost.toml``."""
    data = Path(data_dir).absolute()
    path = data / CONFIG_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{data} is not a Fieldpost data directory (run: fieldpost init --data {data})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return from_mapping(data, raw, port_offset)


def from_mapping(data: Path, raw: dict[str, Any], port_offset: int = 0) -> Config:
    """Build a :class:`Config` from the parsed file, checking every value."""
    storage = _table(raw, "storage")
    logging_ = _table(raw, "logging")
    levels = _table(logging_, "levels")
    ports = _table(raw, "ports")
    liveness = _table(raw, "supervisor").get("liveness_seconds", DEFAULT_LIVENESS_SECONDS)
    if isinstance(liveness, bool) or not isinstance(liveness, int | float) or not 0 <= liveness <= 86400:
        raise ConfigError(f"[supervisor] liveness_seconds must be 0-86400, not {liveness!r}")
    workers = _table(raw, "workers")
    for name, count in workers.items():
        if name not in (*WORKER_POOLS, WEB_WORKERS):
            raise ConfigError(
                f"[workers] {name}: only {', '.join((*WORKER_POOLS, WEB_WORKERS))} run as worker pools"
            )
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_WORKERS:
            raise ConfigError(f"[workers] {name} must be 1-{MAX_WORKERS}, not {count!r}")

    services = tuple(raw.get("services", SERVICES))
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        raise ConfigError(f"unknown service(s) in 'services': {', '.join(unknown)}")
    for name, level in levels.items():
        if name not in SERVICES:
            raise ConfigError(f"unknown service in [logging.levels]: {name}")
        if not isinstance(level, int) or not 0 <= level <= 31:
            raise ConfigError(f"log level of {name} must be an integer 0-31, not {level!r}")
    for name, port in ports.items():
        if name not in LISTENERS:
            raise ConfigError(f"unknown listener in [ports]: {name}")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ConfigError(f"port of {name} must be 1-65535, not {port!r}")
    if not isinstance(port_offset, int) or port_offset < 0:
        raise ConfigError(f"port offset must be a non-negative integer, not {port_offset!r}")
    highest = max(ports.get(n, s.port) for n, s in LISTENERS.items()) + port_offset
    if highest > 65535:
        raise ConfigError(f"port offset {port_offset} is too large (port {highest} > 65535)")

    try:
        log_settings = log_rules.parse(logging_)
    except log_rules.LogSettingsError as exc:
        raise ConfigError(str(exc)) from None

    secure_cookies = _table(raw, "web").get("secure_cookies", "auto")
    if secure_cookies not in SECURE_COOKIES:
        raise ConfigError(
            f"[web] secure_cookies must be one of {', '.join(SECURE_COOKIES)}, not {secure_cookies!r}"
        )

    url = str(storage.get("database_url") or default_database_url(data))
    if not (url.startswith("sqlite:///") or url.startswith("postgresql")):
        raise ConfigError(f"database_url must be sqlite:///PATH or postgresql+psycopg://..., not {url!r}")

    user = raw.get("user")
    if user is not None:
        if not isinstance(user, str) or not user:
            raise ConfigError(f"user must be a user name, not {user!r}")
        try:
            pwd.getpwnam(user)
        except KeyError as exc:
            raise ConfigError(f"user {user!r} does not exist on this system") from exc

    return Config(
        data_dir=data,
        hostname=str(raw.get("hostname") or "localhost"),
        database_url=url,
        blob_dir=data / str(storage.get("blob_dir", "blobs")),
        log_dir=data / str(logging_.get("log_dir", "logs")),
        listen_host=str(raw.get("listen_host", "127.0.0.1")),
        services=services,
        ports=dict(ports),
        log_levels=dict(levels),
        port_offset=port_offset,
        demo=_table(raw, "demo"),
        user=user,
        liveness_seconds=float(liveness),
        workers=dict(workers),
        secure_cookies=str(secure_cookies),
        logging=log_settings,
    )


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table")
    return value


def render(hostname: str, demo: dict[str, str] | None = None) -> str:
    """The text of a new ``fieldpost.toml`` (written by ``fieldpost init``)."""
    lines = [
        "# Fieldpost static configuration. Paths are relative to this directory.",
        f"hostname = {_quote(hostname)}",
        'listen_host = "127.0.0.1"',
        "services = [" + ", ".join(_quote(s) for s in SERVICES) + "]",
        "",
        "[storage]",
        '# database_url = "postgresql+psycopg://fieldpost@127.0.0.1/fieldpost"',
        "# (default: sqlite:///<this directory>/db.sqlite3)",
        'blob_dir = "blobs"',
        "",
        "[logging]",
        'log_dir = "logs"',
        "",
        "[logging.levels]",
        "# bitmask per service: critical 1 + error 2 + warning 4 + info 8 + protocol 16",
    ]
    lines += [f"{s} = {DEFAULT_LOG_LEVEL}" for s in SERVICES]
    lines += ["", "[ports]", "# listener = port (--port-offset N is added at serve time)"]
    lines += [f"{name} = {spec.port}" for name, spec in LISTENERS.items()]
    lines += ["", "# Worker processes per listening service (default: one per CPU; read at serve time):"]
    lines += ["# [workers]"] + [f"# {name} = {os.cpu_count() or 1}" for name in WORKER_POOLS]
    lines += [f"# {WEB_WORKERS} = 1"]
    if demo:
        lines += ["", "# Demo data directory: credentials shown by `fieldpost serve`.", "[demo]"]
        lines += [f"{k} = {_quote(v)}" for k, v in demo.items()]
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
