"""A Maildir uploaded as a zip archive, unpacked safely for ``fieldpost.mailfiles.read_maildir``.

A browser uploads files, not directories, so WebAdmin takes a Maildir zipped (``zip -r md.zip Maildir``).
The archive is checked before anything is written: at most :data:`MAX_ENTRIES` entries and
:data:`MAX_UNPACKED` bytes unpacked (a small archive may unpack to gigabytes), no entry outside the target
directory (absolute paths, ``..``), no links. Each file gets its modification time back from the archive,
since a Maildir message's time is its file's (the import's internal date).
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Final

MAX_ENTRIES: Final = 100_000
MAX_UNPACKED: Final = 1024**3  # 1 GiB


class ArchiveProblem(ValueError):
    """The archive is refused; the text says why, for the person who uploaded it."""


def is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def unpack_maildir(archive: Path, into: Path) -> Path:
    """Unpack ``archive`` under ``into``; the Maildir's root (the directory holding cur/ or new/: the top
    of the archive, or its one top-level directory).

    Raises:
        ArchiveProblem: too large, an unsafe entry, or no Maildir inside.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            entries = zf.infolist()
            if len(entries) > MAX_ENTRIES:
                raise ArchiveProblem(f"the archive holds more than {MAX_ENTRIES} entries")
            if sum(e.file_size for e in entries) > MAX_UNPACKED:
                raise ArchiveProblem(f"the archive unpacks to more than {MAX_UNPACKED // 1024**3} GiB")
            for entry in entries:
                name = PurePosixPath(entry.filename)
                mode = entry.external_attr >> 16
                if name.is_absolute() or ".." in name.parts or "\\" in entry.filename:
                    raise ArchiveProblem(f"unsafe path in the archive: {entry.filename!r}")
                if mode and (mode & 0o170000) == 0o120000:
                    raise ArchiveProblem(f"the archive holds a link: {entry.filename!r}")
                target = into.joinpath(*name.parts)
                if entry.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(entry) as src, open(target, "wb") as dst:
                    dst.write(src.read())
                stamp = time.mktime((*entry.date_time, 0, 0, -1))
                os.utime(target, (stamp, stamp))
    except zipfile.BadZipFile as exc:
        raise ArchiveProblem(f"not a readable zip archive ({exc})") from None
    return _root(into)


def _root(into: Path) -> Path:
    if (into / "cur").is_dir() or (into / "new").is_dir():
        return into
    tops = [p for p in into.iterdir() if p.is_dir()]
    if len(tops) == 1 and ((tops[0] / "cur").is_dir() or (tops[0] / "new").is_dir()):
        return tops[0]
    raise ArchiveProblem("the archive holds no Maildir (a directory with cur/ or new/ inside)")
