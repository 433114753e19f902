"""Remote mailboxes of an account on the console: list, add, fetch now, remove; bad input; a delegated
administrator without the "accounts" permission, and another tenant's account."""

from __future__ import annotations

from storage.remote_accounts import RemoteSpec
from storage.store import Store
from tests.sidecars.cli.conftest import ALICE, Client, MakeClient, table

PROMPT = "<domain-account#> "
ADD = "ADD REMOTEMAILBOX protocol imap host imap.far.test user al password remote-pw1"


def enter_alice(client: Client) -> None:
    assert client.cmd("UPDATE DOMAIN name example.test").startswith("+OK")
    assert client.cmd("UPDATE ACCOUNT name alice").endswith(PROMPT)


def due_ids(store: Store) -> list[int]:
    return [d.remote.id for d in store.remote_accounts.due()]


def test_add_list_fetch_remove(store: Store, admin: Client) -> None:
    enter_alice(admin)
    assert admin.cmd("LIST REMOTEMAILBOXES").endswith(f"+OK: 0 remote mailbox(es) of {ALICE}\r\n" + PROMPT)
    reply = admin.cmd(ADD)
    assert reply.startswith("+OK: remote mailbox ") and reply.endswith(
        ": al@imap.far.test (IMAP), first fetch due now\r\n" + PROMPT
    )
    first = int(reply.split()[3].rstrip(":"))
    reply = admin.cmd(
        "add remotemailbox protocol POP3 host pop.far.test user x@far.test password p2 port 1995"
        " security starttls every 30 delete yes"
    )
    assert reply.startswith("+OK: remote mailbox ")
    second = int(reply.split()[3].rstrip(":"))
    rows = table(admin.cmd("LIST REMOTEMAILBOXES"))
    assert rows == [
        [str(first), "imap", "imap.far.test:993", "implicit", "al", "INBOX", "10", "keep", "on", "never"],
        [str(second), "pop3", "pop.far.test:1995", "starttls", "x@far.test", "INBOX", "30", "delete", "on", "never"],
    ]  # fmt: skip
    remotes = store.remote_accounts
    assert sorted(due_ids(store)) == [first, second]
    fetch = next(d for d in remotes.due() if d.remote.id == first)
    assert fetch.password == "remote-pw1" and fetch.address == ALICE
    assert remotes.claim(fetch.remote)  # the fetcher ran it: not due for 10 minutes
    assert due_ids(store) == [second]
    assert admin.cmd(f"FETCH REMOTEMAILBOX id {first}") == (
        f"+OK: remote mailbox {first} of {ALICE} is due now\r\n" + PROMPT
    )
    assert sorted(due_ids(store)) == [first, second]
    assert admin.cmd(f"REMOVE REMOTEMAILBOX id {second}") == (
        f"+OK: remote mailbox {second} of {ALICE} removed; the mail fetched from it stays\r\n" + PROMPT
    )
    assert [r[0] for r in table(admin.cmd("LIST REMOTEMAILBOXES"))] == [str(first)]
    assert due_ids(store) == [first]


def test_bad_input(store: Store, admin: Client) -> None:
    enter_alice(admin)
    refusals = {
        "ADD REMOTEMAILBOX protocol imap host h.test user u": "missing parameter password",
        f"{ADD} protocol pop3": "parameter protocol given twice",
        f"{ADD} port many": "port is a number, not 'many'",
        f"{ADD} every -5": "every is a number, not '-5'",
        f"{ADD} delete perhaps": "expected yes or no, not 'perhaps'",
        "ADD REMOTEMAILBOX protocol smtp host h.test user u password p": "protocol must be one of pop3, imap",
        f"{ADD} security tls": "security must be one of implicit, starttls, none",
        "ADD REMOTEMAILBOX protocol imap host bad_host! user u password p": "server: not a host name",
        f"{ADD} port 70000": "port must be 1-65535",
        f"{ADD} folder Nowhere": "folder 'Nowhere' does not exist",
        f"{ADD} every 1": "interval must be 5 minutes to 7 days",
        f"{ADD} security none": "remote mailboxes without TLS are not allowed here",
        "REMOVE REMOTEMAILBOX id 999": "no such remote mailbox",
        "FETCH REMOTEMAILBOX id 999": "no such remote mailbox",
        "FETCH REMOTEMAILBOX id x": "id is a number, not 'x'",
        "REMOVE REMOTEMAILBOX": "missing parameter id",
    }
    for line, words in refusals.items():
        reply = admin.cmd(line)
        assert reply.startswith("-ERR: ") and words in reply, (line, reply)
        assert reply.endswith(PROMPT)
    assert table(admin.cmd("LIST REMOTEMAILBOXES")) == []
    admin.cmd("BACK")
    assert admin.cmd("LIST REMOTEMAILBOXES").startswith("-ERR: LIST REMOTEMAILBOXES is not available here")


def test_limit_per_account(store: Store, admin: Client) -> None:
    store.for_admin("admin").set_setting("rpop.max_accounts", "1", account=ALICE)
    enter_alice(admin)
    assert admin.cmd(ADD).startswith("+OK")
    assert admin.cmd(ADD) == "-ERR: at most 1 remote mailboxes per account\r\n" + PROMPT


def test_remote_mailbox_of_another_account_is_not_found(store: Store, admin: Client) -> None:
    bob = store.for_admin("admin").remote_accounts
    theirs = bob.add("bob@example.test", RemoteSpec("imap", "imap.far.test", "bob", "pw")).id
    enter_alice(admin)
    assert admin.cmd(f"REMOVE REMOTEMAILBOX id {theirs}") == "-ERR: no such remote mailbox\r\n" + PROMPT
    assert [r.id for r in bob.list("bob@example.test")] == [theirs]


def test_delegated_administrator(store: Store, make_client: MakeClient) -> None:
    server = store.for_admin("admin")
    server.admins.add("reader", "readerpass1")
    server.admins.grant("example.test", admin="reader", rights="none")
    kept = server.remote_accounts.add(ALICE, RemoteSpec("imap", "imap.far.test", "al", "pw")).id
    reader = make_client()
    assert reader.login("reader", "readerpass1").endswith("+OK: logged in as reader\r\n<#> ")
    enter_alice(reader)
    assert [r[0] for r in table(reader.cmd("LIST REMOTEMAILBOXES"))] == [str(kept)]  # reading is allowed
    for line in (ADD, f"REMOVE REMOTEMAILBOX id {kept}", f"FETCH REMOTEMAILBOX id {kept}"):
        reply = reader.cmd(line)
        assert reply.startswith("-ERR: ") and "accounts" in reply, (line, reply)
    assert [r.id for r in server.remote_accounts.list(ALICE)] == [kept]
    reader.cmd("BACK")
    assert reader.cmd("UPDATE ACCOUNT name olga@other.test").startswith("-ERR: ")
