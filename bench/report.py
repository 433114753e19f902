"""How every benchmark prints its figures: the same number format and the same aligned table, so the
outputs of bench/*.py can be read (and pasted into bench/README.md) the same way."""

from __future__ import annotations

from collections.abc import Sequence


def fmt(x: float) -> str:
    """Three significant figures or so, thousands separated."""
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def print_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """First column left-aligned (the measure), the others right-aligned (figures and ratios)."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print(line)
    for r in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    print(line)
