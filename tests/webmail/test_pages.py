"""The frame of both interfaces: folder tree, interface choice, skins, language."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"


def test_sidebar_shows_my_shared_and_public_folders(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    store = seeded.store
    bob = store.for_user(seeded.bob.id)
    projects = bob.create_folder("bob@example.test", "Projects")
    bob.change_entry(projects.id, "alice@example.test", "lr")
    store.folders.create("@example.test", "Announcements")
    store.for_user(seeded.alice.id).create_folder("alice@example.test", "Work/Reports")
    auth.login()
    text = client.get("/mail/", follow_redirects=True).get_data(as_text=True)
    assert "My folders" in text and ">Inbox</a>" in text and ">Reports</a>" in text
    assert 'class="unseen"' in text  # the unread welcome message
    assert "Shared by bob@example.test" in text and ">Projects</a>" in text
    assert "Public folders" in text and ">Announcements</a>" in text
    assert ">INBOX</a>" not in text  # bob's Inbox is not shared with alice


def test_mobile_is_offered_to_phones(client: FlaskClient) -> None:
    desktop = client.get("/login").get_data(as_text=True)
    phone = client.get("/login", headers={"User-Agent": PHONE}).get_data(as_text=True)
    assert 'value="standard" checked="checked"' in desktop
    assert 'value="mobile" checked="checked"' in phone


def test_chosen_interface_is_where_login_lands(client: FlaskClient, auth: AuthActions) -> None:
    assert auth.login(interface="mobile").headers["Location"] == "/m/"
    assert client.get("/").headers["Location"] == "/m/"
    assert client.get("/interface/standard").headers["Location"] == "/mail/"
    assert client.get("/").headers["Location"] == "/mail/"


def test_ajax_default_falls_back_to_standard(client: FlaskClient, seeded: Seeded) -> None:
    assert seeded.store.settings.get("webmail.interface") == "ajax"
    assert 'value="standard" checked="checked"' in client.get("/login").get_data(as_text=True)


def test_interface_restriction(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.settings.set("webmail.interfaces", ["standard"], domain="example.test")
    assert auth.login(interface="mobile").headers["Location"] == "/mail/"
    assert client.get("/interface/mobile").status_code == 404


def test_skin_setting_changes_the_style_sheet(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    assert "/skins/classic/skin.css" in client.get("/m/").get_data(as_text=True)
    seeded.store.settings.set("webmail.skin", "webreflection", account="alice@example.test")
    assert "/skins/webreflection/skin.css" in client.get("/m/").get_data(as_text=True)
    css = client.get("/skins/webreflection/skin.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert client.get("/skins/webreflection/base.css").status_code == 200  # falls back to base
    assert client.get("/skins/nosuch/skin.css").status_code == 404
    assert client.get("/skins/classic/../../webmail/__init__.py").status_code == 404


def test_each_skin_looks_different(client: FlaskClient) -> None:
    sheets = {
        skin: client.get(f"/skins/{skin}/skin.css").data for skin in ("classic", "collwater", "webreflection")
    }
    assert len(set(sheets.values())) == 3


def test_dates_follow_the_user_time_zone(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    inbox = client.get("/mail/", follow_redirects=True).get_data(as_text=True)
    seeded.store.settings.set("user.timezone", "Asia/Kolkata", account="alice@example.test")
    shifted = client.get("/mail/", follow_redirects=True).get_data(as_text=True)
    assert inbox != shifted  # UTC+05:30 moves the clock of the message date
