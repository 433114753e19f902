"""The processing service: the queue worker between receiving and delivering.

``python -m sidecars.processing --data DIR --service processing [--port-offset N]`` runs ``Worker``
(worker.py) in a loop. Pieces: ``routing`` (filter verdict -> targets), ``delivery`` (local delivery,
reports to the sender), ``outbound`` (relay per domain), ``outcome`` (per-recipient results, retry or give
up), ``schedule`` (retries, hold rules, virtual queues), ``content`` (Return-Path, footer). Recipient
states and the RFC 3464 delivery reports are ``mailflow``'s (``mailflow.recipients``,
``mailflow.reports``), shared with the CLI. SMTP out is ``sidecars.relay``; the filter chain is
``filters.chain``. Operator documentation: docs/queue.md.
"""
