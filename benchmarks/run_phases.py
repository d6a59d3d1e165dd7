"""Where the time goes in `critical-mass run SCENARIO --replicates 1`, phase by phase.

    .venv/bin/python benchmarks/run_phases.py                       # scenarios/london.yaml
    .venv/bin/python benchmarks/run_phases.py scenarios/national.yaml
    .venv/bin/python benchmarks/run_phases.py --quick                # scenarios/ancash.yaml, 3 years, no file

Times, in one fresh process: importing the package (Mesa, pandas, SciPy), loading the scenario,
building the system, the yearly steps (mechanisms) and their observation (the engine's Recorder,
indicators collected every year), assembling the tidy frames, and writing them as Parquet. Not a test.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

start = time.perf_counter()
from sim import SchoolSystemModel, load_scenario  # noqa: E402 - importing is a phase we time
from sim.engine.observe import Recorder  # noqa: E402
from sim.results_io import write_frames  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    phases = {"import": time.perf_counter() - start}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, help="a scenario file (default: scenarios/london.yaml)")
    parser.add_argument("--quick", action="store_true",
                        help="scenarios/ancash.yaml (unless one is given) for 3 years, and write no results file")
    args = parser.parse_args()
    t = time.perf_counter()
    default = "ancash.yaml" if args.quick else "london.yaml"
    scenario = load_scenario(args.scenario or ROOT / "scenarios" / default)
    years = 3 if args.quick else scenario.years
    phases["load scenario"] = time.perf_counter() - t

    # the engine observes every year (and once when built) through its Recorder: time that apart
    observe = Recorder.observe
    spent = {"observe": 0.0}

    def timed_observe(self: Recorder, *args: object) -> None:
        t0 = time.perf_counter()
        observe(self, *args)
        spent["observe"] += time.perf_counter() - t0

    Recorder.observe = timed_observe  # type: ignore[method-assign]
    t = time.perf_counter()
    model = SchoolSystemModel(scenario, rng=1)
    phases["build"] = time.perf_counter() - t - spent["observe"]
    phases["observation (year 0)"] = spent["observe"]
    spent["observe"] = 0.0
    t = time.perf_counter()
    model.run_for(years)
    total = time.perf_counter() - t
    phases[f"{years} steps (mechanisms)"] = total - spent["observe"]
    phases["observation (every year)"] = spent["observe"]
    t = time.perf_counter()
    frames = model.frames()
    phases["tidy frames"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_frames(frames, Path(tmp))
        phases["write Parquet"] = time.perf_counter() - t
    for name, seconds in phases.items():
        print(f"{name:28s} {seconds:7.3f} s")
    if args.quick:  # a check that the script runs, not figures for docs/performance.md
        return
    out = ROOT / "benchmarks" / "results" / f"phases_{scenario.name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(phases, indent=2) + "\n")


if __name__ == "__main__":
    main()
