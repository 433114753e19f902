"""The settings pages through Flask's test client, signed in through the real login form: each page shows
the account's values, saves through the user's own facade, puts errors next to the field at fault, and
changes nothing of another account or of the administrator's settings."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient

from filters.user_rules import SCRIPT_NAME, UserFilters
from tests.webmail.conftest import AuthActions, Seeded, csrf_token

ALICE = "alice@example.test"


def post(client: FlaskClient, url: str, data: dict[str, object], *, page: str | None = None):  # type: ignore[no-untyped-def]
    form = client.get(page or url)
    assert form.status_code == 200, form.status_code
    return client.post(url, data={"csrf_token": csrf_token(form), **data})


def test_settings_need_a_login(client: FlaskClient) -> None:
    for url in ("/mail/settings/", "/mail/settings/rules", "/m/settings"):
        assert client.get(url).status_code == 302


def test_general_settings_are_shown_saved_and_applied(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    page = client.get("/mail/settings/").get_data(as_text=True)
    assert '<option selected value="classic">' in page and "no size limit" in page
    reply = post(
        client,
        "/mail/settings/",
        {"language": "en", "skin": "collwater", "timezone": "Europe/Paris", "signature": "-- \r\nAlice"},
    )
    assert reply.status_code == 302
    page = client.get("/mail/settings/").get_data(as_text=True)
    assert "skin-collwater" in page and "Your settings were saved." in page
    prefs = seeded.store.for_user(seeded.alice.id).preferences
    assert prefs.get()["user.timezone"] == "Europe/Paris" and prefs.signatures() == {"*": "-- \nAlice"}
    assert seeded.store.settings.get("webmail.skin", account="bob@example.test") == "classic"


def test_a_bad_choice_is_shown_next_to_its_field(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    reply = post(client, "/mail/settings/", {"language": "en", "skin": "neon", "timezone": "Mars/Base"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and page.count('class="field-error"') == 2
    assert seeded.store.settings.explicit(account=ALICE) == {}


def test_quota_meter_warns(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    used = seeded.store.for_user(seeded.alice.id).preferences.quota().used_bytes
    seeded.store.settings.set("quota.storage_bytes", used * 100 // 90, account=ALICE)
    auth.login()
    page = client.get("/mail/settings/").get_data(as_text=True)
    assert "<meter" in page and "over 80% full" in page


def test_out_of_office_is_saved_as_the_active_script(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    reply = post(
        client,
        "/mail/settings/out-of-office",
        {
            "enabled": "y",
            "subject": "Away",
            "internal_text": "Inside",
            "external_text": "Outside",
            "start": "2027-01-01",
            "end": "2027-01-10",
            "days": "3",
        },
    )
    assert reply.status_code == 302
    state = UserFilters(seeded.store.for_user(seeded.alice.id)).state()
    assert state.in_force and state.data.out_of_office.start == date(2027, 1, 1)
    assert state.data.out_of_office.days == 3
    page = client.get("/mail/settings/out-of-office").get_data(as_text=True)
    assert "Inside" in page and 'value="2027-01-10"' in page


def test_out_of_office_errors_are_next_to_their_fields(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    reply = post(
        client,
        "/mail/settings/out-of-office",
        {"enabled": "y", "external_text": "", "start": "2027-01-10", "end": "2027-01-01", "days": "7"},
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "write the reply for internal or external senders" in page
    reply = post(
        client,
        "/mail/settings/out-of-office",
        {"enabled": "y", "external_text": "Out", "start": "2027-01-10", "end": "2027-01-01", "days": "7"},
    )
    page = reply.get_data(as_text=True)
    end_field = page.index('id="end"')
    assert page.index("the last day is before the first") > end_field


def test_another_active_script_is_named_and_can_be_replaced(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    scripts = seeded.store.for_user(seeded.alice.id).scripts
    scripts.put("mine", "keep;")
    scripts.activate("mine")
    auth.login()
    post(client, "/mail/settings/out-of-office", {"enabled": "y", "external_text": "Out", "days": "7"})
    page = client.get("/mail/settings/out-of-office").get_data(as_text=True)
    assert "“mine”" in page and "activate-webmail-script" in page
    reply = post(
        client, "/mail/settings/filters/activate", {"back": "ooo"}, page="/mail/settings/out-of-office"
    )
    assert reply.status_code == 302
    assert [s.name for s in scripts.list() if s.active] == [SCRIPT_NAME]
    assert scripts.get("mine").content == "keep;"


def test_rules_wizard_add_edit_reorder_toggle_delete(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    seeded.store.folders.create(ALICE, "News")
    auth.login()
    base = {"match_all": "all", "field_1": "from", "operator_1": "contains", "field_2": "subject"}
    base |= {"operator_2": "contains", "field_3": "from", "operator_3": "is", "enabled": "y"}
    first = {**base, "name": "news", "value_1": "news@", "action": "move", "folder": "News", "flag": "y"}
    assert post(client, "/mail/settings/rules/new", first).status_code == 302
    second = {**base, "name": "spam", "value_1": "spam", "value_2": "offer", "action": "delete"}
    assert post(client, "/mail/settings/rules/new", second).status_code == 302
    service = UserFilters(seeded.store.for_user(seeded.alice.id))
    rules = service.state().data.rules
    assert [r.name for r in rules] == ["news", "spam"] and rules[0].target == "News" and rules[0].flag
    assert len(rules[1].conditions) == 2

    page = client.get("/mail/settings/rules/1").get_data(as_text=True)
    assert 'value="news@"' in page and '<option selected value="News">' in page
    post(client, "/mail/settings/rules/2/up", {}, page="/mail/settings/rules")
    post(client, "/mail/settings/rules/1/toggle", {}, page="/mail/settings/rules")
    assert [(r.name, r.enabled) for r in service.state().data.rules] == [("spam", False), ("news", True)]
    post(client, "/mail/settings/rules/1/delete", {}, page="/mail/settings/rules")
    assert [r.name for r in service.state().data.rules] == ["news"]
    assert client.post("/mail/settings/rules/9/delete", data={"csrf_token": "x"}).status_code in (400, 404)


def test_rule_errors_are_next_to_their_fields(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    data = {"match_all": "all", "field_1": "from", "operator_1": "contains", "value_1": "x", "action": "move"}
    data |= {"field_2": "from", "operator_2": "contains", "field_3": "from", "operator_3": "contains"}
    reply = post(client, "/mail/settings/rules/new", {**data, "folder": "Nowhere"})
    assert reply.status_code == 200 and "there is no folder" in reply.get_data(as_text=True)
    reply = post(client, "/mail/settings/rules/new", {**data, "action": "forward", "address": ALICE})
    assert "would loop" in reply.get_data(as_text=True)
    assert UserFilters(seeded.store.for_user(seeded.alice.id)).state().exists is False


def test_sender_lists_page(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    reply = post(
        client,
        "/mail/settings/senders",
        {"blocked": "pest@far.example\r\nspam.example", "safe": "mum@home.example"},
    )
    assert reply.status_code == 302
    prefs = seeded.store.for_user(seeded.alice.id).preferences
    assert prefs.sender_list("lists.blocked_senders") == ("pest@far.example", "spam.example")
    reply = post(client, "/mail/settings/senders", {"blocked": "not@valid@x", "safe": ""})
    assert reply.status_code == 200 and "field-error" in reply.get_data(as_text=True)
    assert prefs.sender_list("lists.blocked_senders") == ("pest@far.example", "spam.example")


def test_temporary_aliases_page(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    assert post(client, "/mail/settings/aliases", {"local_part": "shop", "days": "5"}).status_code == 302
    page = client.get("/mail/settings/aliases").get_data(as_text=True)
    assert "shop@example.test" in page
    reply = post(client, "/mail/settings/aliases", {"local_part": "bob", "days": "5"})
    assert "already taken" in reply.get_data(as_text=True)
    reply = post(client, "/mail/settings/aliases", {"local_part": "", "days": "999"})
    assert "1 to 30 days" in reply.get_data(as_text=True)
    post(
        client,
        "/mail/settings/aliases/delete",
        {"address": "shop@example.test"},
        page="/mail/settings/aliases",
    )
    assert seeded.store.for_user(seeded.alice.id).temporary_aliases.list() == []
    bobs = seeded.store.for_user(seeded.bob.id).temporary_aliases.create("bobs")
    reply = post(
        client, "/mail/settings/aliases/delete", {"address": bobs.address}, page="/mail/settings/aliases"
    )
    assert reply.status_code == 404
    assert seeded.store.for_user(seeded.bob.id).temporary_aliases.list() == [bobs]


def test_password_change_keeps_this_session_and_ends_others(
    app, auth: AuthActions, client: FlaskClient
) -> None:  # type: ignore[no-untyped-def]
    other = app.test_client()
    AuthActions(other).login()
    auth.login()
    reply = post(client, "/mail/settings/password", {"current": "nope", "new": "x" * 10, "confirm": "x" * 10})
    assert "not your current password" in reply.get_data(as_text=True)
    reply = post(
        client, "/mail/settings/password", {"current": "pass-alice", "new": "short", "confirm": "short"}
    )
    assert "at least 8" in reply.get_data(as_text=True)
    reply = post(
        client,
        "/mail/settings/password",
        {"current": "pass-alice", "new": "new-secret-1", "confirm": "new-secret-2"},
    )
    assert "differ" in reply.get_data(as_text=True)
    reply = post(
        client,
        "/mail/settings/password",
        {"current": "pass-alice", "new": "new-secret-1", "confirm": "new-secret-1"},
    )
    assert reply.status_code == 302
    assert client.get("/mail/settings/").status_code == 200  # this session goes on
    assert other.get("/mail/settings/").status_code == 302  # the other one ended


def test_mobile_settings(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login(interface="mobile")
    page = client.get("/m/settings").get_data(as_text=True)
    assert "interface-mobile" in page
    reply = post(
        client, "/m/settings", {"language": "en", "skin": "webreflection", "timezone": "UTC", "signature": ""}
    )
    assert reply.status_code == 302
    reply = post(
        client, "/m/settings/out-of-office", {"enabled": "y", "internal_text": "Back soon", "days": "7"}
    )
    assert reply.status_code == 302
    state = UserFilters(seeded.store.for_user(seeded.alice.id)).state()
    assert state.data.out_of_office.internal_text == "Back soon"
    assert client.get("/m/settings/password").status_code == 200
