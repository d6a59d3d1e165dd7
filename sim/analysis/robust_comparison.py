"""A comparison over plausible worlds, read: which strategy wins in how many worlds, and where it flips.

Reads a sim.uncertainty.run_worlds.WorldRuns (every strategy x world x replicate on matched seeds),
applies sim.uncertainty.robust inside each world, and asks PRIM (sim.analysis.discovery) which ranges
of the assumptions hold the worlds where the strategy is better or worse beyond the noise.

    report = analyse_worlds(run_in_worlds(...))
    report.sentences()       # plain words, each saying which uncertainty it includes
    report.write(folder)     # worlds, runs, per-world verdicts, shares, boxes, figures, summary.json
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.compare import COMPARED
from sim.analysis.discovery import Box, box_sentence, boxes_frame, prim_boxes
from sim.analysis.plain_words import Uncertainty
from sim.results_io import write_json, write_parquet, write_text
from sim.scenario import ScenarioError
from sim.uncertainty.robust import BETTER, WORSE, RobustResult, compare_over_worlds, robust_sentence, summaries_frame
from sim.uncertainty.run_worlds import DIRECTIONS, WorldRuns

# the outcomes a reader gets sentences, boxes and figures for (the table has them all)
HEADLINE = ("tipped_by_horizon", "mean_achievement", "achievement_gap")
WORDS = {"tipped_by_horizon": "the chance of tipping by the horizon", "mean_achievement": "mean achievement",
         "achievement_gap": "the gap between the least and most disadvantaged"}
UNITS = {"mean_achievement": " SD", "achievement_gap": " SD", "leadership_index": "", "practising_share": ""}
MIN_CASES = 5  # a box needs at least this many worlds of interest, and as many not of interest


@dataclass(frozen=True)
class FoundBox:
    strategy: str
    outcome: str
    verdict: str  # the worlds of interest: where the strategy is BETTER or WORSE beyond the noise
    box: Box
    sentence: str


@dataclass
class RobustComparison:
    worlds: WorldRuns
    result: RobustResult
    boxes: list[FoundBox]
    baseline: str

    @property
    def included(self) -> Uncertainty:
        return Uncertainty.POSTERIOR if self.worlds.from_posterior else Uncertainty.RANGES

    def shares(self) -> pd.DataFrame:
        return summaries_frame(self.result.summaries)

    def sentences(self) -> list[str]:
        out = []
        for s in self.result.summaries:
            if s.outcome in HEADLINE:
                out.append(robust_sentence(s, self.included, outcome=WORDS[s.outcome],
                                           unit=UNITS.get(s.outcome, "")))
        return out + [b.sentence for b in self.boxes]

    def summary(self) -> dict[str, Any]:
        w = self.worlds
        return {
            "strategies": list(w.scenarios), "baseline": self.baseline, "worlds": len(w.values),
            "replicates": w.replicates, "seed": w.seed, "uncertainty": self.included.value,
            "worlds_from": w.source, "drawn_keys": list(w.values.columns), "held_keys": w.held,
            "tipping_population": w.population, "notes": w.notes,
            "shares": [s.as_dict() for s in self.result.summaries],
            "boxes": [{"strategy": b.strategy, "outcome": b.outcome, "worlds": b.verdict, **b.box.as_dict(),
                       "sentence": b.sentence} for b in self.boxes],
            "sentences": self.sentences(),
        }

    def write(self, directory: Path) -> list[Path]:
        """worlds, runs, per-world verdicts and shares (Parquet + CSV), boxes, summary.json and a figure per
        headline outcome and strategy; each file atomically."""
        from sim.analysis.tipping_plots import worlds_caterpillar

        w = self.worlds
        tables = {"worlds": w.values.reset_index(), "runs": w.runs, "per_world": self.result.per_world,
                  "shares": self.shares()}
        if self.boxes:
            tables["boxes"] = pd.concat([boxes_frame([b.box]).assign(strategy=b.strategy, outcome=b.outcome,
                                                                    worlds=b.verdict) for b in self.boxes])
        written = []
        for name, table in tables.items():
            write_parquet(table, directory / f"{name}.parquet")
            write_text(table.to_csv(index=False), directory / f"{name}.csv")
            written.append(directory / f"{name}.csv")
        write_json(self.summary(), directory / "summary.json")
        written.append(directory / "summary.json")
        per_world = self.result.per_world
        for (outcome, strategy), part in per_world.groupby(["outcome", "strategy"], sort=False):
            if outcome not in HEADLINE:
                continue
            label = COMPARED[outcome][0]
            written.append(worlds_caterpillar(
                part, f"{strategy} minus {self.baseline} in each of {len(w.values)} worlds\n({self.included.value})",
                f"{label}: difference, {int(w.replicates)} matched replicates a world, 95% interval",
                directory / f"worlds_{outcome}_{strategy}.png"))
        from sim.report import worlds_report

        return [*written, worlds_report(self, written, directory)]


def analyse_worlds(worlds: WorldRuns, baseline: str | None = None, *, confidence: float = 0.95) -> RobustComparison:
    """Every strategy against the baseline (default: the first) in every world, then the boxes of worlds
    where it is better, or worse, beyond the noise."""
    baseline = baseline or next(iter(worlds.scenarios))
    directions = {o: h for o, h in DIRECTIONS.items() if o in worlds.runs.columns}
    result = compare_over_worlds(worlds.runs, directions, baseline=baseline, binary=["tipped_by_horizon"],
                                 confidence=confidence, source="worlds", worth=worlds.worth)
    return RobustComparison(worlds, result, _boxes(worlds, result, baseline), baseline)


def _boxes(worlds: WorldRuns, result: RobustResult, baseline: str) -> list[FoundBox]:
    inputs = worlds.values
    if inputs.shape[1] == 0:
        return []
    found = []
    included = Uncertainty.POSTERIOR if worlds.from_posterior else Uncertainty.RANGES
    for (outcome, strategy), part in result.per_world.groupby(["outcome", "strategy"], sort=False):
        if outcome not in HEADLINE:
            continue
        verdicts = part.set_index("world")["verdict"].reindex(inputs.index)
        for verdict in (BETTER, WORSE):
            interest = (verdicts == verdict).to_numpy()
            if interest.sum() < MIN_CASES or (~interest).sum() < MIN_CASES:
                continue
            try:
                boxes = prim_boxes(inputs, interest, max_boxes=1, source="worlds")
            except ScenarioError:
                continue
            subject = (f"{strategy} is {verdict} than {baseline} on {WORDS[outcome]} beyond the "
                       "seed noise")
            subject = subject[0].upper() + subject[1:]
            found += [FoundBox(strategy, outcome, verdict, b, box_sentence(b, subject, included))
                      for b in boxes if b.restrictions]
    return found
