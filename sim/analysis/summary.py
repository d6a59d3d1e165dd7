"""Summarise replicates of one scenario: start and end of each outcome, their spread, tipping."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.scenario import Scenario

OUTCOMES = {
    "practising_share": "Teachers practising",
    "mean_achievement": "Mean achievement (SD)",
    "achievement_gain": "Achievement above the no-programme path (SD)",
    "achievement_gap": "Gap, least vs most disadvantaged (SD)",
    "leadership_index": "Collective-leadership index",
    "district_support": "District support",
    "ministry_alignment": "Ministry alignment",
}


@dataclass(frozen=True)
class OutcomeSummary:
    outcome: str
    label: str
    start_mean: float
    end_mean: float
    end_low: float  # 5th percentile over replicates
    end_high: float  # 95th percentile
    change_mean: float


@dataclass(frozen=True)
class RunSummary:
    scenario: str
    replicates: int
    years: int
    outcomes: list[OutcomeSummary]
    tipped_replicates: int
    tipped_year_median: float | None
    tipping_rule: str
    alumni_roles: dict[str, float]

    def as_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "replicates": self.replicates,
            "years": self.years,
            "tipping_rule": self.tipping_rule,
            "tipped_replicates": self.tipped_replicates,
            "tipped_year_median": self.tipped_year_median,
            "alumni_roles_end_mean": self.alumni_roles,
            "outcomes": [o.__dict__ for o in self.outcomes],
        }


def summarise(yearly: pd.DataFrame, scenario_name: str, tipping_rule: str) -> RunSummary:
    """yearly: the tidy yearly frame with one block of years per replicate."""
    last_year = int(yearly["year"].max())
    start = yearly[yearly["year"] == 0]
    end = yearly[yearly["year"] == last_year]
    outcomes = []
    for column, label in OUTCOMES.items():
        s, e = start[column].to_numpy(float), end[column].to_numpy(float)
        outcomes.append(
            OutcomeSummary(
                outcome=column, label=label,
                start_mean=float(s.mean()), end_mean=float(e.mean()),
                end_low=float(np.quantile(e, 0.05)), end_high=float(np.quantile(e, 0.95)),
                change_mean=float((e - s).mean()),
            )
        )
    per_rep = yearly.groupby("replicate")["tipped_year"].first()
    tipped = per_rep.dropna()
    roles = {c.removeprefix("alumni_"): float(end[c].mean()) for c in end.columns if c.startswith("alumni_")}
    return RunSummary(
        scenario=scenario_name,
        replicates=int(yearly["replicate"].nunique()),
        years=last_year,
        outcomes=outcomes,
        tipped_replicates=int(tipped.size),
        tipped_year_median=float(np.median(tipped.astype(float))) if tipped.size else None,
        tipping_rule=tipping_rule,
        alumni_roles=roles,
    )


def describe_rule(scenario: Scenario) -> str:
    """The scenario's tipping rule in words, for summaries and reports."""
    t = scenario.tipping
    where = {
        "system": "the whole system",
        "programme_districts": "the districts that receive fellows",
        "most_disadvantaged": f"the {t.district_count} most disadvantaged district(s)",
        "named": ", ".join(t.district_names),
    }[t.scope]
    how = f"{t.metric} {'<=' if t.downward else '>='} {t.level:g} for {t.sustained_years} years running"
    if t.by_district:
        return f"{how} in at least {t.district_share:.0%} of the districts of {where}, each"
    return f"{how}, over {where}"
