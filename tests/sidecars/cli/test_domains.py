"""Domains on the console: LIST, CREATE ... COMMIT (and BACK abandoning), UPDATE, RENAME, REMOVE, aliases."""

from __future__ import annotations

from storage.store import Store
from tests.sidecars.cli.conftest import Client, table


def test_list_domains_is_an_aligned_table(admin: Client) -> None:
    reply = admin.cmd("LIST DOMAINS")
    lines = reply.split("\r\n")
    assert lines[0].split() == ["name", "status", "accounts", "aliases"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].index("enabled") == lines[0].index("status")  # columns line up
    assert table(reply) == [["example.test", "enabled", "3"], ["other.test", "enabled", "2"]]
    assert reply.endswith("+OK: 2 domain(s)\r\n<#> ")


def test_create_domain_waits_for_commit(store: Store, admin: Client) -> None:
    reply = admin.cmd("CREATE DOMAIN name New.Test domainLocation /var/mail/new postmasterPassword pmpass123")
    assert reply.startswith("+OK: domain new.test will be created by COMMIT; BACK abandons it")
    assert reply.endswith("<domain#> ")
    assert "new.test" not in [d.name for d in store.domains.list()]
    assert admin.cmd("SET quota.messages 500").startswith("+OK: quota.messages = 500 (applied at COMMIT)")
    assert admin.cmd("COMMIT") == "+OK: domain new.test created\r\n<#> "
    assert store.settings.get("quota.messages", domain="new.test") == 500
    assert store.admins is not None and store.auth.verify("postmaster@new.test", "pmpass123")
    assert ["new.test", "enabled", "1"] in table(admin.cmd("LIST DOMAINS"))


def test_back_abandons_a_domain_not_committed(store: Store, admin: Client) -> None:
    admin.cmd("CREATE DOMAIN name gone.test postmasterPassword pmpass123")
    assert admin.cmd("BACK") == "+OK: domain gone.test abandoned (it was not created)\r\n<#> "
    assert "gone.test" not in [d.name for d in store.domains.list()]


def test_create_refuses_an_existing_domain_and_bad_names(admin: Client) -> None:
    assert admin.cmd("CREATE DOMAIN name example.test") == "-ERR: domain example.test already exists\r\n<#> "
    assert admin.cmd("CREATE DOMAIN name bad..name").startswith("-ERR: ")
    assert admin.cmd("CREATE DOMAIN").startswith("-ERR: CREATE DOMAIN: missing parameter name")
    assert admin.cmd("CREATE DOMAIN name a.test colour blue").startswith(
        "-ERR: CREATE DOMAIN: unknown parameter 'colour' (parameters: name, domainLocation, postmasterPassword)"
    )
    assert admin.cmd("CREATE DOMAIN name a.test name b.test").startswith(
        "-ERR: CREATE DOMAIN: parameter name given twice"
    )
    assert admin.cmd("CREATE DOMAIN name").startswith("-ERR: CREATE DOMAIN: parameter 'name' has no value")


def test_commit_reports_a_short_postmaster_password(store: Store, admin: Client) -> None:
    admin.cmd("CREATE DOMAIN name short.test postmasterPassword abc")
    reply = admin.cmd("COMMIT")
    assert reply.startswith("-ERR: ") and "8" in reply and reply.endswith("<domain#> ")
    assert (
        admin.cmd("SET postmasterPassword longenough1")
        == "+OK: postmaster password kept for COMMIT\r\n<domain#> "
    )
    assert admin.cmd("COMMIT") == "+OK: domain short.test created\r\n<#> "


def test_update_domain_enters_it_and_back_leaves(admin: Client) -> None:
    assert admin.cmd("UPDATE DOMAIN name EXAMPLE.test") == "+OK: in domain example.test\r\n<domain#> "
    shown = admin.cmd("SHOW")
    assert "domain    example.test" in shown and "accounts  3" in shown
    assert admin.cmd("BACK") == "+OK: left domain example.test\r\n<#> "
    assert admin.cmd("BACK") == "-ERR: BACK: already at the top context\r\n<#> "
    assert admin.cmd("UPDATE DOMAIN name nowhere.test") == "-ERR: domain nowhere.test does not exist\r\n<#> "


def test_disable_and_enable_a_domain(store: Store, admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name other.test")
    assert admin.cmd("SET enabled no") == "+OK: domain disabled\r\n<domain#> "
    assert not store.domains.get("other.test").enabled
    assert admin.cmd("SET enabled maybe") == "-ERR: expected yes or no, not 'maybe'\r\n<domain#> "
    assert admin.cmd("SET enabled yes") == "+OK: domain enabled\r\n<domain#> "


def test_rename_and_remove_domain(store: Store, admin: Client) -> None:
    assert admin.cmd("RENAME DOMAIN name other.test newName renamed.test") == (
        "+OK: domain other.test renamed to renamed.test\r\n<#> "
    )
    assert store.accounts.get("olga@renamed.test").address == "olga@renamed.test"
    assert admin.cmd("REMOVE DOMAIN name renamed.test") == (
        "+OK: domain renamed.test and everything in it removed\r\n<#> "
    )
    assert [d.name for d in store.domains.list()] == ["example.test"]
    assert admin.cmd("REMOVE DOMAIN name renamed.test") == "-ERR: domain renamed.test does not exist\r\n<#> "


def test_a_domain_cannot_be_removed_from_inside(admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name other.test")
    assert admin.cmd("REMOVE DOMAIN name other.test").startswith("-ERR: REMOVE DOMAIN is not available here")


def test_domain_aliases(store: Store, admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    assert (
        admin.cmd("ADD ALIAS name example.org")
        == "+OK: example.org is now an alias of example.test\r\n<domain#> "
    )
    assert table(admin.cmd("LIST ALIASES")) == [["example.org"]]
    assert store.domains.get("example.org").name == "example.test"
    assert admin.cmd("REMOVE ALIAS name example.org").startswith(
        "+OK: alias example.org of example.test removed"
    )
    assert table(admin.cmd("LIST ALIASES")) == []


def test_domain_commands_in_the_wrong_context(admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("LIST DOMAINS") == (
        "-ERR: LIST DOMAINS is not available here (<domain#>); HELP lists what is\r\n<domain#> "
    )
    assert admin.cmd("CREATE DOMAIN name x.test").startswith("-ERR: CREATE DOMAIN is not available here")


def test_dkim_key_generate_and_show(store: Store, admin: Client) -> None:
    from filters import dkim_sign

    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("DKIM SHOW") == "-ERR: example.test has no DKIM key for selector fieldpost\r\n<domain#> "
    made = admin.cmd("DKIM GENERATE selector mail2027")
    assert made.endswith("+OK: new 2048-bit DKIM key for example.test: publish the record\r\n<domain#> ")
    assert "publish at: mail2027._domainkey.example.test\r\n" in made
    key = dkim_sign.load(store, "example.test", "mail2027")
    assert f"record: {key.record}\r\n" in made and key.record.startswith("v=DKIM1; k=rsa; p=")
    assert store.settings.get("dkim.selector", domain="example.test") == "mail2027"
    assert admin.cmd("DKIM SHOW").split("\r\n")[:4] == made.split("\r\n")[:4]
    assert admin.cmd("DKIM GENERATE") == (
        "-ERR: example.test already has a DKIM key for selector mail2027; add 'replace yes' to replace it\r\n<domain#> "
    )
    assert admin.cmd("DKIM GENERATE replace yes").startswith("selector: mail2027")
    assert dkim_sign.load(store, "example.test", "mail2027").record != key.record
    assert admin.cmd("DKIM GENERATE selector bad_one").startswith("-ERR: not a DKIM selector")
