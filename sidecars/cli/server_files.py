"""Files on the server's own disk named in a console command (``IMPORT ACCOUNTS file PATH``...).

The console reads and writes them as the user the service runs as, so only server-wide administrators
may name one (each command asks storage first: ``view.maintenance.check_allowed()``). Paths must be
absolute (the service's working directory is nothing an administrator can see); a file read must be a
regular file (not a device or a pipe that would never end) and no larger than the command's limit; a
file written must not exist yet, in a directory that does: it is written under a temporary name and
linked into place only when complete, so a failed export leaves nothing behind and never replaces a
file that appeared meanwhile.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sidecars.cli.state import CommandFailed


def absolute(text: str) -> Path:
    """``text`` as an absolute path; a relative or empty one is refused."""
    if not text or "\x00" in text:
        raise CommandFailed("an empty file name")
    path = Path(text)
    if not path.is_absolute():
        raise CommandFailed(f"{text[:200]}: give an absolute path (the file is on the server)")
    return path


def regular_file(text: str, max_bytes: int | None = None) -> Path:
    """The absolute path of an existing regular file of at most ``max_bytes`` octets."""
    path = absolute(text)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CommandFailed(f"{path}: no such file on the server") from None
    except OSError as exc:
        raise CommandFailed(f"{path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise CommandFailed(f"{path} is not a regular file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise CommandFailed(f"{path} is larger than {max_bytes // 1024} KiB")
    return path


def directory(text: str) -> Path:
    """The absolute path of an existing directory (a Maildir to read)."""
    path = absolute(text)
    if not path.exists():
        raise CommandFailed(f"{path}: no such directory on the server")
    if not path.is_dir():
        raise CommandFailed(f"{path} is not a directory")
    return path


def read_bytes(text: str, max_bytes: int) -> bytes:
    """The content of a regular file of at most ``max_bytes`` octets."""
    path = regular_file(text, max_bytes)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise CommandFailed(f"{path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # it grew since stat
        raise CommandFailed(f"{path} is larger than {max_bytes // 1024} KiB")
    return data


def new_file(text: str) -> Path:
    """The absolute path of a file still to be written: it must not exist, its directory must."""
    path = absolute(text)
    if path.exists() or path.is_symlink():
        raise CommandFailed(f"{path} exists already; name a new file")
    if not path.parent.is_dir():
        raise CommandFailed(f"{path.parent}: no such directory on the server")
    return path


def write_new(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` (from ``new_file``) through ``write``; it appears only complete, and never over a
    file that exists by then."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{id(write):x}.tmp")
    try:
        with open(tmp, "xb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        raise CommandFailed(f"{path} exists already; name a new file") from None
    except OSError as exc:
        raise CommandFailed(f"{path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
