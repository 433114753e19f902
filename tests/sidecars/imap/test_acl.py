"""ACL and RIGHTS (RFC 4314) backed by the storage ACL engine, and other users' folders in the Other
Users namespace (RFC 2342): no 'l' = invisible, no 'r' = no SELECT, no 's' = \\Seen not kept,
no 'w'/'i'/'x'/'a' = the matching commands refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sidecars.imap.conftest import DOMAIN, ImapService, Raw, fetches, parse, plain

OWNER_RIGHTS = set("lrswipkxtea")


def rights_of(value: object) -> set[str]:
    text = value.decode() if isinstance(value, bytes) else str(value)
    return set(text)


def acl(conn: Raw, mailbox: str) -> dict[str, set[str]]:
    reply = conn.command(f"GETACL {mailbox}")
    assert reply.ok, reply
    (line,) = reply.named("ACL")
    values = parse(line)[3:]
    return {
        (v.decode() if isinstance(v, bytes) else str(v)): rights_of(r)
        for v, r in zip(values[::2], values[1::2], strict=True)
    }


def shared_name(guest: Raw, folder: str) -> str | None:
    """The name the guest's LIST gives the owner's folder, or None if it is not listed."""
    reply = guest.command('LIST "" "*"')
    assert reply.ok
    for line in reply.named("LIST"):
        name = parse(line)[4]
        name = name.decode() if isinstance(name, bytes) else str(name)
        if name.endswith("/" + folder):
            return name
    return None


def other_prefix(conn: Raw) -> str:
    (line,) = conn.command("NAMESPACE").named("NAMESPACE")
    return parse(line)[3][0][0].decode()  # type: ignore[index, union-attr]


@pytest.fixture
def shared(client: Raw, folder: str, guest_account: str, connect: Callable[..., Raw]) -> tuple[Raw, Raw, str]:
    """(owner session, guest session, folder) with one unseen message in the owner's folder."""
    client.append(folder, plain("shared message"))
    guest = connect(guest_account)
    guest.address = guest_account  # type: ignore[attr-defined]
    return client, guest, folder


def grant(owner: Raw, folder: str, guest: Raw, rights: str) -> None:
    assert owner.command(f'SETACL {folder} "{guest.address}" {rights}').ok  # type: ignore[attr-defined]


def test_owner_has_every_right(client: Raw, folder: str) -> None:
    reply = client.command(f"MYRIGHTS {folder}")
    (line,) = reply.named("MYRIGHTS")
    values = parse(line)
    assert values[2] == folder or values[2] == folder.encode()
    assert rights_of(values[3]) >= OWNER_RIGHTS


def test_setacl_getacl_deleteacl(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "lr")
    assert acl(owner, folder)[guest.address] == {"l", "r"}  # type: ignore[attr-defined]
    grant(owner, folder, guest, "+w")  # RFC 4314 3.1: + adds
    assert acl(owner, folder)[guest.address] == {"l", "r", "w"}  # type: ignore[attr-defined]
    grant(owner, folder, guest, "-r")
    assert acl(owner, folder)[guest.address] == {"l", "w"}  # type: ignore[attr-defined]
    assert owner.command(f'DELETEACL {folder} "{guest.address}"').ok  # type: ignore[attr-defined]
    assert guest.address not in acl(owner, folder)  # type: ignore[attr-defined]


def test_listrights(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    reply = owner.command(f'LISTRIGHTS {folder} "{guest.address}"')  # type: ignore[attr-defined]
    assert reply.ok, reply
    (line,) = reply.named("LISTRIGHTS")
    values = parse(line)
    granted = set().union(*(rights_of(v) for v in values[4:]))
    assert granted >= OWNER_RIGHTS - {"l"} or granted >= OWNER_RIGHTS  # RFC 4314 3.7


def test_invalid_rights_are_bad(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    assert owner.command(f'SETACL {folder} "{guest.address}" lr!').status == "BAD"  # type: ignore[attr-defined]


def test_without_lookup_the_folder_is_invisible(shared: tuple[Raw, Raw, str], account: str) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "r")
    assert shared_name(guest, folder) is None
    prefix = other_prefix(guest)
    for candidate in (f"{prefix}{account}/{folder}", f"{prefix}{account.split('@')[0]}/{folder}"):
        assert guest.command(f'LIST "" "{candidate}"').named("LIST") == []


def test_lookup_and_read_show_it_under_other_users(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    assert shared_name(guest, folder) is None
    grant(owner, folder, guest, "lr")
    name = shared_name(guest, folder)
    assert name is not None and name.startswith(other_prefix(guest))
    guest.select(f'"{name}"')
    body = fetches(guest.command("FETCH 1 BODY.PEEK[]"))[1]["BODY[]"]
    assert body == plain("shared message")
    (line,) = guest.command(f'MYRIGHTS "{name}"').named("MYRIGHTS")
    assert rights_of(parse(line)[3]) == {"l", "r"}


def test_lookup_without_read_cannot_select(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "l")
    name = shared_name(guest, folder)
    assert name is not None
    assert guest.command(f'SELECT "{name}"').status == "NO"


def test_seen_without_s_is_not_kept(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "lr")
    name = shared_name(guest, folder)
    guest.select(f'"{name}"')
    guest.command("FETCH 1 BODY[]")  # would set \Seen with the 's' right
    guest.command("STORE 1 +FLAGS (\\Seen)")
    guest.command(f'SELECT "{name}"')
    assert "\\Seen" not in fetches(guest.command("FETCH 1 FLAGS"))[1]["FLAGS"]  # type: ignore[operator]
    owner.command(f"EXAMINE {folder}")
    assert "\\Seen" not in fetches(owner.command("FETCH 1 FLAGS"))[1]["FLAGS"]  # type: ignore[operator]


def test_seen_with_s_is_shared(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "lrs")
    name = shared_name(guest, folder)
    guest.select(f'"{name}"')
    assert guest.command("STORE 1 +FLAGS (\\Seen)").ok
    owner.command(f"EXAMINE {folder}")
    assert "\\Seen" in fetches(owner.command("FETCH 1 FLAGS"))[1]["FLAGS"]  # type: ignore[operator]


def test_missing_rights_refuse_the_commands(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "lrs")
    name = shared_name(guest, folder)
    guest.select(f'"{name}"')
    guest.command("STORE 1 +FLAGS (\\Flagged)")  # needs 'w': refused or ignored, never kept
    owner.command(f"EXAMINE {folder}")
    assert "\\Flagged" not in fetches(owner.command("FETCH 1 FLAGS"))[1]["FLAGS"]  # type: ignore[operator]
    assert guest.literal_command(f'APPEND "{name}"', plain("intruder")).status == "NO"  # needs 'i'
    assert guest.command(f'DELETE "{name}"').status == "NO"  # needs 'x'
    assert guest.command(f'SETACL "{name}" "{guest.address}" lrswipkxtea').status == "NO"  # type: ignore[attr-defined]
    assert guest.command(f'GETACL "{name}"').status == "NO"  # needs 'a'
    assert b"MESSAGES 1" in owner.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_insert_right_allows_append_and_copy(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "lri")
    name = shared_name(guest, folder)
    reply = guest.literal_command(f'APPEND "{name}"', plain("from the guest"))
    assert reply.ok, reply
    assert b"MESSAGES 2" in owner.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_revoked_rights_hide_the_folder_again(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "lr")
    assert shared_name(guest, folder) is not None
    assert owner.command(f'DELETEACL {folder} "{guest.address}"').ok  # type: ignore[attr-defined]
    assert shared_name(guest, folder) is None


def test_owner_level_appears_under_other_users(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    grant(owner, folder, guest, "lr")
    name = shared_name(guest, folder)
    assert name is not None
    prefix = other_prefix(guest)
    reply = guest.command(f'LIST "" "{prefix}%"')  # RFC 3501 6.3.8: "%" also returns hierarchy levels
    levels = []
    for line in reply.named("LIST"):
        value = parse(line)[4]
        levels.append(value.decode() if isinstance(value, bytes) else str(value))
    assert any(name.startswith(level + "/") for level in levels), (levels, name)


def shared_prefix(conn: Raw) -> str:
    (line,) = conn.command("NAMESPACE").named("NAMESPACE")
    return parse(line)[4][0][0].decode()  # type: ignore[index, union-attr]


def test_public_folder_under_the_shared_namespace(
    imap_service: ImapService, client: Raw, folder: str, account: str
) -> None:
    """A domain public folder: visible to every user of the domain (the public root grants 'l'), readable
    only with 'r' (RFC 2342 5 "shared" namespace, RFC 4314 4)."""
    public = f"PF{folder}"
    imap_service.store.folders.create(f"@{DOMAIN}", public)
    name = shared_prefix(client) + public
    assert name in {parse(line)[4].decode() if isinstance(parse(line)[4], bytes) else str(parse(line)[4])  # type: ignore[union-attr]
                    for line in client.command(f'LIST "" "{shared_prefix(client)}*"').named("LIST")}  # fmt: skip
    assert client.command(f'SELECT "{name}"').status == "NO"
    imap_service.store.acl.grant(f"@{DOMAIN}", public, account, "lr")
    assert client.command(f'SELECT "{name}"').ok


def test_anyone_identifier(shared: tuple[Raw, Raw, str]) -> None:
    owner, guest, folder = shared
    assert owner.command(f"SETACL {folder} anyone lr").ok  # RFC 4314 2: "anyone" matches every user
    assert shared_name(guest, folder) is not None
    assert "anyone" in acl(owner, folder)
