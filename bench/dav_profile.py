"""Where Fieldpost's time goes during one bench/dav.py measurement (``--profile DIR``): py-spy (PyPI,
bench/requirements.txt) samples the web service's processes (gunicorn's master and its gevent workers)
while the clients run, and the collapsed stacks are summed into the functions that hold the most samples,
inclusive (the function or something it called was running) and exclusive (the function itself).

py-spy reads the processes from outside (ptrace), so the server runs unchanged; idle samples (a worker
waiting in the gevent hub) are left out, so the shares are of the time the workers were busy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

IDLE = ("select", "epoll", "poll (", "wait (", "_wait_for_tstate_lock", "sleep (", "run (gevent/hub.py")


def available() -> bool:
    return bool(_py_spy())


def _py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else (shutil.which("py-spy") or "")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` and its children for ``seconds`` into ``out`` (collapsed stacks)."""
    command = [_py_spy(), "record", "--pid", str(pid), "--subprocesses", "--duration", str(int(seconds)),
               "--rate", "50", "--format", "raw", "--output", str(out), "--nonblocking"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summary(path: Path, top: int = 18) -> list[str]:
    """The heaviest functions in a collapsed-stack file: ``share% inclusive / share% self  function``."""
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    busy = 0
    if not path.exists():
        return [f"no profile written ({path})"]
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if any(marker in frames[-1] for marker in IDLE):
            continue
        n = int(count)
        busy += n
        for frame in set(frames):
            inclusive[frame] += n
        exclusive[frames[-1]] += n
    if not busy:
        return ["no busy samples"]
    out = [f"{busy} busy samples; inclusive % / self %, function (file:line)"]
    shown = [f for f, _ in inclusive.most_common() if not f.startswith(("process ", "thread "))]
    for frame in [f for f in shown if "site-packages/gunicorn" not in f][:top]:
        out.append(f"{100 * inclusive[frame] / busy:5.1f} / {100 * exclusive[frame] / busy:4.1f}  {frame}")
    out.append("heaviest self time:")
    for frame, n in exclusive.most_common(8):
        out.append(f"{100 * inclusive[frame] / busy:5.1f} / {100 * n / busy:4.1f}  {frame}")
    return out
