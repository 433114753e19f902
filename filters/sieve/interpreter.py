"""Runs a validated Sieve script against one message and returns its actions; applies nothing.

Implementation notes:

* The interpreter is a walk over ``ast.Call`` trees: one handler per command in ``_COMMANDS``, one per
  test in ``_TESTS`` (the same names as the registry in ``commands.py``). ``stop`` unwinds with an
  exception; there are no loops in Sieve, so a run is bounded by the script size times the message size.
* Matching, address parts and date parts come from ``matching``, ``addresses`` and ``dates``.
* Any failure during the run (a bad ``:regex``, incompatible actions, a helper raising) becomes a
  ``runtime`` ``SieveError`` at the command or test that failed; the outcome then is the implicit keep
  alone, with the error reported (the issue's "fall back to implicit keep and log").
* Variables (RFC 5229) are expanded only when the script requires "variables"; names are
  case-insensitive; the imap4flags internal variable lives beside them, outside their namespace.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from filters import SieveError
from filters.sieve import actions as act
from filters.sieve.addresses import address_part, header_addresses
from filters.sieve.ast import Call
from filters.sieve.dates import date_part, parse_header_date
from filters.sieve.matching import apply_modifiers, count_matches, match

_VARIABLE_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*|[0-9]+)\}")
_MODIFIER_ORDER = ("lower", "upper", "lowerfirst", "upperfirst", "quotewildcard", "length")
_LIST_HEADERS = (
    "list-id",
    "list-help",
    "list-unsubscribe",
    "list-subscribe",
    "list-post",
    "list-owner",
    "list-archive",
)
_NO_REPLY_LOCALPARTS = re.compile(
    r"(mailer-daemon|postmaster|listserv|majordomo|owner-.*|.*-request|.*-owner|no-?reply)\Z", re.I
)
_RECIPIENT_HEADERS = ("to", "cc", "bcc", "resent-to", "resent-cc")


@dataclass(frozen=True)
class MessageView:
    """What a script may look at. ``headers`` are decoded, in order; ``body_text`` is the text parts."""

    raw: bytes
    envelope_from: str
    envelope_to: str
    headers: list[tuple[str, str]]
    body_text: str
    size: int
    spam_score: int | None  # 1-10 from our spam level header; None: not scanned
    virus_score: int | None  # 1 clean .. 5 infected; None: not scanned
    now: datetime

    def header(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


@dataclass(frozen=True)
class Outcome:
    """The result of one run: explicit ``actions``; ``implicit_keep`` when INBOX still gets it.

    ``keep_flags`` are the IMAP flags the implicit keep files with (RFC 5232 3). ``errors`` holds the
    runtime error that stopped the run, if any (then ``actions`` is empty and ``implicit_keep`` true).
    """

    actions: tuple[act.Action, ...]
    implicit_keep: bool
    errors: tuple[SieveError, ...] = ()
    keep_flags: tuple[str, ...] = ()

    def deliveries(self) -> tuple[act.Action, ...]:
        """``actions`` plus a ``Keep`` for the implicit keep, as the processing worker applies them."""
        if self.implicit_keep:
            return (*self.actions, act.Keep(flags=self.keep_flags))
        return self.actions


class _Stop(Exception):
    pass


@dataclass
class _Run:
    message: MessageView
    required: frozenset[str]
    variables: dict[str, str]
    mailbox_exists: Callable[[str], bool] | None
    results: act.ActionSet = field(default_factory=act.ActionSet)
    match_variables: list[str] = field(default_factory=list)
    flags: tuple[str, ...] = ()

    # -- strings (RFC 5229 3)

    def expand(self, text: str) -> str:
        if "variables" not in self.required or "${" not in text:
            return text

        def substitute(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.isdigit():
                index = int(name)
                return self.match_variables[index] if index < len(self.match_variables) else ""
            return self.variables.get(name.lower(), "")

        return _VARIABLE_REF.sub(substitute, text)

    def expand_all(self, values: tuple[str, ...]) -> list[str]:
        return [self.expand(v) for v in values]

    # -- matching (RFC 5228 2.7, RFC 5231)

    def compare(self, call: Call, values: list[str], keys: tuple[str, ...]) -> bool:
        tags = call.tags
        expanded = self.expand_all(keys)
        if "count" in tags:
            how = self.expand(tags["count"]).lower()
            count = sum(1 for v in values if v != "") if call.name == "string" else len(values)
            if "comparator" in tags:
                return any(
                    count_matches(count, key, relation=how, comparator=tags["comparator"]) for key in expanded
                )
            return any(count_matches(count, key, relation=how) for key in expanded)
        comparator = tags.get("comparator", "i;ascii-casemap")
        relation: str | None = None
        if "value" in tags:
            match_type, relation = "value", self.expand(tags["value"]).lower()
        else:
            match_type = next((t for t in ("is", "contains", "matches", "regex") if t in tags), "is")
        for value in values:
            for key in expanded:
                found = match(value, key, comparator=comparator, match_type=match_type, relation=relation)
                if found is not None:
                    if match_type in ("matches", "regex") and "variables" in self.required:
                        self.match_variables = list(found)
                    return True
        return False


def evaluate(
    script: Any,
    message: MessageView,
    *,
    variables: dict[str, str] | None = None,
    mailbox_exists: Callable[[str], bool] | None = None,
) -> Outcome:
    """Run ``script`` (a compiled ``Script``) on ``message``; never raises ``SieveError``.

    Args:
        script: from ``compile_script``.
        message: the message as the script sees it.
        variables: initial values of variables (RFC 5229), e.g. from the caller's environment.
        mailbox_exists: answers the mailboxexists test (RFC 5490 3.1); without it the test is false.
    """
    run = _Run(
        message,
        script.extensions,
        {k.lower(): v for k, v in (variables or {}).items()},
        mailbox_exists,
    )
    try:
        _block(run, script.commands)
    except _Stop:
        pass
    except SieveError as error:
        return Outcome((), True, (error,))
    return Outcome(run.results.result(), run.results.implicit_keep, (), run.flags)


def _block(run: _Run, calls: tuple[Call, ...]) -> None:
    taken = False  # whether the current if/elsif/else chain already ran a branch
    for call in calls:
        name = call.name
        if name == "if":
            taken = False
        if name in ("if", "elsif"):
            if not taken and _test(run, call.tests[0]):
                taken = True
                assert call.block is not None
                _block(run, call.block)
            continue
        if name == "else":
            if not taken:
                assert call.block is not None
                _block(run, call.block)
            continue
        _command(run, call)


def _command(run: _Run, call: Call) -> None:
    try:
        _COMMANDS[call.name](run, call)
    except (_Stop, SieveError):
        raise
    except act.Conflict as exc:
        raise SieveError("runtime", call.line, call.column, str(exc)) from exc
    except Exception as exc:  # a helper failed: the whole run falls back to implicit keep
        raise SieveError("runtime", call.line, call.column, f"{call.name}: {exc}") from exc


def _test(run: _Run, call: Call) -> bool:
    try:
        return _TESTS[call.name](run, call)
    except SieveError:
        raise
    except Exception as exc:  # MatchError (bad regex, unknown comparator use) or a helper failure
        raise SieveError("runtime", call.line, call.column, f"{call.name}: {exc}") from exc


# -- commands


def _nothing(run: _Run, call: Call) -> None:
    pass


def _stop(run: _Run, call: Call) -> None:  # RFC 5228 3.3
    raise _Stop


def _flags_for(run: _Run, call: Call) -> tuple[str, ...]:
    if "flags" in call.tags:  # RFC 5232 5: :flags replaces the internal variable for this action
        return _normalise_flags(run.expand_all(call.tags["flags"]))
    return run.flags


def _keep(run: _Run, call: Call) -> None:  # RFC 5228 4.3
    run.results.keep(_flags_for(run, call))


def _discard(run: _Run, call: Call) -> None:  # RFC 5228 4.4
    run.results.discard()


def _fileinto(run: _Run, call: Call) -> None:  # RFC 5228 4.1, RFC 3894, RFC 5490 3.2
    folder = run.expand(call.positional[0])
    if not folder:
        raise SieveError("runtime", call.line, call.column, "fileinto an empty folder name")
    run.results.fileinto(
        folder, copy="copy" in call.tags, create="create" in call.tags, flags=_flags_for(run, call)
    )


def _redirect(run: _Run, call: Call) -> None:  # RFC 5228 4.2, RFC 3894
    address = run.expand(call.positional[0]).strip()
    if "@" not in address or any(c.isspace() for c in address) or address.startswith("@"):
        raise SieveError("runtime", call.line, call.column, f"redirect to an invalid address {address!r}")
    run.results.redirect(address, copy="copy" in call.tags)


def _reject(run: _Run, call: Call) -> None:  # RFC 5429 2.1-2.2
    run.results.reject(run.expand(call.positional[0]), extended=call.name == "ereject")


def _set(run: _Run, call: Call) -> None:  # RFC 5229 4
    value = run.expand(call.positional[1])
    modifiers = [m for m in _MODIFIER_ORDER if m in call.tags]
    if modifiers:
        value = apply_modifiers(value, modifiers)
    run.variables[call.positional[0].lower()] = value


def _flag_command(run: _Run, call: Call) -> None:  # RFC 5232 3.1-3.3
    variable, listed = call.positional
    given = _normalise_flags(run.expand_all(listed))
    current = _normalise_flags([run.variables.get(variable.lower(), "")]) if variable else run.flags
    if call.name == "setflag":
        new = given
    elif call.name == "addflag":
        new = current + tuple(f for f in given if f.lower() not in {c.lower() for c in current})
    else:
        drop = {f.lower() for f in given}
        new = tuple(f for f in current if f.lower() not in drop)
    if variable:
        run.variables[variable.lower()] = " ".join(new)
    else:
        run.flags = new


def _normalise_flags(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        for flag in value.split():
            seen.setdefault(flag.lower(), flag)
    return tuple(seen.values())


def _vacation(run: _Run, call: Call) -> None:  # RFC 5230 4
    tags = call.tags
    message = run.message
    reason = run.expand(call.positional[0])
    addresses = tuple(run.expand_all(tags.get("addresses", ())))
    days = max(1, min(45, int(tags.get("days", 7))))
    subject_tag = run.expand(tags["subject"]) if "subject" in tags else ""
    from_ = run.expand(tags["from"]) if "from" in tags else ""
    mime = "mime" in tags
    if "handle" in tags:
        handle = run.expand(tags["handle"])
    else:  # RFC 5230 4.2: derived from the arguments that shape the reply
        digest = hashlib.sha256("\0".join((reason, subject_tag, from_, str(mime))).encode()).hexdigest()
        handle = digest[:32]
    if not _should_answer(message, addresses):
        run.results.vacation(None)
        return
    original = message.header("subject")
    subject = subject_tag or "Auto: " + (original[0].strip() if original else "")
    message_id = message.header("message-id")
    run.results.vacation(
        act.Vacation(
            reason=reason,
            subject=subject,
            from_=from_,
            addresses=addresses,
            days=days,
            handle=handle,
            mime=mime,
            to=message.envelope_from,
            in_reply_to=message_id[0].strip() if message_id else "",
        )
    )


def _should_answer(message: MessageView, addresses: tuple[str, ...]) -> bool:
    """RFC 5230 4.5-4.6: no answer to bounces, lists, bulk or automatic mail, or mail not sent to us."""
    sender = message.envelope_from.strip()
    if not sender or "@" not in sender:
        return False
    if _NO_REPLY_LOCALPARTS.match(sender.rsplit("@", 1)[0]):
        return False
    if any(message.header(name) for name in _LIST_HEADERS):
        return False
    if any(v.strip().lower() in ("bulk", "list", "junk") for v in message.header("precedence")):
        return False
    if any(v.strip().lower() != "no" for v in message.header("auto-submitted")):
        return False
    mine = {a.strip().lower() for a in (message.envelope_to, *addresses) if a.strip()}
    if sender.lower() in mine:
        return False
    for name in _RECIPIENT_HEADERS:
        for value in message.header(name):
            if any(address.lower() in mine for address in header_addresses(value)):
                return True
    return False


_COMMANDS: dict[str, Callable[[_Run, Call], None]] = {
    "require": _nothing,
    "stop": _stop,
    "keep": _keep,
    "discard": _discard,
    "fileinto": _fileinto,
    "redirect": _redirect,
    "reject": _reject,
    "ereject": _reject,
    "vacation": _vacation,
    "setflag": _flag_command,
    "addflag": _flag_command,
    "removeflag": _flag_command,
    "set": _set,
}


# -- tests


def _address_values(run: _Run, call: Call, addresses: list[str]) -> list[str]:
    part = next((p for p in ("localpart", "domain", "user", "detail") if p in call.tags), "all")
    values: list[str] = []
    for address in addresses:
        if address == "":  # the null reverse path matches only "" (RFC 5228 5.4)
            if part == "all":
                values.append("")
            continue
        value = address_part(address, part)
        if value is not None:
            values.append(value)
    return values


def _address(run: _Run, call: Call) -> bool:  # RFC 5228 5.1
    addresses = [
        a
        for name in run.expand_all(call.positional[0])
        for header in run.message.header(name)
        for a in header_addresses(header)
    ]
    return run.compare(call, _address_values(run, call, addresses), call.positional[1])


def _envelope(run: _Run, call: Call) -> bool:  # RFC 5228 5.4
    addresses: list[str] = []
    for name in run.expand_all(call.positional[0]):
        part = name.lower()
        if part == "from":
            addresses.append(run.message.envelope_from.strip().strip("<>"))
        elif part == "to":
            addresses.append(run.message.envelope_to.strip().strip("<>"))
    return run.compare(call, _address_values(run, call, addresses), call.positional[1])


def _header(run: _Run, call: Call) -> bool:  # RFC 5228 5.7
    values = [v.strip() for name in run.expand_all(call.positional[0]) for v in run.message.header(name)]
    return run.compare(call, values, call.positional[1])


def _exists(run: _Run, call: Call) -> bool:  # RFC 5228 5.5
    return all(run.message.header(name) for name in run.expand_all(call.positional[0]))


def _size(run: _Run, call: Call) -> bool:  # RFC 5228 5.9
    limit: int = call.positional[0]
    return run.message.size > limit if "over" in call.tags else run.message.size < limit


def _string(run: _Run, call: Call) -> bool:  # RFC 5229 5
    return run.compare(call, run.expand_all(call.positional[0]), call.positional[1])


def _body(run: _Run, call: Call) -> bool:  # RFC 5173 5
    message = run.message
    if "raw" in call.tags:
        raw = message.raw
        split = raw.find(b"\r\n\r\n")
        body = raw[split + 4 :] if split >= 0 else raw[raw.find(b"\n\n") + 2 :] if b"\n\n" in raw else b""
        values = [body.decode("utf-8", "replace")]
    elif "content" in call.tags:  # only text parts are decoded for us: match when a text type is asked
        types = [t.strip().lower() for t in run.expand_all(call.tags["content"])]
        wanted = any(t in ("", "text", "text/plain", "text/html") or t.startswith("text/") for t in types)
        values = [message.body_text] if wanted else []
    else:
        values = [message.body_text]
    return run.compare(call, values, call.positional[-1])


def _zone_arguments(run: _Run, call: Call) -> dict[str, Any]:
    if "zone" in call.tags:
        return {"zone": run.expand(call.tags["zone"])}
    if "originalzone" in call.tags:
        return {"original_zone": True}
    return {}


def _date(run: _Run, call: Call) -> bool:  # RFC 5260 4
    header, part, keys = call.positional
    part = run.expand(part).lower()
    values: list[str] = []
    for value in run.message.header(run.expand(header)):
        when = parse_header_date(value)
        if when is not None:
            values.append(date_part(when, part, **_zone_arguments(run, call)))
    return run.compare(call, values, keys)


def _currentdate(run: _Run, call: Call) -> bool:  # RFC 5260 5
    part, keys = call.positional
    value = date_part(run.message.now, run.expand(part).lower(), **_zone_arguments(run, call))
    return run.compare(call, [value], keys)


def _mailboxexists(run: _Run, call: Call) -> bool:  # RFC 5490 3.1
    if run.mailbox_exists is None:
        return False
    check = run.mailbox_exists
    return all(check(name) for name in run.expand_all(call.positional[0]))


def _hasflag(run: _Run, call: Call) -> bool:  # RFC 5232 4
    variables, keys = call.positional
    if variables is None:
        flags = list(run.flags)
    else:
        flags = list(_normalise_flags([run.variables.get(v.lower(), "") for v in run.expand_all(variables)]))
    return run.compare(call, flags, keys)


def _spamtest(run: _Run, call: Call) -> bool:  # RFC 5235 3.2
    score = run.message.spam_score
    if "percent" in call.tags:  # 3.2.2: 0-100; an untested message matches nothing
        if score is None:
            return False
        value = str(round((max(1, min(10, score)) - 1) * 100 / 9))
    else:
        value = "0" if score is None else str(max(1, min(10, score)))
    return run.compare(call, [value], (call.positional[0],))


def _virustest(run: _Run, call: Call) -> bool:  # RFC 5235 3.3
    score = run.message.virus_score
    value = "0" if score is None else str(max(1, min(5, score)))
    return run.compare(call, [value], (call.positional[0],))


def _not(run: _Run, call: Call) -> bool:  # RFC 5228 5.8
    return not _test(run, call.tests[0])


def _anyof(run: _Run, call: Call) -> bool:  # RFC 5228 5.3 (short-circuit)
    return any(_test(run, t) for t in call.tests)


def _allof(run: _Run, call: Call) -> bool:  # RFC 5228 5.2 (short-circuit)
    return all(_test(run, t) for t in call.tests)


_TESTS: dict[str, Callable[[_Run, Call], bool]] = {
    "address": _address,
    "allof": _allof,
    "anyof": _anyof,
    "body": _body,
    "currentdate": _currentdate,
    "date": _date,
    "envelope": _envelope,
    "exists": _exists,
    "false": lambda run, call: False,
    "hasflag": _hasflag,
    "header": _header,
    "mailboxexists": _mailboxexists,
    "not": _not,
    "size": _size,
    "spamtest": _spamtest,
    "string": _string,
    "true": lambda run, call: True,
    "virustest": _virustest,
}
