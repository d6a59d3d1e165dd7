"""The facilitator's screen keeps its pace while participants play: priority and budgets.

Every session's year (the model's step and drawing the page) runs in one server process, so the
sessions share its interpreter. A year of the facilitator's (any browser on the machine running the
app) never waits for more than the one participant's year already under way: participants take
turns one at a time, and none starts while a facilitator's year waits or runs. Two budgets keep
participants from crowding the facilitator out between those years: each participant's session
rests after each of its years at least as long as the year took (at most half of the time for any
one of them), and while the facilitator is active (a year of theirs in the last few seconds) all
participants together get at most a quarter of the time. docs/workshop.md gives the measured
effect; benchmarks/app_browser.py measures it against a server started with CRITICAL_MASS_PACE=off,
which turns priority and budgets off.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PARTICIPANT_DUTY = 0.5  # the most of the wall-clock time one participant's years may take
SHARE_WHILE_FACILITATING = 0.25  # the most all participants' years together take while the facilitator is active
ACTIVE_SECONDS = 3.0  # the facilitator counts as active this long after their last year


class Pace:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._state = threading.Condition()
        self._facilitators = 0  # facilitators' years waiting or running
        self._participant_busy = False
        self._facilitator_seen = -1e9  # time.monotonic() of the facilitator's last year
        self._participants_next = 0.0  # no participant's year starts before this while the facilitator is active

    @contextmanager
    def turn(self, facilitator: bool) -> Iterator[None]:
        """Hold while making one year; yields once this session may go."""
        if not self.enabled:
            yield
            return
        if facilitator:
            with self._state:
                self._facilitators += 1
                self._state.wait_for(lambda: not self._participant_busy)
            try:
                yield
            finally:
                with self._state:
                    self._facilitators -= 1
                    self._facilitator_seen = time.monotonic()
                    self._state.notify_all()
            return
        with self._state:
            while not self._participant_may_start():
                # woken when a turn ends; the budget's time limit needs a timed recheck
                self._state.wait(timeout=max(0.01, self._participants_next - time.monotonic()))
            self._participant_busy = True
        started = time.monotonic()
        try:
            yield
        finally:
            with self._state:
                self._participant_busy = False
                took = time.monotonic() - started
                share = SHARE_WHILE_FACILITATING
                self._participants_next = time.monotonic() + took * (1 - share) / share
                self._state.notify_all()

    def _participant_may_start(self) -> bool:
        if self._facilitators or self._participant_busy:
            return False
        facilitating = time.monotonic() - self._facilitator_seen < ACTIVE_SECONDS
        return not facilitating or time.monotonic() >= self._participants_next

    def rest_after(self, facilitator: bool, took: float) -> float:
        """Seconds a session waits after a year that took `took` seconds, before its next."""
        if facilitator or not self.enabled:
            return 0.0
        return took * (1 - PARTICIPANT_DUTY) / PARTICIPANT_DUTY


PACE = Pace(enabled=os.environ.get("CRITICAL_MASS_PACE", "on") != "off")  # one per server: all sessions share it


def each_year_in_turn(step: Callable[[], bool], facilitator: bool, pace: Pace = PACE,
                      rest: Callable[[float], None] = time.sleep) -> None:
    """Years one after another until step() says there are no more, each in its turn and, for a participant,
    with the same rest after each as when playing: ▶▶ End must not let one participant take the server."""
    while True:
        with pace.turn(facilitator):
            started = time.monotonic()
            more = step()
            took = time.monotonic() - started
        if not more:
            return
        wait = pace.rest_after(facilitator, took)
        if wait > 0:
            rest(wait)


def sleep_until(deadline: float, cancelled: threading.Event) -> bool:
    """Wait until `deadline` (time.monotonic) unless cancelled first; True if cancelled."""
    return cancelled.wait(max(0.0, deadline - time.monotonic()))
