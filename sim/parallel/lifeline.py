"""Worker processes die with the process that started them, however it dies.

Called by the forkserver (its preload module sim.parallel.forkserver_lifeline) and by every worker at start: on Linux
the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG), so a sweep killed with kill -9
leaves no launcher and no idle workers behind. Elsewhere a daemon thread watches the parent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux") and _prctl_deathsig():
        # the parent may have died before the call took effect
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
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
