"""FTP over gevent: the sockets of the sans-IO :class:`FtpSession`, control and data connections.

The ``ftp`` listener (2121 in development) is served by :func:`sidecars.net.service.run_service`:
access rules, flow and error control, session ids and idle timeouts come from :mod:`sidecars.net`
(``net.ftp.*`` settings); ``ftp.*`` settings give the passive port range, the plaintext-login switch and
the upload limit (read when a connection starts).

Implementation notes:
- One greenlet per control connection; a transfer runs inside it, so commands the client pipelines
  behind RETR/STOR wait for the transfer's final reply (ABOR then finds nothing to abort).
- Passive mode listens on the control connection's local address, on a port of ``ftp.passive_ports``
  (or any), for one connection from the client's own address within ``DATA_WAIT`` seconds; a
  connection from anyone else is closed and the wait goes on. Active mode (PORT/EPRT) connects only to
  the client's own address (no FTP bounce, RFC 2577).
- PROT P wraps each data connection in TLS as a server and shuts it down cleanly (close_notify) so
  clients can tell a complete file from a cut one; the control connection's TLS comes from AUTH TLS.
- Uploads are read whole into memory up to ``ftp.max_upload_bytes``, then restored in one storage call;
  downloads stream from the blob in 64 KiB chunks and never hold a transaction while writing.
"""

from __future__ import annotations

import contextlib
import random
import socket as stdlib_socket
from typing import TYPE_CHECKING, Any

from gevent import GreenletExit, ssl
from gevent import socket as gsocket

from sidecars.ftp import parser as P
from sidecars.ftp.session import FtpSession, SessionContext, Transfer
from sidecars.net.listener import DENIED, Handler, ListenerServer
from sidecars.net.service import Endpoint, ServiceContext
from sidecars.net.standing import Standing
from storage.errors import StorageError

if TYPE_CHECKING:
    from storage.store import Store

LISTENER = "ftp"
READ_SIZE = 64 * 1024
DATA_WAIT = 30.0
DATA_IDLE = 120.0
TLS_CLOSE_WAIT = 5.0


def refusal(reason: str) -> bytes:
    if reason == DENIED:
        return P.reply(421, "Access denied")
    return P.reply(421, f"{reason}, try again later")


def port_range(text: str) -> tuple[int, int] | None:
    """``"50000-50100"`` -> (50000, 50100); empty or malformed -> None (any port)."""
    low, _, high = text.partition("-")
    if not low.strip().isdigit() or not high.strip().isdigit():
        return None
    lo, hi = int(low), int(high)
    return (lo, hi) if 0 < lo <= hi < 65536 else None


class DataConnections:
    """The data side of one control connection (``sidecars.ftp.session.DataPorts``)."""

    def __init__(self, control: Any, peer_ip: str, ports: tuple[int, int] | None) -> None:
        self._local_host = str(control.getsockname()[0])  # read now: TLS detaches this socket object
        self.peer_ip = peer_ip
        self.ports = ports
        self.listener: Any = None
        self.target: tuple[str, int] | None = None

    @property
    def local_host(self) -> str:
        return self._local_host

    def passive(self) -> int:
        self.close()
        host = self.local_host
        family = stdlib_socket.AF_INET6 if ":" in host else stdlib_socket.AF_INET
        candidates = [0]
        if self.ports is not None:
            candidates = list(range(self.ports[0], self.ports[1] + 1))
            random.shuffle(candidates)
        for port in candidates:
            sock = gsocket.socket(family, stdlib_socket.SOCK_STREAM)
            try:
                sock.bind((host, port))
                sock.listen(1)
            except OSError:
                sock.close()
                continue
            self.listener = sock
            return int(sock.getsockname()[1])
        raise StorageError("no free port in ftp.passive_ports")

    def active(self, host: str, port: int) -> None:
        if host != self.peer_ip:
            raise ValueError("Data connections go to the client's own address only")
        self.close()
        self.target = (host, port)

    def open(self) -> Any:
        """The data connection for one transfer (then forgotten: each transfer asks anew)."""
        listener, target = self.listener, self.target
        self.listener, self.target = None, None
        if target is not None:
            return gsocket.create_connection(target, timeout=DATA_WAIT)
        if listener is None:
            raise OSError("no data connection prepared")
        try:
            listener.settimeout(DATA_WAIT)
            while True:
                conn, address = listener.accept()
                if str(address[0]) == self.peer_ip:
                    return conn
                conn.close()  # someone else's connection: RFC 2577 port stealing
        finally:
            listener.close()

    def close(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.close()
        self.listener, self.target = None, None


class ControlConnection:
    """One client: the control loop and the transfers it asks for."""

    def __init__(
        self,
        sock: Any,
        session: FtpSession,
        data: DataConnections,
        tls_context: ssl.SSLContext | None,
        standing: Standing,
    ) -> None:
        self.sock = sock
        self.session = session
        self.data = data
        self.tls_context = tls_context
        self.standing = standing

    def run(self) -> None:
        try:
            self.sock.sendall(self.session.banner())
            while True:
                while (out := self.session.step()) is not None:
                    if self.session.established:
                        self.standing.establish()
                    if out.data:
                        self.sock.sendall(out.data)
                    if out.close:
                        return
                    if out.start_tls:
                        self._start_tls()
                    if out.transfer is not None:
                        self.sock.sendall(self._transfer(out.transfer))
                self.sock.settimeout(self.standing.idle_seconds)
                try:
                    chunk = self.sock.recv(READ_SIZE)
                except TimeoutError:
                    self._last_word(P.reply(421, "Idle timeout, closing control connection"))
                    raise
                if not chunk:
                    return
                self.session.feed(chunk)
        except GreenletExit:
            self._last_word(P.reply(421, "Service shutting down, try again later"))
            raise
        finally:
            self.data.close()

    def _last_word(self, line: bytes) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            self.sock.settimeout(2.0)
            self.sock.sendall(line)

    def _start_tls(self) -> None:
        assert self.tls_context is not None
        self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
        self.session.tls_started()

    def _transfer(self, transfer: Transfer) -> bytes:
        try:
            conn = self.data.open()
        except (OSError, ssl.SSLError):
            return transfer.finish(None, "Cannot open data connection")
        try:
            conn.settimeout(DATA_IDLE)
            if transfer.protect:
                assert self.tls_context is not None
                conn = self.tls_context.wrap_socket(conn, server_side=True)
            if transfer.send is not None:
                for chunk in transfer.send:
                    conn.sendall(chunk)
                received = None
            else:
                received = self._receive(conn, transfer.receive_limit)
            self._close_data(conn, transfer.protect)
            conn = None
            if transfer.send is None and received is None:
                return P.reply(552, f"Upload larger than {transfer.receive_limit} bytes refused")
        except StorageError as exc:
            return self.session.storage_reply(exc).data
        except (OSError, ssl.SSLError):
            return transfer.finish(None, "Data connection lost, transfer aborted")
        finally:
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        return transfer.finish(received, None)

    @staticmethod
    def _receive(conn: Any, limit: int) -> bytes | None:
        """The whole upload, or None when it is over ``limit`` (the rest is read and dropped, so the
        client finishes sending and the connection ends cleanly before it reads the 552)."""
        parts: list[bytes] = []
        size = 0
        while chunk := conn.recv(READ_SIZE):
            size += len(chunk)
            if size <= limit:
                parts.append(chunk)
            elif parts:
                parts = []
        return b"".join(parts) if size <= limit else None

    @staticmethod
    def _close_data(conn: Any, tls: bool) -> None:
        """End a data connection the way clients check: TLS close_notify first (RFC 4217 12.6)."""
        if tls:
            with contextlib.suppress(OSError, ssl.SSLError, ValueError):
                conn.settimeout(TLS_CLOSE_WAIT)
                conn = conn.unwrap()
        with contextlib.suppress(OSError):
            conn.close()


def make_handler(store: Store, hostname: str, tls_context: ssl.SSLContext | None) -> Handler:
    def handle(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
        values = store.settings.effective_many(
            ["ftp.allow_plaintext_auth", "ftp.passive_ports", "ftp.max_upload_bytes"]
        )
        peer_ip = str(address[0])
        data = DataConnections(sock, peer_ip, port_range(str(values["ftp.passive_ports"])))
        context = SessionContext(
            store=store,
            hostname=hostname,
            peer_ip=peer_ip,
            session_id=session_id,
            data=data,
            log=listener.session_log(session_id),
            tls_available=tls_context is not None,
            allow_plaintext=bool(values["ftp.allow_plaintext_auth"]),
            max_upload=int(values["ftp.max_upload_bytes"]),
            errors=listener.policy.errors,
        )
        session = FtpSession(context)
        ControlConnection(sock, session, data, tls_context, listener.standing(session_id)).run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """The ``ftp`` listener, for :func:`sidecars.net.service.run_service`."""
    handler = make_handler(context.store, context.hostname, context.tls_context)
    return {LISTENER: Endpoint(handler, refusal, implicit_tls=False)}
