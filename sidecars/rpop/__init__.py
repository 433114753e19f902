"""Remote POP: fetches other POP3/IMAP mailboxes into local accounts, through the queue and the filters."""
