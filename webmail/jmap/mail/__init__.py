"""The JMAP Mail data types (RFC 8621): importing this package registers their methods."""

from webmail.jmap.mail import mailbox as mailbox
