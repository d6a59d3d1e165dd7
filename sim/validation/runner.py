"""Run every pattern's measurements and put the report together; write it and its figures."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from sim.parallel import default_workers, local, run_all
from sim.results_io import write_png, write_text
from sim.validation import alumni, baseline, contagion, effects, runs
from sim.validation.jobs import Job, Result, execute
from sim.validation.report import ValidationReport
from sim.validation.systems import Effort, effort


def all_jobs(e: Effort) -> list[Job]:
    jobs = contagion.jobs(e) + runs.jobs(e) + effects.jobs(e) + baseline.jobs(e)
    return sorted(jobs, key=lambda j: -j.cost)  # the longest first, so no worker is left with one at the end


def run_validation(quick: bool, workers: int | None = None,
                   on_job: Callable[[Job, Result], None] | None = None) -> ValidationReport:
    """Measure every pattern. quick: few replicates and no national scenario (seconds, for tests);
    otherwise the replicates docs/validation.md is generated with (minutes). workers: processes for the
    model runs (default: every core; 1 runs in this process, where monkeypatches reach)."""
    e = effort(quick)
    load = os.getloadavg()[0]  # timings mean little on a busy machine: the document says how busy it was
    start = time.perf_counter()
    jobs = all_jobs(e)
    backend = local(workers or default_workers(len(jobs)))

    def done(outcome: object) -> None:
        if on_job:
            on_job(outcome.job, outcome.value)  # type: ignore[attr-defined]

    results: list[Result] = run_all(backend, execute, jobs, on_done=done)
    values = {job.key: r.value for job, r in zip(jobs, results, strict=True)}
    families = [contagion.assemble(e, values), effects.assemble(e, values), alumni.assemble(e, values),
                baseline.assemble(e, values)]
    seconds: dict[str, float] = defaultdict(float)
    for job, r in zip(jobs, results, strict=True):
        group = job.key.split(":")[0]
        seconds["national" if job.key.endswith(("national", "national:0")) else group] += r.seconds
    report = ValidationReport(
        families, quick=quick, replicates=replicate_text(e), seconds=time.perf_counter() - start,
        machine=f"{os.cpu_count()} cores, {backend.workers} worker{'s' if backend.workers > 1 else ''}, "
                f"load average {load:.1f} at the start",
        job_seconds=dict(seconds),
    )
    return report


def replicate_text(e: Effort) -> dict[str, str]:
    return {
        "Centola 2010, random graphs": f"{e.graphs} graphs per size (networkx seeds 0–{e.graphs - 1})",
        "Centola et al. 2018": f"{e.groups} groups per minority size ({max(e.groups // 2, 10)} in the threshold scan)",
        "shipped scenarios with the programme": f"{e.small} replicates; London and Delhi {e.large}",
        "principal experiment": f"{e.small} replicates of clustered.yaml",
        "still baseline": f"seeds 0–{e.baseline_seeds - 1}" if e.baseline_seeds > 1 else "seed 0",
        "envelope": "seed 0 (deterministic)",
    }


def write(report: ValidationReport, out: Path) -> list[Path]:
    """docs/validation.md and its figures, each written whole or not at all."""
    paths = []
    for family in report.families:
        for name, fig in family.figures.items():
            write_png(fig, out / name)
            paths.append(out / name)
    write_text(report.markdown(), out / "validation.md")
    paths.append(out / "validation.md")
    return paths
