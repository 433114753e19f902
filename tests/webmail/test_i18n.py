"""Catalogs: English complete, every string extracted, the committed .mo files match their .po."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.webmail.conftest import AuthActions, Seeded
from webmail import create_app
from webmail.i18n import LOCALES

REPO = Path(__file__).resolve().parents[2]


def _catalogs() -> list[Path]:
    return sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_english_is_complete() -> None:
    with (LOCALES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source)
    missing = [
        m.id for m in catalog if m.id and (not any(m.string) if isinstance(m.string, tuple) else not m.string)
    ]
    assert not missing


def test_compiled_catalogs_match_their_sources() -> None:
    for po in _catalogs():
        with po.open("rb") as source:
            want = {_key(m.id): _key(m.string) for m in read_po(source) if m.id and not m.fuzzy}
        with po.with_suffix(".mo").open("rb") as compiled:
            have = {_key(m.id): _key(m.string) for m in read_mo(compiled) if m.id}
        assert have == want, f"{po.with_suffix('.mo')} is stale: run make messages"


def test_every_ui_string_is_in_the_catalogs(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO,
        check=True,
    )
    with pot.open("rb") as source:
        extracted = {m.id for m in read_po(source) if m.id}
    with (LOCALES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        english = {m.id for m in read_po(source) if m.id}
    assert extracted <= english, f"new strings, run make messages: {sorted(map(str, extracted - english))}"


def _catalog(root: Path, language: str, messages: dict[str, str]) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale=language)
    for source, text in messages.items():
        catalog.add(source, text)
    folder = root / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as out:
        write_mo(out, catalog)


def test_language_follows_the_browser_then_the_account(seeded: Seeded, tmp_path: Path) -> None:
    """A catalog of another language (made here: only English ships complete) changes the pages: before
    login by the browser's Accept-Language, after it by the account's user.language."""
    _catalog(tmp_path, "de", {"Sign in": "Anmelden", "Sign out": "Abmelden"})
    _catalog(tmp_path, "ar", {"Sign out": "\u062e\u0631\u0648\u062c"})
    app = create_app(
        {"STORE": seeded.store, "SECRET_KEY": "k", "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path)}
    )
    client = app.test_client()
    assert "Anmelden" in client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(
        as_text=True
    )
    assert "Anmelden" not in client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    auth = AuthActions(client)
    auth.login()
    assert ">Sign out<" in client.get("/m/").get_data(as_text=True)
    seeded.store.settings.set("user.language", "de-AT", account="alice@example.test")
    assert ">Abmelden<" in client.get("/m/").get_data(as_text=True)
    seeded.store.settings.set("user.language", "ar", account="alice@example.test")
    page = client.get("/m/").get_data(as_text=True)
    assert 'dir="rtl"' in page and 'lang="ar"' in page
