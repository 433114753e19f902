"""The mail transaction's commands: MAIL, RCPT, DATA and BDAT, and the message text up to "250 queued".

Implementation notes:

* The sender and each recipient pass, in this order: the lookup in storage (``envelope``), the
  acceptance rules of the event, the size limits (declared SIZE against the server's, the account's, a
  rule's and, on the MX, a local recipient's own), then the connection checks. The first refusal is the
  reply; a rule may rewrite the address, and the rewritten one is what must exist.
* The message text is counted against the size limit as it arrives and ``onBodyChunk`` rules see the
  header block so far; a refusal then is kept and answered only at the end of the text (RFC 5321
  4.1.1.4, RFC 3030 2: the octets of a refused BDAT chunk are still read).
* At the end of the text ``handoff`` checks the whole message, then ``mailflow.submission.submit``
  (authenticated sessions: the envelope sender and the From: header must name addresses the user may
  send as) adds the trace fields and enqueues it durably; only then is "250 queued" written. The
  transaction is reset whatever the outcome.
"""

from __future__ import annotations

from mailflow import submission
from sidecars.smtp import acceptance, envelope, handoff, intake, message, trace
from sidecars.smtp import parser as P
from sidecars.smtp import replies as R
from sidecars.smtp.conversation import Conversation, Mode, State


class TransactionHandlers(Conversation):
    """MAIL, RCPT, DATA, BDAT (see ``sidecars.smtp.session.COMMANDS``) and the text they bring."""

    def _mail(self, cmd: P.MailFrom) -> None:  # RFC 5321 4.1.1.2; RFC 1870, 6152, 6531, 3461, 4954
        if cmd.params and not self._esmtp:
            self._fail(R.UNSUPPORTED_PARAMETER.format(name=next(iter(cmd.params))))
            return
        limit = self._size_limit()
        if cmd.params.get("SIZE", 0) > limit:
            self._fail(R.SIZE_EXCEEDED.format(limit=limit))
            return
        try:
            refusal = envelope.sender_refusal(self._store, self._account, cmd.address)
        except Exception:
            self._log.exception("sender check failed")
            self._say(R.STORAGE_ERROR)
            return
        if refusal is not None:
            self._fail(refusal)
            return
        refusal = self._policy("onMailFrom", sender=cmd.address, size=cmd.params.get("SIZE"))
        if refusal is None and self._txn.max_size and cmd.params.get("SIZE", 0) > self._txn.max_size:
            refusal = R.SIZE_EXCEEDED.format(limit=self._txn.max_size)
        if refusal is None:
            refusal = self._check("onMailFrom", sender=cmd.address)
        if refusal is not None:
            self._reset_transaction()
            self._fail(refusal)
            return
        sender = self._rewrite(cmd.address, self._rules.rewrite)
        self._txn.sender, self._txn.params = sender, dict(cmd.params)
        self._state = State.MAIL
        self._say(R.SENDER_OK.format(address=cmd.address))

    def _rcpt(self, cmd: P.RcptTo) -> None:  # RFC 5321 4.1.1.3; RFC 3461 4.1, 4.2
        txn = self._txn
        txn.rcpt_attempted = True
        if len(txn.recipients) >= self._max_recipients:
            self._say(R.TOO_MANY_RECIPIENTS)  # RFC 5321 4.5.3.1.10: 452, the client sends the rest later
            return
        address = cmd.address
        if address == "postmaster":
            address = envelope.postmaster_address(self._store, self._ctx.hostname)
        if not address.isascii() and "SMTPUTF8" not in txn.params:
            self._fail(R.UTF8_REQUIRED)
            return
        shown = address
        decision = self._decide("onRcptTo", sender=txn.sender, recipient=address)
        if decision.rewrite is not None:  # the rewritten address is the one that must exist
            address = self._rewrite(address, decision.rewrite)
        mx = self._ctx.listener == "smtp"
        try:
            may_relay = decision.rewrite is not None or self._account is not None or self._trusted()
            answer = envelope.look_up_recipient(self._store, address, size_limit=mx)
        except Exception:
            self._log.exception("recipient lookup failed")
            self._say(R.STORAGE_ERROR)
            return
        refusal = envelope.recipient_refusal(answer, address, may_relay=may_relay)
        if refusal is None:
            refusal = self._rules.apply("onRcptTo", decision, txn)
        if refusal is None and mx:
            refusal = self._recipient_limit(address, answer.size_limit)
        if refusal is None:
            refusal = self._check("onRcptTo", sender=txn.sender, recipient=address)
        if refusal is not None:
            self._fail(refusal)
            return
        txn.add_recipient(address, cmd.params)
        self._state = State.RCPT
        self._say(R.RECIPIENT_OK.format(address=shown))

    def _rewrite(self, address: str, to: str | None) -> str:
        """The address after an onMailFrom/onRcptTo rewrite to ``to`` (logged); unchanged without one."""
        if to is None:
            return address
        new = acceptance.rewritten(address, to)
        self._log.info("acceptance rule rewrote <%s> to <%s>", address, new)
        return new

    def _recipient_limit(self, address: str, limit: int | None) -> R.Reply | None:
        """MX: a local recipient's own size limit (read with the recipient's lookup); over it at RCPT
        (declared SIZE) is 552, and the message as a whole is refused at its end when it is over the
        smallest of them (see handoff.refusal)."""
        if limit is None or limit >= self._size_limit():
            return None
        if self._txn.params.get("SIZE", 0) > limit:
            return R.RECIPIENT_SIZE_EXCEEDED.format(address=address, limit=limit)
        self._txn.recipient_limits[address] = limit
        return None

    def _data(self, cmd: P.Data) -> None:  # RFC 5321 4.1.1.4
        if self._txn.bdat:
            self._fail(R.BAD_SEQUENCE.format(text="DATA cannot follow BDAT in one transaction"))
            return
        self._text.begin_data()
        self._mode = Mode.TEXT
        self._say(R.START_DATA)

    def _bdat(self, cmd: P.Bdat) -> None:  # RFC 3030 2
        self._txn.bdat = True
        self._begin_chunk(cmd, None)

    def _begin_chunk(self, cmd: P.Bdat, refusal: R.Reply | None) -> None:
        self._mode = Mode.TEXT
        end = self._text.begin_chunk(cmd.size, cmd.last, refusal)
        if end is not None:
            self._end_of_text(end)

    def _pump_text(self) -> bool:
        end = self._text.pump(self._reader, self._add_body)
        if end is not None:
            self._end_of_text(end)
        return end is not None

    def _add_body(self, data: bytes) -> None:
        txn = self._txn
        txn.add_body(data, self._size_limit())
        if self._rules.body_rules and txn.refusal is None and not txn.too_big:
            one = txn.recipients[0] if len(txn.recipients) == 1 else None
            facts = {"sender": txn.sender, "recipient": one, "size": txn.size, "headers": txn.header_block()}
            refusal = self._policy("onBodyChunk", **facts)
            if refusal is not None:
                txn.refuse(refusal)  # answered at the end of the text (RFC 5321 4.1.1.4)

    def _end_of_text(self, end: intake.End) -> None:
        self._mode = Mode.COMMAND
        if end.reply is not None:
            (self._fail if end.refused else self._say)(end.reply)
            return
        trace.message_text(self._log, self._txn.size)
        if self._txn.bdat:
            raw, nul = intake.finish_chunked(bytes(self._txn.body), self._log)
        else:
            raw, nul = bytes(self._txn.body), end.nul
        self._finish_message(raw, nul=nul)

    def _finish_message(self, raw: bytes, *, nul: bool) -> None:
        """Checks, then ``mailflow.submission`` (sender checks, trace fields, durable enqueue), then
        "250 queued" (RFC 5321 4.1.1.4, 4.4); see handoff."""
        ctx, txn, account = self._ctx, self._txn, self._account
        try:
            hops = int(self._cfg["smtp.max_received_headers"])
            limit = self._size_limit()
            refusal = handoff.refusal(txn, raw, nul=nul, limit=limit, max_received=hops, policy=self._policy)
            if refusal is None and not self._rules.accepted:
                refusal, raw = self._checks.message(txn, raw, trusted=self._is_trusted(), helo=self._helo)
            if refusal is not None:
                self._say(refusal)
                return
            name = message.protocol_name(
                esmtp=self._esmtp, smtputf8="SMTPUTF8" in txn.params, tls=ctx.tls_active,
                authenticated=account is not None,
            )  # fmt: skip
            origin = submission.Origin(
                ctx.peer_ip, ctx.peer_port, ctx.hostname, ctx.listener, ctx.session_id,
                f"{ctx.session_id}.{self._txn_count + 1}", name, ctx.tls_active, self._helo,
            )  # fmt: skip
            added = [*self._checks.headers(txn), *self._rules.headers, *txn.add_headers]
            result = submission.submit(
                self._store, account, handoff.envelope_of(txn), raw, origin, added=added, log=self._log
            )
            if not isinstance(result, submission.Refused) or result.reason.temporary:
                self._txn_count += 1  # the trace id counts the messages that reached the queue step
            self._say(handoff.reply_for(result, account))
        finally:
            self._reset_transaction()
