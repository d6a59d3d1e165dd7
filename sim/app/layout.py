"""Where each school is drawn: districts as blocks on a grid, schools as dots inside their block.

Computed once per system. Only colours change from year to year, so the room watches one fixed
map fill in; a spring layout of every teacher would move each step and, at 60,000 teachers, show
nothing legible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GAP = 0.18  # space between district blocks, in block widths: room for the district's name


@dataclass(frozen=True)
class DistrictLayout:
    x: np.ndarray  # per school, centre of its dot
    y: np.ndarray
    district: np.ndarray  # per school, its district's index
    blocks: np.ndarray  # per district: x0, y0, width, height
    names: list[str]
    spacing: float  # distance between neighbouring dots, for sizing them
    width: float  # extent of the whole map
    height: float


def district_layout(school_district: np.ndarray, names: list[str], order: np.ndarray | None = None) -> DistrictLayout:
    """Blocks in reading order (first district top left); within a block, schools sorted by `order`
    (e.g. disadvantage, highest first), so the same school keeps its place in every year."""
    school_district = np.asarray(school_district)
    n_districts = len(names)
    cols = max(1, math.ceil(math.sqrt(n_districts * 1.4)))  # a little wider than tall, like a screen
    rows = math.ceil(n_districts / cols)
    counts = np.bincount(school_district, minlength=n_districts)
    per_row = max(1, math.ceil(math.sqrt(counts.max(initial=1))))
    spacing = 1.0 / per_row
    key = np.zeros(school_district.size) if order is None else -np.asarray(order, dtype=float)
    ranked = np.lexsort((key, school_district))  # by district, then by order within it

    x = np.empty(school_district.size)
    y = np.empty(school_district.size)
    blocks = np.zeros((n_districts, 4))
    start = 0
    for d in range(n_districts):
        x0 = (d % cols) * (1 + GAP)
        y0 = (rows - 1 - d // cols) * (1 + GAP)  # row 0 at the top of the picture
        blocks[d] = (x0, y0, 1.0, 1.0)
        members = ranked[start : start + counts[d]]
        start += counts[d]
        slot = np.arange(members.size)
        x[members] = x0 + (slot % per_row + 0.5) * spacing
        y[members] = y0 + 1.0 - (slot // per_row + 0.5) * spacing
    return DistrictLayout(x, y, school_district, blocks, list(names), spacing, cols * (1 + GAP) - GAP, rows * (1 + GAP))
