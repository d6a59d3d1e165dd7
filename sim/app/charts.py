"""The room's charts as ECharts options: drawn in the browser (as SVG), so they fill their box at any
window size, and a year's update sends a few kilobytes of numbers instead of a picture.

Every chart over the years marks the same moments: the tipping line, the year the run tipped (a red
line and a shaded band after it) and each live change ("year 6: district support 0.60"). Pure
functions of plain data, so tests check them without a browser.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from sim.app.tipping import TippingCurve
from sim.app.workshop_model import Companion, Event, TippingRule

BLUE, RED, GREEN, PURPLE, ORANGE, GREY = "#1b6ca8", "#d1495b", "#2e933c", "#6a4c93", "#f18f01", "#444444"
TIPPED = RED
MIN_SPAN_SD = 0.3  # a year's noise should not fill a panel and look like a trend
FONT = {"normal": 15, "room": 21}


def _round(values: Iterable[Any], scale: float = 1.0) -> list[float | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v) * scale, 4)
            for v in values]


def _pairs(yearly: pd.DataFrame, column: str, scale: float = 1.0) -> list[list[float | None]]:
    return [[int(y), v] for y, v in zip(yearly["year"], _round(yearly[column].tolist(), scale), strict=True)]


def _x_axis(years: int, font: int, grid: int = 0, name: bool = True) -> dict:
    axis = {"type": "value", "min": 0, "max": years, "minInterval": 1, "gridIndex": grid,
            "axisLabel": {"fontSize": font}, "splitLine": {"show": False}}
    if name:
        axis.update(name="year", nameLocation="middle", nameGap=font + 10, nameTextStyle={"fontSize": font})
    return axis


def marks(events: Sequence[Event], tipped_year: int | None, font: int, level: float | None = None,
          level_label: str = "") -> dict:
    """markLine and markArea for one series: tipping line, tipped year, live changes."""
    lines: list[dict] = []
    if level is not None:
        lines.append({"yAxis": level, "lineStyle": {"type": "dashed", "color": GREY, "width": 2.5},
                      "label": {"formatter": level_label, "position": "insideStartTop", "fontSize": font,
                                "color": GREY}})
    for event in events:
        lines.append({"xAxis": event.year, "lineStyle": {"type": "dotted", "color": PURPLE, "width": 2.5},
                      "label": {"formatter": event.text(), "position": "insideEndTop", "fontSize": font - 2,
                                "color": PURPLE}})
    area: list = []
    if tipped_year is not None:
        lines.append({"xAxis": tipped_year, "lineStyle": {"type": "solid", "color": TIPPED, "width": 3.5},
                      "label": {"formatter": f"tipped: year {tipped_year}", "position": "insideEndBottom",
                                "fontSize": font, "fontWeight": "bold", "color": TIPPED}})
        area = [[{"xAxis": tipped_year}, {"xAxis": "max"}]]
    out: dict = {"markLine": {"symbol": "none", "silent": True, "animation": False, "data": lines}}
    if area:
        out["markArea"] = {"silent": True, "itemStyle": {"color": "rgba(209,73,91,0.10)"}, "data": area}
    return out


def _base(font: int) -> dict:
    return {"animation": False, "textStyle": {"fontSize": font},
            "tooltip": {"trigger": "axis", "textStyle": {"fontSize": font}}}


def practice_chart(yearly: pd.DataFrame, rule: TippingRule, tipped_year: int | None, events: Sequence[Event],
                   years: int, room: bool = False) -> dict:
    """Teachers practising: all schools, where the rule is judged (when not the whole system), the line."""
    font = FONT["room" if room else "normal"]
    series = [{"name": "all schools", "type": "line", "data": _pairs(yearly, "practising_share", 100),
               "color": BLUE, "lineStyle": {"width": 4}, "symbolSize": 8}]
    if rule.metric == "practising_share" and not rule.system_wide:
        series.append({"name": rule.place, "type": "line", "data": _pairs(yearly, "tipping_metric", 100),
                       "color": ORANGE, "lineStyle": {"width": 4}, "symbolSize": 8})
    level = rule.level * 100 if rule.metric == "practising_share" else None
    series[-1].update(marks(events, tipped_year, font, level, f"tipping line {level:g}%" if level else ""))
    return _percent_chart(series, years, font)


def _percent_chart(series: list[dict], years: int, font: int) -> dict:
    """The frame both practice charts share: a legend on top, years along, 0-100% up."""
    return {
        **_base(font),
        "legend": {"top": 0, "textStyle": {"fontSize": font}},
        "grid": {"left": font * 3.6, "right": font, "top": font * 3, "bottom": font * 3.4},
        "xAxis": _x_axis(years, font),
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%", "fontSize": font}},
        "series": series,
    }


PANELS = (  # outcome charts: (title, columns, unit, fixed range or None)
    ("Achievement (SD)", ("mean_achievement",), None),
    ("Achievement gap (SD)", ("achievement_gap",), None),
    ("Leadership index", ("leadership_index",), (0, 1)),
    ("District support, ministry alignment", ("district_support", "ministry_alignment"), (0, 1)),
)
LINE_COLOURS = {"mean_achievement": GREEN, "achievement_gap": RED, "leadership_index": PURPLE,
                "district_support": BLUE, "ministry_alignment": ORANGE}
SERIES_NAMES = {"district_support": "district support", "ministry_alignment": "ministry alignment"}


def outcome_charts(yearly: pd.DataFrame, tipped_year: int | None, events: Sequence[Event], years: int,
                   room: bool = False) -> dict:
    """Four small panels over the years: achievement, the gap, the leadership index, institutions."""
    font = FONT["room" if room else "normal"] - 2
    grids, titles, xs, ys, series = [], [], [], [], []
    for i, (title, columns, fixed) in enumerate(PANELS):
        left, top = (8 if i % 2 == 0 else 58), (9 if i < 2 else 57)
        grids.append({"left": f"{left}%", "top": f"{top}%", "width": "36%", "height": "30%"})
        titles.append({"text": title, "left": f"{left - 6}%", "top": f"{top - 8}%",
                       "textStyle": {"fontSize": font, "fontWeight": "bold"}})
        xs.append(_x_axis(years, font, i, name=i >= 2))
        low, high, interval = (*fixed, 0.5) if fixed else _span(yearly, columns)
        ys.append({"type": "value", "gridIndex": i, "min": low, "max": high, "interval": interval,
                   "axisLabel": {"fontSize": font}})
        for j, column in enumerate(columns):
            line = {"name": SERIES_NAMES.get(column, title), "type": "line", "xAxisIndex": i, "yAxisIndex": i,
                    "data": _pairs(yearly, column), "color": LINE_COLOURS[column], "lineStyle": {"width": 3},
                    "symbolSize": 6}
            if j == 0:
                line.update(marks(events, tipped_year, font))
            series.append(line)
    return {**_base(font), "title": titles, "grid": grids, "xAxis": xs, "yAxis": ys,
            "legend": {"data": list(SERIES_NAMES.values()), "bottom": 0, "textStyle": {"fontSize": font}},
            "series": series}


def _span(yearly: pd.DataFrame, columns: Sequence[str]) -> tuple[float, float, float]:
    """(low, high, interval) on a grid of tenths, at least MIN_SPAN_SD wide, holding every value."""
    values = pd.concat([yearly[c] for c in columns])
    low, high = math.floor(float(values.min()) * 10) / 10, math.ceil(float(values.max()) * 10) / 10
    if high - low < MIN_SPAN_SD:
        extra = MIN_SPAN_SD - (high - low)
        low, high = low - math.floor(extra * 5) / 10, high + math.ceil(extra * 5) / 10
        high = max(high, low + MIN_SPAN_SD)
    tenths = round((high - low) * 10)
    interval = 0.1 if tenths <= 4 else 0.2 if tenths <= 8 else 0.5
    steps = math.ceil(round((high - low) / interval, 6))
    return round(low, 2), round(low + steps * interval, 2), interval


def comparison_chart(companions: Sequence[Companion], rule: TippingRule, events: Sequence[Event], years: int,
                     room: bool = False, tipped_year: int | None = None) -> dict:
    """The tipping metric of the dispersed and clustered runs, with each one's tipping year (and the main
    run's, `tipped_year`, when it is neither side)."""
    font = FONT["room" if room else "normal"]
    series: list[dict[str, Any]] = []
    for companion, colour in zip(companions, (BLUE, ORANGE), strict=False):
        name = companion.placement + (" (this run)" if companion.this_run else "")
        line: dict[str, Any] = {"name": name, "type": "line", "data": _pairs(companion.yearly, "tipping_metric", 100),
                "color": colour, "lineStyle": {"width": 4}, "symbolSize": 7}
        tipped = companion.tipped_year
        lines = []
        if tipped is not None:
            lines.append({"xAxis": tipped, "lineStyle": {"color": colour, "width": 3.5},
                          "label": {"formatter": f"{companion.placement} tipped: year {tipped}",
                                    "position": "insideEndBottom", "fontSize": font, "fontWeight": "bold",
                                    "color": colour}})
        line["markLine"] = {"symbol": "none", "silent": True, "animation": False, "data": lines}
        series.append(line)
    if series:
        this_run = tipped_year if not any(c.this_run for c in companions) else None
        own = marks(events, this_run, font, rule.level * 100 if rule.metric == "practising_share" else None,
                    f"tipping line {rule.level * 100:g}%")
        own.pop("markArea", None)  # the band belongs to a run the chart does not draw
        series[0]["markLine"]["data"] = own["markLine"]["data"] + series[0]["markLine"]["data"]
    return _percent_chart(series, years, font)


def tipping_curve_chart(curve: TippingCurve, name: str, current: float, room: bool = False) -> dict:
    """P(tipped) against one swept setting, its interval when known, and where these settings sit."""
    font = FONT["room" if room else "normal"]
    xs = curve.values.tolist()
    series: list[dict] = []
    if curve.low is not None and curve.high is not None:
        # a band as two stacked areas: the lower bound unfilled, then the width filled
        series.append({"type": "line", "data": [[x, v] for x, v in zip(xs, _round(curve.low), strict=True)],
                       "stack": "band", "symbol": "none", "lineStyle": {"opacity": 0}, "silent": True})
        width = [h - lo for h, lo in zip(curve.high.tolist(), curve.low.tolist(), strict=True)]
        series.append({"type": "line", "data": [[x, v] for x, v in zip(xs, _round(width), strict=True)],
                       "stack": "band", "symbol": "none", "lineStyle": {"opacity": 0}, "silent": True,
                       "areaStyle": {"color": "rgba(27,108,168,0.2)"}, "name": "95% interval (seed noise)"})
    series.append({"name": "chance it tips", "type": "line", "color": BLUE, "symbolSize": 11,
                   "lineStyle": {"width": 4},
                   "data": [[x, v] for x, v in zip(xs, _round(curve.p_tipped), strict=True)],
                   "markLine": {"symbol": "none", "silent": True, "data": [
                       {"xAxis": current, "lineStyle": {"color": RED, "width": 4, "type": "solid"},
                        "label": {"formatter": f"these settings: {current:g}", "fontSize": font, "color": RED,
                                  "fontWeight": "bold", "position": "insideEndTop"}},
                       {"yAxis": 0.5, "lineStyle": {"color": GREY, "type": "dotted", "width": 2},
                        "label": {"show": False}},
                   ]}})
    low, high = min(*xs, current), max(*xs, current)
    return {
        **_base(font),
        "grid": {"left": font * 3.6, "right": font * 1.5, "top": font * 1.5, "bottom": font * 3.6},
        "xAxis": {"type": "value", "min": low, "max": high, "name": name, "nameLocation": "middle",
                  "nameGap": font + 12, "nameTextStyle": {"fontSize": font}, "axisLabel": {"fontSize": font}},
        "yAxis": {"type": "value", "min": 0, "max": 1, "name": "chance it tips", "nameTextStyle": {"fontSize": font},
                  "axisLabel": {"fontSize": font}},
        "series": series,
    }
