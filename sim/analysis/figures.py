"""Figures for reports: trajectories with bands, and the critical-mass dimensions side by side."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # reports are drawn off screen, on servers and in CI alike

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.summary import OUTCOMES
from sim.scenario import DIMENSIONS

TRAJECTORIES = ["practising_share", "mean_achievement", "achievement_gap", "leadership_index"]


def trajectories(yearly_by_scenario: dict[str, pd.DataFrame], outcome: str) -> Figure:
    """Mean over replicates with a 5-95% band, one line per scenario."""
    fig = Figure(figsize=(6.4, 3.8), dpi=110)
    ax = fig.subplots()
    for name, frame in yearly_by_scenario.items():
        by_year = frame.groupby("year")[outcome]
        mean, low, high = by_year.mean(), by_year.quantile(0.05), by_year.quantile(0.95)
        (line,) = ax.plot(mean.index, mean.to_numpy(), lw=2.2, label=name)
        ax.fill_between(mean.index, low.to_numpy(), high.to_numpy(), color=line.get_color(), alpha=0.2)
    ax.set_title(OUTCOMES.get(outcome, outcome))
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def dimensions(yearly_by_scenario: dict[str, pd.DataFrame]) -> Figure:
    """The six critical-mass dimensions in the final year, mean over replicates."""
    fig = Figure(figsize=(6.4, 3.8), dpi=110)
    ax = fig.subplots()
    names = list(yearly_by_scenario)
    width = 0.8 / len(names)
    x = np.arange(len(DIMENSIONS))
    for i, name in enumerate(names):
        frame = yearly_by_scenario[name]
        last = frame[frame["year"] == frame["year"].max()]
        values = [last[f"dim_{d}"].mean() for d in DIMENSIONS]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=name)
    ax.set_xticks(x, DIMENSIONS)
    ax.set_ylim(0, 1.05)
    ax.set_title("Critical-mass dimensions in the final year")
    ax.legend(frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
