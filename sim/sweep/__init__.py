"""Parameter sweeps: experiment files, designs, batches run on any backend, a crash-safe Parquet store.

    plan = resolve("experiments/programme_scale.yaml")      # validated before anything runs
    report = run_sweep(plan, Path("results/sweeps/x"), sim.parallel.local(2))
    runs, series = read_runs("results/sweeps/x"), read_series("results/sweeps/x")
"""

from __future__ import annotations

import importlib
from typing import Any

# names resolve on first use, so that importing the package stays cheap
_WHERE = {
    "Plan": "plan", "resolve": "plan",
    "SweepReport": "session", "run_sweep": "session",
    "read_manifest": "store", "read_runs": "store", "read_series": "store",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sim.sweep.{_WHERE[name]}"), name)
