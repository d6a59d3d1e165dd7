"""Where the time goes in `critical-mass run SCENARIO --replicates 1`, phase by phase.

    .venv/bin/python benchmarks/run_phases.py                       # scenarios/london.yaml
    .venv/bin/python benchmarks/run_phases.py scenarios/national.yaml

Times, in one fresh process: importing the package (Mesa, pandas, SciPy), loading the scenario,
building the system, the 20 yearly steps (mechanisms) and their observation (indicators collected
every year), assembling the tidy frames, and writing them as Parquet. Not a test.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

start = time.perf_counter()
from sim import SchoolSystemModel, load_scenario  # noqa: E402 - importing is a phase we time
from sim.model import SchoolSystemModel as _Model  # noqa: E402
from sim.results_io import write_frames  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    phases = {"import": time.perf_counter() - start}
    t = time.perf_counter()
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "scenarios" / "london.yaml"
    scenario = load_scenario(path)
    phases["load scenario"] = time.perf_counter() - t

    observe = _Model._observe
    spent = {"observe": 0.0}

    def timed_observe(self: _Model) -> None:
        t0 = time.perf_counter()
        observe(self)
        spent["observe"] += time.perf_counter() - t0

    _Model._observe = timed_observe
    t = time.perf_counter()
    model = SchoolSystemModel(scenario, rng=1)
    phases["build"] = time.perf_counter() - t - spent["observe"]
    spent["observe"] = 0.0
    t = time.perf_counter()
    model.run_for(scenario.years)
    total = time.perf_counter() - t
    phases[f"{scenario.years} steps (mechanisms)"] = total - spent["observe"]
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
    out = ROOT / "benchmarks" / "results" / f"phases_{scenario.name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(phases, indent=2) + "\n")


if __name__ == "__main__":
    main()
