"""``python -m sidecars.cli --data DIR --service cli [--port-offset N]``: the administrator's console.

Binds the ``cli`` listener (plain, STARTTLS offered) and ``clis`` (TLS from the first byte) of the
configuration."""

from gevent import monkey

monkey.patch_all()  # before anything else imports socket, ssl or threading

import sys  # noqa: E402

from sidecars.cli.server import build_endpoints  # noqa: E402
from sidecars.net.service import run_service  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_service("cli", build_endpoints))
