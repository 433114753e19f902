"""The acceptance rules as one session applies them: what each event's decision changes and which reply it earns.

``acceptance`` is the pure evaluator (facts in, a Decision out); this module keeps what decisions leave
behind for the rest of the session: whether STARTTLS or AUTH became a requirement (at onConnect/onEhlo),
the session's size cap and the header fields to add to every message, and, per transaction, the
message's own size cap and fields (kept on the Transaction). Broken rules refuse mail with
451 4.3.5 but let the client connect and say EHLO, so it can finish politely.
"""

from __future__ import annotations

from sidecars.smtp import acceptance
from sidecars.smtp import replies as R
from sidecars.smtp.message import Transaction

EARLY = ("onConnect", "onEhlo")  # decisions here last for the session


class SessionPolicy:
    def __init__(self, rules: tuple[acceptance.Rule, ...] | None, *, auth_required: bool) -> None:
        self.rules = rules  # None: the setting could not be read
        self.tls_required = False
        self.auth_required = auth_required
        self.max_size: int | None = None  # the session's cap from onConnect/onEhlo rules
        self.headers: list[tuple[str, str]] = []  # fields onConnect/onEhlo rules add to every message
        self.rewrite: str | None = None  # the last decision's rewrite (onMailFrom/onRcptTo), or None
        self.body_rules = rules is not None and any(r.event == "onBodyChunk" for r in rules)

    def decide(self, event: str, facts: acceptance.Facts) -> acceptance.Decision:
        if self.rules is None:
            if event in EARLY:
                return acceptance.Decision()
            return acceptance.Decision("tempfail", 451, "4.3.5", R.RULES_BROKEN.text)
        return acceptance.evaluate(self.rules, event, facts)

    def apply(self, event: str, d: acceptance.Decision, txn: Transaction) -> R.Reply | None:
        """Keep what ``d`` changes (caps, fields, requirements); the refusal it earns, or None."""
        early = event in EARLY
        self.rewrite = d.rewrite
        if d.max_size is not None:
            if early:
                self.max_size = min(self.max_size or d.max_size, d.max_size)
            else:
                txn.max_size = min(txn.max_size or d.max_size, d.max_size)
        (self.headers if early else txn.add_headers).extend(d.add_headers)
        if d.verdict in ("reject", "tempfail"):
            return R.Reply(d.code, d.status, d.text)
        # At connect/EHLO a requirement gates the rest of the session; later it refuses this command.
        if d.verdict == "require_tls":
            self.tls_required |= early
            return None if early else R.TLS_REQUIRED
        if d.verdict == "require_auth":
            self.auth_required |= early
            return None if early else R.AUTH_REQUIRED
        return None

    def size_limit(self, limit: int) -> int:
        """``limit`` (the server's or the account's) lowered by the session's cap."""
        return min(limit, self.max_size or limit)
