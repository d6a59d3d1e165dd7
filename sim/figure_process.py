"""Draw a report's figures in a second process, started before the run so that its imports overlap it.

    drawer = FigureProcess.start_if_useful()   # before the model runs; None where it cannot help
    ...                                        # run the model in this process
    pending = drawer.draw(yearly_by_scenario, directory)   # returns at once; the PNGs are drawn over there
    ...                                        # write the other result files meanwhile
    pngs = pending()                           # {name: PNG bytes}, or None: then draw them here

`run` with one replicate runs the model in one process, on one core. Importing matplotlib and drawing
the report's five figures is a third of that command's time, and needs nothing from the run but its
yearly frame, so a process forked at the start (a copy of this one: nothing to import again but pandas and
matplotlib) imports them on the second core while the model runs, then draws the figures while this
process writes the other files. The figures are the same bytes either way (sim.report.report_figures
draws them, here or there).

The process dies with its parent however the parent ends (sim.parallel.lifeline), ignores Ctrl-C (the
parent handles it and then ends the process), and is only forked from a process with one thread (forking
a process whose other threads may hold locks can deadlock the child). When it fails or dies, `pending()`
returns None and the caller draws the figures itself, so a lost helper costs time, never a report.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    import pandas as pd

Pngs = dict[str, bytes]


def usable_cores() -> int:
    """Cores this process may run on (its affinity, which a cluster's job limit or taskset narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class FigureProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        # the child gets a copy of this process's unwritten output, and would write it again when it ends
        sys.stdout.flush()
        sys.stderr.flush()
        self._process = context.Process(target=_serve, args=(theirs, os.getpid()), name="critical-mass figures",
                                        daemon=True)  # daemon: ended when this process exits normally
        self._process.start()
        theirs.close()

    @classmethod
    def start_if_useful(cls) -> FigureProcess | None:
        """A figure process, if a second core is free for it and forking is safe here; else None."""
        if usable_cores() < 2 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        return cls()

    def draw(self, yearly_by_scenario: dict[str, pd.DataFrame], directory: Path) -> Callable[[], Pngs | None]:
        """Send the figures' data; return a function that waits for the PNGs (None if the process failed)."""
        try:
            self._connection.send((yearly_by_scenario, directory))
        except OSError:  # the process has died
            return lambda: None
        return self._result

    def _result(self) -> Pngs | None:
        try:
            pngs: Pngs | None = self._connection.recv()
        except (EOFError, OSError):  # died while drawing
            return None
        return pngs

    def close(self, at_once: bool = False) -> None:
        """End the process: it ends by itself once the figures are sent (or once it sees there will be
        none); `at_once` kills it instead, for a command that is failing or interrupted."""
        self._connection.close()
        if at_once:
            self._process.kill()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def __enter__(self) -> FigureProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(at_once=kind is not None)


def _serve(connection: Connection, parent: int) -> None:
    from sim.parallel.lifeline import die_with_parent

    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole terminal; the parent handles it
    # matplotlib and the figure code load now, while the parent runs the model
    import sim.analysis.figures  # noqa: F401
    from sim.report import report_figures

    try:
        yearly_by_scenario, directory = connection.recv()
    except EOFError:  # the parent finished (or failed) without figures to draw
        return
    try:
        pngs: Pngs | None = report_figures(yearly_by_scenario, directory)
    except Exception:  # the parent draws them again and reports the error itself
        pngs = None
    connection.send(pngs)
