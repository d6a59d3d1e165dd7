"""Run a scenario: one replicate, or many, with seeds that make every run replayable.

Each replicate's seed derives from the run's seed and the replicate's number (NumPy SeedSequence),
so results do not depend on how many workers ran them, in which batches, or in what order.
Replicates run as batches of systems (sim.engine) on the parallel layer (sim.parallel).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from sim.parallel import Backend

Frames = dict[str, "pd.DataFrame"]
log = logging.getLogger(__name__)


def derive_seed(seed: int, *identity: int) -> int:
    """A 63-bit seed for one run, from the parent seed and the run's identity."""
    state = np.random.SeedSequence([int(seed), *(int(i) for i in identity)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def run_once(scenario: Scenario, seed: int, years: int | None = None) -> Frames:
    """Build and run one system; return its tidy frames (yearly, districts, roles)."""
    from sim.engine import Batch

    batch = Batch([scenario], [seed], years=years or scenario.years)
    batch.run()
    return {name: frame.drop(columns="system") for name, frame in batch.frames().items()}


def run_replicates(
    scenario: Scenario,
    replicates: int,
    seed: int,
    years: int | None = None,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> Frames:
    """Run replicates as batches (in parallel when workers > 1); frames gain `replicate` and `seed` columns.

    on_progress is called with the number of replicate-years just finished.
    """
    frames = run_many([scenario], replicates, seed, years, workers, on_progress, backend)
    return {name: frame.drop(columns="point") for name, frame in frames.items()}


def run_many(
    scenarios: Sequence[Scenario],
    replicates: int,
    seed: int,
    years: int | None = None,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> Frames:
    """Every scenario x replicates on matched seeds (replicate r has the same seed in every scenario);
    frames gain `point` (the scenario's index), `replicate` and `seed` columns."""
    from sim.jobs import Run, batch_size, make_jobs, run_job
    from sim.parallel import default_workers, local, run_all

    horizon = years or max(s.years for s in scenarios)
    runs = [Run(f"p{p}-r{r}", p, derive_seed(seed, r), r) for p in range(len(scenarios)) for r in range(replicates)]
    workers = workers or default_workers(len(runs))
    backend = backend or local(min(workers, _useful_workers(scenarios, horizon, len(runs))))
    size = batch_size(scenarios, horizon, len(runs), backend.workers)
    log.info("%d runs in batches of %d on %s", len(runs), size, backend.description)
    jobs = make_jobs(scenarios, runs, horizon, size, keep="frames")
    results = run_all(backend, run_job, jobs,
                      on_done=(lambda done: on_progress(len(done.job.runs) * horizon)) if on_progress else None)
    failed = [r.failed for r in results if len(r.failed)]
    if failed:
        first = failed[0].iloc[0]
        raise RuntimeError(f"run {first['run_id']} failed: {first['error']}")
    import pandas as pd

    combined = {}
    for name in results[0].frames:
        frame = pd.concat([r.frames[name] for r in results], ignore_index=True)
        point = frame.pop("run_id").str.extract(r"p(\d+)-r", expand=False).astype(int)
        frame.insert(0, "point", point)
        frame["seed"] = frame["seed"].astype(np.uint64)
        combined[name] = frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    return combined


def run_final(
    scenarios: Sequence[Scenario], replicates: int, seed: int, backend: Backend,
    on_runs: Callable[[int], None] | None = None, outcomes: Sequence[str] = ("tipping_metric",),
    years: int | None = None, seed_groups: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Every scenario x replicate, keeping each run's final outcomes only (one row per run, sorted by point
    and replicate): point, replicate, seed, tipped_year and `outcomes`. Replicate r has the same seed at
    every point (common random numbers), or, given seed_groups (one per scenario), at every point of
    the same group and another seed in each group. Raises RuntimeError naming the first run that failed."""
    import pandas as pd

    from sim.jobs import Run, batch_size, make_jobs, run_job
    from sim.parallel import run_all

    horizon = years or max(s.years for s in scenarios)
    def seed_of(p: int, r: int) -> int:
        return derive_seed(seed, r) if seed_groups is None else derive_seed(seed, r, seed_groups[p])

    runs = [Run(f"p{p}-r{r}", p, seed_of(p, r), r) for p in range(len(scenarios)) for r in range(replicates)]
    size = batch_size(scenarios, horizon, len(runs), backend.workers)
    jobs = make_jobs(scenarios, runs, horizon, size, outcomes=tuple(outcomes))
    results = run_all(backend, run_job, jobs, on_done=(lambda d: on_runs(len(d.job.runs))) if on_runs else None)
    frame = pd.concat([r.runs for r in results], ignore_index=True)
    failed = frame[frame["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"run {failed.iloc[0]['run_id']} failed: {failed.iloc[0]['error']}")
    frame = frame.assign(point=frame["point"].astype(int), replicate=frame["replicate"].astype(int))
    columns = ["point", "replicate", "seed", "tipped_year", *[o for o in outcomes if o != "tipped_year"]]
    return frame[columns].sort_values(["point", "replicate"]).reset_index(drop=True)


# a worker pool pays for itself only when the work outlasts starting it (about a second)
POOL_START_SECONDS = 2.0
SECONDS_PER_TEACHER_YEAR = 1e-6  # a batched run, measured on the development machine (docs/performance.md)


def _useful_workers(scenarios: Sequence[Scenario], years: int, runs: int) -> int:
    s = scenarios[0].system
    teachers = s.districts * s.schools_per_district * s.teachers_per_school
    work = teachers * years * runs * SECONDS_PER_TEACHER_YEAR
    return 1 if work < POOL_START_SECONDS else max(1, runs)
