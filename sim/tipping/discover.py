"""Scenario discovery on a finished sweep: which ranges of its parameters hold the runs that tipped.

Every finished run is a case; its swept values are the inputs; a case is "of interest" when it tipped
by the scenario's own rule, or when an outcome column is above or below a level. PRIM (the EMA
Workbench's) finds up to three boxes, each in plain words with its coverage and density; CART's
leaves are offered as a check (sim.analysis.discovery says when to trust which).

    found = discover_sweep(read_runs(folder), read_manifest(folder))
    found.sentences()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.discovery import Box, box_sentence, boxes_frame, cart_boxes, prim_boxes
from sim.analysis.plain_words import Uncertainty, share
from sim.results_io import write_json
from sim.scenario.problems import Problem, ScenarioError, closest
from sim.tipping.reports import write_table


@dataclass
class Discovery:
    name: str
    method: str
    subject: str  # the cases of interest, as the start of a sentence
    parameters: list[str]
    cases: int
    of_interest: int
    boxes: list[Box]

    def sentences(self) -> list[str]:
        lead = (f"{self.name}: {self.of_interest} of {self.cases} finished runs ({share(self.of_interest / self.cases)}"
                f") are cases of interest: {self.subject[0].lower() + self.subject[1:]}.")
        if not self.boxes:
            return [lead, f"{self.method.upper()} found no box of the swept parameters denser in such runs than the "
                          "rest: they are spread over the whole design."]
        return [lead] + [f"Box {i + 1}: " + box_sentence(b, self.subject, Uncertainty.SEED)
                         for i, b in enumerate(self.boxes)]

    def write(self, directory: Path) -> list[Path]:
        table = boxes_frame(self.boxes) if self.boxes else pd.DataFrame(columns=["box", "parameter", "low", "high"])
        write_table(table, directory, f"{self.method}_boxes")
        summary = {"name": self.name, "method": self.method, "subject": self.subject, "parameters": self.parameters,
                   "cases": self.cases, "of_interest": self.of_interest, "uncertainty": Uncertainty.SEED.value,
                   "boxes": [b.as_dict() for b in self.boxes], "sentences": self.sentences()}
        write_json(summary, directory / f"{self.method}_summary.json")
        return [directory / f"{self.method}_boxes.csv", directory / f"{self.method}_summary.json"]


def discover_sweep(
    runs: pd.DataFrame, manifest: dict[str, Any], *, outcome: str = "tipped", above: float | None = None,
    below: float | None = None, method: str = "prim", max_boxes: int = 3,
) -> Discovery:
    """Boxes of the swept parameters holding the runs of interest (tipped, or outcome above/below a level)."""
    from sim.tipping import detect

    name, parameters = manifest["name"], list(manifest["parameters"])
    ok = detect.ok_runs(runs)
    if ok.empty:
        raise ScenarioError([Problem(name, None, "", "the sweep has no finished runs yet")])
    if method not in ("prim", "cart"):
        raise ScenarioError([Problem("--method", None, method, "must be prim or cart")])
    interest, subject = _interest(ok, outcome, above, below, name)
    inputs = ok[parameters].reset_index(drop=True)
    if interest.all() or not interest.any():
        raise ScenarioError([Problem(name, None, outcome, f"{'every' if interest.all() else 'no'} finished run is a "
                                     "case of interest, so there is nothing to tell apart; choose another level")])
    if method == "prim":
        boxes = prim_boxes(inputs, interest, max_boxes=max_boxes, source=name)
    else:
        boxes = cart_boxes(inputs, interest, source=name)[:max_boxes]
    boxes = [b for b in boxes if b.restrictions]
    return Discovery(name, method, subject, parameters, len(ok), int(interest.sum()), boxes)


def _interest(ok: pd.DataFrame, outcome: str, above: float | None, below: float | None,
              name: str) -> tuple[pd.Series, str]:
    if outcome == "tipped":
        if above is not None or below is not None:
            raise ScenarioError([Problem("--above/--below", None, outcome, "tipped is yes/no: give a level only with "
                                         "another outcome")])
        return ok["tipped"].astype(bool).reset_index(drop=True), "The system tipped by its own rule"
    if outcome not in ok.columns:
        kept = [c for c in ok.columns if pd.api.types.is_numeric_dtype(ok[c])]
        raise ScenarioError([Problem("--outcome", None, outcome, "the sweep did not keep this outcome",
                                     suggestion=closest(outcome, kept))])
    if (above is None) == (below is None):
        raise ScenarioError([Problem("--above/--below", None, outcome, "give exactly one of --above or --below "
                                     "for an outcome other than tipped")])
    values = ok[outcome].astype(float).reset_index(drop=True)
    if above is not None:
        return values > above, f"{outcome} ended above {above:g}"
    return values < below, f"{outcome} ended below {below:g}"
