"""The backup tree an administrator sees over FTP, mapped onto ``store.for_admin(name).backup``.

::

    /<domain>/domain.json                       the domain's configuration (storage.backup_export)
    /<domain>/sieve/<name>.sieve                domain-level Sieve scripts
    /<domain>/dkim/<selector>.key               the domain's DKIM signing keys, as kept: sealed
    /<domain>/accounts/<local>/account.json     an account's configuration, credentials as hashes
    /<domain>/accounts/<local>/sieve/<name>.sieve
    /<domain>/accounts/<local>/folders/<path>/  one directory per folder, nested as the folders are
    /<domain>/accounts/<local>/folders/<path>/<uid>,<flags>.eml    one file per message
    /<domain>/groups/<local>.json   /<domain>/forwarders/<local>.json
    /<domain>/public/<path>/                    the domain's public folders, messages as above

Every folder directory also answers ``messages.tar`` (all its messages as one tar of the same ``.eml``
names): it is not listed, so mirroring clients do not copy each message twice, but it can be downloaded
and uploaded by name. Uploading any file restores what it describes; making a directory creates the
domain (server administrators only), account or folder it names. Nothing is deleted through FTP.

No scope is decided here: every call goes to storage's admin facade, which checks it.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from filters import dkim_sign
from sidecars.ftp.parser import Entry, Path, message_name, parse_message_name
from storage.admin_backup import MAX_PAGE, AdminBackup, MessageEntry
from storage.blobs import BlobStore
from storage.errors import InvalidInput, NotFound

TAR_NAME = "messages.tar"
CHUNK = 64 * 1024
DOMAIN_DIRS = ("accounts", "dkim", "forwarders", "groups", "public", "sieve")
ACCOUNT_DIRS = ("folders", "sieve")

WRITABLE = ("domain-doc", "account-doc", "group", "forwarder", "script", "message", "tar", "dkim-key")

Chunks = Iterator[bytes]


@dataclass(frozen=True)
class Where:
    """What a path names: ``kind`` and the parts that locate it in storage."""

    kind: str  # root domain domain-doc dir account account-doc script folder message tar group forwarder
    domain: str = ""
    owner: str = ""  # "alice@example.test" or "@example.test" (folders); the address (documents)
    folder: str = ""  # folder path, "" for the folders root
    name: str = ""  # file name (message, script, tar)


def locate(path: Path) -> Where:
    """Classify a path by its shape alone (whether it exists is storage's answer)."""
    n = len(path)
    if n == 0:
        return Where("root")
    d = path[0]
    if n == 1:
        return Where("domain", d)
    top = path[1]
    if n == 2 and top == "domain.json":
        return Where("domain-doc", d)
    if top in ("groups", "forwarders") and n == 3 and path[2].endswith(".json") and len(path[2]) > 5:
        return Where(top[:-1], d, f"{path[2][:-5]}@{d}")
    if top == "sieve" and n == 3:
        return Where("script", d, d, name=_script_name(path[2]))
    if top == "dkim" and n == 3:
        if not path[2].endswith(".key") or len(path[2]) <= 4:
            raise NotFound("a DKIM key file is named <selector>.key")
        return Where("dkim-key", d, name=path[2][:-4])
    if top == "public":
        return _in_folders(d, f"@{d}", path[2:])
    if top == "accounts" and n >= 3:
        address = f"{path[2]}@{d}"
        if n == 3:
            return Where("account", d, address)
        if n == 4 and path[3] == "account.json":
            return Where("account-doc", d, address)
        if path[3] == "sieve" and n == 5:
            return Where("script", d, address, name=_script_name(path[4]))
        if path[3] == "folders":
            return _in_folders(d, address, path[4:])
        if n == 4 and path[3] in ACCOUNT_DIRS:
            return Where("dir", d, address)
    if n == 2 and top in DOMAIN_DIRS:
        return Where("dir", d, d if top == "sieve" else "")
    raise NotFound(f"no such file or directory: /{'/'.join(path)}")


def _script_name(file_name: str) -> str:
    if not file_name.endswith(".sieve") or len(file_name) <= 6:
        raise NotFound("a Sieve script file is named <name>.sieve")
    return file_name[:-6]


def _in_folders(domain: str, owner: str, rest: Path) -> Where:
    if rest and rest[-1] == TAR_NAME:
        return Where("tar", domain, owner, "/".join(rest[:-1]), TAR_NAME)
    if rest and parse_message_name(rest[-1]) is not None:
        return Where("message", domain, owner, "/".join(rest[:-1]), rest[-1])
    return Where("folder", domain, owner, "/".join(rest))


class BackupTree:
    """Stat, list, read and write the tree for one administrator (see the module docstring)."""

    def __init__(
        self, backup: AdminBackup, blobs: BlobStore, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.backup = backup
        self.blobs = blobs
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- looking -----------------------------------------------------------------------------------------

    def _dir(self, name: str) -> Entry:
        return Entry(name, True, 0, self.clock())

    def stat(self, path: Path) -> Entry:
        """The entry a path names. Raises NotFound."""
        where = locate(path)
        name = path[-1] if path else "/"
        if where.kind == "root":
            return self._dir(name)
        if where.kind in ("domain", "dir"):
            self._require_domain(where.domain)
            if "@" in where.owner:
                self._require_account(where)
            return self._dir(name)
        if where.kind == "account":
            self._require_account(where)
            return self._dir(name)
        if where.kind == "folder":
            self._require_folder(where)
            return self._dir(name)
        if where.kind == "message":
            m = self._message(where)
            return Entry(name, False, m.size, m.internal_date)
        if where.kind == "tar":
            self._require_folder(where)
            return Entry(name, False, 0, self.clock())
        if where.kind == "dkim-key":
            return Entry(name, False, len(self._dkim_key(where)), self.clock())
        if where.kind == "script":
            for script in self.backup.scripts(_level(where), where.owner):
                if script.name == where.name:
                    return Entry(name, False, script.size, script.updated_at)
            raise NotFound(f"no such file: {name}")
        return Entry(name, False, len(self._document(where)), self.clock())

    def listing(self, path: Path) -> Iterator[Entry]:
        """The entries of a directory; a folder's messages are read a page at a time."""
        where = locate(path)
        now = self.clock()
        if where.kind == "root":
            yield from (Entry(d, True, 0, now) for d in self.backup.domains())
        elif where.kind == "domain":
            yield self.stat((*path, "domain.json"))
            yield from (Entry(d, True, 0, now) for d in DOMAIN_DIRS)
        elif where.kind == "account":
            yield self.stat((*path, "account.json"))
            yield from (Entry(d, True, 0, now) for d in ACCOUNT_DIRS)
        elif where.kind == "dir":
            yield from self._dir_listing(path, where, now)
        elif where.kind == "folder":
            yield from self._folder_listing(where, now)
        else:
            raise NotFound(f"not a directory: /{'/'.join(path)}")

    def _dir_listing(self, path: Path, where: Where, now: datetime) -> Iterator[Entry]:
        what = path[-1]
        if what == "sieve":
            for script in self.backup.scripts(_level(where), where.owner):
                yield Entry(f"{script.name}.sieve", False, script.size, script.updated_at)
        elif what == "accounts":
            yield from (Entry(lp, True, 0, now) for lp in self.backup.accounts(where.domain))
        elif what == "dkim":
            self.backup.check_domain(where.domain)
            for selector, sealed in dkim_sign.sealed_keys(self.backup.store, where.domain).items():
                yield Entry(f"{selector}.key", False, len(sealed), now)
        elif what in ("groups", "forwarders"):
            names = (
                self.backup.groups(where.domain) if what == "groups" else self.backup.forwarders(where.domain)
            )
            for lp in names:
                yield self.stat((*path, f"{lp}.json"))

    def _folder_listing(self, where: Where, now: datetime) -> Iterator[Entry]:
        folders = self.backup.folders(where.owner)
        prefix = where.folder + "/" if where.folder else ""
        if where.folder and not any(f.path == where.folder for f in folders):
            raise NotFound(f"no such folder: {where.folder}")
        for f in folders:
            rest = f.path[len(prefix) :] if f.path.startswith(prefix) else None
            if rest and "/" not in rest:
                yield Entry(rest, True, 0, now)
        if not where.folder:
            return
        after = 0
        while True:
            page = self.backup.messages(where.owner, where.folder, after=after, limit=MAX_PAGE)
            for m in page:
                yield Entry(message_name(m.uid, m.flags), False, m.size, m.internal_date)
            if len(page) < MAX_PAGE:
                return
            after = page[-1].uid

    # -- reading -----------------------------------------------------------------------------------------

    def read(self, path: Path, offset: int = 0) -> Chunks:
        """The bytes of a file from ``offset`` on, in chunks; a message streams from its blob."""
        where = locate(path)
        if where.kind == "message":
            m = self._message(where)
            return self._blob(m.sha256, offset, m.size)
        if where.kind == "tar":
            self._require_folder(where)
            return _skip(self._tar(where), offset)
        if where.kind == "dkim-key":
            return iter([self._dkim_key(where)[offset:]])
        if where.kind == "script":
            return iter([self.backup.script(_level(where), where.owner, where.name).encode()[offset:]])
        if where.kind in ("domain-doc", "account-doc", "group", "forwarder"):
            return iter([self._document(where)[offset:]])
        raise NotFound(f"not a file: /{'/'.join(path)}")

    def _blob(self, sha: str, start: int, end: int) -> Chunks:
        reader = self.blobs.reader(sha)
        try:
            yield from reader.chunks(start, end, CHUNK)
        finally:
            reader.close()

    def _tar(self, where: Where) -> Chunks:
        after = 0
        while True:
            page = self.backup.messages(where.owner, where.folder, after=after, limit=MAX_PAGE)
            for m in page:
                info = tarfile.TarInfo(message_name(m.uid, m.flags))
                info.size = m.size
                info.mtime = int(m.internal_date.replace(tzinfo=m.internal_date.tzinfo or UTC).timestamp())
                info.mode = 0o644
                yield info.tobuf(format=tarfile.PAX_FORMAT)
                yield from self._blob(m.sha256, 0, m.size)
                if m.size % tarfile.BLOCKSIZE:
                    yield tarfile.NUL * (tarfile.BLOCKSIZE - m.size % tarfile.BLOCKSIZE)
            if len(page) < MAX_PAGE:
                break
            after = page[-1].uid
        yield tarfile.NUL * (tarfile.BLOCKSIZE * 2)

    def _document(self, where: Where) -> bytes:
        if where.kind == "domain-doc":
            return self.backup.domain_document(where.domain)
        if where.kind == "account-doc":
            return self.backup.account_document(where.owner)
        if where.kind == "group":
            return self.backup.group_document(where.owner)
        if where.kind == "forwarder":
            return self.backup.forwarder_document(where.owner)
        raise NotFound("not a file")

    # -- writing -----------------------------------------------------------------------------------------

    def check_writable(self, path: Path) -> None:
        """Refuse an upload before its bytes are sent when nothing can be restored from that name."""
        try:
            where = locate(path)
        except NotFound:
            where = Where("none")
        if where.kind not in WRITABLE:
            raise InvalidInput(f"nothing can be uploaded as /{'/'.join(path)}")

    def write(self, path: Path, data: bytes) -> str:
        """Restore what an uploaded file describes; a short description for the reply."""
        where = locate(path)
        if where.kind == "domain-doc":
            self.backup.restore_domain(where.domain, data)
            return f"domain {where.domain} restored"
        if where.kind == "account-doc":
            self.backup.restore_account(where.owner, data)
            return f"account {where.owner} restored"
        if where.kind == "group":
            self.backup.restore_group(where.owner, data)
            return f"group {where.owner} restored"
        if where.kind == "forwarder":
            self.backup.restore_forwarder(where.owner, data)
            return f"forwarder {where.owner} restored"
        if where.kind == "script":
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput("a Sieve script is UTF-8 text") from None
            self.backup.restore_script(_level(where), where.owner, where.name, text)
            return f"script {where.name} restored"
        if where.kind == "dkim-key":
            self.backup.check_domain(where.domain, write=True)
            try:
                sealed = data.decode("ascii")
            except UnicodeDecodeError:
                raise InvalidInput("a sealed DKIM key is ASCII text") from None
            dkim_sign.install_sealed(self.backup.store, where.domain, where.name, sealed)
            return f"DKIM key {where.name} restored"
        if where.kind == "message":
            return f"message restored with UID {self._restore_message(where, where.name, data, None)}"
        if where.kind == "tar":
            return f"{self._restore_tar(where, data)} messages restored"
        raise InvalidInput(f"nothing can be uploaded as /{'/'.join(path)}")

    def _restore_message(self, where: Where, name: str, data: bytes, when: datetime | None) -> int:
        if not where.folder:
            raise InvalidInput("messages go into a folder directory")
        parsed = parse_message_name(name)
        if parsed is None:
            raise InvalidInput(f"{name} is not a message file name (<uid>,<flags>.eml)")
        uid, flags = parsed
        return self.backup.restore_message(where.owner, where.folder, uid, flags, data, when)

    def _restore_tar(self, where: Where, data: bytes) -> int:
        count = 0
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    body = tar.extractfile(member)
                    assert body is not None
                    when = datetime.fromtimestamp(member.mtime, UTC) if member.mtime else None
                    self._restore_message(where, member.name.rpartition("/")[2], body.read(), when)
                    count += 1
        except tarfile.TarError as exc:
            raise InvalidInput(f"not a tar file: {exc}") from None
        return count

    def mkdir(self, path: Path) -> None:
        where = locate(path)
        if where.kind == "domain":
            self.backup.create_domain(where.domain)
        elif where.kind == "account":
            self.backup.create_account(where.owner)
        elif where.kind == "folder" and where.folder:
            self.backup.create_folder(where.owner, where.folder)
        elif where.kind in ("dir", "folder"):
            self.stat(path)  # these directories always exist with their parent
        else:
            raise InvalidInput(f"no directory can be made as /{'/'.join(path)}")

    def set_time(self, path: Path, when: datetime) -> bool:
        """MFMT: a message's internal date; True if stored (other files keep their own times)."""
        where = locate(path)
        if where.kind == "message":
            m = self._message(where)
            self.backup.set_internal_date(where.owner, where.folder, m.uid, when)
            return True
        self.stat(path)
        return False

    # -- checks ------------------------------------------------------------------------------------------

    def _dkim_key(self, where: Where) -> bytes:
        self.backup.check_domain(where.domain)
        sealed = dkim_sign.sealed_keys(self.backup.store, where.domain).get(where.name.lower())
        if sealed is None:
            raise NotFound(f"{where.domain} has no DKIM key for selector {where.name}")
        return sealed.encode("ascii")

    def _require_domain(self, domain: str) -> None:
        if domain not in self.backup.domains():
            raise NotFound(f"domain {domain} does not exist")

    def _require_account(self, where: Where) -> None:
        if where.owner.startswith("@"):
            return
        lp = where.owner.rpartition("@")[0]
        if lp not in self.backup.accounts(where.domain):
            raise NotFound(f"account {where.owner} does not exist")

    def _require_folder(self, where: Where) -> None:
        if where.owner.startswith("@"):
            self._require_domain(where.domain)
        else:
            self._require_account(where)
        if where.folder and not any(f.path == where.folder for f in self.backup.folders(where.owner)):
            raise NotFound(f"no such folder: {where.folder}")

    def _message(self, where: Where) -> MessageEntry:
        parsed = parse_message_name(where.name)
        if parsed is None or parsed[0] is None or not where.folder:
            raise NotFound(f"no such message: {where.name}")
        return self.backup.message(where.owner, where.folder, parsed[0])


def _level(where: Where) -> str:
    return "domain" if where.owner == where.domain else "account"


def _skip(chunks: Chunks, offset: int) -> Chunks:
    for chunk in chunks:
        if offset >= len(chunk):
            offset -= len(chunk)
            continue
        yield chunk[offset:]
        offset = 0
