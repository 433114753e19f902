"""LIST/LSUB mailbox patterns (RFC 3501 6.3.8): "*" matches any text, "%" any text without the
hierarchy delimiter, every other character itself; a leading INBOX matches without regard to case
(RFC 3501 5.1).

The client writes the pattern, so it is never turned into a regular expression: a backtracking
engine given "*a*a*a*a*a*a*a*a*b" and a name of 250 "a"s tries exponentially many splits and
wedges the whole process. Instead the pattern is run as a nondeterministic automaton whose states
are pattern positions; all live states advance together, one name character at a time, with the
state sets held as bit masks in Python ints. A match costs O(len(name) * len(pattern) / 64) word
operations whatever the input, and nothing ever backtracks.
"""

from __future__ import annotations

DELIMITER = "/"


class MailboxPattern:
    """Compiled patterns; :meth:`matches` a whole name against any of them, :meth:`may_match_under`
    a name prefix.

    The alternatives (LIST takes a list of patterns, RFC 5258 3) share one automaton, so a name is
    read once whatever their number. Each alternative's items (after runs of wildcards are
    collapsed: a run holding a "*" is one "*", a run of "%" is one "%") take one position each,
    followed by its accepting position; bit i of a state set stands for position i.
    """

    __slots__ = ("_accept", "_any", "_local", "_literal", "_start", "_wild", "text")

    def __init__(self, *alternatives: str, inbox_prefix: bool = True) -> None:
        self.text = alternatives
        # character -> positions whose literal accepts it
        self._literal: dict[str, int] = {}
        self._any = 0  # positions of "*"
        self._local = 0  # positions of "%"
        self._start = 0  # the first position of each alternative
        self._accept = 0  # the accepting position of each alternative
        base = 0
        for text in alternatives:
            items = _collapse(text)
            fold = inbox_prefix and _has_inbox_prefix(text)
            self._start |= 1 << base
            for index, item in enumerate(items):
                bit = 1 << (base + index)
                if item == "*":
                    self._any |= bit
                elif item == "%":
                    self._local |= bit
                else:
                    accepted = {"INBOX"[index], "inbox"[index]} if fold and index < 5 else {item}
                    for char in accepted:
                        self._literal[char] = self._literal.get(char, 0) | bit
            self._accept |= 1 << (base + len(items))
            base += len(items) + 1
        self._wild = self._any | self._local

    def __repr__(self) -> str:
        return f"MailboxPattern{self.text!r}"

    def _close(self, live: int) -> int:
        # a wildcard may match nothing; after collapsing, the position after one is never another
        return live | ((live & self._wild) << 1)

    def _run(self, text: str) -> int:
        live = self._close(self._start)
        for char in text:
            stay = live & self._any
            if char != DELIMITER:
                stay |= live & self._local
            live = self._close(((live & self._literal.get(char, 0)) << 1) | stay)
            if not live:
                break
        return live

    def matches(self, name: str) -> bool:
        """Whether the whole of ``name`` matches one of the patterns."""
        return bool(self._run(name) & self._accept)

    def may_match_under(self, prefix: str) -> bool:
        """Whether ``prefix`` or some name starting with it matches; it decides whether other users'
        and public folders need to be looked up at all. Every live position can still reach the
        accepting one (wildcards match nothing, a literal its own character), so any live state
        after the prefix means some continuation matches."""
        return bool(self._run(prefix))


def _collapse(text: str) -> list[str]:
    items: list[str] = []
    for char in text:
        if char in "*%" and items and items[-1] in ("*", "%"):
            if char == "*":
                items[-1] = "*"
            continue
        items.append(char)
    return items


def _has_inbox_prefix(text: str) -> bool:
    return text[:5].upper() == "INBOX" and (len(text) == 5 or text[5] in "/*%")
