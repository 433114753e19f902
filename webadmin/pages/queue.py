"""The mail queue: filter, look at one message, retry, delete or bounce it.

The work is ``mailflow.queue_ops``' (the ``fieldpost queue`` commands share it) on the administrator's
queue (``view.queue``), whose every call checks in storage that they may act on the queue. Listing shows
at most :data:`LIST_LIMIT` messages (the filters narrow it); a message's page shows its envelope, its
recipients with their states and last errors, and its header block.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from mailflow import queue_ops
from storage.errors import InvalidInput
from storage.queue import STATES
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp

nav.add("Queue", _l("Mail queue"), "pages.queue", server_only=True, order=10)

LIST_LIMIT = 200
MAX_FILTER = 320  # an address at most


def _filter(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > MAX_FILTER:
        raise InvalidInput(f"the {name} filter is longer than {MAX_FILTER} characters")
    return value or None


@bp.get("/queue")
def queue() -> Any:
    state = request.args.get("state", "")
    if state and state not in STATES:
        raise InvalidInput(f"unknown queue state {state[:30]!r}")
    filters = {"sender": _filter("sender"), "recipient": _filter("recipient"), "failure": _filter("failure")}
    messages = queue_ops.list_messages(
        admin_view(),
        sender=filters["sender"],
        recipient=filters["recipient"],
        failure=filters["failure"],
        states=[state] if state else None,
        limit=LIST_LIMIT + 1,
    )
    return render_template(
        "ops/queue.html",
        messages=messages[:LIST_LIMIT],
        more=len(messages) > LIST_LIMIT,
        limit=LIST_LIMIT,
        states=STATES,
        state=state,
        filters={k: v or "" for k, v in filters.items()},
    )


@bp.get("/queue/<int:qid>")
def queue_message(qid: int) -> Any:
    shown = queue_ops.show(admin_view(), qid)
    return render_template("ops/queue_message.html", message=shown.message, header=shown.header)


@bp.post("/queue/<int:qid>/retry")
def queue_retry(qid: int) -> Any:
    try:
        queue_ops.retry(admin_view(), qid)
    except queue_ops.Busy as exc:
        flash(str(exc), "error")
        return redirect(url_for("pages.queue_message", qid=qid))
    flash(_("Message %(id)d is due for delivery now.", id=qid), "success")
    return redirect(url_for("pages.queue_message", qid=qid))


@bp.post("/queue/retry-all")
def queue_retry_all() -> Any:
    count = queue_ops.retry(admin_view(), None)
    flash(_("%(count)d message(s) are due for delivery now.", count=count), "success")
    return redirect(url_for("pages.queue"))


@bp.post("/queue/<int:qid>/delete")
def queue_delete(qid: int) -> Any:
    queue_ops.delete(admin_view(), qid)
    flash(_("Message %(id)d was deleted without notice to anyone.", id=qid), "success")
    return redirect(url_for("pages.queue"))


@bp.post("/queue/<int:qid>/bounce")
def queue_bounce(qid: int) -> Any:
    view = admin_view()
    hostname = view.setting("server.hostname") or current_app.config.get("FIELDPOST_HOSTNAME", "localhost")
    count = queue_ops.bounce(view.store, qid, hostname=str(hostname), queue=view.queue)
    flash(
        _(
            "Message %(id)d was returned to its sender (%(count)d recipient(s) reported).",
            id=qid,
            count=count,
        ),
        "success",
    )
    return redirect(url_for("pages.queue"))
