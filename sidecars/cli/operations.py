"""Server-context console commands for running the server: the mail queue and the services.

The queue work is mailflow.queue_ops' (the ``fieldpost queue`` commands share it) on the administrator's
queue (``view.queue``, server administrators only, checked in storage). Services are steered through the
supervisor's control socket (fieldpost.control_client), like ``fieldpost service``; the console will not stop or
restart its own service (that would end the session asking for it: use ``fieldpost service`` for that).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mailflow import queue_ops
from sidecars.cli import parser as P
from sidecars.cli.state import CommandFailed
from storage import settings as registry

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession

QUEUE_LIST_LIMIT = 1000
OWN_SERVICE = "cli"


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _qid(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise P.ParseError(f"a queue id is a number, not {text[:40]!r}")
    return int(text)


def list_queue(s: CliSession, args: list[str]) -> bytes:
    """LIST QUEUE [sender S] [recipient R] [state ST] [minSize N] [failure TEXT]."""
    params = P.parameters(args, optional=["sender", "recipient", "state", "minSize", "failure"])
    min_size = None
    if "minsize" in params:
        min_size = int(registry.validate("mail.max_message_bytes", params["minsize"]))
    messages = queue_ops.list_messages(
        s.view,
        sender=params.get("sender"),
        recipient=params.get("recipient"),
        states=[params["state"]] if "state" in params else None,
        min_size=min_size,
        failure=params.get("failure"),
        limit=QUEUE_LIST_LIMIT,
    )
    rows = [
        (
            str(m.id),
            m.state,
            str(m.size),
            _when(m.received_at),
            _when(m.next_attempt_at),
            m.sender or "<>",
            ", ".join(r.address for r in m.recipients),
        )
        for m in messages
    ]
    headers = ("id", "state", "size", "received", "next_attempt", "sender", "recipients")
    more = (
        f" (the first {QUEUE_LIST_LIMIT}; narrow with sender/recipient/state)"
        if len(rows) >= QUEUE_LIST_LIMIT
        else ""
    )
    return P.table(headers, rows) + P.ok(f"{len(rows)} queued message(s){more}")


def show_queue(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["id"])
    shown = queue_ops.show(s.view, _qid(params["id"]))
    m = shown.message
    text = [
        f"id: {m.id}",
        f"state: {m.state}",
        f"sender: {m.sender or '<>'}",
        f"size: {m.size}",
        f"received: {_when(m.received_at)}",
        f"next attempt: {_when(m.next_attempt_at)}",
        f"last error: {m.last_error or '-'}",
        *(f"recipient: {r.address} {r.state} {r.last_error or ''}".rstrip() for r in m.recipients),
        "header:",
        *(f"  {line}" for line in shown.header.splitlines()),
    ]
    return P.lines(text) + P.ok(f"queued message {m.id} shown")


def retry_queue(s: CliSession, args: list[str]) -> bytes:
    """RETRY QUEUE id N | RETRY QUEUE all yes."""
    params = P.parameters(args, optional=["id", "all"])
    if ("id" in params) == ("all" in params):
        raise P.ParseError("give either id N or all yes")
    count = queue_ops.retry(s.view, _qid(params["id"]) if "id" in params else None)
    return P.ok(f"{count} message(s) due now")


def delete_queue(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["id"])
    qid = _qid(params["id"])
    s.view.queue.get(qid)
    queue_ops.delete(s.view, qid)
    return P.ok(f"queued message {qid} deleted")


def bounce_queue(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["id"])
    qid = _qid(params["id"])
    reported = queue_ops.bounce(s.store, qid, hostname=s.ctx.hostname, queue=s.view.queue)
    return P.ok(f"queued message {qid} returned to its sender ({reported} recipient(s) reported)")


# -- services -------------------------------------------------------------------------------------------


def _control(s: CliSession, command: str, service: str | None = None) -> dict[str, Any]:
    s.view.scope().require("services")
    if s.ctx.control is None:
        raise CommandFailed("no supervisor to ask: this console runs outside 'fieldpost serve'")
    return s.ctx.control(command, service)  # raises CommandFailed when the supervisor refuses


def _state_row(name: str, state: dict[str, Any]) -> tuple[str, ...]:
    ports = ", ".join(f"{x['name']}:{x['port']}" for x in state.get("listeners", []))
    return (
        name,
        str(state.get("state")),
        str(state.get("pid") or "-"),
        str(state.get("restarts", 0)),
        ports or "-",
    )


def list_services(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    reply = _control(s, "status")
    services = reply.get("services", {})
    rows = [_state_row(name, state) for name, state in services.items()]
    return P.table(("service", "state", "pid", "restarts", "listeners"), rows) + P.ok(
        f"{len(rows)} service(s)"
    )


def _steer(s: CliSession, args: list[str], command: str) -> bytes:
    params = P.parameters(args, ["name"])
    name = params["name"].lower()
    if name == OWN_SERVICE and command != "start":
        raise CommandFailed(
            f"the console cannot {command} its own service; use 'fieldpost service {command} cli'"
        )
    reply = _control(s, command, name)
    state = reply.get("service", {})
    return P.table(("service", "state", "pid", "restarts", "listeners"), [_state_row(name, state)]) + P.ok(
        f"{command} {name}: {state.get('state')}"
    )


def start_service(s: CliSession, args: list[str]) -> bytes:
    return _steer(s, args, "start")


def stop_service(s: CliSession, args: list[str]) -> bytes:
    return _steer(s, args, "stop")


def restart_service(s: CliSession, args: list[str]) -> bytes:
    return _steer(s, args, "restart")
