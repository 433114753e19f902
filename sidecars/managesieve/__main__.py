"""``python -m sidecars.managesieve --data DIR --service imap [--port-offset N]``: ManageSieve (RFC 5804).

Binds only the ``managesieve`` listener of the service's configuration."""

from gevent import monkey

monkey.patch_all()  # before anything else imports socket, ssl or threading

import sys  # noqa: E402

from sidecars.managesieve.server import build_endpoints  # noqa: E402
from sidecars.net.service import run_service  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_service("managesieve", build_endpoints))
