"""Figures of a calibration: posterior marginals and pairs, the fit to each target, and the populations."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # drawn off screen, on servers and in CI alike

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.calibration.analysis import INTERVAL, weighted_quantile
from sim.calibration.schema import LoadedCalibration

BINS = 24


def _labels(loaded: LoadedCalibration) -> dict[str, str]:
    """Axis labels: the shortest ending of each key path (at least two parts) that no other key shares."""
    keys = loaded.keys
    labels = {}
    for key in keys:
        parts = key.split(".")
        for n in range(min(2, len(parts)), len(parts) + 1):
            ending = ".".join(parts[-n:])
            unique = sum(k == ending or k.endswith("." + ending) for k in keys) == 1
            if unique and not parts[-n].isdigit():  # "stages.1.roles.x", not "1.roles.x"
                break
        labels[key] = ending
    return labels


def _panels(n: int, size: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """A figure of n panels, up to three a row, each `size` inches: the figure and its axes, flat."""
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(size[0] * cols, size[1] * rows), dpi=110)
    return fig, np.atleast_1d(fig.subplots(rows, cols)).ravel()


def marginals(posterior: pd.DataFrame, loaded: LoadedCalibration) -> Figure:
    """Each parameter's posterior over its prior range (the prior is flat), with the 90% interval."""
    priors = loaded.calibration.parameters
    fig, axes = _panels(len(priors), (3.4, 2.6))
    labels = _labels(loaded)
    w = posterior["weight"].to_numpy()
    for ax, prior in zip(axes, priors, strict=False):
        x = posterior[prior.key].to_numpy(dtype=np.float64)
        low, high = prior.between
        ax.hist(x, bins=np.linspace(low, high, BINS + 1), weights=w * BINS / (high - low), color="#4c72b0",
                alpha=0.8, label="posterior")
        ax.axhline(1.0 / (high - low), color="#888", lw=1.2, ls="--", label="prior")
        for q in INTERVAL:
            ax.axvline(weighted_quantile(x, w, q), color="#c44e52", lw=1.2)
        ax.set_xlim(low, high)
        ax.locator_params(axis="x", nbins=5)
        ax.tick_params(labelsize=7)
        ax.set_title(labels[prior.key], fontsize=9)
        ax.set_yticks([])
    for ax in axes[len(priors):]:
        ax.set_visible(False)
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle("Posterior (bars), prior (dashed), 90% interval (red)", fontsize=10)
    fig.tight_layout()
    return fig


def pairs(posterior: pd.DataFrame, loaded: LoadedCalibration) -> Figure:
    """Every pair of parameters: particles shaded by weight; a ridge is a trade-off the targets cannot settle."""
    priors = loaded.calibration.parameters
    k = len(priors)
    fig = Figure(figsize=(2.3 * max(k, 2), 2.3 * max(k, 2)), dpi=100)
    axes = np.array(fig.subplots(k, k, squeeze=False))
    labels = _labels(loaded)
    w = posterior["weight"].to_numpy()
    shade = 0.15 + 0.85 * w / w.max()
    for i, row in enumerate(priors):
        for j, col in enumerate(priors):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            x = posterior[col.key].to_numpy(dtype=np.float64)
            if i == j:
                ax.hist(x, bins=np.linspace(*col.between, BINS + 1), weights=w, color="#4c72b0")
                ax.set_yticks([])
            else:
                y = posterior[row.key].to_numpy(dtype=np.float64)
                colours = np.zeros((x.size, 4))
                colours[:, 2], colours[:, 3] = 0.55, shade
                ax.scatter(x, y, s=9, c=colours, edgecolors="none")
                ax.set_ylim(*row.between)
            ax.set_xlim(*col.between)
            ax.tick_params(labelsize=6)
            if i == k - 1:
                ax.set_xlabel(labels[col.key], fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(labels[row.key], fontsize=7)
    fig.suptitle("Posterior pairs (darker: more weight)", fontsize=10)
    fig.tight_layout()
    return fig


def predictive(last: pd.DataFrame, loaded: LoadedCalibration) -> Figure:
    """Each target: what the posterior's runs gave, against the target's value with 1 and 2 sd bands."""
    targets = loaded.calibration.targets
    fig, axes = _panels(len(targets), (3.6, 2.7))
    w = last["weight"].to_numpy()
    for i, (ax, target) in enumerate(zip(axes, targets, strict=False)):
        x = last[loaded.label(i)].to_numpy(dtype=np.float64)
        lo = min(x.min(), target.value - 2.5 * target.sd)
        hi = max(x.max(), target.value + 2.5 * target.sd)
        ax.axvspan(target.value - 2 * target.sd, target.value + 2 * target.sd, color="#dd8452", alpha=0.12)
        ax.axvspan(target.value - target.sd, target.value + target.sd, color="#dd8452", alpha=0.25)
        ax.axvline(target.value, color="#dd8452", lw=2, label="target (1 and 2 sd)")
        ax.hist(x, bins=np.linspace(lo, hi, BINS + 1), weights=w, color="#4c72b0", alpha=0.85, label="posterior runs")
        ax.set_title(loaded.label(i), fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    for ax in axes[len(targets):]:
        ax.set_visible(False)
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle("Posterior predictive: the model's outcome at the posterior, against each target", fontsize=10)
    fig.tight_layout()
    return fig


def populations(diagnostics: pd.DataFrame) -> Figure:
    """The temperature (epsilon) falling to 1 over the populations, and the acceptance rate it cost."""
    fig = Figure(figsize=(6.4, 3.0), dpi=110)
    left, right = fig.subplots(1, 2)
    left.semilogy(diagnostics["population"], diagnostics["epsilon"], "o-")
    left.axhline(1.0, color="#888", ls="--", lw=1)
    left.set_title("epsilon (temperature; 1 = exact)", fontsize=9)
    right.plot(diagnostics["population"], diagnostics["acceptance_rate"], "o-", color="#55a868")
    right.set_ylim(0, 1.05)
    right.set_title("acceptance rate", fontsize=9)
    for ax in (left, right):
        ax.set_xlabel("population")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
