"""``python -m sidecars.imap --data DIR --service imap [--port-offset N]``: the imap service process.

One process serves the three listeners of the ``imap`` service: ``imap`` (STARTTLS), ``imaps``
(implicit TLS) and ``managesieve`` (RFC 5804, from :mod:`sidecars.managesieve.server`)."""

from gevent import monkey

monkey.patch_all()  # before anything else imports socket, ssl or threading

import sys  # noqa: E402

from sidecars.imap.server import build_endpoints as imap_endpoints  # noqa: E402
from sidecars.managesieve.server import build_endpoints as managesieve_endpoints  # noqa: E402
from sidecars.net.service import Endpoint, ServiceContext, run_service  # noqa: E402


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    return {**imap_endpoints(context), **managesieve_endpoints(context)}


if __name__ == "__main__":
    sys.exit(run_service("imap", build_endpoints))
