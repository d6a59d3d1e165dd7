"""Figures of a sweep's results: curves with 95% bands for one parameter, heatmaps for two.

Reads the runs table only (sim.sweep.store.read_runs); runs no model.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a cluster node or in CI

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis.summary import OUTCOMES
from sim.analysis.sweep_summary import TIPPED, point_summary
from sim.results_io import write_png

LABELS = {
    **OUTCOMES,
    TIPPED: "Share of runs tipped",
    "tipping_metric": "Tipping metric (the scenario's rule)",
    "fellows": "Fellows in post",
    "unplaced_fellows": "Fellows without a post",
}


def label(column: str) -> str:
    if column.startswith("alumni_"):
        return f"Alumni: {column.removeprefix('alumni_').replace('_', ' ')}"
    return LABELS.get(column, column.replace("_", " "))


def plot_sweep(runs: pd.DataFrame, parameters: list[str], outcomes: list[str], folder: Path, title: str) -> list[Path]:
    """Write PNG figures for the runs table into folder; return their paths (none if nothing succeeded)."""
    summary = point_summary(runs, parameters, outcomes)
    if summary.empty:
        return []
    columns = [*outcomes, TIPPED]
    if len(parameters) == 1:
        return [_save(_curves(summary, parameters[0], columns, title), folder / f"curves_{_slug(parameters[0])}.png")]
    if len(parameters) == 2 and _is_grid(summary, parameters):
        heatmaps = [
            _save(_heatmap(summary, parameters, column, title), folder / f"heatmap_{_slug(column)}.png")
            for column in columns
        ]
        return [*heatmaps, _save(_frontier(summary, parameters, TIPPED, title), folder / "frontier_tipped.png")]
    return [_save(_scatter(summary, parameters, column, title), folder / f"scatter_{_slug(column)}.png")
            for column in columns]


def _is_grid(summary: pd.DataFrame, parameters: list[str]) -> bool:
    a, b = (summary[p].nunique() for p in parameters)
    return a * b == len(summary.drop_duplicates(parameters)) and a * b <= 400


def _curves(summary: pd.DataFrame, parameter: str, columns: list[str], title: str) -> plt.Figure:
    ncols = min(3, len(columns))
    nrows = -(-len(columns) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    data = summary.sort_values(parameter)
    numeric = pd.api.types.is_numeric_dtype(data[parameter]) and not pd.api.types.is_bool_dtype(data[parameter])
    # categories (strings, booleans) are drawn at evenly spaced positions, labelled with their values
    x = data[parameter].to_numpy(float) if numeric else np.arange(len(data), dtype=float)
    for ax, column in zip(axes.flat, columns, strict=False):
        ax.plot(x, data[column], marker="o", color="C0")
        ax.fill_between(x, data[f"{column}_low"], data[f"{column}_high"], alpha=0.25, color="C0",
                        label="95% CI over replicates")
        ax.set_title(label(column), fontsize=10)
        ax.set_xlabel(parameter)
        if not numeric:
            ax.set_xticks(x, [str(v) for v in data[parameter]])
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(columns):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{title}: mean and 95% CI over replicates")
    fig.tight_layout()
    return fig


def _frontier(summary: pd.DataFrame, parameters: list[str], column: str, title: str) -> plt.Figure:
    """The column against the second parameter, a line for each value of the first, with 95% bands."""
    lines, along = parameters
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for i, (level, part) in enumerate(summary.sort_values(along).groupby(lines, sort=True)):
        x = part[along].to_numpy(float)
        (line,) = ax.plot(x, part[column], marker="o", color=f"C{i % 10}", label=f"{lines} = {level:g}"
                          if isinstance(level, float | int) else f"{lines} = {level}")
        ax.fill_between(x, part[f"{column}_low"], part[f"{column}_high"], color=line.get_color(), alpha=0.15)
    ax.set_xlabel(along)
    ax.set_ylabel(label(column))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    runs = int(summary["runs"].min())
    ax.set_title(f"{title}: {label(column)} (95% intervals, {runs}+ runs a point; seed noise only)", fontsize=9)
    fig.tight_layout()
    return fig


def _heatmap(summary: pd.DataFrame, parameters: list[str], column: str, title: str) -> plt.Figure:
    rows, cols = parameters
    table = summary.pivot_table(index=rows, columns=cols, values=column).sort_index().sort_index(axis=1)
    fig, ax = plt.subplots(figsize=(1.0 + 0.9 * table.shape[1], 1.2 + 0.6 * table.shape[0]))
    image = ax.imshow(table.to_numpy(float), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.index])
    ax.set_xlabel(cols)
    ax.set_ylabel(rows)
    values = table.to_numpy(float)
    middle = np.nanmean(values) if np.isfinite(values).any() else 0
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="black" if value > middle else "white")
    fig.colorbar(image, ax=ax, label=f"{label(column)} (mean)")
    ax.set_title(f"{title}\n{label(column)}, mean over replicates", fontsize=10)
    fig.tight_layout()
    return fig


def _scatter(summary: pd.DataFrame, parameters: list[str], column: str, title: str) -> plt.Figure:
    fig, axes = plt.subplots(1, len(parameters), figsize=(4 * len(parameters), 3.4), squeeze=False, sharey=True)
    for ax, parameter in zip(axes.flat, parameters, strict=True):
        ax.scatter(summary[parameter], summary[column], s=12, alpha=0.7)
        ax.set_xlabel(parameter)
        ax.grid(alpha=0.3)
    axes.flat[0].set_ylabel(label(column))
    fig.suptitle(f"{title}: {label(column)} at each design point (mean over replicates)", fontsize=10)
    fig.tight_layout()
    return fig


def _save(fig: plt.Figure, path: Path) -> Path:
    write_png(fig, path, dpi=120)
    plt.close(fig)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
