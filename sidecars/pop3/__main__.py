"""``python -m sidecars.pop3 --data DIR --service pop3 [--port-offset N]``: the pop3 service process.

Serves the ``pop3`` (STLS) and ``pop3s`` (implicit TLS) listeners of the ``pop3`` service."""

from gevent import monkey

monkey.patch_all()  # before anything else imports socket, ssl or threading

import sys  # noqa: E402

from sidecars.net.service import run_service  # noqa: E402
from sidecars.pop3.server import build_endpoints  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_service("pop3", build_endpoints))
