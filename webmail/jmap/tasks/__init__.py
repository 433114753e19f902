"""JMAP for Tasks (draft-ietf-jmap-tasks-06; JSCalendar Task, RFC 8984 5.2) over the organizer's task
folders: importing this package registers TaskList/get and Task/get, /changes, /query, /set and the
account capability. docs/jmap.md says what is supported.
"""

from storage.usermail import UserMail
from webmail.jmap.registry import ACCOUNT_CAPABILITIES, state_source
from webmail.jmap.tasks import methods
from webmail.jmap.tasks.methods import TASKS

ACCOUNT_CAPABILITIES[TASKS] = {"maxTaskListsPerTask": 1, "mayCreateTaskList": False}


@state_source
def _states(user: UserMail) -> dict[str, str]:
    """Push: the Task state (webmail/jmap/push.py)."""
    return {"Task": methods.state_of(user)}
