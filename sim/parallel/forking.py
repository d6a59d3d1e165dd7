"""When this process may be forked, and how: the rules every fork in the package follows.

A forked child starts in milliseconds with everything this process has imported, where a fresh
interpreter (or multiprocessing's forkserver) first spends most of a second importing the model. But
a fork copies the memory of every thread, locks included, while only the forking thread goes on in
the child: a lock another thread held at that moment stays held for ever there. So a process forks
only from its main thread with no other Python thread running; native thread pools (OpenBLAS's,
Arrow's) re-initialise themselves in a child.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator


def other_python_threads() -> bool:
    """Whether a thread besides this one runs Python code (and may hold a lock the child would inherit held),
    including threads started without the threading module (pytest-xdist's, for one)."""
    return len(sys._current_frames()) > 1 or threading.active_count() > 1


# set to 1, workers always come from the forkserver (a way round a library that does not survive a fork)
NO_FORK_ENV = "CRITICAL_MASS_NO_FORK"


def fork_is_safe() -> bool:
    """Whether this process may fork now: the platform can, this is the main thread, no other Python thread
    runs, and CRITICAL_MASS_NO_FORK is not set."""
    return (os.environ.get(NO_FORK_ENV, "") in ("", "0") and "fork" in multiprocessing.get_all_start_methods()
            and threading.current_thread() is threading.main_thread() and not other_python_threads())


@contextlib.contextmanager
def forking() -> Iterator[None]:
    """Fork children inside this block.

    Unwritten output is written first (a child would write its copy again when it ends). Ctrl-C is held
    back while the children start, so that none dies with a traceback before it can ignore it; this
    process gets it once they have started. Python's warning about forking beside threads is about Python
    threads, which fork_is_safe has ruled out: the native pools it also counts handle a fork themselves.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def ignore_ctrl_c_in_child() -> None:
    """In a child forked inside `forking()`: ignore Ctrl-C (the parent handles it) and stop holding it back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
