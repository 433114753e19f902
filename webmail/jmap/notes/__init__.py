"""Our JMAP extension for notes and the journal (capability ``urn:fieldpost:jmap:notes``): there is no
IETF type for them, so Notebook/get, /changes, Note/get, /changes, /query, /set and Journal/get,
/changes, JournalEntry/get, /changes, /query, /set are ours, built like Task's (webmail/jmap/tasks) on
the shared organizer machinery (webmail/jmap/organizer_items.py). docs/jmap.md describes them.
"""

from storage.usermail import UserMail
from webmail.jmap.notes import methods
from webmail.jmap.notes.methods import NOTES
from webmail.jmap.registry import ACCOUNT_CAPABILITIES, state_source

ACCOUNT_CAPABILITIES[NOTES] = {"mayCreateNotebook": False, "mayCreateJournal": False}


@state_source
def _states(user: UserMail) -> dict[str, str]:
    """Push: the four types' states (webmail/jmap/push.py)."""
    return methods.states_of(user)
