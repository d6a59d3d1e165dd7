"""Run a scenario: one replicate, or many on local processes, with seeds that make every run replayable.

Each replicate's seed derives from the run's seed and the replicate's number (NumPy SeedSequence),
so results do not depend on how many workers ran them or in what order they finished.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

Frames = dict[str, "pd.DataFrame"]


def derive_seed(seed: int, *identity: int) -> int:
    """A 63-bit seed for one run, from the parent seed and the run's identity."""
    state = np.random.SeedSequence([seed, *identity]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def run_once(
    scenario: Scenario, seed: int, years: int | None = None, on_year: Callable[[int], None] | None = None
) -> Frames:
    """Build and run one model; return its tidy frames."""
    import pandas as pd

    # imported here so that seeds and worker counts are cheap to reach from the command line
    from sim.model import SchoolSystemModel

    model = SchoolSystemModel(scenario, rng=seed)
    for _ in range(years if years is not None else scenario.years):
        model.run_for(1)
        if on_year:
            on_year(1)
    frames = model.frames()
    frames["yearly"]["tipped_year"] = model.tipped_year if model.tipped_year is not None else pd.NA
    return frames


def _replicate(
    scenario: Scenario, seed: int, replicate: int, years: int | None, on_year: Callable[[int], None] | None = None
) -> tuple[int, int, Frames]:
    run_seed = derive_seed(seed, replicate)
    return replicate, run_seed, run_once(scenario, run_seed, years, on_year)


# a forked child of a server that has already imported the model starts in milliseconds; the
# server itself has no threads, unlike this process (progress display), so forking it is safe
WORKER_START_SECONDS = 1.0


def _pool(workers: int) -> ProcessPoolExecutor:
    context = get_context("forkserver")
    context.set_forkserver_preload(["sim.model", "sim.runner"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def default_workers(tasks: int) -> int:
    return max(1, min(os.cpu_count() or 1, tasks))


def run_replicates(
    scenario: Scenario,
    replicates: int,
    seed: int,
    years: int | None = None,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Frames:
    """Run replicates (in parallel when workers > 1); frames gain `replicate` and `seed` columns."""
    workers = workers or default_workers(replicates)
    done: list[tuple[int, int, Frames]] = []
    # the first replicate runs here; it also tells whether starting worker processes would pay off
    started = time.perf_counter()
    done.append(_replicate(scenario, seed, 0, years, on_progress))
    remaining = list(range(1, replicates))
    seconds_each = time.perf_counter() - started
    if workers > 1 and len(remaining) > 1 and seconds_each * len(remaining) > WORKER_START_SECONDS * workers:
        with _pool(workers) as pool:
            futures = [pool.submit(_replicate, scenario, seed, r, years) for r in remaining]
            for future in as_completed(futures):
                done.append(future.result())
                if on_progress:
                    on_progress(years if years is not None else scenario.years)
    else:
        done.extend(_replicate(scenario, seed, r, years, on_progress) for r in remaining)
    done.sort(key=lambda item: item[0])
    return combine(done)


def combine(results: list[tuple[int, int, Frames]]) -> Frames:
    import pandas as pd

    combined: Frames = {}
    for name in results[0][2]:
        parts = []
        for replicate, run_seed, frames in results:
            frame = frames[name].copy()
            frame.insert(0, "seed", np.uint64(run_seed))
            frame.insert(0, "replicate", replicate)
            parts.append(frame)
        combined[name] = pd.concat(parts, ignore_index=True)
    return combined
