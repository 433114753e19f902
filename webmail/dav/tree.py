"""One request's view of the DAV tree: who is signed in, what the path names, and their collections.

A :class:`Request` is made per HTTP request by webmail/dav/blueprint.py after authentication and handed
to the method's handler. Collections are listed once per request through the user's organizer (rights
applied in storage) and matched by segment (webmail/dav/paths.py), so a folder the user may not look up
is simply not found -- the same 404 as one that does not exist. A request naming one collection reads
only that folder when this process resolved its segment before (``_RESOLVED``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from storage.errors import InvalidInput, NotFound
from storage.models import Account
from storage.pim.models import Collection
from storage.pim.organizer import Organizer
from webmail.dav import paths

#: (account id, area, segment) -> folder id: a hint of this process that spares listing every collection
#: on each request. Never trusted alone: the folder is read again (rights applied) and must still sit at
#: that segment, else the hint is dropped and the list read. Bounded by ``MAX_RESOLVED`` (then cleared).
_RESOLVED: dict[tuple[int, str, str], int] = {}
MAX_RESOLVED = 20_000

KINDS_OF_AREA = {"calendars": ("calendar", "tasks", "notes", "journal"), "addressbooks": ("contacts",)}


@dataclass
class Request:
    """The signed-in account, its organizer, the request's target, Depth and body."""

    account: Account
    organizer: Organizer
    target: paths.Target
    depth: str
    body: bytes
    headers: dict[str, str]
    _listed: list[Collection] | None = field(default=None, repr=False)

    @property
    def me(self) -> str:
        return self.account.address.lower()

    def owns_target(self) -> bool:
        """The path's address is the signed-in user's own (other users' trees are not browsable)."""
        return self.target.address == self.me

    def collections(self, area: str) -> list[tuple[str, Collection]]:
        """(segment, collection) of every collection in ``area`` the user may look up."""
        if self._listed is None:
            self._listed = self.organizer.collections()
        kinds = KINDS_OF_AREA[area]
        return [(paths.segment_of(c.path, c.owner, self.me), c) for c in self._listed if c.kind in kinds]

    def collection(self, area: str, segment: str) -> Collection:
        """The collection at ``segment`` of ``area``: through the remembered folder id when there is one
        (one folder read, rights checked by storage as always), else by listing the user's collections.

        Raises:
            NotFound: no collection there that the user may look up.
        """
        key = (self.account.id, area, segment)
        remembered = _RESOLVED.get(key)
        if remembered is not None:
            try:
                found = self.organizer.collection(remembered)
            except (NotFound, InvalidInput):
                found = None
            if found is not None and self._is_at(found, area, segment):
                return found
            _RESOLVED.pop(key, None)
        for seg, listed in self.collections(area):
            if seg == segment:
                if len(_RESOLVED) >= MAX_RESOLVED:
                    _RESOLVED.clear()
                _RESOLVED[key] = listed.folder_id
                return listed
        raise NotFound("no such collection")

    def _is_at(self, found: Collection, area: str, segment: str) -> bool:
        """Still the folder the segment names (not renamed, moved or of another kind since)."""
        return (
            found.kind in KINDS_OF_AREA[area]
            and paths.segment_of(found.path, found.owner, self.me) == segment
        )

    def target_collection(self) -> Collection:
        """The collection the path names (or holds the item the path names)."""
        if not self.owns_target() or self.target.kind not in ("collection", "item"):
            raise NotFound("no such collection")
        return self.collection(self.target.area, self.target.segment)

    def collection_url(self, collection: Collection) -> str:
        area = paths.area_of(collection.kind)
        return paths.collection(area, self.me, paths.segment_of(collection.path, collection.owner, self.me))

    def item_url(self, collection: Collection, name: str) -> str:
        return self.collection_url(collection) + paths.quote_name(name)


def href_target(href: str) -> paths.Target:
    """What an href of a multiget body names (absolute URL or absolute path, percent-encoded)."""
    path = unquote(urlsplit(href).path)
    if not path.startswith(paths.ROOT):
        return paths.Target("unknown")
    return paths.parse(path[len(paths.ROOT) :])
