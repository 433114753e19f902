"""The SMTP receiving state machine (RFC 5321), for the MX listener and the submission listeners.

Implementation notes:

* No I/O: the server glue hands ``receive`` raw bytes in any chunking and writes back ``Output.data``;
  ``close`` and ``start_tls`` tell it what to do with the connection afterwards. Several replies may come
  from one call (PIPELINING, RFC 2920); they are always in command order.
* ``COMMANDS`` below is the protocol's surface: per verb the handler, the states that allow it, whether
  it is allowed before STARTTLS / AUTH when those are required, the help text and the RFC section.
* "250 queued" is written only after ``store.queue.enqueue`` returned (blob fsync'd, rows committed).
  Any failure there answers 451 4.3.0 and the session goes on; nothing accepted is ever dropped.
* Bytes after STARTTLS in the same read are discarded (RFC 3207 5, command injection); ``tls_started``
  then forgets EHLO, AUTH and the transaction (RFC 3207 4.2).
* The end of DATA is CRLF.CRLF only (see stream.DataDecoder); bare LF line endings are rewritten as CRLF.
  A message over the size limit is read to its end, then refused with 552.
* Policy (which recipients exist, who may relay, who may send as whom) is asked of storage; the
  acceptance rules are evaluated by the pure sidecars.smtp.acceptance at each event and applied by
  sidecars.smtp.policy (requirements, size caps, added fields).
* The session owns the state (mode, transaction, account, error counts) and the order of replies; the
  reply for a step that needs a lookup or a long check comes from the module that owns it: envelope
  (MAIL/RCPT/VRFY lookups), auth (the AUTH command and SASL exchange), intake (DATA/BDAT text),
  handoff (the end of a message and the durable enqueue).
* The class is layered by responsibility: ``conversation.Conversation`` holds the state, the replies
  with error control and the calls into the acceptance rules and checks; ``transaction_handlers`` adds
  MAIL, RCPT, DATA and BDAT with the message text; this module adds the contract with the server glue,
  the dispatch through ``COMMANDS`` and the session-level commands (EHLO/HELO, STARTTLS, AUTH, RSET,
  NOOP, HELP, VRFY, EXPN, QUIT).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sidecars import sasl
from sidecars.net.errorcontrol import DROP
from sidecars.smtp import auth, envelope, stream, trace
from sidecars.smtp import parser as P
from sidecars.smtp import replies as R
from sidecars.smtp.conversation import ANY, Mode, Output, State
from sidecars.smtp.message import Transaction
from sidecars.smtp.transaction_handlers import TransactionHandlers
from storage.models import Account


@dataclass(frozen=True)
class Command:
    handler: Callable[[SmtpSession, Any], None]
    states: frozenset[State]
    before_tls: bool  # allowed while STARTTLS is still required
    before_auth: bool  # allowed while AUTH is still required (submission)
    help: str
    rfc: str


class SmtpSession(TransactionHandlers):
    """One SMTP session, sans-IO: bytes in through ``receive``, replies out (see the notes above)."""

    # -- the contract with the server glue ------------------------------------------------------------

    def banner(self) -> bytes:
        """The greeting (RFC 5321 3.1, 4.2): 220, or 554 / 421 when the onConnect rules refuse."""
        decision = self._decide("onConnect")
        host = self._ctx.hostname
        if decision.verdict == "reject":
            self._rejected = True
            return R.CONNECT_REJECTED.format(host=host, text=decision.text).encode()
        if decision.verdict == "tempfail":
            self._closed = True
            return R.CONNECT_TEMPFAIL.format(host=host, text=decision.text).encode()
        self._rules.apply("onConnect", decision, self._txn)
        refusal = self._check("onConnect")
        if refusal is not None:  # RFC 5321 3.1: 554 and wait for QUIT, or 421 and close
            self._rejected, self._closed = refusal.code >= 500, refusal.code < 500
            return refusal.with_text(f"{host} {refusal.text}").encode()
        greeting = R.GREETING.format(host=host).encode()
        trace.replies(self._log, [greeting])
        return greeting

    def receive(self, data: bytes) -> Output:
        if self._closed:
            return Output(close=True)
        self._out, self._close, self._start_tls = [], False, False
        self._reader.feed(data)
        while not (self._close or self._start_tls):
            if self._mode is Mode.TEXT:
                if not self._pump_text():
                    break
            else:
                line = self._reader.next_line()
                if line is None:
                    break
                self._on_line(line)
        if self._start_tls:
            self._reader.take_rest()  # RFC 3207 5: nothing sent before the handshake may be acted on
        if self._close:
            self._closed = True
        trace.replies(self._log, self._out)
        return Output(b"".join(self._out), self._close, self._start_tls)

    def tls_started(self) -> None:
        """RFC 3207 4.2: the client starts over with EHLO; nothing learnt before the handshake is kept."""
        self._ctx = dataclasses.replace(self._ctx, tls_active=True)
        self._reader = stream.LineReader()
        self._state = State.CONNECTED
        self._mode = Mode.COMMAND
        self._helo, self._esmtp = None, False
        self._account, self._sasl = None, None
        self._reset_transaction()

    def connection_lost(self) -> None:
        if self._txn.recipients and self._mode is Mode.TEXT:
            self._log.info("connection lost during message data; nothing was queued")
        self._closed = True
        self._txn = Transaction()

    # -- command dispatch ------------------------------------------------------------------------------

    def _on_line(self, line: stream.Line) -> None:
        data = line.data if not line.too_long else b"<line too long>"
        trace.command(self._log, data, sasl_response=self._mode is Mode.AUTH)
        if line.too_long:
            if self._mode is Mode.AUTH:
                self._end_auth()
            self._fail(R.LINE_TOO_LONG)
            return
        if self._mode is Mode.AUTH:
            self._auth_response(line.data)
            return
        try:
            cmd = P.parse_command(line.data)
        except P.ParseError as exc:
            if P.command_verb(line.data) in P.FORBIDDEN_VERBS:
                self._say(R.FORBIDDEN_COMMAND.format(host=self._ctx.hostname))
                self._close = True
            else:
                self._fail(exc.reply)
            return
        entry = COMMANDS[cmd.verb]
        refusal = self._gate(cmd.verb, entry)
        if refusal is None:
            entry.handler(self, cmd)
        elif isinstance(cmd, P.Bdat):
            self._begin_chunk(cmd, refusal)  # RFC 3030 2: the octets are read even when refused
        else:
            self._fail(refusal)

    def _gate(self, verb: str, entry: Command) -> R.Reply | None:
        if self._rejected and verb != "QUIT":
            return R.REJECTED_SESSION
        if self._state not in entry.states:
            return self._out_of_sequence(verb)
        if self._rules.tls_required and not self._ctx.tls_active and not entry.before_tls:
            return R.TLS_REQUIRED
        if self._rules.auth_required and self._account is None and not entry.before_auth:
            return R.AUTH_REQUIRED
        return None

    def _out_of_sequence(self, verb: str) -> R.Reply:
        if self._state is State.CONNECTED:
            return R.NEED_EHLO
        if verb == "MAIL":
            return R.NESTED_MAIL
        if verb in ("DATA", "BDAT") and self._state is State.MAIL:
            return R.NO_VALID_RECIPIENTS if self._txn.rcpt_attempted else R.NEED_RCPT
        if verb in ("RCPT", "DATA", "BDAT"):
            return R.NEED_MAIL
        return R.BAD_SEQUENCE.format(text=f"{verb} is not allowed during a mail transaction")

    # -- handlers (one per command; see COMMANDS) ---------------------------------------------------------

    def _ehlo(self, cmd: P.Ehlo | P.Helo) -> None:  # RFC 5321 4.1.1.1
        self._reset_transaction()
        self._helo = cmd.domain
        refusal = self._policy("onEhlo") or self._check("onEhlo")
        if refusal is not None:
            self._fail(refusal)
            return
        self._state = State.READY
        host = self._ctx.hostname
        if isinstance(cmd, P.Helo):
            self._esmtp = False
            self._say(R.HELO_OK.format(host=host, name=cmd.domain))
            return
        self._esmtp = True
        self._say(R.EHLO_OK.format(host=host, name=cmd.domain, ip=self._ctx.peer_ip), self._extensions())

    def _extensions(self) -> tuple[str, ...]:
        ext = [
            f"SIZE {self._size_limit()}",
            "PIPELINING",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "DSN",
            "SMTPUTF8",
        ]
        ext.append("CHUNKING")
        if self._ctx.tls_available and not self._ctx.tls_active:
            ext.append("STARTTLS")
        mechanisms = auth.offered_mechanisms(self._ctx.listener, self._ctx.tls_active, self._cfg)
        if mechanisms:
            ext.append("AUTH " + " ".join(mechanisms))
        return tuple(ext)

    def _rset(self, cmd: P.Rset) -> None:  # RFC 5321 4.1.1.5
        self._reset_transaction()
        self._say(R.RESET_OK)

    def _noop(self, cmd: P.Noop) -> None:  # RFC 5321 4.1.1.9
        self._say(R.OK)

    def _help(self, cmd: P.Help) -> None:  # RFC 5321 4.1.1.8
        topic = COMMANDS.get(cmd.topic.upper()) if cmd.topic else None
        if topic is not None:
            self._say(R.HELP_TOPIC.format(text=f"{topic.help} ({topic.rfc})"))
            return
        self._say(R.HELP, tuple(f"{verb:<9}{entry.help}" for verb, entry in COMMANDS.items()))

    def _quit(self, cmd: P.Quit) -> None:  # RFC 5321 4.1.1.10
        self._say(R.CLOSING.format(host=self._ctx.hostname))
        self._close = True

    def _vrfy(self, cmd: P.Vrfy) -> None:  # RFC 5321 4.1.1.6, 3.5.3, 7.3
        if not self._cfg["smtp.vrfy"]:
            self._say(R.VRFY_DISABLED)
            return
        reply, error = envelope.verify(self._store, cmd.argument)
        (self._fail if error else self._say)(reply)

    def _expn(self, cmd: P.Expn) -> None:  # RFC 5321 4.1.1.7, 7.3: list expansion is not disclosed
        self._fail(R.NOT_IMPLEMENTED.format(verb="EXPN"))

    def _starttls(self, cmd: P.StartTls) -> None:  # RFC 3207 4
        if self._ctx.tls_active:
            self._fail(R.BAD_SEQUENCE.format(text="TLS is already active"))
            return
        if not self._ctx.tls_available:
            self._say(R.TLS_UNAVAILABLE)
            return
        self._say(R.TLS_GO_AHEAD)
        self._start_tls = True

    def _auth(self, cmd: P.Auth) -> None:  # RFC 4954 4
        refusal = auth.command_refusal(
            cmd.mechanism,
            logged_in=self._account is not None,
            listener=self._ctx.listener,
            tls_active=self._ctx.tls_active,
            cfg=self._cfg,
        )
        if refusal is not None:
            self._fail(refusal)
            return
        mechanism = sasl.new(
            cmd.mechanism, self._store, ip=self._ctx.peer_ip, service="smtp", hostname=self._ctx.hostname
        )
        self._sasl = auth.Exchange(mechanism, self._log, self._store)
        self._auth_turn(self._sasl.start(cmd.initial))

    def _auth_response(self, data: bytes) -> None:
        assert self._sasl is not None
        self._auth_turn(self._sasl.respond(data))

    def _auth_turn(self, turn: auth.Turn) -> None:
        if turn.waiting:
            self._mode = Mode.AUTH
            self._say(turn.reply)
            return
        self._end_auth()
        if turn.account is not None:
            self._authenticated(turn.account)
            self._say(turn.reply)
        elif turn.auth_failure:
            self._say(turn.reply)
            if self._errors.auth_failure() == DROP:
                self._log.info("dropping the session: %s", self._errors.reason)
                self._say(R.TOO_MANY_AUTH_FAILURES.format(host=self._ctx.hostname))
                self._close = True
        elif turn.protocol_error:
            self._fail(turn.reply)
        else:
            self._say(turn.reply)

    def _end_auth(self) -> None:
        self._mode = Mode.COMMAND
        self._sasl = None

    def _authenticated(self, account: Account) -> None:
        self._account = account
        self._log.info("authenticated as %s", account.address)
        try:
            self._max_size, self._max_recipients = auth.account_limits(self._store, account)
        except Exception:
            self._log.exception("cannot read the account's mail limits; keeping the server's")


def _cmd(handler: Callable[[SmtpSession, Any], None], states: frozenset[State], **kw: Any) -> Command:
    return Command(handler=handler, states=states, **kw)


# The protocol's surface. before_tls/before_auth: allowed while STARTTLS/AUTH is still required.
COMMANDS: dict[str, Command] = {
    "EHLO": _cmd(SmtpSession._ehlo, ANY, before_tls=True, before_auth=True, help="EHLO <domain>: start an ESMTP session", rfc="RFC 5321 4.1.1.1"),
    "HELO": _cmd(SmtpSession._ehlo, ANY, before_tls=True, before_auth=True, help="HELO <domain>: start a plain SMTP session", rfc="RFC 5321 4.1.1.1"),
    "STARTTLS": _cmd(SmtpSession._starttls, frozenset({State.READY}), before_tls=True, before_auth=True, help="STARTTLS: switch to TLS", rfc="RFC 3207 4"),
    "AUTH": _cmd(SmtpSession._auth, frozenset({State.READY}), before_tls=False, before_auth=True, help="AUTH <mechanism> [initial-response]: log in", rfc="RFC 4954 4"),
    "MAIL": _cmd(SmtpSession._mail, frozenset({State.READY}), before_tls=False, before_auth=False, help="MAIL FROM:<sender> [SIZE= BODY= SMTPUTF8 RET= ENVID= AUTH=]", rfc="RFC 5321 4.1.1.2"),
    "RCPT": _cmd(SmtpSession._rcpt, frozenset({State.MAIL, State.RCPT}), before_tls=False, before_auth=False, help="RCPT TO:<recipient> [NOTIFY= ORCPT=]", rfc="RFC 5321 4.1.1.3"),
    "DATA": _cmd(SmtpSession._data, frozenset({State.RCPT}), before_tls=False, before_auth=False, help="DATA: send the message, end with <CRLF>.<CRLF>", rfc="RFC 5321 4.1.1.4"),
    "BDAT": _cmd(SmtpSession._bdat, frozenset({State.RCPT}), before_tls=False, before_auth=False, help="BDAT <size> [LAST]: send a chunk of the message", rfc="RFC 3030 2"),
    "RSET": _cmd(SmtpSession._rset, ANY, before_tls=True, before_auth=True, help="RSET: abandon the transaction", rfc="RFC 5321 4.1.1.5"),
    "NOOP": _cmd(SmtpSession._noop, ANY, before_tls=True, before_auth=True, help="NOOP: do nothing", rfc="RFC 5321 4.1.1.9"),
    "HELP": _cmd(SmtpSession._help, ANY, before_tls=True, before_auth=True, help="HELP [command]: this text", rfc="RFC 5321 4.1.1.8"),
    "VRFY": _cmd(SmtpSession._vrfy, ANY, before_tls=False, before_auth=False, help="VRFY <address>: check an address (usually disabled)", rfc="RFC 5321 4.1.1.6"),
    "EXPN": _cmd(SmtpSession._expn, ANY, before_tls=False, before_auth=False, help="EXPN <list>: not available", rfc="RFC 5321 4.1.1.7"),
    "QUIT": _cmd(SmtpSession._quit, ANY, before_tls=True, before_auth=True, help="QUIT: end the session", rfc="RFC 5321 4.1.1.10"),
}  # fmt: skip
