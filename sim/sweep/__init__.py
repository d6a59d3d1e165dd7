"""Parameter sweeps: experiment files, designs, local or Dask execution, a crash-safe Parquet store.

    plan = resolve("experiments/programme_scale.yaml")      # validated before anything runs
    report = run_sweep(plan, Path("results/sweeps/x"), local_executor(2))
    runs, series = read_runs("results/sweeps/x"), read_series("results/sweeps/x")
"""

from __future__ import annotations

import importlib
from typing import Any

# names resolve on first use: a worker process that needs only sim.sweep.execute should not
# import pyarrow and the store along with the package
_WHERE = {
    "DaskCluster": "execute", "InProcess": "execute", "LocalProcesses": "execute", "local_executor": "execute",
    "Plan": "plan", "resolve": "plan",
    "SweepReport": "session", "run_sweep": "session",
    "read_manifest": "store", "read_runs": "store", "read_series": "store",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sim.sweep.{_WHERE[name]}"), name)
