"""Worker processes die with the process that started them, however it dies.

Called by the forkserver (its preload module sim.parallel.forkserver_lifeline) and by every worker at start: on Linux
the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG), so a sweep killed with kill -9
leaves no launcher and no idle workers behind. Elsewhere a daemon thread watches the parent.

The parent can die before a child has asked to die with it (a signal landing while workers start).
The child would then already belong to init and never hear of it, so a caller that knows which process
started it passes that pid, and the child exits at once if it has already been re-parented.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
# set by the process that starts the launcher, read by the launcher: the pid it must die with
PARENT_ENV = "CRITICAL_MASS_LIFELINE_PARENT"


def die_with_parent(parent: int | None = None) -> None:
    """Die when `parent` (default: the current parent) dies, or now if it is no longer this process's parent."""
    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux") and _prctl_deathsig():
        # the parent may have died before the call took effect, or before this process was started
        if os.getppid() != parent:
            os._exit(1)
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _prctl_deathsig() -> bool:
    try:
        # the C library this process already has loaded: find_library would start `ldconfig -p` to look for it
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
