"""Cells tall enough for projector-sized figures in SolaraViz's grid of views.

SolaraViz gives every view a 390-px-high cell (mesa.visualization.solara_viz.make_initial_grid_layout,
which it looks up at render time), so figures drawn with fonts legible from the back of a room
would spill into the cell below. The room's views are always in the same order (components.views),
so each gets a height that holds it at full width on a 1920-px screen.
"""

from __future__ import annotations

import mesa.visualization.solara_viz as solara_viz

ROW_PX, GAP_PX = 30, 10  # vue-grid-layout as Solara sets it up: a row is 30 px, cells 10 px apart
HEIGHTS = (14, 14, 16, 12)  # map, charts, side by side, tipping curve: rows of ROW_PX + GAP_PX


def room_layout(count: int) -> list[dict]:
    """Two columns; each view in the next free slot, taller than SolaraViz's default."""
    return [
        # y only orders the rows: the grid packs each cell up against the one above it
        {"i": i, "w": 6, "h": HEIGHTS[min(i, len(HEIGHTS) - 1)], "moved": False, "x": 6 * (i % 2), "y": 100 * (i // 2)}
        for i in range(count)
    ]


def install() -> None:
    solara_viz.make_initial_grid_layout = room_layout
