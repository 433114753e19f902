"""``python -m sidecars.smtp --data DIR --service smtp [--port-offset N]``: the SMTP receiving service."""

from gevent import monkey

monkey.patch_all()  # before anything else imports socket, ssl or threading

import sys  # noqa: E402

from sidecars.net.service import run_service  # noqa: E402
from sidecars.smtp.server import build_endpoints  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_service("smtp", build_endpoints))
