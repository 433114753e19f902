"""The Remote POP service: every few seconds, start a run for each remote mailbox whose turn has come.

Implementation notes:
- One gevent process (the socket and ssl modules patched): a greenlet per run, at most ``RUNS_AT_ONCE``
  at a time, so one slow remote server holds up no other mailbox. The storage calls block the hub while
  they run; they are short (one indexed read or one small write) and no session waits on this process.
- A turn is taken with ``store.remote_accounts.claim``, which moves the mailbox's next turn an interval
  ahead in the same UPDATE that checks it is still due: a second fetcher (a restart overlapping its
  predecessor) never runs the same mailbox twice at once.
- Each fetched message goes through ``mailflow.submission.submit`` to the queue for the local account,
  with Received naming the remote server, and ``keep_folder`` in its origin when the mailbox files into
  a folder other than INBOX: the processing service runs the scanners and the account's filters on it
  like on mail that came by SMTP.
- The outcome of a run (None, or what went wrong in words) is recorded for the user to see in WebMail.
- The TLS context verifies the remote certificate and host name (the system's authorities, plus
  ``rpop.ca_file`` when set); it is rebuilt when that setting changes.
"""

from __future__ import annotations

import email.parser
import email.utils
import os
import signal
import ssl
from dataclasses import dataclass
from typing import Any

import gevent
from gevent.event import Event
from gevent.pool import Pool

from fieldpost.logs import ServiceLogger, session_logger
from mailflow.submission import Accepted, Envelope, Origin, submit
from sidecars.rpop.fetch import FetchError, Limits, run
from storage.remote_accounts import DueFetch
from storage.store import Store

TICK = 5.0
RUNS_AT_ONCE = 10
SETTINGS = ("rpop.max_messages_per_run", "rpop.max_message_size", "rpop.timeout", "rpop.ca_file")


def envelope_sender(raw: bytes) -> str:
    """The Return-Path of a fetched message (what its last server delivered it with), else empty."""
    head = raw.split(b"\r\n\r\n", 1)[0][:65536]
    found = email.parser.BytesHeaderParser().parsebytes(head).get("Return-Path", "")
    address = email.utils.parseaddr(str(found))[1]
    return address if "@" in address and len(address) <= 320 else ""


@dataclass
class QueueTaker:
    """Hands each fetched message to the queue for the local account, then notes it as taken."""

    store: Store
    due: DueFetch
    hostname: str
    log: ServiceLogger
    queued: int = 0

    def unseen(self, uids: list[str]) -> list[str]:
        return self.store.remote_accounts.unseen(self.due.remote.id, uids)

    def take(self, uid: str, raw: bytes, peer_ip: str) -> None:
        remote = self.due.remote
        origin = Origin(
            peer_ip=peer_ip,
            peer_port=remote.port,
            hostname=self.hostname,
            listener="rpop",
            session_id=f"{self.log.session_id:08x}",
            trace_id=f"{self.log.session_id:08x}.{self.queued + 1}",
            protocol=remote.protocol.upper() + ("S" if remote.tls_mode != "none" else ""),
            tls=remote.tls_mode != "none",
            helo=remote.host,
            keep_folder=remote.folder if remote.folder != "INBOX" else None,
        )
        outcome = submit(
            self.store, None, Envelope(envelope_sender(raw), [self.due.address]), raw, origin, log=self.log
        )
        if not isinstance(outcome, Accepted):
            raise FetchError("the message could not be queued here; the next run tries again")
        self.queued += 1
        self.store.remote_accounts.record(remote.id, uid)

    def forget_gone(self, present: list[str]) -> None:
        self.store.remote_accounts.forget_gone(self.due.remote.id, present)


class Fetcher:
    def __init__(self, store: Store, log: ServiceLogger, hostname: str) -> None:
        self.store = store
        self.log = log
        self.hostname = hostname
        self.pool = Pool(RUNS_AT_ONCE)
        self.stop = Event()
        self._tls: tuple[str, ssl.SSLContext] | None = None

    def settings(self) -> dict[str, Any]:
        return self.store.settings.effective_many(list(SETTINGS))

    def tls(self, ca_file: str) -> ssl.SSLContext:
        if self._tls is None or self._tls[0] != ca_file:
            context = ssl.create_default_context()
            if ca_file:
                try:
                    context.load_verify_locations(cafile=ca_file)
                except (OSError, ssl.SSLError) as exc:
                    self.log.error("rpop.ca_file %s cannot be loaded: %s", ca_file, exc)
            self._tls = (ca_file, context)
        return self._tls[1]

    def tick(self) -> int:
        """Start runs for the mailboxes now due (as many as there are free run slots)."""
        free = self.pool.free_count()
        if free <= 0:
            return 0
        started = 0
        for due in self.store.remote_accounts.due(limit=free):
            if self.store.remote_accounts.claim(due.remote):
                self.pool.spawn(self.run_one, due)
                started += 1
        return started

    def run_one(self, due: DueFetch) -> None:
        from fieldpost.logs import new_session_id

        log = session_logger(self.log, new_session_id())
        values = self.settings()
        limits = Limits(
            int(values["rpop.max_messages_per_run"]),
            int(values["rpop.max_message_size"]),
            float(values["rpop.timeout"]),
        )
        taker = QueueTaker(self.store, due, self.hostname, log)
        remote = due.remote
        log.info("fetching %s for %s", remote.label, due.address)
        try:
            result = run(remote, due.password, taker, limits, self.tls(str(values["rpop.ca_file"])))
        except FetchError as exc:
            log.warning("%s: %s (%d message(s) queued before)", remote.label, exc, taker.queued)
            self.store.remote_accounts.finish(remote.id, str(exc))
            return
        except Exception:
            log.exception("%s: the run failed", remote.label)
            self.store.remote_accounts.finish(
                remote.id, "an internal error stopped the run; see the server log"
            )
            return
        log.info(
            "%s: %d new, %d deleted there, %d too large, %d left for the next run",
            remote.label,
            result.taken,
            result.deleted,
            result.skipped_large,
            result.remaining,
        )
        self.store.remote_accounts.finish(remote.id, result.note())

    def serve(self) -> None:
        parent = os.getppid()
        while not self.stop.is_set():
            try:
                self.tick()
            except Exception:
                self.log.exception("looking for due remote mailboxes failed")
            if self.stop.wait(TICK) or os.getppid() != parent:
                break
        self.pool.join(timeout=10)
        self.pool.kill()


def install_signals(fetcher: Fetcher) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(sig, fetcher.stop.set)
