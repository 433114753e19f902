"""Stand-ins for the outside world that tests start on loopback: a DNS server and an SMTP sink."""
