"""The strings of the Ajax interface's task form (skins/base/static/ajax/task_form.js, tasks.js), worded
as the Standard task form words its fields; the list's own strings are with the calendar's
(calendar_strings.py). ``client_strings`` hands them to the page with the rest."""

from __future__ import annotations

from flask_babel import gettext as _


def task_strings() -> dict[str, str]:
    return {
        "task_more": _("More fields"),
        "task_all_lists": _("All task lists"),
        "task_edit": _("Task"),
        "task_title": _("Title"),
        "task_start": _("Start"),
        "task_time": _("%(field)s: time (empty: the whole day)"),
        "task_priority": _("Priority"),
        "task_priority_none": _("None"),
        "task_priority_highest": _("%(n)s (highest)"),
        "task_priority_lowest": _("%(n)s (lowest)"),
        "task_priority_n": _("priority %(n)s"),
        "task_percent": _("Percent done"),
        "task_status": _("Status"),
        "task_status_needs_action": _("Not started"),
        "task_status_in_process": _("In progress"),
        "task_status_completed": _("Done"),
        "task_status_cancelled": _("Cancelled"),
        "task_description": _("Description"),
        "task_categories": _("Categories (comma separated)"),
        "task_assign": _("Assign to a colleague"),
        "task_close": _("Close"),
    }
