"""The ``<style>`` blocks of HTML mail, rebuilt from what can only change looks, for the body frame.

Why: newsletters put their layout in ``<style>`` blocks and ``class`` attributes. nh3 cannot clean CSS, so
the sanitiser drops those blocks; this module rebuilds a stylesheet from them that the Standard reader's
body document carries (inside the sandboxed frame, under its CSP, never in our own pages):

- comments are removed first; a rule holding ``\\`` (CSS escapes), ``<`` or ``>`` is dropped, and an
  unbalanced block ends the sheet there;
- rules are ``selectors { declarations }``; selectors may hold only element, class, id, attribute,
  combinator and pseudo-class characters; every declaration goes through
  :func:`webmail.reading.css.clean_style` (allow-listed properties, no ``url()``, no ``expression``);
- at-rules are dropped (``@import``, ``@font-face``, ``@keyframes``, ``@namespace``...) except ``@media``,
  whose inner rules are cleaned the same way (one level deep);
- limits: ``MAX_STYLESHEET_CHARS`` of input, ``MAX_RULES`` rules, selectors of at most
  ``MAX_SELECTOR_CHARS``.

What it cannot do harm with: no rule can fetch anything (no ``url()``, no ``@import``, no fonts; the
frame's CSP allows images from ``data:`` only), and the sheet lives in the message's own document.
"""

from __future__ import annotations

import re

from webmail.reading.css import clean_style

MAX_STYLESHEET_CHARS = 200_000
MAX_RULES = 2000
MAX_SELECTOR_CHARS = 300

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.I | re.S)
_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_SELECTOR = re.compile(r"[A-Za-z0-9_\s.#,:>+~*\[\]=\"'()|^$-]+")
_MEDIA_QUERY = re.compile(r"[A-Za-z0-9_\s:(),.-]+")


def style_blocks(html: str) -> str:
    """The text of every ``<style>`` element of ``html``, joined (the input of :func:`clean_stylesheet`)."""
    return "\n".join(m.group(1) for m in _STYLE_BLOCK.finditer(html[: MAX_STYLESHEET_CHARS * 10]))


def _rules(css: str) -> list[tuple[str, str]]:
    """(prelude, block) pairs at the top level of ``css``; nested blocks are kept whole in ``block``."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(css) and len(out) < MAX_RULES:
        brace = css.find("{", pos)
        semi = css.find(";", pos)
        if brace < 0:
            break
        if 0 <= semi < brace:  # a statement at-rule (@import ...;) or junk: skipped
            pos = semi + 1
            continue
        depth, end = 1, brace + 1
        while end < len(css) and depth:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        if depth:
            break  # unbalanced to the end: the rest is dropped
        out.append((css[pos:brace].strip(), css[brace + 1 : end - 1]))
        pos = end
    return out


def _style_rule(prelude: str, block: str) -> str | None:
    if len(prelude) > MAX_SELECTOR_CHARS or not _SELECTOR.fullmatch(prelude):
        return None
    if any(ch in block for ch in "{\\<>"):  # nested blocks, CSS escapes, markup: the rule goes
        return None
    declarations = clean_style(block)
    return f"{' '.join(prelude.split())} {{ {declarations} }}" if declarations else None


def clean_stylesheet(css: str) -> str:
    """The kept rules of ``css`` (see the module docstring), one per line; "" when none is kept."""
    css = _COMMENT.sub(" ", css[:MAX_STYLESHEET_CHARS])
    kept: list[str] = []
    for prelude, block in _rules(css):
        if prelude.startswith("@"):
            name, _, query = prelude[1:].partition(" ")
            if name.lower() != "media" or not _MEDIA_QUERY.fullmatch(query.strip() or "all"):
                continue
            inner = [r for r in (_style_rule(p, b) for p, b in _rules(block)) if r]
            if inner:
                kept.append(f"@media {' '.join(query.split())} {{\n" + "\n".join(inner) + "\n}")
            continue
        rule = _style_rule(prelude, block)
        if rule:
            kept.append(rule)
    sheet = "\n".join(kept)
    return "" if "\\" in sheet or "<" in sheet else sheet  # belt and braces: neither can be in a kept rule
