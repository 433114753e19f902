"""Loaded into getmail's own Python (``PYTHONPATH``) by tests/interop/test_imap_getmail.py and test_pop3_getmail.py.

getmail 6 forks a child for every Maildir delivery and waits for it on a ``threading.Condition`` that its
SIGCHLD handler notifies. The handler runs in the main thread, so when the child exits before the parent
has started waiting, the notification is lost and the parent sits out its whole timeout, then fails with
"waiting child pid N timed out" (seen on a loaded 2-core machine). That is a client-side race with no
bearing on the IMAP conversation the test exercises, so the wait is made to look at whether the child
was already reaped before it sleeps. Nothing else of getmail is changed.
"""

from __future__ import annotations

import os
import signal
import threading
import time

try:
    from getmailcore import baseclasses
except ImportError:  # not getmail's interpreter after all: change nothing
    baseclasses = None


class _ChildExited(threading.Condition):
    """A condition whose ``wait`` returns at once when the owner's handler has already reaped the child."""

    def __init__(self, owner: object) -> None:
        super().__init__()
        self._owner = owner
        self.pid = 0  # the child waited for (set by _wait_for_child)

    def wait(self, timeout: float | None = None) -> bool:
        deadline = time.monotonic() + (60.0 if timeout is None else timeout)
        while getattr(self._owner, "_ForkingBase__child_pid", 0) == 0:
            if self.pid and self._reap():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            super().wait(min(left, 0.2))
        return True

    def _reap(self) -> bool:
        """Reap the child here when the handler missed it: a child that exits before the parent has
        recorded it makes the handler wait for the previous child's pid (ECHILD) and give up, which
        left the new one a zombie nobody waits for (seen with 500-message POP3 runs)."""
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return False
        owner = self._owner
        owner._ForkingBase__child_pid = pid  # type: ignore[attr-defined]
        owner._ForkingBase__child_status = status  # type: ignore[attr-defined]
        signal.signal(signal.SIGCHLD, owner._ForkingBase__orig_handler)  # type: ignore[attr-defined]
        return True


if baseclasses is not None:
    _prepare_child = baseclasses.ForkingBase._prepare_child

    def _prepare_child_without_lost_wakeup(self: object) -> None:
        _prepare_child(self)
        self._ForkingBase__child_exited = _ChildExited(self)  # type: ignore[attr-defined]

    baseclasses.ForkingBase._prepare_child = _prepare_child_without_lost_wakeup  # type: ignore[method-assign]

    _wait_for_child = baseclasses.ForkingBase._wait_for_child

    def _wait_for_child_reaping_if_missed(self: object, childpid: int) -> int:
        self._ForkingBase__child_exited.pid = childpid  # type: ignore[attr-defined]
        return _wait_for_child(self, childpid)  # type: ignore[no-any-return]

    baseclasses.ForkingBase._wait_for_child = _wait_for_child_reaping_if_missed  # type: ignore[method-assign]
