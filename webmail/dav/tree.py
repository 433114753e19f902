"""One request's view of the DAV tree: who is signed in, what the path names, and their collections.

A :class:`Request` is made per HTTP request by webmail/dav/blueprint.py after authentication and handed
to the method's handler. Collections are listed once per request through the user's organizer (rights
applied in storage) and matched by segment (webmail/dav/paths.py), so a folder the user may not look up
is simply not found -- the same 404 as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from storage.errors import NotFound
from storage.models import Account
from storage.pim.models import Collection
from storage.pim.organizer import Organizer
from webmail.dav import paths

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
        """The collection at ``segment`` of ``area``.

        Raises:
            NotFound: no collection there that the user may look up.
        """
        for seg, found in self.collections(area):
            if seg == segment:
                return found
        raise NotFound("no such collection")

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
