"""LIST and LSUB (RFC 3501 6.3.8-6.3.9) with wildcards, the hierarchy delimiter and references;
LIST-EXTENDED (RFC 5258), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC 5819)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.sidecars.imap.conftest import Raw, Reply, parse, plain


def listed(reply: Reply) -> dict[str, tuple[set[str], object, list[object]]]:
    """{name: (attributes upper-cased, delimiter, extended data)} of the LIST/LSUB lines of a reply."""
    out = {}
    for line in reply.named("LIST") + reply.named("LSUB"):
        values = parse(line)
        name = values[4]
        name = name.decode() if isinstance(name, bytes) else str(name)
        out[name] = ({str(a).upper() for a in values[2]}, values[3], values[5:])  # type: ignore[union-attr]
    return out


def upper(value: object) -> object:
    """Atoms and strings alike, upper-cased, for comparing extended data items."""
    if isinstance(value, list):
        return [upper(v) for v in value]
    return value.decode().upper() if isinstance(value, bytes) else str(value).upper()


def names(conn: Raw, command: str) -> set[str]:
    reply = conn.command(command)
    assert reply.ok, reply
    return set(listed(reply))


@pytest.fixture
def tree(client: Raw, folder: str) -> str:
    """folder/a, folder/a/b and folder/c under the test folder."""
    for sub in ("a", "a/b", "c"):
        assert client.command(f"CREATE {folder}/{sub}").ok
    return folder


def test_empty_pattern_returns_the_delimiter(client: Raw) -> None:
    reply = client.command('LIST "" ""')
    assert reply.named("LIST") == [b'* LIST (\\Noselect) "/" ""'], reply  # RFC 3501 6.3.8


def test_new_account_has_the_standard_folders(fresh_client: Raw) -> None:
    found = names(fresh_client, 'LIST "" "*"')
    assert {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"} <= found


def test_percent_stops_at_the_delimiter(client: Raw, tree: str) -> None:
    assert names(client, f'LIST "" "{tree}/%"') == {f"{tree}/a", f"{tree}/c"}


def test_star_matches_across_levels(client: Raw, tree: str) -> None:
    assert names(client, f'LIST "" "{tree}/*"') == {f"{tree}/a", f"{tree}/a/b", f"{tree}/c"}


def test_reference_is_prefixed(client: Raw, tree: str) -> None:
    assert names(client, f'LIST "{tree}/" "%"') == {f"{tree}/a", f"{tree}/c"}


def test_inbox_matches_case_insensitively(client: Raw) -> None:
    assert names(client, 'LIST "" "inbox"') == {"INBOX"}


def test_children_attributes(client: Raw, tree: str) -> None:
    found = listed(client.command(f'LIST "" "{tree}*" RETURN (CHILDREN)'))
    assert "\\HASCHILDREN" in found[tree][0] and "\\HASCHILDREN" in found[f"{tree}/a"][0]
    assert "\\HASNOCHILDREN" in found[f"{tree}/c"][0] and "\\HASNOCHILDREN" in found[f"{tree}/a/b"][0]
    assert all(attrs[1] == b"/" for attrs in found.values())


def test_special_use_attributes(client: Raw) -> None:
    found = listed(client.command('LIST "" "*" RETURN (SPECIAL-USE)'))
    for name, attr in (("Sent", "\\SENT"), ("Drafts", "\\DRAFTS"), ("Trash", "\\TRASH"), ("Junk", "\\JUNK"),
                       ("Archive", "\\ARCHIVE")):  # fmt: skip
        assert attr in found[name][0], (name, found[name])
    only = listed(client.command('LIST (SPECIAL-USE) "" "*"'))  # RFC 6154 3: selection option
    assert {"Sent", "Drafts", "Trash", "Junk", "Archive"} <= set(only) and "INBOX" not in only


def test_create_special_use(client: Raw, folder: str) -> None:
    name = f"{folder}/Important"
    reply = client.command(f"CREATE {name} (USE (\\Flagged))")  # RFC 6154 3
    if reply.ok:
        assert "\\FLAGGED" in listed(client.command(f'LIST "" {name} RETURN (SPECIAL-USE)'))[name][0]
    else:  # a server may support only some uses, but must say so with USEATTR
        assert reply.status == "NO" and b"[USEATTR]" in reply.tagged, reply
    reply = client.command(f"CREATE {folder}/Weird (USE (\\NotAUse))")
    assert reply.status == "NO" and b"[USEATTR]" in reply.tagged, reply


def unsubscribe_all(conn: Raw, tree: str) -> None:
    """Start from an empty subscription list for the tree, whatever CREATE did to it."""
    for name in (tree, f"{tree}/a", f"{tree}/a/b", f"{tree}/c"):
        conn.command(f"UNSUBSCRIBE {name}")


def test_subscribe_lsub_and_list_subscribed(client: Raw, tree: str) -> None:
    unsubscribe_all(client, tree)
    assert not listed(client.command(f'LSUB "" "{tree}/*"'))
    assert client.command(f"SUBSCRIBE {tree}/c").ok
    lsub = client.command(f'LSUB "" "{tree}/*"')
    assert set(listed(lsub)) == {f"{tree}/c"}
    sub = listed(client.command(f'LIST (SUBSCRIBED) "" "{tree}/*"'))  # RFC 5258 3.1
    assert set(sub) == {f"{tree}/c"} and "\\SUBSCRIBED" in sub[f"{tree}/c"][0]
    assert client.command(f"UNSUBSCRIBE {tree}/c").ok
    assert not listed(client.command(f'LSUB "" "{tree}/*"'))


def test_recursivematch_reports_childinfo(client: Raw, tree: str) -> None:
    unsubscribe_all(client, tree)
    assert client.command(f"SUBSCRIBE {tree}/a/b").ok
    found = listed(client.command(f'LIST (SUBSCRIBED RECURSIVEMATCH) "" "{tree}/%"'))
    # RFC 5258 3.5: folder/a is not subscribed but has a subscribed child
    assert set(found) == {f"{tree}/a"}
    attrs, _, extra = found[f"{tree}/a"]
    assert "\\SUBSCRIBED" not in attrs
    assert upper(extra) == [["CHILDINFO", ["SUBSCRIBED"]]]  # RFC 5258 3.5 / 9 (tags are astrings)


def test_multiple_patterns(client: Raw, tree: str) -> None:
    assert names(client, f'LIST "" ("INBOX" "{tree}/c")') == {"INBOX", f"{tree}/c"}  # RFC 5258 3


def test_list_status(client: Raw, tree: str) -> None:
    client.append(f"{tree}/c", plain("one"))
    client.append(f"{tree}/c", plain("two"), flags="\\Seen")
    reply = client.command(f'LIST "" "{tree}/c" RETURN (STATUS (MESSAGES UNSEEN))')
    assert reply.ok, reply
    statuses = reply.named("STATUS")
    assert len(statuses) == 1, reply
    values = parse(statuses[0])
    assert values[2] in (f"{tree}/c", f"{tree}/c".encode())
    assert dict(zip(values[3][::2], values[3][1::2], strict=True)) == {"MESSAGES": 2, "UNSEEN": 1}  # type: ignore[index]
    # RFC 5819 2: the STATUS follows its LIST
    assert reply.untagged.index(statuses[0]) > reply.untagged.index(reply.named("LIST")[0])


def test_names_with_spaces_and_international_characters(client: Raw, folder: str) -> None:
    spaced = f"{folder}/Folder with space"
    assert client.command(f'CREATE "{spaced}"').ok
    assert client.command(f"CREATE {folder}/&AMQ-rger").ok  # modified UTF-7 for "Ärger" (RFC 3501 5.1.3)
    found = names(client, f'LIST "" "{folder}/*"')
    assert found == {spaced, f"{folder}/&AMQ-rger"}
    (line,) = client.command(f'LIST "" "{spaced}"').named("LIST")
    assert line.endswith(f' "/" "{spaced}"'.encode()) or line.endswith(f"\r\n{spaced}".encode()), line


def test_invalid_modified_utf7_is_refused(client: Raw) -> None:
    assert client.command('CREATE "&Jjo"').status in ("BAD", "NO")
    assert client.command("NOOP").ok


def test_utf8_names_after_enable(client: Raw, connect: Callable[..., Raw], account: str, folder: str) -> None:
    """RFC 6855 3: with UTF8=ACCEPT enabled, UTF-8 quoted mailbox names MUST be accepted; a session that
    did not enable it still sees the name in modified UTF-7."""
    assert client.command("ENABLE UTF8=ACCEPT").ok
    assert client.command(f'CREATE "{folder}/Ärger2"'.encode()).ok
    plain_session = connect(account)
    assert names(plain_session, f'LIST "" "{folder}/*"') == {f"{folder}/&AMQ-rger2"}


def test_list_with_bad_syntax_is_bad(client: Raw) -> None:
    assert client.command("LIST").status == "BAD"
    assert client.command('LIST ""').status == "BAD"
    assert client.command('LIST (BOGUSOPTION) "" "*"').status == "BAD"


def test_lsub_percent_shows_an_unsubscribed_parent_as_noselect(client: Raw, tree: str) -> None:
    unsubscribe_all(client, tree)
    assert client.command(f"SUBSCRIBE {tree}/a/b").ok
    found = listed(client.command(f'LSUB "" "{tree}/%"'))
    # RFC 3501 6.3.9: "%" returns the unsubscribed parent, flagged \Noselect
    assert set(found) == {f"{tree}/a"} and "\\NOSELECT" in found[f"{tree}/a"][0]


def test_deleting_a_folder_keeps_its_subscription(client: Raw, tree: str) -> None:
    """RFC 3501 6.3.6: the server MUST NOT remove a name from the subscription list because the mailbox
    is gone; RFC 5258 3.1: LIST (SUBSCRIBED) then shows it as \\NonExistent."""
    unsubscribe_all(client, tree)
    assert client.command(f"SUBSCRIBE {tree}/c").ok
    assert client.command(f"DELETE {tree}/c").ok
    assert set(listed(client.command(f'LSUB "" "{tree}/*"'))) == {f"{tree}/c"}
    found = listed(client.command(f'LIST (SUBSCRIBED) "" "{tree}/*"'))
    assert set(found) == {f"{tree}/c"}
    assert {"\\SUBSCRIBED", "\\NONEXISTENT"} <= found[f"{tree}/c"][0]


def test_remote_selection_option_is_accepted(client: Raw, tree: str) -> None:
    assert names(client, f'LIST (REMOTE) "" "{tree}/%"') == {f"{tree}/a", f"{tree}/c"}  # RFC 5258 3.1


def test_recursivematch_alone_is_bad(client: Raw, tree: str) -> None:
    assert client.command(f'LIST (RECURSIVEMATCH) "" "{tree}/*"').status == "BAD"  # RFC 5258 3.1


def test_backtracking_pattern_is_answered_quickly_and_other_sessions_are_served(
    fresh_client: Raw, fresh_account: str, account: str, connect: Callable[..., Raw]
) -> None:
    """Issue 9.1: as a regular expression, this pattern against a name of 250 "a"s kept the imap process
    (every user's IMAP, IMAPS and ManageSieve) at 100% CPU for minutes. RFC 3501 6.3.8 wildcards are
    now matched in linear time; another user's NOOP is answered meanwhile."""
    assert fresh_client.command("CREATE " + "a" * 250).ok
    other = connect(account)
    started = time.monotonic()
    fresh_client.send(b'L1 LIST "" "*a*a*a*a*a*a*a*a*b"\r\n')
    fresh_client.send(b'L2 LSUB "" "%a%a%a%a%a%a%a%a%b"\r\n')
    assert other.command("NOOP").ok
    for tag in ("L1", "L2"):
        reply = fresh_client.until_tagged(tag)
        assert reply.ok and not reply.untagged, reply
    assert time.monotonic() - started < 5.0  # a hang guard: it takes milliseconds
    assert names(fresh_client, 'LIST "" "*a*a*a*a*a*a*a*a*"') == {"a" * 250}


def test_pattern_with_every_atom_char_is_ok_and_keeps_the_connection(client: Raw) -> None:
    """Issue 15.1: list-mailbox = 1*list-char, and "[" is an ATOM-CHAR (RFC 3501 9); this LIST dropped
    the connection."""
    reply = client.command('LIST "" !#$&\'+,-.0123456789:;<=>?@^_`|[}%*')
    assert reply.tagged.endswith(b" OK LIST completed") and not reply.untagged, reply
    assert client.command("NOOP").ok


def test_recursivematch_with_a_pattern_list_omits_a_parent_whose_child_is_returned(
    client: Raw, tree: str
) -> None:
    """Issue 15.8, RFC 5258 3.3 rule 2B and 3.5: the parent is listed with CHILDINFO only for a subscribed
    descendant the patterns do not return themselves."""
    unsubscribe_all(client, tree)
    assert client.command(f"SUBSCRIBE {tree}/a/b").ok
    found = listed(client.command(f'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("{tree}/a" "{tree}/a/*")'))
    assert set(found) == {f"{tree}/a/b"} and not found[f"{tree}/a/b"][2]
    found = listed(client.command(f'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("{tree}/a" "{tree}/c")'))
    assert set(found) == {f"{tree}/a"}
    assert upper(found[f"{tree}/a"][2]) == [["CHILDINFO", ["SUBSCRIBED"]]]
