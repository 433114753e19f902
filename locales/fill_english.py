"""Complete the English catalog: every message's English text is its msgid (the source strings are
English), so ``make messages`` fills what extraction added. Other languages are translated by people."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill(path: Path) -> int:
    with path.open("rb") as source:
        catalog = read_po(source, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        empty = not any(message.string) if isinstance(message.string, tuple) else not message.string
        if empty or message.fuzzy:
            message.string = message.id
            message.flags.discard("fuzzy")
            filled += 1
    with path.open("wb") as out:
        write_po(out, catalog, width=0, sort_output=True)
    return filled


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "locales/en/LC_MESSAGES/messages.po")
    print(f"{target}: {fill(target)} message(s) filled")
