"""The calendar in WebMail (issue 16): day, week, month and agenda views, the event form, reminders and
the list of calendars, for the Standard and Mobile interfaces alike.

Pure parts, with no request and no storage: :mod:`.grid` (the views laid out from occurrences),
:mod:`.recurrence` (the form's Repeat choice <-> RRULE), :mod:`.event_form` (form fields <-> a draft),
:mod:`.event_ical` (a draft <-> iCalendar bytes, overrides and exclusions of one occurrence) and
:mod:`.reminders` (which alarms are due). Request handling: :mod:`.calendars`, :mod:`.event_pages` and
:mod:`.routes`, which both blueprints register through ``add_calendar_routes``. Every read and write goes
through ``user_mail().organizer``, so storage applies the folder rights.
"""
