"""Catalogs: English complete, every string extracted, the committed .mo files match their .po."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

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
