"""The processing service: the queue worker between receiving and delivering.

``python -m sidecars.processing --data DIR --service processing [--port-offset N]`` runs ``Worker``
(worker.py) in a loop. Pieces: ``recipients`` (final states, local/remote split), ``routing`` (filter
verdict -> targets), ``delivery`` (local delivery, reports to the sender), ``outbound`` (relay per domain),
``outcome`` (per-recipient results, retry or give up), ``schedule`` (retries, hold rules, virtual queues),
``content`` (Return-Path, footer), ``reports`` (RFC 3464 delivery reports). SMTP out is
``sidecars.relay``; the filter chain is ``filters.chain``. Operator documentation: docs/queue.md.
"""
