"""The session's settings and the acceptance rules as one session applies them: what each event's
decision changes and which reply it earns.

``acceptance`` is the pure evaluator (facts in, a Decision out); this module keeps what decisions leave
behind for the rest of the session: whether STARTTLS or AUTH became a requirement (at onConnect/onEhlo),
the session's size cap and the header fields to add to every message, and, per transaction, the
message's own size cap and fields (kept on the Transaction). Broken rules refuse mail with
451 4.3.5 but let the client connect and say EHLO, so it can finish politely.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from filters import checks
from sidecars.smtp import acceptance, auth
from sidecars.smtp import replies as R
from sidecars.smtp.message import Transaction
from storage import settings as registry

if TYPE_CHECKING:
    from storage.store import Store

EARLY = ("onConnect", "onEhlo")  # decisions here last for the session
SETTINGS = (
    "mail.max_message_bytes",
    "mail.max_recipients",
    "smtp.max_received_headers",
    "smtp.allow_plaintext_auth",
    "smtp.vrfy",
    "smtp.trusted_networks",
    "smtp.acceptance_rules",
    "auth.allow_cram",
    "net.smtp.max_errors",
    "net.smtp.max_auth_failures",
)


def load(
    store: Store, listener: str, log: logging.LoggerAdapter[Any] | logging.Logger
) -> tuple[dict[str, Any], SessionPolicy]:
    """The settings a session reads once at its start (its own and the connection checks'), and its rules.

    Never raises: with the database away the defaults keep the session usable (storage calls then
    answer 451), and broken rules make a SessionPolicy that refuses mail with 451 4.3.5.
    """
    names = (*SETTINGS, *checks.settings_needed())
    try:
        cfg: dict[str, Any] = store.settings.effective_many(names)
    except Exception:
        log.exception("cannot read the SMTP settings; using defaults")
        cfg = {name: registry.get(name).default for name in names}
    if listener in auth.SUBMISSION_LISTENERS:
        try:
            cfg["auth.allow_cram"] = auth.cram_anywhere(store, cfg["auth.allow_cram"])
        except Exception:
            log.exception("cannot read the domains' auth.allow_cram; CRAM-MD5 is not offered")
    try:
        rules: tuple[acceptance.Rule, ...] | None = acceptance.parse_rules(cfg["smtp.acceptance_rules"])
    except ValueError as exc:
        log.error("%s", exc)
        rules = None
    return cfg, SessionPolicy(rules, auth_required=listener in auth.SUBMISSION_LISTENERS)


class SessionPolicy:
    def __init__(self, rules: tuple[acceptance.Rule, ...] | None, *, auth_required: bool) -> None:
        self.rules = rules  # None: the setting could not be read
        self.tls_required = False
        self.auth_required = auth_required
        self.max_size: int | None = None  # the session's cap from onConnect/onEhlo rules
        self.headers: list[tuple[str, str]] = []  # fields onConnect/onEhlo rules add to every message
        self.rewrite: str | None = None  # the last decision's rewrite (onMailFrom/onRcptTo), or None
        self.accepted = False  # the last decision was an explicit "accept": the connection checks are skipped
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
        self.accepted = d.verdict == "accept"
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
