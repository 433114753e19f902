"""Content scanners: clients of the daemons that grade a message, and the chain level that uses them.

Modules:

* ``transport``: the one place that opens connections to scanner daemons (TCP ``HOST:PORT`` or a unix
  socket ``unix:/path``), with a timeout on every step and a cap on how much a reply may hold.
* ``spamd``: SpamAssassin's spamd protocol (SPAMC/1.2: CHECK, SYMBOLS, PROCESS, PING).
* ``clamd``: ClamAV's clamd protocol (INSTREAM in chunks, PING).
* ``milter``: the Milter protocol, version 6, as the mail server's side, for any milter.
* ``level``: the filter chain level: runs the enabled scanners, writes our spam level (1-10) and virus
  level (1-5) fields that Sieve's spamtest/virustest read, and applies the configured actions.

Why these clients live in ``filters`` and open sockets: a scanner is a filter the chain calls while it
decides, like the DNS resolver of ``filters.dns``; the daemons are outbound, request/response services on
the operator's own machines. The protocol encoders and reply parsers are pure functions, so the bad-reply
handling is tested without a daemon; only ``transport`` touches the network.

Errors: a daemon that is down, times out or answers something we cannot read raises ``ScannerDown`` or
``ScannerReplyError``, both ``filters.FilterUnavailable``: the processing service then keeps the message
queued (failsafe). A message the daemon refuses to scan (too large, or a scan error about the content)
raises ``Unscannable``, which the level turns into the configured unscannable-mail action.
"""

from __future__ import annotations

from filters import FilterError, FilterUnavailable


class ScannerDown(FilterUnavailable):
    """The daemon cannot be reached or stopped answering (refused, reset, timed out)."""


class ScannerReplyError(FilterUnavailable):
    """The daemon answered something that is not its protocol, or an error about itself."""


class Unscannable(FilterError):
    """The daemon is fine but cannot grade this message (over its size limit, a scan error on it)."""
