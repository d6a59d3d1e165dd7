"""One look for every figure, chosen to be read from the back of a room on a projector."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # the server draws to PNG; there is no display

PROJECTOR = {
    "font.size": 17,
    "axes.titlesize": 20,
    "axes.titleweight": "bold",
    "axes.labelsize": 17,
    "xtick.labelsize": 15,
    "ytick.labelsize": 15,
    "legend.fontsize": 15,
    "lines.linewidth": 4,
    "axes.linewidth": 1.6,
    "xtick.major.width": 1.6,
    "ytick.major.width": 1.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "figure.dpi": 80,
    "savefig.dpi": 80,
}

PRACTICE_CMAP = "YlGnBu"
ACHIEVEMENT_CMAP = "RdYlGn"
ACHIEVEMENT_RANGE = (-0.8, 0.4)  # SD units: holds every shipped scenario's schools, start to end
LINE_COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#6a4c93")
THRESHOLD_COLOUR = "#444444"
