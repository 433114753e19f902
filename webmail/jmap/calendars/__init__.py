"""JMAP for Calendars (draft-ietf-jmap-calendars-22; JSCalendar, RFC 8984) over the organizer's
calendars: importing this package registers Calendar/get, /changes, /set and CalendarEvent/get,
/changes, /query, /set, the account capability and the push states. docs/jmap.md says what is
supported.
"""

from storage.pim.occurrences import MAX_RANGE_DAYS
from webmail.jmap.calendars import calendar_methods as calendar_methods
from webmail.jmap.calendars import event_methods as event_methods
from webmail.jmap.calendars import event_query as event_query
from webmail.jmap.calendars import event_set as event_set
from webmail.jmap.calendars import state
from webmail.jmap.calendars.event_write import MAX_PARTICIPANTS
from webmail.jmap.registry import ACCOUNT_CAPABILITIES, CALENDARS, state_source

#: The draft's account capability (section 2.1): one calendar per event, the organizer's date limits.
ACCOUNT_CAPABILITIES[CALENDARS] = {
    "maxCalendarsPerEvent": 1,
    "minDateTime": "1900-01-01T00:00:00Z",
    "maxDateTime": "8999-12-31T23:59:59Z",
    "maxExpandedQueryDuration": f"P{MAX_RANGE_DAYS}D",
    "maxParticipantsPerEvent": MAX_PARTICIPANTS,
    "mayCreateCalendar": True,
}
state_source(state.current_states)  # push: Calendar and CalendarEvent states (webmail/jmap/push.py)
