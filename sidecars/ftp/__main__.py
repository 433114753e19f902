"""``python -m sidecars.ftp --data DIR --service ftp [--port-offset N]``: the FTP backup service."""

from gevent import monkey

monkey.patch_all()  # before anything else imports socket, ssl or threading

import sys  # noqa: E402

from sidecars.ftp.server import build_endpoints  # noqa: E402
from sidecars.net.service import run_service  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_service("ftp", build_endpoints))
