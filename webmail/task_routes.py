"""Tasks in WebMail (VTODO items in folders of kind "tasks"), registered on the Standard (``/mail``) and
Mobile (``/m``) blueprints alike by :func:`add_task_routes`.

* ``GET /tasks``: the open tasks of every tasks folder and calendar the user may read, from the
  organizer's index (``organizer.tasks``), soonest due first (``?done=1`` shows the done ones too),
  each with a Done/Reopen button and its folder;
* ``GET /tasks/new`` and ``POST /tasks/new``: the form, then the task in the chosen folder;
* ``GET /tasks/<folder_id>/<item>`` and ``POST`` the same (a tasks folder or a calendar): edit (read-only without the rights to change);
* ``POST /tasks/<folder_id>/<item>/done`` (``done=1`` or ``0``) and ``.../delete``.

"Assign to a colleague" stores the colleague as the task's ATTENDEE and the user as its ORGANIZER
(webmail/task_ical.py) and mails them the task as an iTIP request (mailflow.meetings.sending, as a
meeting invitation goes): when the task is made with an assignee, or when an edit names a new one.

Limit: the list shows at most storage's ``task_list.MAX_TASKS`` tasks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from mailflow.meetings import sending
from storage.pim import Collection
from webmail import composing, item_fields, pim_pages, task_ical
from webmail.binding import current_store, user_mail

KIND = "tasks"


def task_folders() -> list[Collection]:
    """The folders tasks are listed from: task folders, and calendars (CalDAV clients such as Thunderbird
    keep tasks in a calendar)."""
    return pim_pages.collections(KIND) + pim_pages.collections("calendar")


def due_label(when: datetime | None, zone: str) -> str:
    """How the list shows a due time (UTC, from the index): midnight UTC as a date alone -- a whole-day
    due is indexed so --, any other time in the user's zone."""
    if when is None:
        return ""
    if (when.hour, when.minute, when.second) == (0, 0, 0):
        return when.date().isoformat()
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def send_assignment(folder_id: int, item: str, assignee: str) -> None:
    """Mail the colleague a task was just assigned to: the task as an iTIP REQUEST (RFC 5546 3.4) through
    mailflow.meetings, like a meeting invitation; the page says whether it went."""
    try:
        sent = sending.send_invitations(
            current_store(), composing.account(), folder_id, item, origin=composing.request_origin()
        )
    except sending.MeetingError as exc:
        flash(_("The task was saved, but the assignment could not be sent: %(why)s", why=str(exc)), "warning")
        return
    if sent is not None:
        flash(_("The assignment was sent to %(address)s.", address=assignee), "info")


def add_task_routes(bp: Blueprint) -> None:
    """Register the task pages on ``bp`` (see the module docstring)."""
    name = bp.name

    def form_page(
        task: task_ical.TaskFields,
        errors: item_fields.FieldErrors,
        *,
        folder_id: int | None = None,
        item: str | None = None,
        writable: bool = True,
        etag: str = "",
        status: int = 200,
    ) -> tuple[str, int]:
        zone = pim_pages.zone()
        return pim_pages.page(
            name,
            "task_form",
            _("Task") if item else _("New task"),
            status,
            task=task,
            errors=errors.by_field,
            folders=[c for c in pim_pages.collections(KIND) if pim_pages.may_write(c)],
            folder_id=folder_id,
            item=item,
            writable=writable,
            etag=etag,
            due=item_fields.shown(task.due, zone),
            start=item_fields.shown(task.start, zone),
            statuses=task_ical.STATUSES,
        )

    @bp.get("/tasks")
    def tasks() -> Any:
        show_done = request.args.get("done") == "1"
        folders = task_folders()
        zone = pim_pages.zone()
        rows = user_mail().organizer.tasks([c.folder_id for c in folders], include_done=show_done)
        return pim_pages.page(
            name,
            "tasks",
            _("Tasks"),
            rows=rows,
            folders={c.folder_id: c for c in folders},
            exports=[c for c in folders if c.kind == KIND],
            show_done=show_done,
            due=lambda row: due_label(row.due_at, zone),
        )

    @bp.get("/tasks/new")
    def task_new() -> Any:
        return form_page(task_ical.TaskFields(), item_fields.FieldErrors())

    @bp.post("/tasks/new")
    def task_create() -> Any:
        task, errors = task_ical.read_form(request.form, pim_pages.zone())
        if errors:
            return form_page(task, errors, status=400)
        collection = pim_pages.target(KIND, request.form.get("folder"))
        data = task_ical.to_ical(task, owner=pim_pages.me())
        ref = user_mail().organizer.put(collection.folder_id, None, data, if_none_match=True)
        flash(_("The task was saved."), "info")
        if task.assignee:
            send_assignment(collection.folder_id, ref.name, task.assignee)
        return redirect(url_for(f"{name}.task", folder_id=collection.folder_id, item=ref.name))

    @bp.get("/tasks/<int:folder_id>/<item>")
    def task(folder_id: int, item: str) -> Any:
        collection = pim_pages.collection_of(folder_id, KIND, "calendar")
        stored = user_mail().organizer.get(folder_id, item)
        fields = task_ical.from_ical(stored.data)
        return form_page(
            fields,
            item_fields.FieldErrors(),
            folder_id=folder_id,
            item=item,
            writable=pim_pages.may_change(collection),
            etag=stored.etag,
        )

    @bp.post("/tasks/<int:folder_id>/<item>")
    def task_save(folder_id: int, item: str) -> Any:
        pim_pages.collection_of(folder_id, KIND, "calendar")
        stored = user_mail().organizer.get(folder_id, item)
        task, errors = task_ical.read_form(request.form, pim_pages.zone())
        if errors:
            return form_page(
                task,
                errors,
                folder_id=folder_id,
                item=item,
                etag=pim_pages.edited_etag(stored.etag),
                status=400,
            )
        data = task_ical.to_ical(task, owner=pim_pages.me(), previous=stored.data)
        user_mail().organizer.put(folder_id, item, data, if_match=pim_pages.edited_etag(stored.etag))
        flash(_("The task was saved."), "info")
        if task.assignee and task.assignee != task_ical.from_ical(stored.data).assignee:
            send_assignment(folder_id, item, task.assignee)
        return redirect(url_for(f"{name}.tasks"))

    @bp.post("/tasks/<int:folder_id>/<item>/done")
    def task_done(folder_id: int, item: str) -> Any:
        pim_pages.collection_of(folder_id, KIND, "calendar")
        stored = user_mail().organizer.get(folder_id, item)
        done = request.form.get("done", "1") == "1"
        data = task_ical.with_done(stored.data, done)
        user_mail().organizer.put(folder_id, item, data, if_match=stored.etag)
        flash(_("The task is done.") if done else _("The task is open again."), "info")
        return redirect(url_for(f"{name}.tasks", done="1" if request.form.get("show_done") else None))

    @bp.post("/tasks/<int:folder_id>/<item>/delete")
    def task_delete(folder_id: int, item: str) -> Any:
        pim_pages.collection_of(folder_id, KIND, "calendar")
        user_mail().organizer.delete(folder_id, item)
        flash(_("The task was deleted."), "info")
        return redirect(url_for(f"{name}.tasks"))
