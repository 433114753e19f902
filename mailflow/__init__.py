"""Mail flow: what happens to a message between the protocols and storage.

Submission (the sender checks, the trace fields, the durable enqueue), delivery reports and bounces, the
queue's recipient states and the operator's queue operations live here, so SMTP, WebMail, JMAP, the CLI
and WebAdmin share one implementation and none of them imports a protocol server (DESIGN 1, 2).

Layering: ``webmail, webadmin, sidecars -> mailflow -> filters -> storage``. Nothing here imports a
sidecar, Flask or a socket module; a protocol maps the typed results it gets back to its own replies.

Modules:

* ``submission``: the one way into the queue: sender checks, header repair, trace fields, durable
  enqueue, with a typed result (``header_block`` and ``trace`` hold the pure parts).
* ``recipients``: a queued recipient's states (pending, done, temporary failure) and whether an address
  is ours.
* ``reports``: RFC 3464 delivery status notifications (failure reports and delay warnings);
  ``bounces``: getting one to the sender.
* ``queue_ops``: the operator's list, show, retry, delete and bounce (the CLI, later WebAdmin).
"""
