"""The JMAP Mail data types (RFC 8621): importing this package registers their methods."""

from webmail.jmap.mail import email_changes as email_changes
from webmail.jmap.mail import email_get as email_get
from webmail.jmap.mail import email_import as email_import
from webmail.jmap.mail import email_query as email_query
from webmail.jmap.mail import email_query_changes as email_query_changes
from webmail.jmap.mail import email_set as email_set
from webmail.jmap.mail import identity as identity
from webmail.jmap.mail import mailbox as mailbox
from webmail.jmap.mail import mdn as mdn
from webmail.jmap.mail import snippet as snippet
from webmail.jmap.mail import state as state
from webmail.jmap.mail import submission as submission
from webmail.jmap.mail import thread as thread
from webmail.jmap.mail import vacation as vacation
from webmail.jmap.registry import state_source

state_source(state.current_states)  # push: Mailbox, Email and Thread states (webmail/jmap/push.py)
