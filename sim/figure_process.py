"""Draw a report's figures in other processes, started before the run so that their imports overlap it.

    with FigureProcess.start_if_useful() or nullcontext() as drawer:   # before the model runs
        ...                                                   # run the model in this process
        pending = drawer.draw(yearly_by_scenario, directory)  # returns at once; drawn over there
        ...                                                   # write the other result files meanwhile
        pngs = pending()                                      # {name: PNG bytes}, or None: draw them here

`run` with one replicate runs the model in one process, on one core. Importing matplotlib and drawing
the report's five figures is a third of that command's time, and needs nothing from the run but its
yearly frame. So a process forked before the run (a copy of this one, with nothing to import again but
matplotlib) imports it on the second core while the model runs. It then forks a sibling with
everything loaded, and the two draw the figures in two halves while this process writes the other files.
The figures are the same bytes either way: sim.report.report_figures draws them, here or there.

The processes die with their parent however it ends (sim.parallel.lifeline), ignore Ctrl-C (the parent
handles it and ends them), and are forked only from a process running no other Python thread
(sim.parallel.forking: forking beside threads that may hold locks can deadlock the child). When one
fails or dies, the figures it owed are drawn by the process that asked for them, so a lost helper costs
time, never a report.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sim.parallel.forking import fork_is_safe, forking, ignore_ctrl_c_in_child

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    import pandas as pd

Pngs = dict[str, bytes]
# which of the report's figures (in order) each of the two processes draws: about half the work each
FIRST, REST = slice(None, 3), slice(3, None)


def usable_cores() -> int:
    """Cores this process may run on (its affinity, which a cluster's job limit or taskset narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class FigureProcess:
    """A forked process that loads the figure code now and draws when asked; with `sibling`, it shares the
    drawing with a second process forked from it once loaded."""

    def __init__(self, sibling: bool = True) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, os.getpid(), sibling),
                                        name="critical-mass figures")
        with forking():
            self._process.start()
        theirs.close()
        # multiprocessing waits for its children when this process exits: one never told to stop would
        # wait for figures for ever (atexit runs this before multiprocessing's handler, registered earlier)
        atexit.register(self.close)

    @classmethod
    def start_if_useful(cls) -> FigureProcess | None:
        """A figure process, if a second core is free for it and forking is safe here; else None."""
        if usable_cores() < 2 or not fork_is_safe():
            return None
        return cls()

    def draw(self, yearly_by_scenario: dict[str, pd.DataFrame], directory: Path) -> Callable[[], Pngs | None]:
        """Send the figures' data; return a function that waits for their PNGs (None if the process failed)."""
        return self._draw(yearly_by_scenario, directory, slice(None))

    def _draw(self, yearly_by_scenario: dict[str, pd.DataFrame], directory: Path,
              part: slice) -> Callable[[], Pngs | None]:
        try:
            self._connection.send((yearly_by_scenario, directory, part))
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
        """End the process: it ends by itself once it has sent the figures (or sees there will be none);
        `at_once` kills it instead, for a command that is failing or interrupted."""
        atexit.unregister(self.close)
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


def _serve(connection: Connection, parent: int, sibling: bool) -> None:
    from sim.parallel.lifeline import die_with_parent

    die_with_parent(parent)
    ignore_ctrl_c_in_child()  # Ctrl-C reaches the whole terminal; the parent handles it
    # matplotlib and the figure code load now, while the parent runs the model
    import sim.analysis.figures  # noqa: F401
    from sim.report import report_figures

    with FigureProcess(sibling=False) if sibling else nullcontext() as helper:
        try:
            yearly_by_scenario, directory, part = connection.recv()
        except EOFError:  # the parent finished (or failed) without figures to draw
            return
        try:
            if helper is None:
                pngs = report_figures(yearly_by_scenario, directory, part)
            else:  # asked for all of them: half here, half there
                pending = helper._draw(yearly_by_scenario, directory, REST)
                pngs = report_figures(yearly_by_scenario, directory, FIRST)
                rest = pending()
                pngs |= rest if rest is not None else report_figures(yearly_by_scenario, directory, REST)
        except Exception:  # the parent draws them again and reports the error itself
            connection.send(None)
            return
        connection.send(pngs)
