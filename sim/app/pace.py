"""The facilitator's screen keeps its pace while participants play: priority and a per-session budget.

Every session's year (the model's step and drawing the page) runs in one server process, so the
sessions share its interpreter. A year of the facilitator's (any browser on the machine running the
app) never waits for more than the one participant's year already under way; participants take
turns one at a time, none starts while a facilitator's year waits or runs, and after each of its
years a participant's session waits at least as long again before its next (at most half of the
time for any one participant). docs/workshop.md gives the measured effect; benchmarks/app_browser.py
measures it against the same server with CRITICAL_MASS_PACE=off, which turns priority and budget off.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

PARTICIPANT_DUTY = 0.5  # the most of the wall-clock time one participant's years may take


class Pace:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._state = threading.Condition()
        self._facilitators = 0  # facilitators' years waiting or running
        self._participant_busy = False

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
                    self._state.notify_all()
            return
        with self._state:
            self._state.wait_for(lambda: self._facilitators == 0 and not self._participant_busy)
            self._participant_busy = True
        try:
            yield
        finally:
            with self._state:
                self._participant_busy = False
                self._state.notify_all()

    def rest_after(self, facilitator: bool, took: float) -> float:
        """Seconds a session waits after a year that took `took` seconds, before its next."""
        if facilitator or not self.enabled:
            return 0.0
        return took * (1 - PARTICIPANT_DUTY) / PARTICIPANT_DUTY


PACE = Pace(enabled=os.environ.get("CRITICAL_MASS_PACE", "on") != "off")  # one per server: all sessions share it


def sleep_until(deadline: float, cancelled: threading.Event) -> bool:
    """Wait until `deadline` (time.monotonic) unless cancelled first; True if cancelled."""
    return cancelled.wait(max(0.0, deadline - time.monotonic()))
