"""Interoperability tests: real clients (Debian's swaks today) against real Fieldpost processes."""
