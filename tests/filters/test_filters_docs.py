"""docs/filters.md documents every setting of the filter engine: the issue's "docs/filters.md documents
every setting" kept true as settings are added or their defaults change.

Every registry setting (storage/settings.py) under one of the filter prefixes must have a row in one of
the document's settings tables: the first cell the name in backticks, a "default" column that states
the registry's default (in any of the usual spellings: 5 min for 300 seconds, 64 KiB, off, empty), a
column saying what it means, and, for a choice setting, every choice named in the row. A setting only
mentioned in prose does not count: an operator looking for a default finds it in a table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage import settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "filters.md"
PREFIXES = (
    "sieve.", "scan.", "spf.", "dkim.", "dmarc.", "dnsbl.", "rdns.", "mx_check.", "greylist.", "country.",
    "lists.", "identity.",
)  # fmt: skip
MEANING_COLUMNS = ("meaning", "what happens", "what a match does")
FILTER_SETTINGS = [s for s in settings.REGISTRY.values() if s.name.startswith(PREFIXES)]


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_rows(text: str) -> dict[str, list[dict[str, str]]]:
    """Setting name -> the rows (column header -> cell) whose first cell is exactly `name`."""
    rows: dict[str, list[dict[str, str]]] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        starts_table = line.startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip())
        if not starts_table or (i > 0 and lines[i - 1].startswith("|")):
            continue
        header = [h.lower() for h in cells(line)]
        for row in lines[i + 2 :]:
            if not row.startswith("|"):
                break
            values = cells(row)
            name = re.fullmatch(r"`([a-z0-9_.]+)`", values[0])
            if name:
                rows.setdefault(name.group(1), []).append(dict(zip(header, values, strict=False)))
    return rows


ROWS = table_rows(DOC.read_text())


def _number(n: int) -> set[str]:
    return {str(n), f"{n:,}"}


def spellings(setting: settings.Setting) -> set[str]:
    """How a default may be written in the document (lower case, backticks removed)."""
    value = setting.default
    found = {settings.format_value(setting.name, value).lower()} - {""}  # a blank cell says nothing
    if setting.type == "bool":
        return found | ({"on", "yes"} if value else {"off", "no"})
    if value in ("", ()):
        return found | {"empty", "none"}
    if setting.type == "seconds":
        found |= {f"{m} s" for m in _number(value)}
        for size, names in ((60, ("min", "minutes")), (3600, ("h", "hours")), (86400, ("day", "days"))):
            if value % size == 0:
                found |= {f"{n} {unit}" for n in _number(value // size) for unit in names}
        if value % (7 * 86400) == 0:
            found |= {f"{value // (7 * 86400)} weeks", f"{value // 86400} days"}
    elif setting.type == "bytes":
        found |= {f"{m} bytes" for m in _number(value)}
        for size, unit in ((1024, "KiB"), (1024**2, "MiB"), (1024**3, "GiB")):
            if value % size == 0:
                found.add(f"{value // size} {unit}".lower())
    elif setting.type == "int":
        found |= _number(value)
    else:
        found.add(str(value).lower())
    return found


def normalized(cell: str) -> str:
    return " ".join(cell.replace("`", "").lower().split()).rstrip(".")


def test_the_filter_prefixes_hold_settings() -> None:
    assert {s.name.split(".")[0] + "." for s in FILTER_SETTINGS} == set(PREFIXES)


@pytest.mark.parametrize("setting", FILTER_SETTINGS, ids=lambda s: s.name)
def test_setting_has_a_row_with_its_default_and_meaning(setting: settings.Setting) -> None:
    rows = ROWS.get(setting.name)
    assert rows, f"{setting.name} has no row in a settings table of {DOC.name}"
    with_default = [r for r in rows if "default" in r]
    assert with_default, f"{setting.name}: no table with a 'default' column lists it"
    for row in with_default:
        assert normalized(row["default"]) in spellings(setting), (
            f"{setting.name}: {DOC.name} says the default is {row['default']!r}, the registry says "
            f"{settings.format_value(setting.name, setting.default)!r}"
        )
        meaning = next((row[c] for c in MEANING_COLUMNS if row.get(c)), "")
        assert len(meaning.split()) >= 3, f"{setting.name}: the row says nothing of what it means"
        text = " ".join(row.values())
        missing = [c for c in setting.choices if f"`{c}`" not in text and not re.search(rf"\b{c}\b", text)]
        assert not missing, f"{setting.name}: choices {missing} are not named in its row"


def test_every_documented_setting_exists() -> None:
    """A row for a setting that was renamed or removed would send operators after nothing."""
    unknown = [name for name in ROWS if name.startswith(PREFIXES) and name not in settings.REGISTRY]
    assert not unknown, f"{DOC.name} documents settings the registry does not have: {unknown}"
