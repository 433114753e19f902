"""JMAP (RFC 8620 core, RFC 8621 mail) on the WebMail listener: the API of the Ajax interface and of
third-party JMAP clients."""
