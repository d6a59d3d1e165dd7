"""Parameter sweeps: experiment files, designs, local or Dask execution, a crash-safe Parquet store.

    plan = resolve("experiments/programme_scale.yaml")      # validated before anything runs
    report = run_sweep(plan, Path("results/sweeps/x"), local_executor(2))
    runs, series = read_runs("results/sweeps/x"), read_series("results/sweeps/x")
"""

from sim.sweep.execute import DaskCluster, InProcess, LocalProcesses, local_executor
from sim.sweep.plan import Plan, resolve
from sim.sweep.session import SweepReport, run_sweep
from sim.sweep.store import read_manifest, read_runs, read_series

__all__ = [
    "DaskCluster", "InProcess", "LocalProcesses", "Plan", "SweepReport", "local_executor", "read_manifest",
    "read_runs", "read_series", "resolve", "run_sweep",
]
