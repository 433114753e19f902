"""The log service: takes log records over UDP (from this server's services and from other hosts) and
writes them to rotating files or forwards them to a remote syslog, by the rules of ``[logging]``."""
