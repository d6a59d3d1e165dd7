"""Where the time goes in `critical-mass run SCENARIO --replicates 1`, phase by phase.

    .venv/bin/python benchmarks/run_phases.py                       # scenarios/london.yaml
    .venv/bin/python benchmarks/run_phases.py scenarios/national.yaml
    .venv/bin/python benchmarks/run_phases.py --quick                # scenarios/ancash.yaml, 3 years, no file

Times, in one fresh process, the steps `run` takes with one replicate (one batch of one system, in
this process, as sim.jobs runs it): importing what `run` needs before it runs (the command line,
the scenario schema, the engine, pandas), loading the scenario, building the system, the yearly
steps (mechanisms) and their observation (the engine's Recorder, indicators collected every
year), assembling the tidy frames, writing them as Parquet, importing the report's figure library
(matplotlib), and the summary with report.html and its PNG figures. Wall and CPU time of each.
All in one process, one phase after another: `run` itself loads matplotlib and draws the figures in other
processes while the model runs (sim/figure_process.py), so its wall time is less than the total here when
a second core is free (benchmarks/run_wall.py measures the command). Not a test.
"""

from __future__ import annotations

import time
from typing import Any

start = time.perf_counter(), time.process_time()
import argparse  # noqa: E402 - importing is a phase we time
import json  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import sim.cli  # noqa: E402, F401 - `run` starts by loading the command line
from sim import load_scenario  # noqa: E402
from sim.engine import Batch  # noqa: E402
from sim.engine.observe import Recorder  # noqa: E402
from sim.jobs import run_job  # noqa: E402, F401 - what runs the batch (and pandas with it)
from sim.results_io import write_frames  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _since(t: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - t[0], time.process_time() - t[1]


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    phases = {"import (command line, scenario, engine, pandas)": _since(start)}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, help="a scenario file (default: scenarios/london.yaml)")
    parser.add_argument("--quick", action="store_true",
                        help="scenarios/ancash.yaml (unless one is given) for 3 years, and write no results file")
    args = parser.parse_args()
    t = _now()
    default = "ancash.yaml" if args.quick else "london.yaml"
    scenario = load_scenario(args.scenario or ROOT / "scenarios" / default)
    years = 3 if args.quick else scenario.years
    phases["load scenario"] = _since(t)

    # the engine observes every year (and once when built) through its Recorder: time that apart
    observe = Recorder.observe
    spent = [0.0, 0.0]

    def timed_observe(self: Recorder, *args: Any) -> None:
        t0 = _now()
        observe(self, *args)
        wall, cpu = _since(t0)
        spent[0] += wall
        spent[1] += cpu

    def minus_observed(phase: tuple[float, float]) -> tuple[float, float]:
        return phase[0] - spent[0], phase[1] - spent[1]

    Recorder.observe = timed_observe  # type: ignore[method-assign, assignment]
    t = _now()
    batch = Batch([scenario], [1], years=years)
    phases["build"] = minus_observed(_since(t))
    phases["observation (year 0)"] = (spent[0], spent[1])
    spent[:] = [0.0, 0.0]
    t = _now()
    batch.run(years)
    phases[f"{years} steps (mechanisms)"] = minus_observed(_since(t))
    phases["observation (every year)"] = (spent[0], spent[1])
    t = _now()
    frames = {name: frame.drop(columns="system").assign(replicate=0) for name, frame in batch.frames().items()}
    phases["tidy frames"] = _since(t)
    with tempfile.TemporaryDirectory() as tmp:
        t = _now()
        write_frames(frames, Path(tmp))
        phases["write Parquet"] = _since(t)
        t = _now()
        import sim.analysis.figures  # noqa: F401 - matplotlib, which `run` loads in its figure process
        from sim.report import run_report

        phases["import matplotlib (report figures)"] = _since(t)
        from sim.analysis.summary import describe_rule, summarise

        t = _now()
        summary = summarise(frames["yearly"], scenario.name, describe_rule(scenario))
        run_report(summary, frames["yearly"], scenario, Path(tmp))
        phases["summary, figures, report.html"] = _since(t)
    phases["total"] = _since(start)
    print(f"{'phase':46s} {'wall':>9s} {'CPU':>9s}")
    for name, (wall, cpu) in phases.items():
        print(f"{name:46s} {wall:7.3f} s {cpu:7.3f} s")
    if args.quick:  # a check that the script runs, not figures for docs/performance.md
        return
    out = ROOT / "benchmarks" / "results" / f"phases_{scenario.name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({name: {"wall": wall, "cpu": cpu} for name, (wall, cpu) in phases.items()},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
