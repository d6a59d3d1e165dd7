"""Figures for the tipping analyses (sim.tipping): curves, boundaries, searches, ramps, warnings, rankings.

Each function takes results already computed and writes one PNG atomically; none runs a model.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a cluster node or in CI

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.special import expit

from sim.results_io import write_png


def save(fig: plt.Figure, path: Path) -> Path:
    write_png(fig, path, dpi=110)
    plt.close(fig)
    return path


def _band(ax: plt.Axes, ci: tuple[float, float], label: str, color: str = "C3") -> None:
    if np.all(np.isfinite(ci)):
        ax.axvspan(ci[0], ci[1], color=color, alpha=0.15, label=label)


def tipping_curve(
    points: pd.DataFrame, parameter: str, tipping_point: float, ci: tuple[float, float], slope: float | None,
    title: str, path: Path,
) -> Path:
    """Share tipped at each design point (Wilson 95% bars), the fitted logistic and the tipping point."""
    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    x = points[parameter].to_numpy(float)
    p = points["p_tipped"].to_numpy(float)
    below = np.clip(p - points["p_tipped_low"].to_numpy(float), 0, None)  # rounding can leave -1e-17
    above = np.clip(points["p_tipped_high"].to_numpy(float) - p, 0, None)
    ax.errorbar(x, p, yerr=[below, above], fmt="o", color="C0",
                capsize=3, label="share of runs tipped (95% Wilson)")
    if np.isfinite(tipping_point):
        grid = np.linspace(x.min(), x.max(), 300)
        if slope is not None and np.isfinite(slope):
            ax.plot(grid, expit(slope * (grid - tipping_point)), color="C3", label="logistic fit")
        ax.axvline(tipping_point, color="C3", lw=1, ls="--")
        _band(ax, ci, f"tipping point {tipping_point:.3g} (95% CI {ci[0]:.3g} to {ci[1]:.3g})")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(parameter)
    ax.set_ylabel("P(tipped)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def boundary_map(
    points: pd.DataFrame, across: str, level: str, levels: pd.DataFrame, contour: pd.DataFrame, title: str, path: Path,
) -> Path:
    """Heatmap of the share tipped, with per-level tipping points (and intervals) and the smooth P = 1/2 contour."""
    table = points.pivot_table(index=level, columns=across, values="p_tipped").sort_index().sort_index(axis=1)
    xs, ys = table.columns.to_numpy(float), table.index.to_numpy(float)
    fig, ax = plt.subplots(figsize=(6.8, 4.6))
    image = ax.pcolormesh(_edges(xs), _edges(ys), table.to_numpy(float), cmap="viridis", vmin=0, vmax=1, shading="flat")
    fig.colorbar(image, ax=ax, label="share of runs tipped")
    ok = levels[np.isfinite(levels["tipping_point"].to_numpy(float))]
    if len(ok):
        xerr = np.clip([ok["tipping_point"] - ok["ci_low"], ok["ci_high"] - ok["tipping_point"]], 0, None)
        ax.errorbar(ok["tipping_point"], ok[level], xerr=xerr,
                    fmt="o", color="white", mec="black", capsize=3, label="tipping point at each level (95% CI)")
    ax.plot(contour[across], contour[level], color="C3", lw=2, label="P = 1/2 (smooth fit)")
    ax.fill_betweenx(contour[level], contour[f"{across}_low"], contour[f"{across}_high"], color="C3", alpha=0.25,
                     label="95% bootstrap band")
    ax.set_xlabel(across)
    ax.set_ylabel(level)
    ax.legend(fontsize=7, loc="upper right", framealpha=0.8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def search_runs(
    x: np.ndarray, y: np.ndarray, measured_runs: int, tipping_point: float, ci: tuple[float, float], slope: float,
    parameter: str, title: str, path: Path,
) -> Path:
    """Where the search spent its runs: outcomes against x in run order, and the fitted curve."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.04, 0.04, x.size)
    first = x.size - measured_runs
    top.scatter(x[:first], y[:first] + jitter[:first], s=8, alpha=0.5, color="C7",
                label="runs before it (locating; batches too wide)")
    top.scatter(x[first:], y[first:] + jitter[first:], s=8, alpha=0.5, color="C0",
                label="measuring batch (the interval's runs)")
    grid = np.linspace(x.min(), x.max(), 300)
    top.plot(grid, expit(slope * (grid - tipping_point)), color="C3", label="logistic fit (measuring batch)")
    _band(top, ci, f"tipping point {tipping_point:.3g} (95% CI {ci[0]:.3g} to {ci[1]:.3g})")
    top.set_ylabel("tipped (0/1), fit")
    top.legend(fontsize=7, loc="center right")
    top.set_title(title, fontsize=10)
    top.grid(alpha=0.3)
    bottom.hist([x[:first], x[first:]], bins=40, stacked=True, color=["C7", "C0"])
    bottom.set_xlabel(parameter)
    bottom.set_ylabel("runs")
    fig.tight_layout()
    return save(fig, path)


def _edges(v: np.ndarray) -> np.ndarray:
    """Cell edges halfway between grid values, so each design point's cell is centred on it."""
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    return np.concatenate([[v[0] - (v[1] - v[0]) / 2], (v[:-1] + v[1:]) / 2, [v[-1] + (v[-1] - v[-2]) / 2]])


def hysteresis_loop(
    frame: pd.DataFrame, key: str, interval: tuple[float, float] | None, title: str, path: Path
) -> Path:
    """Share tipped and the tipping metric along the forward and back branches."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    for branch, color, marker in (("forward", "C0", "o"), ("back", "C3", "s")):
        part = frame[frame["branch"] == branch].groupby("value")
        left.plot(part["tipped"].mean().index, part["tipped"].mean(), marker=marker, color=color, label=branch)
        metric = part["tipping_metric"]
        right.plot(metric.mean().index, metric.mean(), marker=marker, color=color, label=branch)
        right.fill_between(metric.mean().index, metric.quantile(0.05), metric.quantile(0.95), color=color, alpha=0.15)
    control = frame[frame["branch"] == "control"]
    if len(control):
        end = control[control["step"] == control["step"].max()]
        left.scatter([end["value"].iloc[0]], [end["tipped"].mean()], marker="x", color="k", zorder=5,
                     label="held at the start, same years")
    for ax in (left, right):
        if interval is not None:
            ax.axvspan(*interval, color="C1", alpha=0.12, label="path-dependent interval")
        ax.set_xlabel(key)
        ax.grid(alpha=0.3)
    left.set_ylabel("share of replicates tipped")
    left.set_ylim(-0.05, 1.05)
    right.set_ylabel("tipping metric (mean, 5-95%)")
    left.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def warning_panel(runups: dict[int, np.ndarray], table: pd.DataFrame, column: str, title: str, path: Path) -> Path:
    """Run-ups to tipping (left) and the Kendall trends of variance and lag-1 autocorrelation (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for series in runups.values():
        left.plot(np.arange(series.size) - series.size, series, color="C0", alpha=0.4, lw=1)
    left.set_xlabel("years before tipping")
    left.set_ylabel(column)
    left.grid(alpha=0.3)
    if len(table):
        right.scatter(table["variance_tau"], table["autocorrelation_tau"], color="C3")
    right.axhline(0, color="k", lw=0.8)
    right.axvline(0, color="k", lw=0.8)
    right.set_xlim(-1.05, 1.05)
    right.set_ylim(-1.05, 1.05)
    right.set_xlabel("Kendall tau, rolling variance")
    right.set_ylabel("Kendall tau, lag-1 autocorrelation")
    right.set_title("each point a replicate; rising = upper right", fontsize=8)
    right.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def sensitivity_bars(table: pd.DataFrame, outcome: str, title: str, path: Path) -> Path:
    """Morris mu* (with its bootstrap 95% interval) per parameter for one outcome, largest first."""
    part = table[table["outcome"] == outcome].sort_values("mu_star")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [3, 2]})
    labels = [f"{p} [{lo:g}, {hi:g}]" for p, lo, hi in zip(part["parameter"], part["low"], part["high"], strict=True)]
    left.barh(labels, part["mu_star"], xerr=part["mu_star_conf"], color="C0", capsize=3)
    left.set_xlabel(f"Morris mu* on {outcome}")
    left.tick_params(axis="y", labelsize=8)
    left.grid(alpha=0.3, axis="x")
    right.scatter(part["mu_star"], part["sigma"], color="C3")
    for _, row in part.iterrows():
        right.annotate(row["parameter"].split(".")[-1], (row["mu_star"], row["sigma"]), fontsize=7)
    right.set_xlabel("mu*")
    right.set_ylabel("sigma (interactions, non-linearity)")
    right.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def sobol_bars(table: pd.DataFrame, outcome: str, title: str, path: Path) -> Path:
    """Sobol first-order (S1) and total-order (ST) indices with their 95% intervals, largest total first."""
    part = table[table["outcome"] == outcome].sort_values("ST")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    y = np.arange(len(part))
    ax.barh(y + 0.2, part["ST"], 0.4, xerr=part["ST_conf"], color="C3", capsize=3, label="total order (ST)")
    ax.barh(y - 0.2, part["S1"], 0.4, xerr=part["S1_conf"], color="C0", capsize=3, label="first order (S1)")
    ax.set_yticks(y, [f"{p} [{lo:g}, {hi:g}]" for p, lo, hi in zip(part["parameter"], part["low"], part["high"],
                                                                  strict=True)], fontsize=8)
    ax.set_xlabel(f"Sobol index on {outcome} (share of its variance)")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)


VERDICT_COLOURS = {"better": "C2", "worse": "C3", "within noise": "0.6"}


def worlds_caterpillar(per_world: pd.DataFrame, title: str, xlabel: str, path: Path) -> Path:
    """One world a row, sorted by the difference, with its interval and coloured by its verdict."""
    part = per_world.dropna(subset=["difference"]).sort_values("difference").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    y = np.arange(len(part))
    for verdict, colour in VERDICT_COLOURS.items():
        rows = part[part["verdict"] == verdict]
        if len(rows):
            ax.hlines(rows.index, rows["ci_low"], rows["ci_high"], color=colour, linewidth=0.8, alpha=0.7)
            ax.plot(rows["difference"], rows.index, "o", color=colour, markersize=2.5,
                    label=f"{verdict} ({len(rows)} world{'' if len(rows) == 1 else 's'})")
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_yticks([])
    ax.set_ylim(-1, max(len(y), 1))
    ax.set_ylabel("plausible worlds, sorted by the difference")
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def tipping_over_worlds(worlds: pd.DataFrame, default: dict, grid: list[float], key: str, title: str,
                        path: Path) -> Path:
    """Histogram of each world's tipping point; worlds that tip at or below / beyond the grid as bars at its
    ends; the scenario's own tipping point and its seed-noise interval as a line and band."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    low, high = grid[0], grid[-1]
    span = high - low
    inside = worlds.loc[worlds["status"] == "within", "midpoint"]
    bins = np.linspace(low, high, 21).tolist()
    ax.hist(inside, bins=bins, color="C0", alpha=0.8, label=f"tips inside the grid ({len(inside)} worlds)")
    for status, x, colour in (("at or below the grid", low - span * 0.04, "C2"),
                              ("beyond the grid", high + span * 0.04, "C3")):
        count = int((worlds["status"] == status).sum())
        if count:
            ax.bar(x, count, width=span * 0.05, color=colour, label=f"{status} ({count} worlds)")
    if default.get("status") == "within":
        ax.axvline(default["midpoint"], color="k", linewidth=1.2, label="the scenario's own values")
        if np.isfinite(default.get("ci_low", np.nan)):
            ax.axvspan(default["ci_low"], default["ci_high"], color="k", alpha=0.12, label="its seed-noise interval")
    ax.set_xlabel(f"tipping point in {key} (P(tipped) = 1/2)")
    ax.set_ylabel("worlds")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save(fig, path)
