"""CREATE, DELETE and RENAME (RFC 3501 6.3.3-6.3.5): hierarchy, the INBOX special cases, and refusals."""

from __future__ import annotations

from tests.sidecars.imap.conftest import Raw, fetches, plain


def exists(conn: Raw, name: str) -> bool:
    return bool(conn.command(f'LIST "" "{name}"').named("LIST"))


def test_create_makes_superiors(client: Raw, folder: str) -> None:
    assert client.command(f"CREATE {folder}/x/y").ok
    assert exists(client, f"{folder}/x") and exists(client, f"{folder}/x/y")


def test_create_with_trailing_delimiter(client: Raw, folder: str) -> None:
    assert client.command(f"CREATE {folder}/parent/").ok  # RFC 3501 6.3.3
    assert exists(client, f"{folder}/parent")


def test_create_existing_and_inbox_are_no(client: Raw, folder: str) -> None:
    assert client.command(f"CREATE {folder}").status == "NO"
    assert client.command("CREATE INBOX").status == "NO"
    assert client.command("CREATE inbox").status == "NO"


def test_delete(client: Raw, folder: str) -> None:
    assert client.command(f"DELETE {folder}").ok
    assert not exists(client, folder)
    assert client.command(f"DELETE {folder}").status == "NO"


def test_delete_inbox_is_no(client: Raw) -> None:
    assert client.command("DELETE INBOX").status == "NO"


def test_delete_parent_with_children(client: Raw, folder: str) -> None:
    assert client.command(f"CREATE {folder}/child").ok
    reply = client.command(f"DELETE {folder}")
    # RFC 3501 6.3.4: either refused, or the parent stays as \Noselect with its children
    if reply.ok:
        attrs = client.command(f'LIST "" "{folder}"').named("LIST")
        assert not attrs or b"\\Noselect" in attrs[0]
    else:
        assert reply.status == "NO"
    assert exists(client, f"{folder}/child")


def test_rename_keeps_messages_and_children(client: Raw, folder: str) -> None:
    client.append(folder, plain("moved along"))
    assert client.command(f"CREATE {folder}/kid").ok
    assert client.command(f"RENAME {folder} {folder}-new").ok
    assert not exists(client, folder)
    assert exists(client, f"{folder}-new/kid")
    client.select(f"{folder}-new")
    assert fetches(client.command("FETCH 1 BODY.PEEK[]"))[1]["BODY[]"] == plain("moved along")


def test_rename_to_existing_is_no(client: Raw, folder: str) -> None:
    assert client.command(f"CREATE {folder}-other").ok
    assert client.command(f"RENAME {folder} {folder}-other").status == "NO"


def test_rename_missing_is_no(client: Raw) -> None:
    assert client.command("RENAME NoSuchFolder Whatever").status == "NO"


def test_rename_inbox_moves_the_messages(fresh_client: Raw) -> None:
    conn = fresh_client
    conn.append("INBOX", plain("in inbox"))
    assert conn.command("RENAME INBOX OldInbox").ok  # RFC 3501 6.3.5: INBOX stays, empty
    assert b"MESSAGES 0" in conn.command("STATUS INBOX (MESSAGES)").named("STATUS")[0]
    assert b"MESSAGES 1" in conn.command("STATUS OldInbox (MESSAGES)").named("STATUS")[0]


def test_bad_names_are_refused(client: Raw) -> None:
    for name in ('""', '"a//b"', '"/leading"'):
        assert client.command(f"CREATE {name}").status in ("BAD", "NO"), name
    assert client.command("NOOP").ok


def test_rename_inbox_leaves_its_children_alone(fresh_client: Raw) -> None:
    conn = fresh_client
    assert conn.command("CREATE INBOX/child").ok
    assert conn.command("RENAME INBOX Moved").ok  # RFC 3501 6.3.5: inferiors of INBOX are unaffected
    assert exists(conn, "INBOX/child")
    assert not exists(conn, "Moved/child")
