"""A calibration's self-contained report.html: figures embedded, opens offline (the style of sim/report.py)."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from sim.calibration.schema import LoadedCalibration
from sim.report import _figures_html, _page
from sim.results_io import write_text

LOW_ESS = 0.3  # an effective sample size under this share of the population is flagged


def _number(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.4g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def calibration_report(
    loaded: LoadedCalibration, run: dict, parameters: pd.DataFrame, trade_offs: pd.DataFrame,
    predictive: pd.DataFrame, diagnostics: pd.DataFrame, figures: dict, directory: Path,
) -> Path:
    cal = loaded.calibration
    final = diagnostics.iloc[-1] if len(diagnostics) else None
    exact = final is not None and final["epsilon"] <= 1.0
    if final is None:
        status = "No population has finished yet."
    elif exact:
        status = (f"The temperature reached 1 at population {int(final['population'])}: the posterior below is the "
                  "exact posterior of the model given the targets and their sd (up to Monte Carlo error).")
    else:
        status = (f"<b>Not finished</b>: the last finished population ({int(final['population'])}) ran at "
                  f"temperature {final['epsilon']:.3g} &gt; 1, so the posterior below is wider than the exact one "
                  f"({html.escape(run.get('status', ''))}).")
    if final is not None and final["ess"] < LOW_ESS * run["population_size"]:
        status += (" <b>Few effective particles</b>: the last population's effective sample size is "
                   f"{final['ess']:.0f} of {run['population_size']}, so its intervals carry a large Monte Carlo "
                   "error; run again with a larger --population-size.")
    params_rows = [[html.escape(r.parameter), f"{_number(r.prior_low)} to {_number(r.prior_high)}", _number(r.median),
                    f"{_number(r.low_90)} to {_number(r.high_90)}", f"{r.width_share:.2f}", html.escape(r.verdict)]
                   for r in parameters.itertuples()]
    target_rows = [[html.escape(r.target), f"{_number(r.value)} ± {_number(r.sd)}", _number(r.median),
                    f"{_number(r.low_90)} to {_number(r.high_90)}", f"{r.off_by_sd:+.2f}",
                    f"<span class=\"small\">{html.escape(r.source)}</span>"] for r in predictive.itertuples()]
    diag_rows = [[str(int(r.population)), _number(r.epsilon), str(int(r.evaluations)), f"{r.acceptance_rate:.3f}",
                  f"{r.ess:.0f}", _number(r.median_distance), f"{r.wall_seconds:.1f}"]
                 for r in diagnostics.itertuples()]
    trade = ("<p>No two parameters correlate beyond ±0.5 in the posterior.</p>" if trade_offs.empty else
             "<p>Trade-offs (the targets cannot tell these apart; see the pairs figure):</p>" + _table(
                 ["parameter", "parameter", "correlation"],
                 [[html.escape(r.first), html.escape(r.second), f"{r.correlation:+.2f}"]
                  for r in trade_offs.itertuples()]))
    body = (
        "<style>.figs{align-items:flex-start}</style>"  # figures keep their shape in the flex row
        f"<p>{html.escape(cal.description.strip())}</p>"
        f"<p>{status}</p>"
        "<h2>Method</h2><p>Approximate Bayesian computation by sequential Monte Carlo (pyabc). Priors are uniform over "
        "each parameter's range. Each target's value is taken as the model's outcome plus a normal error of the "
        "target's sd; candidates are accepted with probability exp(-d²/2T), d the distance in sds, and the "
        "temperature T (the epsilon column) is lowered over the populations to 1, where the accepted particles are "
        "the exact posterior under that error model. Intervals are 90% posterior intervals: they include the "
        "targets' sd and the model's seed noise, nothing else (not the model's structural error).</p>"
        + _table(["setting", "value"], [
            ["base scenario", html.escape(f"{cal.scenario} (with set: {cal.set})" if cal.set else cal.scenario)],
            ["years", str(loaded.years)], ["replicates per candidate", str(cal.replicates)],
            ["populations (most)", str(run["populations"])], ["population size", str(run["population_size"])],
            ["seed", str(run["seed"])], ["model runs", str(run.get("model_runs", "-"))],
            ["wall time", f"{run.get('wall_seconds', 0):.0f} s over {len(run.get('sittings', []))} sitting(s)"],
        ])
        + "<h2>Parameters</h2>"
        + _table(["parameter", "prior (uniform)", "posterior median", "90% interval", "width / prior's", "verdict"],
                 params_rows)
        + "<p class=\"small\">width / prior's: the 90% interval's width over the prior's 90% width; near 1 the targets "
          "say little about the parameter (a finding, not a failure).</p>" + trade
        + "<h2>Targets</h2>"
        + _table(["target (outcome@year)", "value ± sd", "posterior runs: median", "90% interval", "off by (sd)",
                  "source"], target_rows)
        + "<h2>Populations</h2>"
        + _table(["population", "epsilon (temperature)", "evaluations", "acceptance", "ESS", "median distance (sd)",
                  "wall s"], diag_rows)
        + "<h2>Figures</h2>" + (_figures_html(figures, directory) if figures else
                                "<p>Not drawn (--no-figures). Run again with --resume to draw them.</p>")
        + "<h2>Files</h2><p class=\"small\">posterior.parquet (the last population: one column per key path, and "
          "weight), particles.parquet (every population), diagnostics.csv, parameters.csv, predictive.csv, "
          "history.db (pyabc), calibration.yaml and scenario.yaml (exactly what ran), run.json.</p>"
    )
    path = directory / "report.html"
    write_text(_page(f"Critical Mass calibration: {cal.name}", body), path)
    return path
