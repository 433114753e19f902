"""docs/administration.md lists every permission storage knows, in the words storage uses, so the
operator's table cannot drift from what ``fieldpost admin permissions`` prints and storage checks."""

from __future__ import annotations

import re
from pathlib import Path

from storage.adminscope import DOMAIN_RIGHTS, SERVER_RIGHTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "administration.md"


def table(section: str) -> dict[str, str]:
    text = DOC.read_text().split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([a-z_]+)` \| (.+?) \|$", text, flags=re.M))


def test_the_permission_tables_match_storage() -> None:
    assert table("Server permissions") == SERVER_RIGHTS
    assert table("Domain permissions") == DOMAIN_RIGHTS
