"""Tests of reading mail in WebMail: the reading service, its XSS corpus, the reader pages."""
