"""The generated settings pages (webadmin/pages/settings.py) at every level, driven through the forms."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from storage.store import Store
from tests.webadmin.conftest import csrf_token

IDLE = "web.session_idle_seconds"
MAX = "web.session_max_seconds"


def save(client: FlaskClient, url: str, fields: dict[str, str], section: str = "web") -> object:
    token = csrf_token(client.get(f"{url}?section={section}"))
    return client.post(url, data={"csrf_token": token, "section": section, **fields})


def test_the_server_page_lists_a_section_with_help_defaults_and_inputs(admin_client: FlaskClient) -> None:
    page = admin_client.get("/settings/server?section=web").get_data(as_text=True)
    assert "A web session without activity for this long is closed." in page  # the registry's help
    assert 'name="mode.web.session_idle_seconds" value="inherit" checked' in page
    assert "Inherits the default:" in page and "<code>30m</code>" in page
    assert 'href="/settings/server?section=auth"' in page  # the other sections
    other = admin_client.get("/settings/server?section=auth").get_data(as_text=True)
    assert 'type="number" id="value-auth-free_failures"' in other and 'min="0"' in other
    bools = admin_client.get("/settings/server?section=services").get_data(as_text=True)
    assert re.search(r'<select id="value-services-[a-z0-9_]+" name="value.services', bools)


def test_setting_and_clearing_a_value_at_server_level(admin_client: FlaskClient, store: Store) -> None:
    url = "/settings/server"
    reply = save(admin_client, url, {f"mode.{IDLE}": "set", f"value.{IDLE}": "10m"})
    assert reply.status_code == 302  # type: ignore[attr-defined]
    assert store.settings.explicit() == {IDLE: 600}
    page = admin_client.get(f"{url}?section=web").get_data(as_text=True)
    assert "Saved 1 change(s)." in page
    assert f'name="mode.{IDLE}" value="set" id="set-web-session_idle_seconds" checked' in page
    save(admin_client, url, {f"mode.{IDLE}": "inherit", f"value.{IDLE}": "10m"})
    assert store.settings.explicit() == {}


def test_a_bad_value_is_reported_next_to_its_field_and_nothing_is_saved(
    admin_client: FlaskClient, store: Store
) -> None:
    reply = save(
        admin_client,
        "/settings/server",
        {f"mode.{IDLE}": "set", f"value.{IDLE}": "5m", f"mode.{MAX}": "set", f"value.{MAX}": "soon"},
    )
    assert reply.status_code == 400  # type: ignore[attr-defined]
    page = reply.get_data(as_text=True)  # type: ignore[attr-defined]
    block = page[page.index('id="setting-web-session_max_seconds"') :]
    assert "is not a duration" in block[: block.index("</fieldset>")]
    assert 'value="soon"' in page and 'value="5m"' in page  # what was typed is kept
    assert store.settings.explicit() == {}


def test_a_domain_page_shows_what_it_inherits_from_the_server(
    admin_client: FlaskClient, store: Store
) -> None:
    store.settings.set(IDLE, "15m")
    page = admin_client.get("/domains/example.test/settings?section=web").get_data(as_text=True)
    assert "Inherits from server:" in page and "<code>15m</code>" in page
    reply = save(
        admin_client, "/domains/example.test/settings", {f"mode.{IDLE}": "set", f"value.{IDLE}": "20m"}
    )
    assert reply.headers["Location"] == "/domains/example.test/settings?section=web"  # type: ignore[attr-defined]
    assert store.settings.explicit(domain="example.test") == {IDLE: 1200}


def test_class_and_account_pages(admin_client: FlaskClient, store: Store) -> None:
    store.accounts.add_class("example.test", "staff")
    store.accounts.set_class("alice@example.test", "staff")
    store.settings.set(IDLE, "20m", domain="example.test", account_class="staff")
    page = admin_client.get("/accounts/alice@example.test/settings?section=web").get_data(as_text=True)
    assert "Inherits from class:" in page and "<code>20m</code>" in page
    reply = save(
        admin_client,
        "/domains/example.test/classes/staff/settings",
        {f"mode.{IDLE}": "set", f"value.{IDLE}": "25m"},
    )
    assert reply.status_code == 302  # type: ignore[attr-defined]
    assert store.settings.explicit(domain="example.test", account_class="staff") == {IDLE: 1500}
    save(
        admin_client,
        "/accounts/bob@example.test/settings",
        {f"mode.{IDLE}": "set", f"value.{IDLE}": "2h"},
    )
    assert store.settings.explicit(account="bob@example.test") == {IDLE: 7200}


def test_unchanged_forms_save_nothing(admin_client: FlaskClient, store: Store) -> None:
    store.settings.set(IDLE, "15m")
    reply = save(admin_client, "/settings/server", {f"mode.{IDLE}": "set", f"value.{IDLE}": "15m"})
    assert reply.status_code == 302  # type: ignore[attr-defined]
    assert "Nothing to save" in admin_client.get("/settings/server").get_data(as_text=True)


def test_unknown_objects_are_404(admin_client: FlaskClient) -> None:
    assert admin_client.get("/domains/nowhere.test/settings").status_code == 404
    assert admin_client.get("/accounts/nobody@example.test/settings").status_code == 404
    assert admin_client.get("/domains/example.test/classes/none/settings").status_code == 404


FIELD = re.compile(r'name="value\.([a-z0-9_.]+)"')


def shown_values(page: str) -> dict[str, str]:
    """What each input of a settings form holds: text inputs' value, textareas' text, selects' choice."""
    values: dict[str, str] = {}
    for match in re.finditer(
        r'<input type="(?:text|number)" id="[^"]+" name="value\.([a-z0-9_.]+)" value="([^"]*)"', page
    ):
        values[match.group(1)] = match.group(2)
    for match in re.finditer(r'name="value\.([a-z0-9_.]+)" rows="2">([^<]*)</textarea>', page):
        values[match.group(1)] = match.group(2)
    for match in re.finditer(r'name="value\.([a-z0-9_.]+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', match.group(2))
        values[match.group(1)] = chosen.group(1) if chosen else ""
    return values


def test_every_section_shows_values_the_form_accepts_back(admin_client: FlaskClient, store: Store) -> None:
    """Every setting of the server level, section by section: setting each one "here" to the value the
    page shows must pass validation (what is displayed is valid input), and store the default."""
    import html

    from storage import settings as registry

    first = admin_client.get("/settings/server").get_data(as_text=True)
    sections = re.findall(r'href="/settings/server\?section=([a-z0-9_]+)"', first)
    assert len(sections) >= 10
    checked = 0
    for section in sections:
        page = admin_client.get(f"/settings/server?section={section}").get_data(as_text=True)
        values = {name: html.unescape(text) for name, text in shown_values(page).items()}
        assert set(values) == set(FIELD.findall(page)), section
        fields = {f"mode.{name}": "set" for name in values} | {f"value.{n}": v for n, v in values.items()}
        reply = admin_client.post(
            "/settings/server",
            data={
                "csrf_token": csrf_token(admin_client.get("/settings/server")),
                "section": section,
                **fields,
            },
        )
        assert reply.status_code == 302, (
            section,
            re.findall(r'role="alert">([^<]+)<', reply.get_data(as_text=True)),
        )
        explicit = store.settings.explicit()
        for name in values:
            stored, default = explicit[name], registry.get(name).default
            assert registry.format_value(name, stored) == registry.format_value(name, default), name
            checked += 1
    assert checked == len(registry.settings_for_level("server"))
