"""Self-contained HTML reports: figures embedded, no external files, opens offline, can be emailed.

Every figure is also saved as PNG beside the report for slides.
"""

from __future__ import annotations

import base64
import html
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import __version__
from sim.analysis.compare import Difference
from sim.analysis.narrative import describe_difference, describe_run
from sim.analysis.summary import RunSummary
from sim.results_io import write_png, write_text
from sim.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.7em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}.noise{color:#777}.sig{font-weight:600}
.figs{display:flex;flex-wrap:wrap;gap:12px}.figs img{width:470px;max-width:100%}
.small{color:#666;font-size:.9em}
"""


def _figures_html(named: dict[str, Figure], directory: Path) -> str:
    return _pngs_html({name: write_png(fig, directory / "figures" / f"{name}.png", dpi=110)
                       for name, fig in named.items()})


def _pngs_html(pngs: dict[str, bytes]) -> str:
    parts = [f'<img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'
             for name, data in pngs.items()]
    return '<div class="figs">' + "".join(parts) + "</div>"


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}"
            f"<p class=\"small\">Made by Critical Mass {__version__}. Model assumptions: docs/model.md.</p>"
            "</body></html>\n")


def report_figures(yearly_by_scenario: dict[str, pd.DataFrame], directory: Path,
                   part: slice = slice(None)) -> dict[str, bytes]:
    """The trajectory and dimension figures (or `part` of that list), each saved as directory/figures/NAME.png;
    their PNG bytes by name, in order.

    Run and compare reports show them; `run` may draw them in other processes (sim.figure_process)."""
    from sim.analysis import figures  # matplotlib: only when a report is drawn

    draw = {f"trajectory_{o}": partial(figures.trajectories, yearly_by_scenario, o) for o in figures.TRAJECTORIES}
    draw["dimensions"] = partial(figures.dimensions, yearly_by_scenario)
    return {name: write_png(figure(), directory / "figures" / f"{name}.png", dpi=110)
            for name, figure in list(draw.items())[part]}


def run_report(summary: RunSummary, yearly: pd.DataFrame, scenario: Scenario, directory: Path,
               pngs: dict[str, bytes] | None = None) -> Path:
    """report.html with its figures; `pngs` are the figures already drawn by report_figures, if they were."""
    rows = "".join(
        f"<tr><td>{html.escape(o.label)}</td><td>{o.start_mean:.3f}</td><td>{o.end_mean:.3f}</td>"
        f"<td>{o.end_low:.3f} to {o.end_high:.3f}</td><td>{o.change_mean:+.3f}</td></tr>"
        for o in summary.outcomes
    )
    body = (
        f"<p>{html.escape(scenario.description.strip())}</p>"
        "<h2>In short</h2>" + "".join(f"<p>{html.escape(line)}</p>" for line in describe_run(summary))
        + "<h2>Outcomes</h2><table><tr><th>Outcome</th><th>Start</th><th>End (mean)</th>"
        "<th>End, 5-95% of replicates</th><th>Change</th></tr>" + rows + "</table>"
        + "<h2>Trajectories and dimensions</h2>"
        + _pngs_html(pngs if pngs is not None else report_figures({scenario.name: yearly}, directory))
    )
    path = directory / "report.html"
    write_text(_page(f"Critical Mass: {scenario.name}", body), path)
    return path


def differing_settings(scenarios: dict[str, Scenario]) -> pd.DataFrame:
    """Scenario keys whose values differ between the scenarios compared, as `--set` names them: list items
    by index (alumni.stages.1.after_years), so a lever inside a career stage is named, and held, itself."""
    flat = {name: pd.Series(_flatten(s.model_dump(mode="json"))) for name, s in scenarios.items()}
    table = pd.DataFrame(flat).astype(str)
    table = table.drop(index=[i for i in ("name", "description") if i in table.index])
    return table[table.nunique(axis=1) > 1]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else None
    if items is None or not value:
        return {prefix: value}
    return {k: v for key, item in items for k, v in _flatten(item, f"{prefix}.{key}" if prefix else str(key)).items()}


def compare_report(
    yearly_by_scenario: dict[str, pd.DataFrame],
    differences: list[Difference],
    scenarios: dict[str, Scenario],
    directory: Path,
    warnings: list[str] | None = None,
) -> Path:
    rows = "".join(
        f"<tr class=\"noise\"><td>{html.escape(d.label)}</td><td>{html.escape(d.scenario)} vs "
        f"{html.escape(d.baseline)}</td><td colspan=\"6\">too few replicates tipped in both</td></tr>"
        if d.pairs == 0 else
        f"<tr class=\"{'noise' if d.within_noise else 'sig'}\"><td>{html.escape(d.label)}</td>"
        f"<td>{html.escape(d.scenario)} vs {html.escape(d.baseline)}</td><td>{html.escape(d.population)}</td>"
        f"<td>{d.baseline_mean:.3f}</td>"
        f"<td>{d.scenario_mean:.3f}</td><td>{d.difference:+.3f}</td>"
        + (f"<td>{d.ci_low:+.3f} to {d.ci_high:+.3f}</td><td>{'within the noise' if d.within_noise else 'yes'}</td>"
           if d.has_interval else
           f"<td>none: all {d.pairs} pairs differ by it</td><td>yes (sign test p = {d.sign_test_p:.2g})</td>"
           if d.decided_by_sign_test else
           f"<td>none: all {d.pairs} pairs equal</td><td>within the noise</td>"
           if d.identical else f"<td>n/a</td><td>too few ({d.pairs} pairs)</td>")
        + "</tr>"
        for d in differences
    )
    settings = differing_settings(scenarios)
    settings_html = (settings.to_html(classes="settings", border=0) if len(settings)
                     else "<p>The scenarios have the same settings.</p>")
    replicates = {int(f["replicate"].nunique()) for f in yearly_by_scenario.values()}
    body = (
        f"<p>{len(scenarios)} scenarios, {max(replicates)} replicates each on matched seeds (replicate <i>r</i> of "
        "every scenario uses the same seed), compared in the final year with 95% intervals on the paired "
        "differences (for the probability of tipping by the horizon, Newcombe's interval for a difference of "
        "two proportions, which does not use the pairing). Where every pair differs by the same amount there "
        "is no interval (the pairs do not vary); a sign test says whether that many agreeing pairs is beyond "
        "chance. The intervals include seed noise only: every "
        "scenario's assumptions are held at their values.</p>"
        + "".join(f"<p class=\"sig\">Note: {html.escape(w)}.</p>" for w in warnings or [])
        + "<h2>In short</h2>"
        + "".join(f"<p>{html.escape(describe_difference(d))}</p>" for d in differences)
        + "<h2>Differences</h2><table><tr><th>Outcome</th><th>Comparison</th><th>Measured over</th><th>Baseline</th>"
        "<th>Scenario</th>"
        "<th>Difference</th><th>95% interval</th><th>Significant?</th></tr>" + rows + "</table>"
        + "<h2>Settings that differ</h2>" + settings_html
        + "<h2>Trajectories and dimensions</h2>"
        + _pngs_html(report_figures(yearly_by_scenario, directory))
    )
    path = directory / "report.html"
    write_text(_page("Critical Mass: " + " vs ".join(scenarios), body), path)
    return path


def _embedded_pngs(paths: list[Path]) -> str:
    """PNG files already written beside the report, embedded so the page stands alone."""
    parts = [f'<img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
             f'{base64.b64encode(p.read_bytes()).decode("ascii")}">' for p in paths if p.suffix == ".png"]
    return '<div class="figs">' + "".join(parts) + "</div>"


def worlds_report(report: object, figures_written: list[Path], directory: Path) -> Path:
    """report.html for a comparison over plausible worlds (sim.analysis.robust_comparison.RobustComparison)."""
    r = report  # duck-typed: the analysis imports this module's page helpers, not the other way round
    w = r.worlds  # type: ignore[attr-defined]
    shares = r.shares()  # type: ignore[attr-defined]

    def cell(k: float, low: float, high: float) -> str:
        return "n/a" if k != k else f"{k:.0%} ({low:.0%}–{high:.0%})"

    rows = "".join(
        f"<tr><td>{html.escape(s['outcome'])}</td><td>{html.escape(s['strategy'])}</td>"
        f"<td>{cell(s['better_share'], *s['better_ci'])}</td><td>{cell(s['worse_share'], *s['worse_ci'])}</td>"
        f"<td>{cell(s['within_share'], *s['within_ci'])}</td><td>{s['difference_quantiles']['q50']:+.3g}</td>"
        f"<td>{s['difference_quantiles']['q05']:+.3g} to {s['difference_quantiles']['q95']:+.3g}</td>"
        f"<td>{len(s['flips'])}</td></tr>"
        for s in shares.to_dict("records"))
    kind = "a calibrated posterior" if w.from_posterior else "the plausible ranges"
    body = (
        f"<p>{len(w.scenarios)} strategies, each run in {len(w.values)} plausible worlds drawn from {kind} "
        f"({html.escape(w.source)}), with {w.replicates} replicates a world on matched seeds. A world is one set of "
        "values for the uncertain assumptions; inside a world, a strategy is better or worse than the baseline when "
        "the 95% interval of the paired difference excludes zero (seed noise), else within the noise. The shares "
        f"below include {html.escape(r.included.value)}.</p>"  # type: ignore[attr-defined]
        + "".join(f"<p class=\"sig\">Note: {html.escape(n)}.</p>" for n in w.notes)
        + "<h2>In short</h2>" + "".join(f"<p>{html.escape(s)}</p>" for s in r.sentences())  # type: ignore[attr-defined]
        + f"<h2>Against {html.escape(r.baseline)}, share of worlds</h2>"  # type: ignore[attr-defined]
        "<table><tr><th>Outcome</th><th>Strategy</th><th>Better</th><th>Worse</th><th>Within the noise</th>"
        "<th>Median difference</th><th>90% of worlds</th><th>Worlds against the majority</th></tr>"
        + rows + "</table>"
        + "<h2>Settings that differ (held in every world)</h2>"
        + differing_settings(w.scenarios).to_html(border=0)
        + f"<h2>Assumptions drawn ({len(w.values.columns)})</h2><p class=\"small\">"
        + ", ".join(html.escape(c) for c in w.values.columns) + "</p>"
        + "<h2>Each world</h2>" + _embedded_pngs(figures_written)
    )
    path = directory / "report.html"
    write_text(_page("Critical Mass: " + " vs ".join(w.scenarios) + f" over {len(w.values)} worlds", body), path)
    return path


def tipping_worlds_report(report: object, figure: Path, directory: Path) -> Path:
    """report.html for a tipping point over plausible worlds (sim.tipping.over_worlds.TippingOverWorlds)."""
    r = report  # duck-typed, as worlds_report
    ran = r.ran  # type: ignore[attr-defined]
    counts = r.per_world[r.per_world["world"] >= 0]["status"].value_counts()  # type: ignore[attr-defined]
    kind = "a calibrated posterior" if ran.from_posterior else "the plausible ranges"
    rows = "".join(f"<tr><td>{html.escape(str(status))}</td><td>{n}</td></tr>" for status, n in counts.items())
    body = (
        f"<p>{html.escape(ran.name)}: the tipping point in {html.escape(ran.key)}, located on a grid of "
        f"{len(ran.grid)} values ({ran.grid[0]:g} to {ran.grid[-1]:g}) with {ran.replicates} replicates each, in "
        f"{len(ran.values)} worlds drawn from {kind} ({html.escape(ran.source)}) and at the scenario's own values. "
        "Each world also ran with no programme: a world that tips without it has no programme tipping point and is "
        f"counted apart. Intervals and shares include {html.escape(r.included.value)}, except the scenario's own "  # type: ignore[attr-defined]
        "values, which include seed noise only.</p>"
        + "".join(f"<p class=\"sig\">Note: {html.escape(n)}.</p>" for n in ran.notes)
        + "<h2>In short</h2>" + "".join(f"<p>{html.escape(s)}</p>" for s in r.sentences())  # type: ignore[attr-defined]
        + "<h2>Worlds by status</h2><table><tr><th>Status</th><th>Worlds</th></tr>" + rows + "</table>"
        + "<h2>The tipping point across worlds</h2>" + _embedded_pngs([figure])
        + f"<h2>Assumptions drawn ({len(ran.values.columns)})</h2><p class=\"small\">"
        + ", ".join(html.escape(c) for c in ran.values.columns) + "</p>"
    )
    path = directory / "report.html"
    write_text(_page(f"Critical Mass: {ran.name}, tipping over {len(ran.values)} worlds", body), path)
    return path
