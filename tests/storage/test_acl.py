"""The ACL engine: rights values, the deny-wins rule, implicit and default rights, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert

from storage import acl
from storage import schema as s
from storage.acl import ALL, CONTRIBUTOR, EDITOR, MASTER, VIEWER, AclEntry, Rights
from storage.db import Database
from storage.errors import InvalidInput, NotFound, PermissionDenied

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def add_domain(conn: Connection, name: str) -> int:
    return int(conn.execute(insert(s.domains).values(name=name, created_at=NOW)).inserted_primary_key[0])


def add_account(conn: Connection, domain_id: int, local: str) -> int:
    row = {"domain_id": domain_id, "local_part": local, "created_at": NOW}
    return int(conn.execute(insert(s.accounts).values(**row)).inserted_primary_key[0])


def add_group(
    conn: Connection, domain_id: int, local: str, *members: int, groups: tuple[int, ...] = ()
) -> int:
    gid = int(
        conn.execute(insert(s.groups).values(domain_id=domain_id, local_part=local)).inserted_primary_key[0]
    )
    for account_id in members:
        add_member(conn, gid, account_id=account_id)
    for member_group in groups:
        add_member(conn, gid, group_id=member_group)
    return gid


def add_member(
    conn: Connection, gid: int, *, account_id: int | None = None, group_id: int | None = None
) -> None:
    conn.execute(
        insert(s.group_members).values(group_id=gid, account_id=account_id, member_group_id=group_id)
    )


class Tree:
    """Creates folders of one namespace by path, parents first."""

    def __init__(self, conn: Connection, namespace: str, domain_id: int, account_id: int | None) -> None:
        self.conn, self.namespace, self.domain_id, self.account_id = conn, namespace, domain_id, account_id
        self.ids: dict[str, int] = {}
        self.add("")

    def add(self, path: str) -> int:
        parent = None if path == "" else self.ids[path.rpartition("/")[0]]
        row = {
            "namespace": self.namespace,
            "domain_id": self.domain_id,
            "account_id": self.account_id,
            "parent_id": parent,
            "path": path,
            "uidvalidity": 1,
            "created_at": NOW,
        }
        self.ids[path] = int(self.conn.execute(insert(s.folders).values(**row)).inserted_primary_key[0])
        return self.ids[path]

    def __getitem__(self, path: str) -> int:
        return self.ids[path]


class World:
    def __init__(self, conn: Connection) -> None:
        self.domain = add_domain(conn, "example.test")
        self.other_domain = add_domain(conn, "other.test")
        self.alice = add_account(conn, self.domain, "alice")
        self.bob = add_account(conn, self.domain, "bob")
        self.carol = add_account(conn, self.domain, "carol")
        self.dave = add_account(conn, self.domain, "dave")
        self.postmaster = add_account(conn, self.domain, "postmaster")
        self.foreign_pm = add_account(conn, self.other_domain, "postmaster")
        self.mbox = Tree(conn, f"a{self.alice}", self.domain, self.alice)
        for path in ("INBOX", "Projects", "Projects/2024", "Secret", "Secret/Sub"):
            self.mbox.add(path)
        self.public = Tree(conn, f"p{self.domain}", self.domain, None)
        for path in ("Sales", "Sales/Leads", "Board"):
            self.public.add(path)
        acl.default_entries_for_new_domain(conn, self.public[""], self.domain)


@pytest.fixture
def conn(db: Database) -> Iterator[Connection]:
    with db.write() as connection:
        yield connection


@pytest.fixture
def w(conn: Connection) -> World:
    return World(conn)


# -- pure values


def test_rights_parse_format_round_trip() -> None:
    assert str(Rights.parse("aelr")) == "lrea"
    assert str(Rights.parse("210alrswipkxte")) == "lrswipkxtea012"
    for text_ in ("", "l", "lrswipkxtea012", "rs", "a1"):
        assert str(Rights.parse(text_)) == text_
    assert Rights.parse("lr") == Rights.parse("rl")
    assert hash(Rights.parse("lr")) == hash(Rights.parse("rl"))


def test_rights_operators() -> None:
    lr = Rights.parse("lr")
    assert str(lr | "w") == "lrw"
    assert str(lr & "rw") == "r"
    assert str(ALL - "a012") == "lrswipkxte"
    assert "l" in lr and "lr" in lr and "w" not in lr and Rights.parse("r") in lr
    assert not Rights() and bool(lr) and len(lr) == 2
    assert list(Rights.parse("rl")) == ["l", "r"]


def test_rights_refuse_unknown_letters() -> None:
    with pytest.raises(InvalidInput):
        Rights.parse("lrz")
    with pytest.raises(ValueError):  # InvalidInput is a ValueError
        Rights.parse("L")
    with pytest.raises(InvalidInput):
        Rights(frozenset({"q"}))


def test_legacy_rights_map_to_rfc4314() -> None:
    assert str(Rights.parse("c")) == "kx"
    assert str(Rights.parse("d")) == "te"
    assert str(Rights.parse("lrcd")) == "lrkxte"
    assert str(acl.apply_modification(Rights.parse("lr"), "+wc")) == "lrwkx"
    assert str(acl.apply_modification(Rights.parse("lrte"), "-d")) == "lr"
    assert str(acl.apply_modification(Rights.parse("lrte"), "ip")) == "ip"


def test_roles_nest() -> None:
    assert str(VIEWER) == "lrs"
    assert str(CONTRIBUTOR) == "lrsip"
    assert str(EDITOR) == "lrswipkte"
    assert str(MASTER) == "lrswipkxtea"
    assert VIEWER in CONTRIBUTOR and CONTRIBUTOR in EDITOR and EDITOR in MASTER and MASTER in ALL
    assert acl.role_of(Rights.parse("slr")) == "viewer" and acl.role_of(Rights.parse("lw")) is None


def test_effective_rights_pure_rule() -> None:
    me = {("user", 1), ("group", 7)}
    root = [AclEntry(10, ("group", 7), Rights.parse("lrsw"))]
    here = [AclEntry(11, ("user", 1), Rights.parse("w"), allow=False)]
    assert str(acl.effective_rights([here, root], me)) == "lrs"
    not_inherited = [AclEntry(10, ("group", 7), Rights.parse("lrsw"), inherit=False)]
    assert str(acl.effective_rights([[], not_inherited], me)) == ""
    assert str(acl.effective_rights([not_inherited], me)) == "lrsw"  # own entries always count
    assert str(acl.effective_rights([here, root], {("user", 2)})) == ""
    assert acl.effective_rights([here, root], me, implicit=ALL) == ALL


# -- scenarios from the manual, against the database


def test_whole_mailbox_shared_except_secret(conn: Connection, w: World) -> None:
    acl.grant(conn, w.mbox[""], ("user", w.bob), MASTER)
    acl.grant(conn, w.mbox["Secret"], ("user", w.bob), ALL, allow=False)
    for path in ("", "INBOX", "Projects", "Projects/2024"):
        assert acl.rights_for(conn, w.bob, w.mbox[path]) == MASTER, path
    for path in ("Secret", "Secret/Sub"):
        assert acl.rights_for(conn, w.bob, w.mbox[path]) == Rights(), path
        with pytest.raises(NotFound, match="^no such mailbox$"):  # without "l" it does not exist for him
            acl.require(conn, w.bob, w.mbox[path], "r")
    acl.require(conn, w.bob, w.mbox["Projects/2024"], "lr")
    assert acl.rights_for(conn, w.carol, w.mbox["INBOX"]) == Rights()


def test_group_grant_follows_membership(conn: Connection, w: World) -> None:
    team_leads = add_group(conn, w.domain, "leads")
    sales = add_group(conn, w.domain, "sales", w.bob, groups=(team_leads,))
    acl.grant(conn, w.public["Sales"], ("group", sales), EDITOR)
    leads_folder = w.public["Sales/Leads"]
    assert acl.rights_for(conn, w.bob, leads_folder) == EDITOR
    assert acl.rights_for(conn, w.carol, leads_folder) == Rights.parse("l")  # domain default only
    add_member(conn, sales, account_id=w.carol)  # joins after the grant
    assert acl.rights_for(conn, w.carol, leads_folder) == EDITOR
    add_member(conn, team_leads, account_id=w.dave)  # member of a nested group
    assert ("group", sales) in acl.principals_of(conn, w.dave)
    assert acl.rights_for(conn, w.dave, leads_folder) == EDITOR
    acl.grant(conn, w.public["Sales"], ("user", w.dave), "xa")  # extra rights for the team leader
    assert acl.rights_for(conn, w.dave, leads_folder) == MASTER
    acl.grant(conn, w.public["Sales"], ("user", w.carol), "te", allow=False)
    assert acl.rights_for(conn, w.carol, leads_folder) == EDITOR - "te"
    assert acl.rights_for(conn, w.bob, leads_folder) == EDITOR


def test_group_cycle_terminates(conn: Connection, w: World) -> None:
    g1 = add_group(conn, w.domain, "g1", w.bob)
    g2 = add_group(conn, w.domain, "g2", groups=(g1,))
    add_member(conn, g1, group_id=g2)
    principals = acl.principals_of(conn, w.bob)
    assert {("group", g1), ("group", g2), ("user", w.bob), ("domain", w.domain), ("anyone", 0)} == principals


def test_postmaster_implicit_rights(conn: Connection, w: World) -> None:
    acl.grant(conn, w.public[""], ("user", w.postmaster), ALL, allow=False)
    acl.grant(conn, w.mbox[""], ("domain", w.domain), ALL, allow=False)
    for path in ("", "Sales", "Board"):
        assert acl.rights_for(conn, w.postmaster, w.public[path]) == ALL
    for path in ("", "INBOX", "Secret/Sub"):
        assert acl.rights_for(conn, w.postmaster, w.mbox[path]) == Rights.parse("la")
    with pytest.raises(PermissionDenied):
        acl.require(conn, w.postmaster, w.mbox["INBOX"], "r")
    # another domain's postmaster is an ordinary outsider here
    assert acl.rights_for(conn, w.foreign_pm, w.mbox["INBOX"]) == Rights()
    assert acl.rights_for(conn, w.foreign_pm, w.public["Sales"]) == Rights()


def test_owner_keeps_everything(conn: Connection, w: World) -> None:
    acl.grant(conn, w.mbox[""], ("user", w.alice), ALL, allow=False)
    acl.grant(conn, w.mbox["INBOX"], ("anyone", 0), ALL, allow=False)
    for path in w.mbox.ids:
        assert acl.rights_for(conn, w.alice, w.mbox[path]) == ALL


def test_non_inherited_entry_stays_on_its_folder(conn: Connection, w: World) -> None:
    acl.grant(conn, w.mbox["Projects"], ("user", w.bob), VIEWER, inherit=False)
    assert acl.rights_for(conn, w.bob, w.mbox["Projects"]) == VIEWER
    assert acl.rights_for(conn, w.bob, w.mbox["Projects/2024"]) == Rights()
    acl.grant(conn, w.mbox[""], ("user", w.bob), "l")
    acl.grant(conn, w.mbox["Projects"], ("user", w.bob), "l", allow=False, inherit=False)
    assert acl.rights_for(conn, w.bob, w.mbox["Projects"]) == Rights.parse("rs")  # own deny of "l"
    assert acl.rights_for(conn, w.bob, w.mbox["Projects/2024"]) == Rights.parse("l")  # deny not inherited


def test_visible_folder_ids_agrees_with_rights_for(conn: Connection, w: World) -> None:
    sales = add_group(conn, w.domain, "sales", w.carol)
    acl.grant(conn, w.mbox[""], ("user", w.bob), VIEWER)
    acl.grant(conn, w.mbox["Secret"], ("user", w.bob), "l", allow=False)
    acl.grant(conn, w.mbox["Projects"], ("group", sales), "lr", inherit=False)
    acl.grant(conn, w.public["Board"], ("domain", w.domain), "l", allow=False)
    acl.grant(conn, w.public["Board"], ("anyone", 0), "lr")
    for who in (w.alice, w.bob, w.carol, w.dave, w.postmaster, w.foreign_pm):
        for tree in (w.mbox, w.public):
            visible = acl.visible_folder_ids(conn, who, tree.namespace)
            expected = {fid for fid in tree.ids.values() if "l" in acl.rights_for(conn, who, fid)}
            assert visible == expected, (who, tree.namespace)
            bulk = acl.rights_in_namespace(conn, who, tree.namespace)
            assert bulk == {fid: acl.rights_for(conn, who, fid) for fid in tree.ids.values()}
    bob_sees = acl.visible_folder_ids(conn, w.bob, w.mbox.namespace)
    assert bob_sees == {w.mbox[p] for p in ("", "INBOX", "Projects", "Projects/2024")}
    assert acl.visible_folder_ids(conn, w.carol, w.mbox.namespace) == {w.mbox["Projects"]}
    assert w.public["Board"] not in acl.visible_folder_ids(conn, w.dave, w.public.namespace)


def test_grant_upserts_lists_and_revokes(conn: Connection, w: World) -> None:
    folder = w.mbox["INBOX"]
    acl.grant(conn, folder, ("user", w.bob), "lr")
    acl.grant(conn, folder, ("user", w.bob), "lrsw", inherit=False)
    acl.grant(conn, folder, ("user", w.bob), "w", allow=False)
    assert acl.list_entries(conn, folder) == [
        AclEntry(folder, ("user", w.bob), Rights.parse("lrsw"), allow=True, inherit=False),
        AclEntry(folder, ("user", w.bob), Rights.parse("w"), allow=False, inherit=True),
    ]
    assert acl.rights_for(conn, w.bob, folder) == Rights.parse("lrs")
    assert acl.revoke(conn, folder, ("user", w.bob), allow=False) is True
    assert acl.revoke(conn, folder, ("user", w.bob), allow=False) is False
    acl.grant(conn, folder, ("user", w.bob), "")  # empty rights delete
    assert acl.list_entries(conn, folder) == []


def test_grant_validates(conn: Connection, w: World) -> None:
    with pytest.raises(InvalidInput):
        acl.grant(conn, w.mbox["INBOX"], ("robot", 1), "l")
    with pytest.raises(InvalidInput):
        acl.grant(conn, w.mbox["INBOX"], ("anyone", 3), "l")
    with pytest.raises(NotFound):
        acl.grant(conn, w.mbox["INBOX"], ("user", 99999), "l")
    with pytest.raises(NotFound):
        acl.grant(conn, 99999, ("user", w.bob), "l")
    with pytest.raises(InvalidInput):
        acl.grant(conn, w.mbox["INBOX"], ("user", w.bob), "lrq")
    with pytest.raises(NotFound):
        acl.rights_for(conn, w.bob, 99999)


def test_default_entries(conn: Connection, w: World) -> None:
    assert acl.list_entries(conn, w.public[""]) == [
        AclEntry(w.public[""], ("domain", w.domain), Rights.parse("l"))
    ]
    assert acl.rights_for(conn, w.dave, w.public["Sales/Leads"]) == Rights.parse("l")
    assert acl.rights_for(conn, w.foreign_pm, w.public["Sales/Leads"]) == Rights()
    new_public = w.public.add("Sales/Team")
    acl.default_entries_for_new_folder(conn, new_public, w.bob, None)
    assert acl.rights_for(conn, w.bob, w.public["Sales/Team"]) == MASTER
    in_alices = w.mbox.add("Projects/FromBob")
    acl.default_entries_for_new_folder(conn, in_alices, w.bob, w.alice)
    assert [e.principal for e in acl.list_entries(conn, in_alices)] == [("user", w.bob)]
    own = w.mbox.add("Projects/Mine")
    acl.default_entries_for_new_folder(conn, own, w.alice, w.alice)
    by_admin = w.public.add("Board/Rooms")
    acl.default_entries_for_new_folder(conn, by_admin, None, None)
    assert acl.list_entries(conn, own) == [] and acl.list_entries(conn, by_admin) == []


def test_mailbox_level_rights(conn: Connection, w: World) -> None:
    acl.grant(conn, w.mbox[""], ("user", w.bob), "1", inherit=False)
    assert acl.rights_on_mailbox(conn, w.bob, w.alice) == acl.READ_FREEBUSY
    assert acl.SEND_AS not in acl.rights_on_mailbox(conn, w.bob, w.alice)
    acl.grant(conn, w.mbox[""], ("user", w.bob), "01", inherit=False)
    assert acl.SEND_AS in acl.rights_on_mailbox(conn, w.bob, w.alice)
    assert acl.rights_on_mailbox(conn, w.alice, w.alice) == ALL
    with pytest.raises(NotFound):
        acl.rights_on_mailbox(conn, w.alice, w.bob)  # bob has no mailbox root in this world


def test_rights_for_refuses_unknown_accounts_and_folders(conn: Connection, w: World) -> None:
    """The short cuts of rights_for (owner, no entries on the chain) still name what is missing."""
    with pytest.raises(NotFound):
        acl.rights_for(conn, 999_999, w.mbox["INBOX"])  # no entries on the chain
    acl.grant(conn, w.mbox[""], ("anyone", 0), "l")
    with pytest.raises(NotFound):
        acl.rights_for(conn, 999_999, w.mbox["INBOX"])  # entries on the chain
    with pytest.raises(NotFound):
        acl.rights_for(conn, w.alice, 999_999)
    assert acl.rights_for(conn, w.bob, w.mbox["INBOX"]) == Rights.parse("l")
    assert acl.rights_for(conn, w.bob, w.public["Sales"]) == Rights.parse("l")  # the domain default
