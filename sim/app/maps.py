"""The school system as a picture: one dot per school in its district's block, coloured by practice
or achievement, schools with fellows ringed and schools led by alumni starred.

Systems too large for dots to be seen from the back of a room (London: 2,475 schools) are drawn
aggregated instead: each district block filled with its mean, the marks counted in the legend.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from sim.app.layout import DistrictLayout
from sim.app.style import ACHIEVEMENT_CMAP, ACHIEVEMENT_RANGE, PRACTICE_CMAP, PROJECTOR
from sim.mechanisms.institutions import school_practising_share
from sim.mechanisms.students import school_achievement
from sim.model import SchoolSystemModel
from sim.state import ALUMNUS, FELLOW, SCHOOL_LEADER

AGGREGATE_ABOVE = 600  # schools; beyond this a dot is a few pixels wide on a projected half-screen
PROGRAMME_EDGE = "#f18f01"


def marked_schools(model: SchoolSystemModel) -> tuple[np.ndarray, np.ndarray]:
    """Per school: has a fellow in post; is led by an alumnus."""
    m, n = model.state.members, model.state.schools.size
    fellows, leaders = np.zeros(n, bool), np.zeros(n, bool)
    fellows[m.school[(m.status == FELLOW) & (m.school >= 0)]] = True
    leaders[m.school[(m.status == ALUMNUS) & (m.role == SCHOOL_LEADER) & (m.school >= 0)]] = True
    return fellows, leaders


def district_means(model: SchoolSystemModel, values: np.ndarray) -> np.ndarray:
    s = model.state.schools
    weights = np.bincount(s.district, weights=s.teachers, minlength=model.state.districts.size)
    return np.bincount(s.district, weights=values * s.teachers, minlength=weights.size) / np.maximum(weights, 1)


def draw_map(ax: Axes, model: SchoolSystemModel, values: np.ndarray, cmap: str, norm: Normalize, title: str) -> None:
    layout: DistrictLayout = model.layout  # type: ignore[attr-defined]
    aggregate = layout.x.size > AGGREGATE_ABOVE
    colour = matplotlib.colormaps[cmap]
    ax.set_xlim(-0.05, layout.width + 0.05)
    ax.set_ylim(-0.05, layout.height)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, loc="left")
    programme = model.state.districts.programme
    means = district_means(model, values) if aggregate else None
    label_size = 13 if len(layout.names) <= 12 else 9
    for d, (x0, y0, w, h) in enumerate(layout.blocks):
        fill = colour(norm(means[d])) if means is not None else "none"
        ax.add_patch(Rectangle((x0, y0), w, h, facecolor=fill, linewidth=3.5 if programme[d] else 1.2,
                               edgecolor=PROGRAMME_EDGE if programme[d] else "#999999"))
        ax.text(x0, y0 + h + 0.02, layout.names[d][:12], fontsize=label_size, va="bottom")
    if aggregate:
        return
    fellows, leaders = marked_schools(model)
    bbox = ax.get_position()  # dots a little smaller than their slot: points per data unit
    fig_w, fig_h = ax.figure.get_size_inches()
    per_unit = 72 * min(bbox.width * fig_w / layout.width, bbox.height * fig_h / layout.height)
    size = 0.8 * layout.spacing * per_unit
    ring = max(1.5, size * 0.16)
    ax.scatter(layout.x, layout.y, c=values, cmap=cmap, norm=norm, s=size**2, linewidths=0)
    ax.scatter(layout.x[fellows], layout.y[fellows], s=size**2, facecolors="none", edgecolors="black", linewidths=ring)
    ax.scatter(layout.x[leaders], layout.y[leaders], marker="*", s=(size * 0.9) ** 2, c="#d1495b",
               edgecolors="white", linewidths=ring * 0.4)


def legend_handles(model: SchoolSystemModel) -> list[Line2D]:
    fellows, leaders = marked_schools(model)
    return [
        Line2D([], [], marker="o", linestyle="", markersize=14, markerfacecolor="none", markeredgecolor="black",
               markeredgewidth=3, label=f"fellows teaching ({fellows.sum()} schools)"),
        Line2D([], [], marker="*", linestyle="", markersize=18, color="#d1495b",
               label=f"led by an alumnus ({leaders.sum()})"),
        Line2D([], [], color=PROGRAMME_EDGE, linewidth=4, label="district with fellows"),
    ]


def system_map(model: SchoolSystemModel) -> Figure:
    """Two maps of the same schools: how many of their teachers practise, and their students' achievement."""
    aggregate = model.layout.x.size > AGGREGATE_ABOVE  # type: ignore[attr-defined]
    suffix = " (districts)" if aggregate else ""
    with matplotlib.rc_context(PROJECTOR):
        fig = Figure(figsize=(8.5, 5.0))
        fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.25, wspace=0.12)
        ax_p, ax_a = fig.subplots(1, 2)
        practice = (school_practising_share(model.state), PRACTICE_CMAP, Normalize(0, 1))
        achievement = (school_achievement(model.state), ACHIEVEMENT_CMAP, Normalize(*ACHIEVEMENT_RANGE))
        for ax, (values, cmap, norm), title in ((ax_p, practice, "Practising" + suffix),
                                                (ax_a, achievement, "Achievement" + suffix)):
            draw_map(ax, model, values, cmap, norm, title)
            bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=ax, orientation="horizontal",
                               fraction=0.06, pad=0.02, aspect=25, ticks=np.linspace(norm.vmin, norm.vmax, 3))
            bar.ax.tick_params(labelsize=13)
        fig.legend(handles=legend_handles(model), loc="lower center", ncols=2, frameon=False, fontsize=14,
                   columnspacing=1.0, handletextpad=0.3)
        return fig
