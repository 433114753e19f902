"""The Ajax settings pane's JSON routes through the test client, signed in through the real login form:
each needs the CSRF token, saves through the same code as the Standard tab (what it saved shows on the
Standard page), and a refused value comes back under its field with the Standard form's message while
nothing is saved."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from filters.user_rules import UserFilters
from storage import totp
from storage.errors import AuthFailed
from tests.webmail.conftest import AuthActions, Seeded

ALICE = "alice@example.test"
T0 = 1_900_000_005.0
CONFIG = re.compile(r'<script type="application/json" id="fp-config">(.*?)</script>', re.S)


def signs_in(seeded: Seeded, password: str) -> bool:
    """Whether IMAP takes ``password`` for alice (the account's password, or an app password)."""
    try:
        seeded.store.auth.verify(ALICE, password, service="imap")
    except AuthFailed:
        return False
    return True


class Pane:
    """The pane's calls as settings.js makes them: JSON with the shell's X-CSRFToken header."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        found = CONFIG.search(client.get("/ajax/").get_data(as_text=True))
        assert found
        self.csrf = json.loads(found.group(1))["csrf"]

    def get(self, what: str) -> dict[str, Any]:
        answer = self.client.get(f"/ajax/settings/{what}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        found: dict[str, Any] = answer.get_json()
        return found

    def post(self, what: str, data: dict[str, Any], *, csrf: bool = True) -> TestResponse:
        headers = {"X-CSRFToken": self.csrf} if csrf else {}
        return self.client.post(f"/ajax/settings/{what}", json=data, headers=headers)


@pytest.fixture
def pane(client: FlaskClient, auth: AuthActions) -> Pane:
    assert auth.login(interface="ajax").status_code == 302
    return Pane(client)


def test_general_needs_the_token_refuses_with_the_field_and_saves(pane: Pane, seeded: Seeded) -> None:
    shown = pane.get("general")
    assert shown["values"] == {"language": "en", "skin": "classic", "timezone": "UTC"}
    assert "Europe/Paris" in shown["choices"]["timezone"] and shown["quota"]["limit_bytes"] == 0
    standard = pane.client.get("/mail/settings/").get_data(as_text=True)
    assert f'href="{html.escape(shown["apple_profile"])}" id="apple-profile"' in standard  # the same link
    wanted = {"language": "en", "skin": "collwater", "timezone": "Europe/Paris"}
    assert pane.post("general", wanted, csrf=False).status_code == 400
    assert seeded.store.settings.explicit(account=ALICE) == {}

    refused = pane.post("general", {**wanted, "skin": "neon", "timezone": "Mars/Base"})
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == {
        "skin": ["Not a valid choice."],
        "timezone": ["Not a valid choice."],
    }
    assert seeded.store.settings.explicit(account=ALICE) == {}

    prefs = seeded.store.for_user(seeded.alice.id).preferences
    prefs.set_signature("*", "Alice")
    saved = pane.post("general", wanted)
    assert saved.status_code == 200 and saved.get_json()["values"] == wanted
    assert prefs.get()["user.timezone"] == "Europe/Paris"
    assert prefs.signatures() == {"*": "Alice"}  # the pane does not send it: it stays
    page = pane.client.get("/mail/settings/").get_data(as_text=True)
    assert "skin-collwater" in page and '<option selected value="Europe/Paris">' in page


def test_the_signature_for_every_address_is_the_general_tabs(pane: Pane, seeded: Seeded) -> None:
    """The "*" signature (every address without its own) has no JMAP Identity: the pane's route runs
    the Standard General tab's field and code, leaving an address's own signature alone."""
    prefs = seeded.store.for_user(seeded.alice.id).preferences
    prefs.set_signature(ALICE, "Alice at work")
    assert pane.get("signature")["signature"] == ""
    assert pane.post("signature", {"signature": "Everyone"}, csrf=False).status_code == 400
    too_long = pane.post("signature", {"signature": "x" * 4001})
    assert too_long.status_code == 400 and list(too_long.get_json()["errors"]) == ["signature"]
    assert prefs.signatures() == {ALICE: "Alice at work"}

    saved = pane.post("signature", {"signature": "Alice\r\nExample Ltd"})
    assert saved.status_code == 200 and saved.get_json()["signature"] == "Alice\nExample Ltd"
    assert prefs.signatures() == {ALICE: "Alice at work", "*": "Alice\nExample Ltd"}
    assert pane.get("signature")["signature"] == "Alice\nExample Ltd"
    standard = pane.client.get("/mail/settings/").get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="signature"[^>]*>\s*Alice\nExample Ltd</textarea>', standard)
    assert pane.post("signature", {"signature": ""}).status_code == 200  # empty: none for all addresses
    assert prefs.signatures() == {ALICE: "Alice at work"}


def test_the_quota_meter_is_the_standard_pages(pane: Pane, seeded: Seeded) -> None:
    used = seeded.store.for_user(seeded.alice.id).preferences.quota().used_bytes
    seeded.store.settings.set("quota.storage_bytes", used * 100 // 90, account=ALICE)
    quota = pane.get("general")["quota"]
    assert quota["used_bytes"] == used and quota["percent"] == 90 and quota["warning"] == 80
    assert quota["over"] is False


def test_senders_refuse_a_bad_entry_and_keep_the_lists(pane: Pane, seeded: Seeded) -> None:
    prefs = seeded.store.for_user(seeded.alice.id).preferences
    refused = pane.post("senders", {"blocked": "pest@spam.example\nnot@an@address", "safe": ""})
    assert refused.status_code == 400 and list(refused.get_json()["errors"]) == ["blocked"]
    assert "not@an@address" in refused.get_json()["errors"]["blocked"][0]
    assert prefs.sender_list("lists.blocked_senders") == ()
    saved = pane.post("senders", {"blocked": "pest@spam.example\nspam.example", "safe": "boss@work.example"})
    assert saved.status_code == 200
    assert saved.get_json()["blocked"] == ["pest@spam.example", "spam.example"]
    assert "boss@work.example" in pane.client.get("/mail/settings/senders").get_data(as_text=True)


def test_temporary_addresses(pane: Pane, seeded: Seeded) -> None:
    shown = pane.get("aliases")
    assert shown["aliases"] == [] and shown["most"] == 5 and shown["max_days"] == 30
    refused = pane.post("aliases", {"local_part": "tmp-shop", "days": 0})
    assert refused.status_code == 400 and list(refused.get_json()["errors"]) == ["days"]
    assert pane.get("aliases")["aliases"] == []
    made = pane.post("aliases", {"local_part": "tmp-shop", "days": 3}).get_json()
    assert made["created"] == "tmp-shop@example.test"
    assert [a["address"] for a in made["aliases"]] == ["tmp-shop@example.test"]
    assert made["notices"] == []  # the Standard page flashes on its redirect; nothing is left over
    taken = pane.post("aliases", {"local_part": "tmp-shop", "days": 3})
    assert taken.status_code == 400 and list(taken.get_json()["errors"]) == ["local_part"]
    assert pane.post("aliases/delete", {"address": "alice@example.test"}).status_code == 404
    gone = pane.post("aliases/delete", {"address": "tmp-shop@example.test"}).get_json()
    assert gone["aliases"] == [] and "no longer receives mail" in gone["notices"][0]["text"]
    assert "no longer receives mail" not in pane.client.get("/mail/settings/aliases").get_data(as_text=True)


def test_password_refusals_then_the_change_keeps_this_session(
    pane: Pane, seeded: Seeded, client: FlaskClient
) -> None:
    wrong = pane.post("password", {"current": "nope", "new": "a-new-secret-9", "confirm": "a-new-secret-9"})
    assert wrong.status_code == 400
    assert wrong.get_json()["errors"] == {"current": ["This is not your current password."]}
    differ = pane.post("password", {"current": "pass-alice", "new": "a-new-secret-9", "confirm": "other"})
    assert differ.get_json()["errors"] == {"confirm": ["The two new passwords differ."]}
    assert signs_in(seeded, "pass-alice")
    other = client.application.test_client()
    assert AuthActions(other).login().status_code == 302
    assert other.get("/ajax/").status_code == 200

    done = pane.post(
        "password", {"current": "pass-alice", "new": "a-new-secret-9", "confirm": "a-new-secret-9"}
    )
    assert done.status_code == 200
    assert signs_in(seeded, "a-new-secret-9")
    assert other.get("/ajax/").status_code == 302  # the other session must sign in again
    pane.csrf = done.get_json()["csrf"]  # this one goes on, with its new token
    assert pane.post("senders", {"blocked": "", "safe": "friend@example.org"}).status_code == 200


def rule(**fields: Any) -> dict[str, Any]:
    return {"name": "Shop", "match_all": "all", "field_1": "from", "operator_1": "contains",
            "value_1": "shop.example", "action": "move", "folder": "INBOX", "enabled": True, **fields}  # fmt: skip


def test_rules_add_edit_move_toggle_delete(pane: Pane, seeded: Seeded) -> None:
    shown = pane.get("rules")
    assert shown["rules"] == [] and "INBOX" in shown["folders"] and shown["condition_rows"] == 3
    no_text = pane.post("rules/new", rule(value_1=""))
    assert no_text.status_code == 400 and list(no_text.get_json()["errors"]) == ["value_1"]
    loop = pane.post("rules/new", rule(action="forward", folder=None, address=ALICE))
    assert loop.status_code == 400 and list(loop.get_json()["errors"]) == ["address"]
    assert UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.rules == ()

    assert pane.post("rules/new", rule(), csrf=False).status_code == 400
    first = pane.post("rules/new", rule()).get_json()
    assert first["rules"][0]["conditions"] == [
        {"field": "from", "operator": "contains", "value": "shop.example"}
    ]
    assert first["notices"][0]["text"] == "Your rules were saved."
    pane.post("rules/new", rule(name="News", value_1="news", action="flag", folder=None))
    edited = pane.post("rules/2", rule(name="News", value_1="news", field_2="subject", value_2="weekly",
                                       match_all="any", action="delete", folder=None, stop=True))  # fmt: skip
    assert edited.status_code == 200
    news = edited.get_json()["rules"][1]
    assert news["action"] == "delete" and news["stop"] and not news["match_all"]
    assert len(news["conditions"]) == 2
    assert pane.post("rules/3", rule()).status_code == 404

    moved = pane.post("rules/2/up", {}).get_json()["rules"]
    assert [r["name"] for r in moved] == ["News", "Shop"]
    off = pane.post("rules/2/toggle", {}).get_json()["rules"]
    assert off[1]["enabled"] is False
    assert pane.post("rules/2/explode", {}).status_code == 404
    page = pane.client.get("/mail/settings/rules").get_data(as_text=True)
    assert page.index("News") < page.index("Shop")
    left = pane.post("rules/1/delete", {}).get_json()["rules"]
    assert [r["name"] for r in left] == ["Shop"]
    stored = UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.rules
    assert [(r.name, r.enabled) for r in stored] == [("Shop", False)]


@pytest.fixture
def clock(seeded: Seeded) -> list[float]:
    now = [T0]
    seeded.store.second_factors.clock = lambda: now[0]
    return now


def test_two_step_and_app_passwords(pane: Pane, seeded: Seeded, clock: list[float]) -> None:
    assert pane.get("two-step")["on"] is False
    refused = pane.post("app-passwords", {"name": "laptop"})
    assert refused.status_code == 400 and list(refused.get_json()["errors"]) == ["name"]

    started = pane.post("two-step/enrol", {}).get_json()
    assert started["pending"] and started["qr"].startswith("data:image/svg+xml")
    secret = started["secret"]
    wrong = pane.post("two-step/confirm", {"code": "12345x"})
    assert wrong.status_code == 400 and list(wrong.get_json()["errors"]) == ["code"]
    on = pane.post("two-step/confirm", {"code": totp.code_at(secret, clock[0])}).get_json()
    assert on["on"] and len(on["recovery_codes"]) == 10 and on["secret"] is None
    assert "recovery_codes" not in pane.get("two-step")  # shown once
    pane.csrf = on["csrf"]

    made = pane.post("app-passwords", {"name": "laptop"}).get_json()
    password = made["created"]["password"]
    assert [p["name"] for p in made["passwords"]] == ["laptop"] and made["passwords"][0]["last_used"] is None
    assert "password" not in json.dumps(pane.get("app-passwords")["passwords"])
    assert signs_in(seeded, password)
    again = pane.post("app-passwords", {"name": "laptop"})
    assert again.status_code == 400 and list(again.get_json()["errors"]) == ["name"]
    assert pane.post("app-passwords/revoke", {"id": 999}).status_code == 404
    assert pane.post("app-passwords/revoke", {"id": made["created"]["id"]}, csrf=False).status_code == 400
    assert pane.post("app-passwords/revoke", {"id": made["created"]["id"]}).get_json()["passwords"] == []
    assert not signs_in(seeded, password)

    clock[0] += 30
    codes = pane.post("two-step/recovery-codes", {"code": totp.code_at(secret, clock[0])}).get_json()
    assert len(codes["recovery_codes"]) == 10 and set(codes["recovery_codes"]).isdisjoint(
        on["recovery_codes"]
    )
    bad = pane.post("two-step/disable", {"code": "000000"})
    assert bad.status_code == 400 and list(bad.get_json()["errors"]) == ["code"]
    assert pane.get("two-step")["on"] is True
    off = pane.post("two-step/disable", {"code": codes["recovery_codes"][0]}).get_json()
    assert off["on"] is False


def test_other_mailboxes(pane: Pane, seeded: Seeded) -> None:
    mine = seeded.store.for_user(seeded.alice.id).remote_accounts
    shown = pane.get("remote")
    assert shown["remotes"] == [] and ["imap", "IMAP"] in shown["choices"]["protocol"]
    assert "INBOX" in [value for value, _label in shown["choices"]["folder"]]
    remote = {"protocol": "pop3", "host": "pop.example.net", "port": 995, "security": "implicit",
              "username": "alice.elsewhere", "password": "remote-pw", "folder": "INBOX", "minutes": 15,
              "keep_on_server": True, "enabled": True}  # fmt: skip
    for fields, field, words in [
        ({"host": "not a host"}, "host", "server: not a host name or address"),
        ({"minutes": 1}, "minutes", "interval must be 5 minutes to 7 days"),
        ({"password": ""}, "password", "the remote password is required"),
    ]:
        refused = pane.post("remote", {**remote, **fields})
        assert refused.status_code == 400, fields
        assert (
            list(refused.get_json()["errors"]) == [field] and words in refused.get_json()["errors"][field][0]
        )
    assert mine.list() == []
    assert pane.post("remote", remote, csrf=False).status_code == 400 and mine.list() == []

    added = pane.post("remote", remote).get_json()
    assert added["saved"] == "alice.elsewhere@pop.example.net (POP3)"
    (row,) = added["remotes"]
    assert (row["host"], row["port"], row["minutes"], row["last_fetched"]) == (
        "pop.example.net",
        995,
        15,
        None,
    )
    assert "remote-pw" not in json.dumps(added)  # never shown back
    kept = pane.post(
        "remote", {**remote, "remote_id": str(row["id"]), "password": "", "keep_on_server": False}
    )
    assert kept.status_code == 200 and mine.get(row["id"]).keep_on_server is False
    assert seeded.store.remote_accounts.due()[0].password == "remote-pw"  # left empty: the stored one stays
    seeded.store.remote_accounts.claim(mine.get(row["id"]))
    assert pane.post("remote/fetch", {"id": row["id"]}).status_code == 200
    assert [d.remote.id for d in seeded.store.remote_accounts.due()] == [row["id"]]
    assert pane.post("remote/delete", {"id": row["id"] + 100}).status_code == 404
    assert pane.post("remote/delete", {"id": row["id"]}).get_json()["remotes"] == []
