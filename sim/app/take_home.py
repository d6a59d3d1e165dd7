"""Take it home: a session's run as the self-contained report.html that `critical-mass run` writes.

The same summary and report code (sim.analysis.summary, sim.report) on the session's one run, up to
the year it has reached; the report's description names the seed and every live change.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sim.app.workshop_model import WorkshopRun, name_of


def report_html(run: WorkshopRun) -> bytes:
    from sim.analysis.summary import describe_rule, summarise
    from sim.report import run_report

    yearly, scenario = run.report_frames()
    summary = summarise(yearly, name_of(scenario), describe_rule(scenario))
    with tempfile.TemporaryDirectory(prefix="critical-mass-report-") as folder:
        return run_report(summary, yearly, scenario, Path(folder)).read_bytes()


def report_name(run: WorkshopRun) -> str:
    return f"critical-mass-{name_of(run.scenario)}-seed{run.seed}-year{run.year}.html"
