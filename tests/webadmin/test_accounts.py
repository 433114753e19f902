"""WebAdmin's account pages through the Flask test client: the paged, filtered list; adding (with a
random password shown once); the edit forms; aliases; deleting with a confirmation; the CSV import and
its report. Refusals appear next to their field with storage's words."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from storage.store import Store
from tests.webadmin.conftest import DOMAIN, csrf_token, post_form


def text(reply: object) -> str:
    return reply.get_data(as_text=True)  # type: ignore[attr-defined]


def field_error(page: str, field_id: str) -> str:
    """The error paragraph drawn right after the input ``field_id`` (macros.field)."""
    found = re.search(rf'id="{field_id}".*?<p class="error" role="alert">(.*?)</p>', page, re.S)
    assert found, f"no error under {field_id}"
    return found.group(1)


def test_the_list_pages_and_filters(admin_client: FlaskClient, store: Store) -> None:
    for n in range(60):
        store.accounts.add(f"user{n:02d}@{DOMAIN}", None, display_name=f"Number {n:02d}")
    page = text(admin_client.get(f"/accounts?domain={DOMAIN}"))
    assert "64 accounts" in page  # alice, bob, carol, postmaster and the 60
    assert "alice@example.test" in page and "user45@example.test" in page  # 50 a page, by name
    assert "user46@example.test" not in page
    assert 'rel="next"' in page
    second = text(admin_client.get(f"/accounts?domain={DOMAIN}&page=2"))
    assert "user59@example.test" in second and "alice@example.test" not in second
    filtered = text(admin_client.get(f"/accounts?domain={DOMAIN}&q=number+5"))
    assert "10 accounts" in filtered and "user55@example.test" in filtered
    assert admin_client.get("/accounts?domain=nowhere.test").status_code == 404


def test_adding_an_account_with_a_random_password(admin_client: FlaskClient, store: Store) -> None:
    reply = post_form(
        admin_client,
        f"/accounts/new?domain={DOMAIN}",
        f"/accounts/new?domain={DOMAIN}",
        {"address": "dora", "display_name": "Dora", "random_password": "y", "quota": "5M"},
    )
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    password = re.search(r'<code id="new-password">([^<]+)</code>', text(reply)).group(1)  # type: ignore[union-attr]
    account = store.auth.verify(f"dora@{DOMAIN}", password)
    assert account.display_name == "Dora" and account.quota_bytes == 5 * 1024 * 1024


def test_adding_refusals_show_next_to_their_field(admin_client: FlaskClient, store: Store) -> None:
    url = f"/accounts/new?domain={DOMAIN}"
    short = post_form(admin_client, url, url, {"address": "erin", "password": "short"})
    assert short.status_code == 400
    assert "too short" in field_error(text(short), "password")
    taken = post_form(admin_client, url, url, {"address": "alice", "password": "long-enough-1"})
    assert "already taken" in field_error(text(taken), "address")
    quota = post_form(
        admin_client, url, url, {"address": "erin", "password": "long-enough-1", "quota": "lots"}
    )
    assert "is not a size" in field_error(text(quota), "quota")
    empty = post_form(admin_client, url, url, {"address": "erin"})
    assert "Enter a password" in field_error(text(empty), "password")
    assert "erin@example.test" not in [a.address for a in store.accounts.list(DOMAIN)]
    added = post_form(admin_client, url, url, {"address": "erin", "password": "long-enough-1"})
    assert added.status_code == 302 and added.headers["Location"].endswith("/accounts/erin@example.test")


def test_editing_profile_services_quota_and_password(admin_client: FlaskClient, store: Store) -> None:
    store.accounts.add_class(DOMAIN, "staff")
    url = f"/accounts/alice@{DOMAIN}"
    page = text(admin_client.get(url))
    assert "alice@example.test" in page and 'id="profile"' in page
    saved = post_form(
        admin_client,
        url,
        url,
        {"display_name": "Alice L.", "account_class": "staff", "quota": "2M", "imap": "y", "smtp": "y"},
    )
    assert saved.status_code == 302
    alice = store.accounts.get(f"alice@{DOMAIN}")
    assert not alice.enabled and alice.display_name == "Alice L." and alice.account_class == "staff"
    assert alice.quota_bytes == 2 * 1024 * 1024
    assert store.settings.get("services.pop3", account=alice.address) is False
    assert store.settings.get("services.imap", account=alice.address) is True
    bad = post_form(admin_client, url, url, {"quota": "huge", "enabled": "y"})
    assert bad.status_code == 400 and "is not a size" in field_error(text(bad), "quota")
    assert not store.accounts.get(f"alice@{DOMAIN}").enabled  # nothing of the refused form was saved
    short = post_form(admin_client, url, f"{url}/password", {"pw-password": "short"})
    assert "too short" in field_error(text(short), "pw-password")
    changed = post_form(admin_client, url, f"{url}/password", {"pw-password": "brand-new-pass-1"})
    assert changed.status_code == 302
    store.settings.set("services.imap", True, account=alice.address)
    store.accounts.set_enabled(alice.address, True)
    store.auth.verify(alice.address, "brand-new-pass-1")
    shown = post_form(admin_client, url, f"{url}/password", {"pw-random_password": "y"})
    password = re.search(r'<code id="new-password">([^<]+)</code>', text(shown)).group(1)  # type: ignore[union-attr]
    store.auth.verify(alice.address, password)


def test_aliases_and_temporary_aliases(admin_client: FlaskClient, store: Store) -> None:
    url = f"/accounts/bob@{DOMAIN}"
    assert post_form(admin_client, url, f"{url}/aliases", {"alias-alias": "robert"}).status_code == 302
    assert store.accounts.get(f"bob@{DOMAIN}").aliases == (f"robert@{DOMAIN}",)
    taken = post_form(admin_client, url, f"{url}/aliases", {"alias-alias": "alice"})
    assert taken.status_code == 400 and "already taken" in field_error(text(taken), "alias-alias")
    bob = store.accounts.get(f"bob@{DOMAIN}")
    temporary = store.for_user(bob.id).temporary_aliases.create("deal", days=2)
    page = text(admin_client.get(url))
    assert temporary.address in page
    post_form(admin_client, url, f"{url}/temporary/remove", {"alias": temporary.address})
    assert store.for_user(bob.id).temporary_aliases.list() == []
    post_form(admin_client, url, f"{url}/aliases/remove", {"alias": f"robert@{DOMAIN}"})
    assert store.accounts.get(f"bob@{DOMAIN}").aliases == ()


def test_deleting_asks_for_the_address(admin_client: FlaskClient, store: Store) -> None:
    url = f"/accounts/carol@{DOMAIN}/delete"
    wrong = post_form(admin_client, url, url, {"confirm": "carol"})
    assert wrong.status_code == 400
    assert "carol@example.test" in [a.address for a in store.accounts.list(DOMAIN)]
    gone = post_form(admin_client, url, url, {"confirm": f"carol@{DOMAIN}"})
    assert gone.status_code == 302
    assert "carol@example.test" not in [a.address for a in store.accounts.list(DOMAIN)]
    assert admin_client.get(f"/accounts/carol@{DOMAIN}").status_code == 404


def test_csv_import_reports_every_line(admin_client: FlaskClient, store: Store) -> None:
    url = f"/accounts/import?domain={DOMAIN}"
    token = csrf_token(admin_client.get(url))
    data = b"address,password,display_name\r\nfrank,frank-password-1,Frank\r\nalice,x,\r\ngwen,,Gwen\r\n"
    reply = admin_client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )
    page = text(reply)
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    assert "2 added, 1 refused." in page
    assert "address alice is already taken in this domain" in page
    password = re.search(r"gwen@example.test</td>\s*<td>added</td>\s*<td><code>([^<]+)</code>", page)
    assert password, page
    store.auth.verify(f"gwen@{DOMAIN}", password.group(1))
    store.auth.verify(f"frank@{DOMAIN}", "frank-password-1")


def test_a_csv_file_that_cannot_be_read_is_refused_whole(admin_client: FlaskClient, store: Store) -> None:
    url = f"/accounts/import?domain={DOMAIN}"
    token = csrf_token(admin_client.get(url))
    reply = admin_client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(b"who,password\r\nx,y\r\n"), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 400
    assert "unknown column" in field_error(text(reply), "file")
    missing = admin_client.post(url, data={"csrf_token": token}, content_type="multipart/form-data")
    assert missing.status_code == 400
