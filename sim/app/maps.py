"""The school system as a picture: one dot per school in its district's block, coloured by practice
or achievement, schools with fellows ringed and schools led by alumni starred.

Systems too large for dots to be seen from the back of a room (London: 2,475 schools) are drawn
aggregated instead: each district block filled with its mean, the marks counted in the legend.
Figures are built once per model and updated in place each year: building one costs as much as
drawing it, and a room waits for both on every step.
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


class MapPanel:
    """One map on an Axes: district blocks, then school dots and marks (or block fills, aggregated)."""

    def __init__(self, ax: Axes, model: SchoolSystemModel, cmap: str, norm: Normalize) -> None:
        layout: DistrictLayout = model.layout  # type: ignore[attr-defined]
        self.ax, self.layout, self.norm = ax, layout, norm
        self.cmap = matplotlib.colormaps[cmap]
        self.aggregate = layout.x.size > AGGREGATE_ABOVE
        ax.set_xlim(-0.05, layout.width + 0.05)
        ax.set_ylim(-0.05, layout.height)
        ax.set_aspect("equal")
        ax.axis("off")
        programme = model.state.districts.programme
        label_size = 13 if len(layout.names) <= 12 else 9
        self.blocks = []
        for d, (x0, y0, w, h) in enumerate(layout.blocks):
            self.blocks.append(ax.add_patch(Rectangle(
                (x0, y0), w, h, facecolor="none", linewidth=3.5 if programme[d] else 1.2,
                edgecolor=PROGRAMME_EDGE if programme[d] else "#999999")))
            ax.text(x0, y0 + h + 0.02, layout.names[d][:12], fontsize=label_size, va="bottom")
        if self.aggregate:
            return
        bbox = ax.get_position()  # dots a little smaller than their slot: points per data unit
        fig_w, fig_h = ax.figure.get_size_inches()
        per_unit = 72 * min(bbox.width * fig_w / layout.width, bbox.height * fig_h / layout.height)
        size = 0.8 * layout.spacing * per_unit
        ring = max(1.5, size * 0.16)
        none = np.empty((0, 2))
        self.dots = ax.scatter(layout.x, layout.y, c=np.zeros(layout.x.size), cmap=self.cmap, norm=norm,
                               s=size**2, linewidths=0)
        self.fellows = ax.scatter(none[:, 0], none[:, 1], s=size**2, facecolors="none", edgecolors="black",
                                  linewidths=ring)
        self.leaders = ax.scatter(none[:, 0], none[:, 1], marker="*", s=(size * 0.9) ** 2, c="#d1495b",
                                  edgecolors="white", linewidths=ring * 0.4)

    def update(self, model: SchoolSystemModel, values: np.ndarray, title: str) -> None:
        self.ax.set_title(title, loc="left")
        if self.aggregate:
            for block, mean in zip(self.blocks, district_means(model, values), strict=True):
                block.set_facecolor(self.cmap(self.norm(mean)))
            return
        self.dots.set_array(values)
        fellows, leaders = marked_schools(model)
        xy = np.column_stack([self.layout.x, self.layout.y])
        self.fellows.set_offsets(xy[fellows])
        self.leaders.set_offsets(xy[leaders])


LEGEND = ("fellows teaching ({} schools)", "led by an alumnus ({})", "district with fellows")


def legend_handles() -> list[Line2D]:
    return [
        Line2D([], [], marker="o", linestyle="", markersize=14, markerfacecolor="none", markeredgecolor="black",
               markeredgewidth=3, label=LEGEND[0]),
        Line2D([], [], marker="*", linestyle="", markersize=18, color="#d1495b", label=LEGEND[1]),
        Line2D([], [], color=PROGRAMME_EDGE, linewidth=4, label=LEGEND[2]),
    ]


class SystemMap:
    """Two maps of the same schools: how many of their teachers practise, and their students' achievement."""

    def __init__(self, model: SchoolSystemModel) -> None:
        with matplotlib.rc_context(PROJECTOR):
            self.figure = fig = Figure(figsize=(8.5, 5.0))
            fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.25, wspace=0.12)
            self.panels = []
            for ax, cmap, norm in zip(fig.subplots(1, 2), (PRACTICE_CMAP, ACHIEVEMENT_CMAP),
                                      (Normalize(0, 1), Normalize(*ACHIEVEMENT_RANGE)), strict=True):
                self.panels.append(MapPanel(ax, model, cmap, norm))
                bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=ax, orientation="horizontal",
                                   fraction=0.06, pad=0.02, aspect=25, ticks=np.linspace(norm.vmin, norm.vmax, 3))
                bar.ax.tick_params(labelsize=13)
            self.legend = fig.legend(handles=legend_handles(), loc="lower center", ncols=2, frameon=False,
                                     fontsize=14, columnspacing=1.0, handletextpad=0.3)
            self.suffix = " (districts)" if self.panels[0].aggregate else ""

    def update(self, model: SchoolSystemModel) -> Figure:
        with matplotlib.rc_context(PROJECTOR):
            self.panels[0].update(model, school_practising_share(model.state), "Practising" + self.suffix)
            self.panels[1].update(model, school_achievement(model.state), "Achievement" + self.suffix)
            fellows, leaders = marked_schools(model)
            texts = self.legend.get_texts()
            texts[0].set_text(LEGEND[0].format(fellows.sum()))
            texts[1].set_text(LEGEND[1].format(leaders.sum()))
        return self.figure


def system_map(model: SchoolSystemModel) -> Figure:
    return SystemMap(model).update(model)
