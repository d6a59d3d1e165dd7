"""Readable validation problems: where, what was found, what was expected, what was probably meant."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    path: str
    message: str
    value: object = None
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        if self.value is not None:
            shown = repr(self.value)
            text += f" (got {shown if len(shown) <= 200 else shown[:197] + '...'})"
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        return text


class ScenarioError(ValueError):
    """Raised for a file that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def closest(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None
