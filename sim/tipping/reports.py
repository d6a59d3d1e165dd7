"""What each tipping analysis found, as objects that summarise themselves, give their tables and write their files.

The command line only parses, calls these and prints; a Python user gets the same verdicts and
files. Every interval says which uncertainty it includes: these analyses vary seeds within one set
of assumptions ("seed noise only") unless they are run over plausible worlds.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.results_io import write_json, write_parquet, write_text

SEED_NOISE = "seed noise only (the scenario's assumptions held fixed)"
# Morris' and Sobol's intervals resample the design (trajectories, base samples): the error of estimating
# indices from that many points of the ranges, with each point's seed noise averaged in (noise_share)
DESIGN_SAMPLING = ("the design's sampling error over the parameter ranges given (bootstrap over its trajectories "
                   "or base samples), each point's seed noise averaged in; the other assumptions held fixed")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}g}"


def write_table(frame: pd.DataFrame, directory: Path, name: str) -> None:
    write_parquet(frame, directory / f"{name}.parquet")
    write_text(frame.to_csv(index=False), directory / f"{name}.csv")


# --- a finished sweep: tipping points in one parameter, the boundary in two -------------------------


@dataclass
class SweepTipping:
    """Tipping points (P(tipped) = 1/2) and outcome transitions from a sweep's runs table."""

    name: str
    parameters: list[str]
    runs: int
    confidence: float
    tables: dict[str, pd.DataFrame]  # tipping_points / points, or boundary_levels / boundary_contour / points
    across: str | None = None  # two parameters: the one tipping points are found in
    level: str | None = None  # and the one whose values index them
    slope: float | None = None  # one parameter: the logistic slope, for the figure
    knees: pd.DataFrame | None = None  # dose-response knees of outcomes (one parameter)

    @property
    def uncertainty(self) -> str:
        return SEED_NOISE

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sweep": self.name, "parameters": self.parameters, "runs": self.runs,
                               "confidence": self.confidence, "uncertainty": self.uncertainty}
        if len(self.parameters) == 1:
            out["tipping_points"] = self.tables["tipping_points"].to_dict("records")
            if self.knees is not None:
                out["knees"] = self.knees.to_dict("records")
        else:
            out["across"], out["level"] = self.across, self.level
            out["boundary"] = self.tables["boundary_levels"].to_dict("records")
        return out

    def write(self, directory: Path) -> list[Path]:
        from sim.analysis import tipping_plots as plots

        for name, table in self.tables.items():
            write_table(table, directory, name)
        if self.knees is not None:
            write_table(self.knees, directory, "knees")
        write_json(self.summary(), directory / "summary.json")
        if len(self.parameters) == 1:
            parameter = self.parameters[0]
            first = self.tables["tipping_points"].iloc[0]
            return [plots.tipping_curve(
                self.tables["points"], parameter, float(first["tipping_point"]), (first["ci_low"], first["ci_high"]),
                self.slope, f"{self.name}: P(tipped) against {parameter}",
                directory / f"tipping_{slug(parameter)}.png")]
        assert self.across is not None and self.level is not None  # a two-parameter result always has both
        return [plots.boundary_map(
            self.tables["points"], self.across, self.level, self.tables["boundary_levels"],
            self.tables["boundary_contour"], f"{self.name}: where P(tipped) = 1/2",
            directory / f"boundary_{slug(self.across or '')}.png")]


def analyse_sweep(runs: pd.DataFrame, manifest: dict[str, Any], along: str | None = None,
                  confidence: float = 0.95) -> SweepTipping:
    """Tipping points for a one-parameter sweep, the boundary for a two-parameter one."""
    from sim.scenario import ScenarioError
    from sim.scenario.problems import Problem
    from sim.tipping import boundary, detect
    from sim.tipping.fit import Binomial, fit_logistic

    parameters, outcomes = list(manifest["parameters"]), list(manifest["outcomes"])
    ok = detect.ok_runs(runs)
    name = manifest["name"]
    if ok.empty:
        raise ScenarioError([Problem(name, None, "", "the sweep has no finished runs yet")])
    numeric = [p for p in parameters if pd.api.types.is_numeric_dtype(ok[p]) and not pd.api.types.is_bool_dtype(ok[p])]
    if numeric != parameters:
        raise ScenarioError([Problem(name, None, ", ".join(set(parameters) - set(numeric)), "tipping points need "
                                                                                             "numeric parameters")])
    if len(parameters) == 1:
        parameter = parameters[0]
        table = detect.tipping_points(ok, parameter, outcomes, confidence)
        points = detect.tipped_by_point(ok, [parameter], confidence)
        data = Binomial.from_outcomes(ok[parameter].to_numpy(float), ok["tipped"].to_numpy(bool))
        slope = None
        if data.mixed and data.x.size > 1:
            slope = fit_logistic(data, (float(data.x.min()), float(data.x.max())), confidence).slope
        return SweepTipping(name, parameters, len(ok), confidence, {"tipping_points": table, "points": points},
                            slope=slope, knees=_knees(ok, parameter, outcomes, confidence))
    if len(parameters) == 2:
        if along is not None and along not in parameters:
            raise ScenarioError([Problem("--along", None, along, f"must be one of the sweep's parameters: "
                                                                  f"{', '.join(parameters)}")])
        # default: tipping points in the parameter with more values, one fit per level of the other
        across = along or max(parameters, key=lambda p: ok[p].nunique())
        level = next(p for p in parameters if p != across)
        tables = {"boundary_levels": boundary.along(ok, across, level, confidence),
                  "boundary_contour": boundary.surface(ok, across, level, confidence),
                  "points": detect.tipped_by_point(ok, parameters, confidence)}
        return SweepTipping(name, parameters, len(ok), confidence, tables, across=across, level=level)
    raise ScenarioError([Problem(name, None, "parameters", f"this sweep varies {len(parameters)} parameters; tipping "
                                 "points are drawn for 1, the boundary for 2 (for more, `critical-mass tipping "
                                 "sensitivity` ranks them and `critical-mass tipping discover` finds boxes)")])


# what a knee sentence calls each outcome, and its unit
KNEE_OUTCOMES = {"achievement_gap": ("the gap", " SD"), "mean_achievement": ("mean achievement", " SD"),
                 "achievement_gain": ("achievement above the no-programme path", " SD"),
                 "practising_share": ("the share of teachers practising", "")}
PARAMETER_WORDS = {"programme.cohort_size": ("fellows a year", "additional fellow a year"),
                   "placement.host_schools": ("host schools", "additional host school")}


def _knees(runs: pd.DataFrame, parameter: str, outcomes: list[str], confidence: float) -> pd.DataFrame | None:
    """Dose-response knees of the student outcomes against the swept parameter (sim.tipping.knee), each
    with its sentence ("above about N fellows a year the gap closes X SD faster per fellow")."""
    from sim.analysis.plain_words import Uncertainty
    from sim.scenario import ScenarioError
    from sim.tipping.knee import fit_knee, knee_sentence

    rows = []
    words, per = PARAMETER_WORDS.get(parameter, (parameter, None))
    for outcome in (o for o in outcomes if o in KNEE_OUTCOMES):
        try:
            fit = fit_knee(runs, parameter, outcome, confidence=confidence)
        except ScenarioError:  # too few values or replicates for a segmented fit: no knee row
            continue
        name, unit = KNEE_OUTCOMES[outcome]
        rows.append({**fit.as_dict(), "sentence": knee_sentence(fit, Uncertainty.SEED, outcome=name,
                                                                  parameter=words, unit=unit, per=per)})
    return pd.DataFrame(rows) if rows else None


# --- adaptive search -----------------------------------------------------------------------------------


@dataclass
class SearchReport:
    name: str
    key: str
    low: float
    high: float
    tolerance: float
    seed: int
    years: int
    source: str
    result: Any  # sim.tipping.search.TippingPointResult

    @property
    def uncertainty(self) -> str:
        return SEED_NOISE

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {
            "key": self.key, "low": self.low, "high": self.high, "tolerance": self.tolerance,
            "confidence": r.confidence, "seed": self.seed, "tipping_point": r.tipping_point, "ci": list(r.ci),
            "width": r.width, "runs": r.runs, "measured_runs": r.measured_runs, "converged": r.converged,
            "transition_width": r.transition_width, "slope": r.fit.slope, "years": self.years, "source": self.source,
            "uncertainty": self.uncertainty,
        }

    def frames(self) -> dict[str, pd.DataFrame]:
        r = self.result
        phase = np.where(np.arange(r.runs) < r.runs - r.measured_runs, "locate", "measure")
        grid = np.linspace(self.low, self.high, 101)
        return {"runs": pd.DataFrame({"run": np.arange(r.runs), self.key: r.x, "tipped": r.y, "phase": phase}),
                "curve": pd.DataFrame({self.key: grid, "p_tipped": r.fit.probability(grid)})}

    def sentences(self) -> list[str]:
        r = self.result
        state = "converged" if r.converged else "NOT converged within the run budget"
        return [
            f"Tipping point: {self.key} = {r.tipping_point:.4g}, {r.confidence:.0%} interval {r.ci[0]:.4g} to "
            f"{r.ci[1]:.4g} (width {r.width:.3g}; {state}; {self.uncertainty}).",
            f"Runs used: {r.runs} ({r.runs - r.measured_runs} locating, {r.measured_runs} in the measuring batch the "
            f"interval comes from); transition width (P 0.1 to 0.9): {number(r.transition_width)}.",
        ]

    def write(self, directory: Path) -> list[Path]:
        from sim.analysis.tipping_plots import search_runs

        frames = self.frames()
        write_parquet(frames["runs"], directory / "runs.parquet")
        write_text(frames["curve"].to_csv(index=False), directory / "curve.csv")
        write_json(self.summary(), directory / "summary.json")
        r = self.result
        return [search_runs(r.x, r.y.astype(float), r.measured_runs, r.tipping_point, r.ci, r.fit.slope, self.key,
                            f"{self.name}: search for the tipping point in {self.key}", directory / "search.png")]


# --- hysteresis ------------------------------------------------------------------------------------------


@dataclass
class HysteresisReport:
    name: str
    key: str
    start: float
    stop: float
    steps: int
    years_per_step: int
    burn_in: int
    replicates: int
    seed: int
    confidence: float
    frame: pd.DataFrame
    result: Any  # sim.tipping.hysteresis.Hysteresis

    def shares(self) -> pd.DataFrame:
        """Share of replicates tipped at the end of each step, per branch."""
        part = self.frame[self.frame["branch"] != "control"]
        return part.pivot_table(index="value", columns="branch", values="tipped", aggfunc="mean").reset_index()

    def verdict(self) -> str:
        r, key = self.result, self.key
        if r.interval is not None and r.significant:
            return (f"Bistable (path-dependent) interval: {key} from {r.interval[0]:.4g} to {r.interval[1]:.4g}: "
                    "there the state depends on where the system came from.")
        if r.interval is not None:
            return (f"The branches' tipping points differ ({r.interval[0]:.4g} to {r.interval[1]:.4g}) but not "
                    "beyond their intervals: no bistability shown at this resolution.")
        return "No bistable interval: the forward ramp did not tip the system, or the back ramp undid it alike."

    def sentences(self) -> list[str]:
        r, lines = self.result, []
        for branch in (r.forward, r.back):
            if branch.fit is not None:
                fit = branch.fit
                bounds = f"{fit.ci[0]:.4g} to {fit.ci[1]:.4g}" + (
                    ", an end of it the ramp's end, not a bound the replicates give" if fit.ci_open else "")
                lines.append(f"{branch.branch}: tipping point {fit.midpoint:.4g} ({self.confidence:.0%} interval "
                             f"{bounds}; from where each replicate crossed, each counted once; {SEED_NOISE})")
            else:
                lines.append(f"{branch.branch}: no transition (tipped in {branch.tipped_share:.0%} of replicate-steps)")
        if r.tipped_forward:
            lines.append(f"Of {r.tipped_forward} replicate(s) tipped at {self.stop:g}, {r.persisted:.0%} were still "
                         f"tipped back at {self.start:g}.")
        total = self.burn_in + 2 * self.steps * self.years_per_step
        lines.append(f"Control, held at {self.start:g} for the same {total} years: {r.control_tipped:.0%} tipped.")
        lines.append(self.verdict())
        return lines

    def summary(self) -> dict[str, Any]:
        r = self.result
        fit = {b: (getattr(r, b).fit.midpoint if getattr(r, b).fit else None,
                   list(getattr(r, b).fit.ci) if getattr(r, b).fit else None) for b in ("forward", "back")}
        return {
            "key": self.key, "from": self.start, "to": self.stop, "steps": self.steps,
            "years_per_step": self.years_per_step, "burn_in": self.burn_in, "replicates": self.replicates,
            "seed": self.seed, "forward_tipping_point": fit["forward"][0], "forward_ci": fit["forward"][1],
            "back_tipping_point": fit["back"][0], "back_ci": fit["back"][1], "persisted": r.persisted,
            "tipped_forward": r.tipped_forward, "control_tipped": r.control_tipped,
            "interval": list(r.interval) if r.interval else None, "significant": r.significant,
            "verdict": self.verdict(), "uncertainty": SEED_NOISE,
        }

    def write(self, directory: Path) -> list[Path]:
        from sim.analysis.tipping_plots import hysteresis_loop

        write_parquet(self.frame, directory / "steps.parquet")
        write_json(self.summary(), directory / "summary.json")
        r = self.result
        return [hysteresis_loop(self.frame, self.key, r.interval if r.significant else None,
                                f"{self.name}: {self.key} ramped {self.start:g} -> {self.stop:g} -> {self.start:g}",
                                directory / "hysteresis.png")]


# --- early warning ---------------------------------------------------------------------------------------


@dataclass
class WarningReport:
    name: str
    replicates: int
    years: int
    seed: int
    runups: dict[int, np.ndarray]
    summary_: Any  # sim.tipping.warning.Summary
    table: pd.DataFrame

    def sentences(self) -> list[str]:
        s = self.summary_
        lines = [f"{len(self.runups)} of {self.replicates} replicate(s) tipped; {s.replicates} had a run-up of 8+ "
                 f"years to analyse ({s.too_short} tipped sooner)."]
        if s.replicates:
            lines.append(f"Rolling variance rose (Kendall tau > 0) in {s.variance_rising} of {s.replicates} (median "
                         f"tau {s.median_variance_tau:+.2f}); lag-1 autocorrelation in {s.autocorrelation_rising} "
                         f"(median {s.median_autocorrelation_tau:+.2f}); both in {s.both_rising}.")
            lines.append(f"Rising beyond what the trend alone gives (surrogates: the smooth trend plus constant "
                         f"AR(1) noise, p < 0.05): variance in {s.variance_beyond_trend}, autocorrelation in "
                         f"{s.autocorrelation_beyond_trend} of {s.replicates}.")
        return lines

    def summary(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self.summary_), "tipped": len(self.runups), "replicates_run": self.replicates,
                "years": self.years, "seed": self.seed}

    def write(self, directory: Path) -> list[Path]:
        from sim.analysis.tipping_plots import warning_panel

        write_table(self.table, directory, "indicators")
        write_json(self.summary(), directory / "summary.json")
        return [warning_panel(self.runups, self.table, "tipping_metric", f"{self.name}: the run-up to tipping",
                              directory / "warning.png")]


# --- sensitivity ---------------------------------------------------------------------------------------


@dataclass
class SensitivityReport:
    """Morris screening (mu*, sigma) or Sobol indices (first and total order) over an experiment's factors."""

    name: str
    method: str  # morris or sobol
    factors: list[Any]
    table: pd.DataFrame  # a row per outcome and parameter
    runs: pd.DataFrame
    design: dict[str, Any] = field(default_factory=dict)

    def ranking(self, outcome: str = "p_tipped") -> pd.DataFrame:
        score = "mu_star" if self.method == "morris" else "ST"
        part = self.table[self.table["outcome"] == outcome]
        return part.sort_values(score, ascending=False).reset_index(drop=True)

    def summary(self) -> dict[str, Any]:
        return {"method": self.method, **self.design, "uncertainty": DESIGN_SAMPLING,
                "table": self.table.to_dict("records")}

    def write(self, directory: Path) -> list[Path]:
        from sim.analysis.tipping_plots import sensitivity_bars, sobol_bars

        write_parquet(self.runs, directory / "runs.parquet")
        write_table(self.table, directory, self.method)
        write_text(json.dumps(self.summary(), indent=2, default=str) + "\n", directory / "summary.json")
        title = f"{self.name}: which parameter moves P(tipped) most ({self.method.capitalize()})"
        draw = sensitivity_bars if self.method == "morris" else sobol_bars
        return [draw(self.table, "p_tipped", title, directory / "sensitivity.png")]
