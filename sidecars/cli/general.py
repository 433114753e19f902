"""Console commands of every context: login, STARTTLS, HELP, BACK, COMMIT, SAVE CONFIG, QUIT."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import parser as P
from sidecars.cli.accounts import commit_account
from sidecars.cli.domains import commit_domain
from sidecars.cli.state import ACCOUNT, DOMAIN, LOGIN, CommandFailed, Output, WrongUse

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession


def user(s: CliSession, args: list[str]) -> bytes:
    """USER name: the password follows on the next line, at the ``<password>`` prompt."""
    if len(args) != 1:
        raise P.ParseError("USER takes the administrator's name")
    return s.begin_login(args[0])


def starttls(s: CliSession, args: list[str]) -> Output:
    P.parameters(args)
    if s.tls_active or not s.ctx.tls_available:
        raise WrongUse("TLS is already on" if s.tls_active else "STARTTLS is not offered here")
    return Output(P.ok("begin TLS negotiation now"), start_tls=True)


def quit_(s: CliSession, args: list[str]) -> Output:
    return Output(P.ok("goodbye"), close=True)


def back(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    left = s.leave()
    if left.pending is not None:
        return P.ok(f"{left.kind} {left.name} abandoned (it was not created)")
    return P.ok(f"left {left.kind} {left.name}")


def commit(s: CliSession, args: list[str]) -> bytes:
    """COMMIT: create the pending object (with the settings set meanwhile) and go back up a context."""
    P.parameters(args)
    here = s.here
    if here.pending is None:
        return P.ok("nothing to commit: changes here apply as they are made")
    if here.kind == DOMAIN:
        text = commit_domain(s, here)
    elif here.kind == ACCOUNT:
        text = commit_account(s, here)
    else:  # pragma: no cover - only domains and accounts are made pending
        raise CommandFailed(f"a {here.kind} cannot be committed")
    s.stack.pop()
    return P.ok(text)


def save_config(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    return P.ok("nothing to save: settings are kept in storage and apply as soon as they are set")


def help_(s: CliSession, args: list[str]) -> bytes:
    """HELP: the commands of this context; HELP word...: those starting with the words given."""
    where = s.where
    rows = s.help_rows(tuple(w.upper() for w in args))
    if not rows:
        raise CommandFailed(f"no command {' '.join(args)[:60]!r} here; HELP lists this context's commands")
    title = "before login" if where == LOGIN else f"in {s.prompt().decode().strip()}"
    return P.table(("command", "what it does"), rows) + P.ok(f"{len(rows)} command(s) {title}")
