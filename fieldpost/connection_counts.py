"""Open-connection counts shared by the worker processes of one pool, so a cap holds across the pool.

A listener's ``max_connections`` and ``max_per_ip`` (sidecars.net.flow) used to be counted in each
worker's memory: a pool of N workers admitted N times each cap. The supervisor now makes one small
shared table per pool service (an anonymous ``memfd``, :func:`create`) and hands its descriptor to
every start of every worker (``--connection-counts FD``), as it does the listening sockets; each worker
maps it (:meth:`ConnectionCounts.attach`).

Why shared memory, not the database: a check runs on every accepted connection, before the greeting,
and must stay in microseconds (two ``lockf`` calls and a few reads); a row per connection in SQLite or
PostgreSQL would cost a write transaction (an fsync on SQLite) for every connect and every disconnect,
and a crashed worker's rows would need a sweeper. Why not counters in the supervisor: a round trip to
one process per connection makes it a bottleneck and a single point of failure for accepting.

Layout: a header, then ``slots`` entries of ``key`` (16 bytes: a BLAKE2b digest of the scope and the
client address; the scope alone for a listener's total) and one ``u32`` count per *row*. Every worker
process owns one row and only ever changes its own counts; a key's count is the sum over the rows.

Crash safety, without the supervisor's help: a worker claims its row by taking a POSIX record lock
(``lockf``) on that row's byte of the file and holds it for its life. The kernel drops a process's record
locks when it dies, however it dies (SIGKILL included). Stale counts of a dead worker could only make a
cap refuse too early, so they are looked at only then: before refusing, the checker tries each
contributing row's lock; one it can take belongs to nobody living, and its counts are zeroed. A new
worker zeroes the row it claims. Every change happens under a whole-table record lock (byte 0), held for
a few microseconds and never across a yield (the hub does not switch inside these calls).

Keys are placed by open addressing in a window of ``WINDOW`` slots from their hash; a slot whose counts
are all zero is free for another key. When a window is full (more than about ``slots`` different client
addresses at once), :meth:`acquire` says so and the caller counts that connection in its own memory
only, as before: the per-address cap then holds per worker for that address, never fails closed.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from dataclasses import dataclass
from hashlib import blake2b

MAGIC = b"FPCC"
HEADER = struct.Struct("<4sIII")  # magic, rows, slots, window
HEADER_SIZE = 64
KEY_BYTES = 16
KEY_WORDS = KEY_BYTES // 4
DEFAULT_SLOTS = 16384
WINDOW = 32
TABLE_LOCK = 0  # byte 0 guards every change; byte 1 + r is row r's owner lock


def create(rows: int, slots: int = DEFAULT_SLOTS, window: int = WINDOW) -> int:
    """A new zeroed table as an anonymous file (its descriptor, close-on-exec; ``pass_fds`` hands it
    down). ``rows`` must cover every worker process that can run at once, old and new during a rolling
    restart; a worker that finds no free row counts in its own memory."""
    if rows < 1 or slots < 1 or not 1 <= window <= slots:
        raise ValueError("a connection table needs rows, slots and a window of at least 1")
    fd = os.memfd_create("fieldpost-connection-counts")
    os.ftruncate(fd, HEADER_SIZE + slots * (KEY_BYTES + 4 * rows))
    with mmap.mmap(fd, HEADER_SIZE) as head:
        HEADER.pack_into(head, 0, MAGIC, rows, slots, window)
    return fd


@dataclass(frozen=True)
class Held:
    """What one admitted connection holds in the table: the slots of its keys (to release them)."""

    slots: tuple[int, ...]


def key_of(scope: str, ip: str = "") -> bytes:
    """The table key of a scope's total (``ip`` empty) or of one client address in it."""
    return blake2b(f"{scope}\0{ip}".encode(), digest_size=KEY_BYTES).digest()


class ConnectionCounts:
    """One worker's handle on the table (see the module docstring); not thread safe, never yields."""

    def __init__(self, fd: int, row: int, rows: int, slots: int, window: int, table: mmap.mmap) -> None:
        self.fd, self.row, self.rows, self.slots, self.window = fd, row, rows, slots, window
        self._map = table
        self._words = memoryview(table)[HEADER_SIZE:].cast("I")
        self._stride = KEY_WORDS + rows

    @classmethod
    def attach(cls, fd: int) -> ConnectionCounts | None:
        """Map the table the supervisor handed down and claim a free row; None when every row is taken
        (the caller then counts in its own memory). The descriptor must stay open for the process's life:
        closing any descriptor of the file would drop this process's record locks."""
        with mmap.mmap(fd, HEADER_SIZE, prot=mmap.PROT_READ) as head:
            magic, rows, slots, window = HEADER.unpack_from(head, 0)
        if magic != MAGIC:
            raise ValueError(f"descriptor {fd} is not a connection table")
        table = mmap.mmap(fd, HEADER_SIZE + slots * (KEY_BYTES + 4 * rows))
        for row in range(rows):
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 1 + row)
            except OSError:
                continue  # a living worker's
            counts = cls(fd, row, rows, slots, window, table)
            with counts._locked():
                counts._zero_row(row)  # whatever a dead predecessor left
            return counts
        table.close()
        return None

    # -- the two operations of a connection --------------------------------------------------------

    def acquire(self, limits: list[tuple[bytes, int]]) -> Held | str | None:
        """Count one connection under every ``(key, cap)`` (cap 0: count, never refuse), all or none.

        Returns the :class:`Held` to release later; the index into ``limits`` (as a str, e.g. ``"1"``)
        of the first cap that is full; or None when the table has no room for a key (count locally).
        """
        with self._locked():
            placed = []
            for key, _cap in limits:
                slot = self._slot(key, claim=True)
                if slot is None:
                    return None
                placed.append(slot)
            for index, ((_key, cap), slot) in enumerate(zip(limits, placed, strict=True)):
                if cap and self._total(slot) >= cap and self._reap(slot) >= cap:
                    return str(index)
            for slot in placed:
                self._words[slot * self._stride + KEY_WORDS + self.row] += 1
            return Held(tuple(placed))

    def release(self, held: Held) -> None:
        with self._locked():
            for slot in held.slots:
                at = slot * self._stride + KEY_WORDS + self.row
                if self._words[at]:
                    self._words[at] -= 1

    def total(self, key: bytes) -> int:
        """Connections counted under ``key`` by every worker now (0 when the key has no slot)."""
        with self._locked():
            slot = self._slot(key, claim=False)
            return 0 if slot is None else self._total(slot)

    # -- inside the lock ---------------------------------------------------------------------------

    def _locked(self) -> _TableLock:
        return _TableLock(self.fd)

    def _key_at(self, slot: int) -> bytes:
        start = slot * self._stride
        return self._words[start : start + KEY_WORDS].tobytes()

    def _total(self, slot: int) -> int:
        start = slot * self._stride + KEY_WORDS
        return sum(self._words[start : start + self.rows])

    def _slot(self, key: bytes, *, claim: bool) -> int | None:
        first = int.from_bytes(key[:8], "little") % self.slots
        free = None
        for step in range(self.window):
            slot = (first + step) % self.slots
            if self._key_at(slot) == key:
                return slot
            if free is None and self._total(slot) == 0:
                free = slot
        if free is None or not claim:
            return None
        start = free * self._stride
        self._words[start : start + KEY_WORDS] = memoryview(key).cast("I")
        return free

    def _reap(self, slot: int) -> int:
        """Zero the rows of dead workers that count in ``slot``; the slot's total afterwards."""
        start = slot * self._stride + KEY_WORDS
        for row in range(self.rows):
            if row == self.row or not self._words[start + row]:
                continue
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 1 + row)
            except OSError:
                continue  # its worker lives
            try:
                self._zero_row(row)
            finally:
                fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, 1 + row)
        return self._total(slot)

    def _zero_row(self, row: int) -> None:
        column = self._words[KEY_WORDS + row :: self._stride]
        column[:] = memoryview(bytes(4 * len(column))).cast("I")


class _TableLock:
    """The whole-table record lock (byte 0): between processes only, which is all that is needed since
    a gevent worker changes the table from one thread and never yields inside."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_EX, 1, TABLE_LOCK)

    def __exit__(self, *exc: object) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, TABLE_LOCK)
