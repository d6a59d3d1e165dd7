"""The tipping point across plausible worlds: where it lies in each world, and how far the worlds spread it.

Reads sim.uncertainty.run_worlds.TippingWorldRuns (a grid of one value run in every world and at the
scenario's own values, replicates on matched seeds). In each world a logistic fit of P(tipped)
against the value (sim.tipping.fit) gives the tipping point with its seed-noise interval; a world
whose runs all tipped at the lowest value tips "at or below" the grid, one where none tipped at the
highest "beyond" it. Across worlds: quantiles of the tipping point (censored worlds sort to the ends),
the share of worlds that tip inside the grid with a Wilson interval, and a PRIM box of the
assumptions under which it tips late or not at all. A world whose system tips with no programme at
all (half or more of its no-programme replicates) has no programme tipping point: it is counted
apart and left out of the quantiles and shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.compare import wilson
from sim.analysis.discovery import Box, box_sentence, boxes_frame, prim_boxes
from sim.analysis.plain_words import Uncertainty, number, share
from sim.results_io import write_json, write_parquet, write_text
from sim.scenario import ScenarioError
from sim.tipping.fit import Binomial, fit_logistic
from sim.uncertainty.run_worlds import DEFAULTS, TippingWorldRuns

WITHIN, BELOW, BEYOND = "within", "at or below the grid", "beyond the grid"
WITHOUT = "tips without the programme"  # P(tipped) >= 1/2 with no fellows at all: no programme tipping point
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MIN_CASES = 5
WITHOUT_SUBJECT = "It tips with no programme at all"


@dataclass
class TippingOverWorlds:
    ran: TippingWorldRuns
    per_world: pd.DataFrame  # world, status, midpoint, ci_low, ci_high (DEFAULTS row included)
    quantiles: dict[float, tuple[str, float]]  # q -> (status, value): value is a grid end when censored
    box: Box | None
    box_subject: str
    confidence: float
    without_box: Box | None = None  # the assumptions under which the system tips with no programme

    @property
    def included(self) -> Uncertainty:
        return Uncertainty.POSTERIOR if self.ran.from_posterior else Uncertainty.RANGES

    @property
    def worlds(self) -> pd.DataFrame:
        """The drawn worlds where the programme has a tipping point to find (not those that tip without it)."""
        return self.per_world[(self.per_world["world"] != DEFAULTS) & (self.per_world["status"] != WITHOUT)]

    def without_share(self) -> tuple[int, int, tuple[float, float]]:
        drawn = self.per_world[self.per_world["world"] != DEFAULTS]
        k, n = int((drawn["status"] == WITHOUT).sum()), len(drawn)
        low, high = wilson(k * self.ran.worth, n * self.ran.worth, self.confidence)
        return k, n, (float(low), float(high))

    def within_share(self) -> tuple[int, int, tuple[float, float]]:
        k, n = int((self.worlds["status"] == WITHIN).sum()), len(self.worlds)
        if not n:
            return k, n, (float("nan"), float("nan"))
        low, high = wilson(k * self.ran.worth, n * self.ran.worth, self.confidence)
        return k, n, (float(low), float(high))

    def _where(self, q: float) -> str:
        status, value = self.quantiles[q]
        prefix = {WITHIN: "", BELOW: "at most ", BEYOND: "above "}[status]
        return prefix + number(value, 3)

    def sentences(self) -> list[str]:
        ran, grid = self.ran, self.ran.grid
        default = self.per_world[self.per_world["world"] == DEFAULTS].iloc[0]
        own = f"With the scenario's own values ({Uncertainty.SEED.value}), {ran.name}"
        lead = {
            WITHIN: f"{own} tips at {ran.key} = {number(default['midpoint'], 3)} ({_interval(default)}).",
            BELOW: f"{own} tips at every value of {ran.key} tried, from {number(grid[0], 3)}.",
            BEYOND: f"{own} tips at no value of {ran.key} tried, up to {number(grid[-1], 3)}.",
            WITHOUT: f"{own} tips with no programme at all.",
        }[default["status"]]
        k, n, ci = self.within_share()
        w, drawn, wci = self.without_share()
        kind = "worlds drawn from a calibrated posterior" if self.ran.from_posterior else "plausible worlds"
        out = [lead]
        if w:
            out.append(f"In {w} of {drawn} {kind} ({share(wci[0])}–{share(wci[1])}) the system tips with no "
                       "programme at all, so there the programme has no tipping point; they are left out below.")
        if n:
            out.append(f"Across the other {n} {kind} ({self.included.value}; {ran.replicates} replicates at each of "
                       f"{len(grid)} values a world), the tipping point has median {self._where(0.5)} and lies "
                       f"between {self._where(0.05)} and {self._where(0.95)} in 90% of them; it tips inside "
                       f"{number(grid[0], 3)}–{number(grid[-1], 3)} in {share(k / n)} ({share(ci[0])}–{share(ci[1])}).")
        if self.box is not None:
            out.append(box_sentence(self.box, self.box_subject, self.included))
        if self.without_box is not None:
            out.append(box_sentence(self.without_box, WITHOUT_SUBJECT, self.included))
        if n and self.box is None:
            out.append("No box of assumptions stands out where it tips late: PRIM kept no restriction that chance "
                       f"would not explain in {n} worlds.")
        return out

    def summary(self) -> dict[str, Any]:
        k, n, ci = self.within_share()
        ran = self.ran
        return {
            "scenario": ran.name, "key": ran.key, "grid": ran.grid, "worlds": len(ran.values),
            "replicates": ran.replicates, "seed": ran.seed, "confidence": self.confidence,
            "uncertainty": self.included.value, "worlds_from": ran.source, "held_keys": ran.held,
            "defaults": self.per_world[self.per_world["world"] == DEFAULTS].iloc[0].to_dict(),
            "defaults_uncertainty": Uncertainty.SEED.value,
            "within_grid": {"worlds": k, "of": n, "share": k / n if n else None, "ci": ci},
            "tips_without_programme": dict(zip(("worlds", "of", "ci"), self.without_share(), strict=True)),
            "quantiles": {f"q{int(q * 100):02d}": {"status": s, "value": v} for q, (s, v) in self.quantiles.items()},
            "box": None if self.box is None else {**self.box.as_dict(), "subject": self.box_subject},
            "box_without_programme": None if self.without_box is None else {**self.without_box.as_dict(),
                                                                             "subject": WITHOUT_SUBJECT},
            "notes": ran.notes, "sentences": self.sentences(),
        }

    def write(self, directory: Path) -> list[Path]:
        from sim.analysis.tipping_plots import tipping_over_worlds

        tables = {"worlds": self.ran.values.reset_index(), "runs": self.ran.runs, "tipping_points": self.per_world}
        boxes = [boxes_frame([b]).assign(subject=subject)
                 for b, subject in ((self.box, self.box_subject), (self.without_box, WITHOUT_SUBJECT)) if b is not None]
        if boxes:
            tables["boxes"] = pd.concat(boxes, ignore_index=True)
        written = []
        for name, table in tables.items():
            write_parquet(table, directory / f"{name}.parquet")
            write_text(table.to_csv(index=False), directory / f"{name}.csv")
            written.append(directory / f"{name}.csv")
        write_json(self.summary(), directory / "summary.json")
        default = self.per_world[self.per_world["world"] == DEFAULTS].iloc[0].to_dict()
        written += [directory / "summary.json", tipping_over_worlds(
            self.worlds, default, self.ran.grid, self.ran.key,
            f"{self.ran.name}: the tipping point in {len(self.worlds)} worlds ({self.included.value})"
            + (f"\n{self.without_share()[0]} more worlds tip with no programme" if self.without_share()[0] else ""),
            directory / "tipping_over_worlds.png")]
        from sim.report import tipping_worlds_report

        written.append(tipping_worlds_report(self, directory / "tipping_over_worlds.png", directory))
        return written


def analyse_tipping_worlds(ran: TippingWorldRuns, confidence: float = 0.95) -> TippingOverWorlds:
    without = ran.without_programme.groupby("world")["tipped"].mean()
    rows = [{"world": world, **_locate(part, ran.grid, confidence), "p_tipped_without_programme": without[world]}
            for world, part in ran.runs.groupby("world", sort=True)]
    per_world = pd.DataFrame(rows)
    per_world.loc[per_world["p_tipped_without_programme"] >= 0.5, "status"] = WITHOUT
    worlds = per_world[(per_world["world"] != DEFAULTS) & (per_world["status"] != WITHOUT)]
    without_box = _without_box(ran, per_world[per_world["world"] != DEFAULTS])
    if worlds.empty:
        return TippingOverWorlds(ran, per_world, {}, None, "", confidence, without_box)
    quantiles = _quantiles(worlds, ran.grid)
    box, subject = _box(ran, worlds, quantiles[0.5])
    return TippingOverWorlds(ran, per_world, quantiles, box, subject, confidence, without_box)


def _without_box(ran: TippingWorldRuns, drawn: pd.DataFrame) -> Box | None:
    """Which assumptions make the system tip by itself: worth knowing before asking what a programme adds."""
    interest = (drawn["status"] == WITHOUT).to_numpy()
    inputs = ran.values.loc[drawn["world"].to_numpy()]
    if inputs.shape[1] == 0 or not MIN_CASES <= interest.sum() <= len(interest) - MIN_CASES:
        return None
    try:
        boxes = [b for b in prim_boxes(inputs, interest, max_boxes=1, source="worlds") if b.restrictions]
    except ScenarioError:
        return None
    return boxes[0] if boxes else None


def _interval(row: Any) -> str:
    """A world's interval in words, saying where an end is only the grid's end."""
    low, high = number(row["ci_low"], 3), number(row["ci_high"], 3)
    return (("at or below " if row.get("ci_open_low", False) else "") + f"{low}–{high}"
            + (" or beyond: the grid ends there" if row.get("ci_open_high", False) else ""))


def _locate(runs: pd.DataFrame, grid: list[float], confidence: float) -> dict[str, Any]:
    data = Binomial.from_outcomes(runs["value"].to_numpy(float), runs["tipped"].to_numpy(bool))
    low, high = grid[0], grid[-1]
    p = data.k / data.n
    if not data.mixed:
        status = BELOW if data.k.sum() == data.n.sum() else BEYOND
        edge = low if status == BELOW else high
        return {"status": status, "midpoint": edge, "ci_low": np.nan, "ci_high": np.nan, "rising": True,
                "ci_open_low": False, "ci_open_high": False}
    fit = fit_logistic(data, (low, high), confidence)
    status = WITHIN
    if p[0] >= 0.5 and fit.midpoint <= low:
        status = BELOW
    elif p[-1] < 0.5 and fit.midpoint >= high:
        status = BEYOND
    # an interval end at the grid's end is where the search stopped, not a bound the runs give
    return {"status": status, "midpoint": fit.midpoint, "ci_low": fit.ci[0], "ci_high": fit.ci[1],
            "rising": fit.slope > 0, "ci_open_low": fit.ci_open and fit.ci[0] <= low,
            "ci_open_high": fit.ci_open and fit.ci[1] >= high}


def _quantiles(worlds: pd.DataFrame, grid: list[float]) -> dict[float, tuple[str, float]]:
    """Censored worlds sort below (tips at or below the grid) or above (beyond it) every located one."""
    order = {BELOW: 0, WITHIN: 1, BEYOND: 2}
    ranked = worlds.assign(o=worlds["status"].map(order)).sort_values(["o", "midpoint"]).reset_index(drop=True)
    out = {}
    for q in QUANTILES:
        row = ranked.iloc[min(int(np.floor(q * len(ranked))), len(ranked) - 1)]
        out[q] = (str(row["status"]), float(row["midpoint"]))
    return out


def _box(ran: TippingWorldRuns, worlds: pd.DataFrame, median: tuple[str, float]) -> tuple[Box | None, str]:
    """The assumptions under which the programme tips late: beyond the grid if enough worlds do, else
    later than the median world."""
    inputs = ran.values.loc[worlds["world"].to_numpy()]
    if inputs.shape[1] == 0:
        return None, ""
    beyond = (worlds["status"] == BEYOND).to_numpy()
    if MIN_CASES <= beyond.sum() <= len(beyond) - MIN_CASES:
        interest, subject = beyond, f"It does not tip within the grid ({ran.key} up to {number(ran.grid[-1], 3)})"
    else:
        order = {BELOW: 0, WITHIN: 1, BEYOND: 2}
        score = worlds["status"].map(order).to_numpy() * 1e12 + worlds["midpoint"].to_numpy()
        cut = order[median[0]] * 1e12 + median[1]
        interest = score > cut
        subject = f"It tips later than the median world ({ran.key} above {number(median[1], 3)})"
        if not MIN_CASES <= interest.sum() <= len(interest) - MIN_CASES:
            return None, ""
    try:
        boxes = prim_boxes(inputs, interest, max_boxes=1, source="worlds")
    except ScenarioError:
        return None, ""
    boxes = [b for b in boxes if b.restrictions]
    return (boxes[0], subject) if boxes else (None, "")
