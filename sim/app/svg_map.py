"""The school system as an SVG picture that scales with its box: one dot per school in its district's
block, coloured by practice or achievement, schools with fellows ringed, schools led by alumni starred.

Written directly rather than through matplotlib: a year's map is a few hundred shapes whose colours
change, and drawing it as text takes about a millisecond where a matplotlib figure took 50 to 70 ms
of every step. The picture's units are district blocks (1 x 1), so text and dots keep their size
relative to the map at any window size. Systems too large for dots to be seen from the back of a
room (London: 2,475 schools) are drawn aggregated: each block filled with its district's mean.
"""

from __future__ import annotations

import html
from functools import lru_cache

import matplotlib
import numpy as np

from sim.app.workshop_model import Schools

AGGREGATE_ABOVE = 600  # schools; beyond this a dot is a few pixels wide on a projected half-screen
LABELLED_UP_TO = 16  # districts; beyond this names would overlap, and show on hover instead
PROGRAMME_EDGE = "#f18f01"
LEADER_COLOUR = "#d1495b"
TITLE_ROOM = 0.42  # units above the blocks for the district names


@lru_cache(maxsize=8)
def palette(cmap: str) -> tuple[str, ...]:
    """256 hex colours along a matplotlib colour map."""
    colours = matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3]
    return tuple(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}" for r, g, b in colours)


def colours(values: np.ndarray, cmap: str, low: float, high: float) -> list[str]:
    lut = palette(cmap)
    index = np.clip(np.nan_to_num((values - low) / (high - low)) * 255, 0, 255).astype(int)
    return [lut[i] for i in index]


def gradient(cmap: str, stops: int = 9) -> str:
    """A CSS linear-gradient along the colour map, for the colour key under a map."""
    lut = palette(cmap)
    return "linear-gradient(to right, " + ", ".join(lut[round(i * 255 / (stops - 1))] for i in range(stops)) + ")"


def school_map(schools: Schools, values: np.ndarray, cmap: str, low: float, high: float, year: int,
               label: str, names: bool = True) -> str:
    """The map as an SVG element (no fixed size: it fills its box); `names`: district names above
    their blocks (small maps leave them out: they would be too small to read)."""
    layout = schools.layout
    width, height = layout.width + 0.1, layout.height + TITLE_ROOM * 0.5 + 0.08  # room for the bottom edges
    aggregate = layout.x.size > AGGREGATE_ABOVE
    labelled = names and len(layout.names) <= LABELLED_UP_TO
    parts = [
        f'<svg class="cm-map" data-year="{year}" viewBox="-0.05 {-TITLE_ROOM * 0.5:.3f} {width:.3f} {height:.3f}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{html.escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    fills = colours(schools.district_mean(values), cmap, low, high) if aggregate else None
    top = layout.height  # the picture's y runs down; the layout's runs up
    for d, (x0, y0, w, h) in enumerate(layout.blocks):
        name = html.escape(layout.names[d])
        y = top - y0 - h
        edge = f'stroke="{PROGRAMME_EDGE}" stroke-width="0.06"' if schools.programme[d] else \
            'stroke="#999" stroke-width="0.02"'
        fill = fills[d] if fills is not None else "none"
        parts.append(f'<rect x="{x0:.3f}" y="{y:.3f}" width="{w:.3f}" height="{h:.3f}" fill="{fill}" {edge}>'
                     f"<title>{name}</title></rect>")
        if labelled:
            parts.append(f'<text class="cm-district" x="{x0:.3f}" y="{y - 0.04:.3f}" font-size="0.16">'
                         f"{html.escape(layout.names[d][:14])}</text>")
    if not aggregate:
        parts.append(_dots(schools, values, cmap, low, high, top))
    parts.append("</svg>")
    return "".join(parts)


def _dots(schools: Schools, values: np.ndarray, cmap: str, low: float, high: float, top: float) -> str:
    layout = schools.layout
    r = 0.4 * layout.spacing
    xs, ys = np.round(layout.x, 3), np.round(top - layout.y, 3)
    fills = colours(values, cmap, low, high)
    dots = [f'<circle cx="{x}" cy="{y}" r="{r:.3f}" fill="{f}"/>' for x, y, f in zip(xs, ys, fills, strict=True)]
    ring = max(0.015, r * 0.22)
    rings = [f'<circle cx="{xs[i]}" cy="{ys[i]}" r="{r - ring / 2:.3f}" fill="none" stroke="#000" '
             f'stroke-width="{ring:.3f}"/>' for i in np.flatnonzero(schools.fellows)]
    stars = [f'<path d="{_star(xs[i], ys[i], r * 0.8)}" fill="{LEADER_COLOUR}" stroke="#fff" '
             f'stroke-width="{ring * 0.4:.3f}"/>' for i in np.flatnonzero(schools.leaders)]
    return "".join(dots + rings + stars)


_ANGLES = np.pi / 2 + np.arange(10) * np.pi / 5
_RADII = np.tile([1.0, 0.45], 5)


def _star(x: float, y: float, r: float) -> str:
    px, py = x + r * _RADII * np.cos(_ANGLES), y - r * _RADII * np.sin(_ANGLES)
    return "M" + "L".join(f"{a:.3f},{b:.3f}" for a, b in zip(px, py, strict=True)) + "Z"
