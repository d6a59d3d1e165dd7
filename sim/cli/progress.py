"""A progress bar that appears only once work has taken more than a moment."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

DELAY_SECONDS = 1.5


class DelayedProgress:
    """Counts work units; draws a bar on stderr after DELAY_SECONDS, so short runs stay quiet."""

    def __init__(self, description: str, total: int, console: Console | None = None, delay: float = DELAY_SECONDS):
        self.description = description
        self.total = total
        self.console = console or Console(stderr=True)
        self.delay = delay
        self.completed = 0
        self._started = time.monotonic()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def advance(self, units: int = 1) -> None:
        self.completed += units
        if self._progress is None and time.monotonic() - self._started >= self.delay:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                console=self.console, transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.completed)

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(self, kind: type | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
