"""The strings of the Ajax interface's calendar and tasks (skins/base/static/ajax/calendar*.js, tasks.js), translated from
the same ``locales/`` catalogs as the pages; ``client_strings`` hands them to the page with the rest."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from webmail.calendar.event_form import MAX_CATEGORIES, MAX_CATEGORY, REMINDERS
from webmail.calendar.grid import AGENDA_DAYS
from webmail.calendar.recurrence import LAST_YEAR, MAX_COUNT, MAX_INTERVAL
from webmail.meeting_routes import MAX_FREEBUSY_ADDRESSES


def _reminder_label(minutes: int) -> str:
    """The Standard event form's words for a reminder (layout/calendar_event_form.html)."""
    if minutes == 0:
        return str(_("at the start"))
    if minutes < 60:
        return str(_("%(n)d minutes before", n=minutes))
    if minutes < 1440:
        return str(ngettext("%(num)d hour before", "%(num)d hours before", minutes // 60))
    return str(ngettext("%(num)d day before", "%(num)d days before", minutes // 1440))


def calendar_strings() -> dict[str, str]:
    return {
        "view_mail": _("Mail"),
        "view_calendar": _("Calendar"),
        "views": _("Views"),
        "cal_today": _("Today"),
        "cal_previous": _("Previous"),
        "cal_next": _("Next"),
        "cal_week": _("Week"),
        "cal_month": _("Month"),
        "cal_day": _("Day"),
        "cal_agenda": _("Agenda"),
        "cal_agenda_empty": _("Nothing in these %(count)d days.", count=AGENDA_DAYS),
        "cal_show": _("Show"),
        "cal_reminders": _("Reminders"),
        "cal_nothing_due": _("Nothing due."),
        # the free/busy lookup in the Standard page's words (layout/freebusy_body.html)
        "cal_freebusy": _("Free/busy"),
        "cal_fb_who": _("Addresses (comma separated)"),
        "cal_fb_date": _("Date"),
        "cal_fb_span": _("Show"),
        "cal_fb_look_up": _("Look up"),
        "cal_fb_free": _("free"),
        "cal_fb_too_many": _("Only the first %(num)d addresses are shown.", num=MAX_FREEBUSY_ADDRESSES),
        "cal_fb_earlier": _("Earlier"),
        "cal_fb_later": _("Later"),
        "cal_fb_zone": _("Times in %(zone)s."),
        "cal_fb_who_col": _("Who"),
        # the grid of hours (calendar_freebusy.js): each cell says what it is in words, not colour alone
        "cal_fb_grid": _("Free/busy on %(day)s"),
        "cal_fb_busy": _("busy"),
        "cal_fb_busy-tentative": _("tentative"),
        "cal_fb_busy-unavailable": _("unavailable"),
        "cal_fb_outside": _("outside working hours"),
        "cal_fb_proposed": _("the event's time"),
        "cal_fb_event": _("The event: %(start)s – %(end)s"),
        "cal_fb_you": _("%(address)s (you)"),
        "cal_fb_key": _("Key"),
        "cal_fb_busy_times": _("Busy times"),
        "cal_fb_attendees": _("Free/busy of the attendees"),
        "cal_new_event": _("New event"),
        "cal_all_day": _("All day"),
        "cal_more": _("%(count)s more"),
        "cal_no_title": _("(no title)"),
        "cal_event": _("Event"),
        "cal_title": _("Title"),
        "cal_starts": _("Starts"),
        "cal_ends": _("Ends"),
        "cal_repeat": _("Repeat"),
        # the repeat choice in the Standard form's words (layout/calendar_event_form.html, recurrence.py)
        "cal_repeat_none": _("does not repeat"),
        "cal_repeat_daily": _("daily"),
        "cal_repeat_weekly": _("weekly"),
        "cal_repeat_monthly": _("monthly"),
        "cal_repeat_yearly": _("yearly"),
        "cal_repeat_every": _("Every"),
        "cal_repeat_every_hint": _("days, weeks, months or years, as chosen above"),
        "cal_repeat_on": _("On"),
        "cal_repeat_never": _("never"),
        "cal_repeat_after": _("after"),
        "cal_repeat_times": _("times"),
        "cal_repeat_on_day": _("on"),
        "cal_repeat_count": _("Number of times"),
        "cal_repeat_until": _("Last day"),
        "cal_repeat_bad_interval": _("Repeat every 1 to %(most)d periods.", most=MAX_INTERVAL),
        "cal_repeat_bad_count": _("Give a number of times from 1 to %(most)d.", most=MAX_COUNT),
        "cal_repeat_bad_until": _("Give the last date as YYYY-MM-DD."),
        "cal_repeat_late_until": _("Give a last date before %(year)d.", year=LAST_YEAR + 1),
        "cal_repeat_until_before": _("The repetition cannot end before the event starts."),
        "cal_repeat_kept": _("As it is (set elsewhere)"),
        "cal_calendar": _("Calendar"),
        "cal_location": _("Location"),
        "cal_description": _("Description"),
        "cal_time_zone": _("Time zone"),
        "cal_categories": _("Categories"),
        "cal_categories_hint": _("separated by commas"),
        "cal_categories_limits": _(
            "At most %(count)d categories of %(most)d characters.", count=MAX_CATEGORIES, most=MAX_CATEGORY
        ),
        "cal_series_note": _("This event repeats: changes apply to every occurrence."),
        "cal_read_only": _("You may read this calendar but not change it."),
        "cal_save": _("Save"),
        "cal_cancel": _("Cancel"),
        "cal_delete": _("Delete"),
        "cal_delete_one": _("Delete this occurrence"),
        "cal_saved": _("Event saved."),
        "cal_deleted": _("Event deleted."),
        "cal_end_before_start": _("The end must be after the start."),
        "cal_title_needed": _("Give the event a title."),
        "cal_no_calendar": _("There is no calendar you may add events to."),
        "cal_loading": _("Loading…"),
        "cal_reminder": _("Reminder"),
        "cal_reminder_none": _("none"),
        **{f"cal_reminder_{m}": _reminder_label(m) for m in REMINDERS},
        "cal_scope": _("Change"),
        "cal_scope_this": _("only this occurrence"),
        "cal_scope_all": _("the whole series"),
        "cal_delete_series": _("Delete the whole series"),
        "cal_attendees": _("Attendees"),
        "cal_attendees_hint": _("e-mail addresses, separated by commas"),
        "cal_organizer": _("Organizer"),
        "cal_answer_accepted": _("accepted"),
        "cal_answer_declined": _("declined"),
        "cal_answer_tentative": _("tentative"),
        "cal_answer_needs-action": _("not answered yet"),
        "cal_answer_delegated": _("delegated"),
        "cal_not_organizer": _("Only the organizer (%(address)s) changes who is invited."),
        "cal_accept": _("Accept"),
        "cal_tentative": _("Tentative"),
        "cal_decline": _("Decline"),
        "cal_answered": _("Your answer went to the organizer."),
        "cal_bad_address": _("%(address)s is not an e-mail address."),
        "cal_calendars": _("Calendars"),
        "cal_manage": _("Calendars…"),
        "cal_new_calendar": _("New calendar"),
        "cal_name": _("Name"),
        "cal_colour": _("Colour"),
        "cal_add": _("Add"),
        "cal_close": _("Close"),
        "cal_share": _("Share"),
        "cal_link": _("Link"),
        "cal_link_about": _(
            "Anyone who has this link can see the calendar's events, without signing in, and read only. "
            "Give it to a calendar program or service to subscribe; make a new link to stop the old one working."
        ),
        "cal_link_show": _("Show the link"),
        "cal_link_renew": _("Make a new link"),
        "cal_link_url": _("Web address"),
        "cal_link_webcal": _("Subscription address (webcal)"),
        "cal_link_subscribe": _("Subscribe"),
        "cal_delete_calendar": _("Delete calendar"),
        "cal_confirm_delete": _("Delete the calendar %(name)s and all its events?"),
        "cal_calendar_saved": _("Calendar saved."),
        "cal_calendar_deleted": _("Calendar deleted."),
        "cal_calendar_read_only": _("You may not rename or delete this calendar."),
        "view_tasks": _("Tasks"),
        "task_list": _("Task list"),
        "task_new": _("New task"),
        "task_due": _("Due"),
        "task_add": _("Add task"),
        "task_show_done": _("Show done tasks"),
        "task_none": _("No tasks here."),
        "task_saved": _("Task saved."),
        "task_deleted": _("Task deleted."),
    }
