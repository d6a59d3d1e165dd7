"""Will it fit? A scenario's memory, estimated from its sizes before anything is allocated.

    estimate = memory.estimate(scenario)                # bytes one run needs at its peak, and why
    memory.check_fits(scenario, workers=4, runs=20)     # raises TooBigForMemory (exit 2) if not

The estimate counts the rows of every array the engine allocates (sim/state.py, the teacher
network, the yearly records) times the bytes each row holds (BYTES, one table to
adjust when the engine's arrays change), and multiplies by CALIBRATION: peak memory measured
against the estimate (benchmarks/memory_estimate.py, figures in docs/performance.md), which
covers temporaries the table does not list. It is meant to be within a factor of about 1.5 of the
truth, which is all a refusal needs: the cases it exists for are off by a factor of ten or more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.scenario import Problem, Scenario, ScenarioError

# Bytes per row of each group of arrays. Keep in step with sim/engine/state.py and sim/engine/build.py.
BYTES: dict[str, float] = {
    # Posts: sys (int32), school, district, member, person (int64), practising (bool), adoption_threshold,
    # strength, orientation, rootedness (float64), experience (int16)
    "post": 4 + 8 * 4 + 1 + 8 * 4 + 2,
    # vectors over posts that a year's mechanisms build and drop (exposure, weights, draws, masks; measured)
    "post_workspace": 84,
    # one stored tie of the teacher network: CSR data and index, and the directed copies, transposes
    # and sums the build goes through before it is symmetric, and the yearly products (measured)
    "tie": 68,
    # Schools: sys, teachers, partner_served, leavers (int32), district, first_post, leader_member (int64),
    # enrolment, disadvantage, leader_staff_needed, entry, baseline_gain (float64), leader_aligned, hosted (bool)
    "school": 4 * 4 + 8 * 3 + 8 * 5 + 2,
    "school_grade": 8 * 2,  # Schools.cohorts and .excess: float64, schools x grades
    # Members: sys, cohort, left_programme (int32), status, role, practising (int8/bool), district, school,
    # post, founded_partner (int64), years_in_programme (int16), strength, orientation, rootedness (float64)
    "member": 4 * 3 + 1 * 3 + 8 * 4 + 2 + 8 * 3,
    "alumni_tie": 30,  # tie_a, tie_b (int64), and the yearly classroom ties built from them (measured)
    "partner_row": 4 + 8 + 8 + 1,  # Partners: sys (int32), district, founder (int64), active (bool)
    "partner_school": 8,  # Partners.schools: int64, rows x schools_per_partner
    # the recorder's district indicators (float64 x about 24) for every year, and the tidy frame made
    # from them at the end (measured)
    "district_year": 390,
    "district_row_result": 200,  # a row of a finished run's tidy districts frame, kept until all have run
}
# Measured peak over estimate (benchmarks/memory_estimate.py; docs/performance.md, "Memory before work").
CALIBRATION = 1.0
GIB = 1024**3


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind one run allocates."""

    posts: int
    ties: int
    schools: int
    grades: int
    districts: int
    members: int
    alumni_ties: int
    partner_rows: int
    schools_per_partner: int
    years: int


def sizes(scenario: Scenario, years: int | None = None) -> Sizes:
    """The rows of each kind a run of the scenario allocates, from its settings alone."""
    system, network = scenario.system, scenario.network
    schools = system.districts * system.schools_per_district
    posts = round(schools * max(1.0, system.teachers_per_school))
    per_school = max(1.0, system.teachers_per_school)
    directed = posts * (min(network.within_school_ties, per_school - 1) + network.across_school_ties)
    cohorts = scenario.programme.sizes()
    years = years if years is not None else scenario.years
    return Sizes(
        posts=posts, ties=round(2 * directed), schools=schools, grades=system.grades,
        districts=system.districts, members=sum(cohorts),
        alumni_ties=sum(cohorts) * network.alumni_ties,
        partner_rows=scenario.partners.initial + sum(cohorts),
        schools_per_partner=scenario.partners.schools_per_partner,
        years=years + 1,
    )


@dataclass(frozen=True)
class Estimate:
    bytes: int  # peak bytes one run needs above the interpreter's own
    parts: dict[str, int]  # the biggest contributors, before calibration

    def biggest(self) -> str:
        return max(self.parts, key=self.parts.__getitem__)


def estimate(scenario: Scenario, years: int | None = None) -> Estimate:
    """Peak bytes one run of the scenario needs, from its sizes (see BYTES and CALIBRATION)."""
    n = sizes(scenario, years)
    b = BYTES
    parts = {
        "teaching posts": n.posts * (b["post"] + b["post_workspace"]),
        "teacher network": n.ties * b["tie"],
        "schools": n.schools * (b["school"] + n.grades * b["school_grade"]),
        "programme members": n.members * b["member"] + n.alumni_ties * b["alumni_tie"],
        "partner organisations": n.partner_rows * (b["partner_row"] + n.schools_per_partner * b["partner_school"]),
        "yearly district results": n.districts * n.years * b["district_year"],
    }
    return Estimate(round(CALIBRATION * sum(parts.values())), {k: round(v) for k, v in parts.items()})


# what a user can change to shrink each part
_REMEDY = {
    "teaching posts": "system.districts, system.schools_per_district or system.teachers_per_school",
    "teacher network": "network.within_school_ties, network.across_school_ties or the number of teachers",
    "schools": "system.districts or system.schools_per_district",
    "programme members": "programme.cohort_size, programme.cohorts (or cohort_sizes) or network.alumni_ties",
    "partner organisations": "partners.schools_per_partner, partners.initial or the programme's size",
    "yearly district results": "system.districts or years",
}


# where in a scenario file each part is set
_SECTION = {
    "teaching posts": "system", "teacher network": "system", "schools": "system",
    "programme members": "programme", "partner organisations": "partners", "yearly district results": "system",
}


def available_bytes() -> int | None:
    """Memory this process can still use: the machine's available memory, or less under a cgroup
    limit (a container, a SLURM job); None if it cannot be told."""
    try:
        import psutil

        free = int(psutil.virtual_memory().available)
    except Exception:  # no psutil, or a platform it cannot read
        return None
    limit = _cgroup_room()
    return min(free, limit) if limit is not None else free


def _cgroup_room() -> int | None:
    """Room left under a cgroup v2 memory limit, if this process runs under one."""
    try:
        line = Path("/proc/self/cgroup").read_text().strip().splitlines()[0]
        group = Path("/sys/fs/cgroup") / line.split("::", 1)[1].lstrip("/")
        limit = (group / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((group / "memory.current").read_text()))
    except (OSError, IndexError, ValueError):
        return None


class TooBigForMemory(ScenarioError):
    """The scenario would not fit in this machine's memory (exit 2, with what to change)."""


# A worker process's own interpreter, NumPy, pandas and the engine, before it runs anything (measured:
# 133 MB after importing the package and one tiny run; rounded up).
PROCESS_BYTES = 160 * 1024**2


def runs_at_once(scenario: Scenario, workers: int, years: int | None, runs: int, batch: int | None = None,
                 budget: int | None = None) -> int:
    """Runs in memory together: each worker steps a batch of systems at once (sim.jobs chooses its size
    from a memory budget unless `batch` is given), and never more than the runs there are."""
    runs = max(1, runs)
    workers = busy_workers(workers, runs)
    if batch is None:
        from sim.jobs import batch_size

        batch = batch_size([scenario], years or scenario.years, runs, workers, budget)
    return min(runs, workers * min(batch, runs))


def busy_workers(workers: int, runs: int) -> int:
    """The workers that get work: a worker beyond the runs there are has none (the commands start no more)."""
    return max(1, min(workers, runs))


def needed(scenario: Scenario, workers: int = 1, years: int | None = None, runs: int = 1, gathered: int = 0,
           batch: int | None = None, budget: int | None = None) -> int:
    """Bytes for the runs that are in memory at once, the worker processes, and the tidy per-district
    results of `gathered` finished runs kept in this process (a run's replicates)."""
    run = estimate(scenario, years).bytes
    workers = busy_workers(workers, runs)
    processes = PROCESS_BYTES * workers if workers > 1 else 0
    n = sizes(scenario, years)
    kept = max(0, gathered - 1) * n.districts * n.years * BYTES["district_row_result"]
    return run * runs_at_once(scenario, workers, years, runs, batch, budget) + processes + round(kept)


def fitting_workers(scenario: Scenario, most: int, years: int | None = None, runs: int = 1, gathered: int = 0,
                    source: str | None = None, available: int | None = None, batch: int | None = None,
                    budget: int | None = None) -> int:
    """The most workers, up to `most`, whose runs fit in memory together; TooBigForMemory if not even one."""
    room = available if available is not None else available_bytes()
    workers = busy_workers(most, runs)
    if room is not None and not _skipped():
        while workers > 1 and needed(scenario, workers, years, runs, gathered, batch, budget) > room:
            workers -= 1
    check_fits(scenario, workers, years, runs, gathered, source, room, batch, budget)
    return workers


def check_fits(scenario: Scenario, workers: int = 1, years: int | None = None, runs: int = 1, gathered: int = 0,
               source: str | None = None, available: int | None = None, batch: int | None = None,
               budget: int | None = None) -> Estimate:
    """Raise TooBigForMemory if the runs in memory at once (`workers` x a batch each) would not fit in
    the memory available; return one run's estimate.

    Set CRITICAL_MASS_SKIP_MEMORY_CHECK=1 to skip the check (an estimate can be wrong; swap may do)."""
    one = estimate(scenario, years)
    room = available if available is not None else available_bytes()
    workers = busy_workers(workers, runs)
    need = needed(scenario, workers, years, runs, gathered, batch, budget)
    if _skipped() or room is None or need <= room:
        return one
    # each worker process beyond the first costs PROCESS_BYTES, so no more than room // PROCESS_BYTES can fit:
    # the search stays short however many workers were asked for
    below = range(min(workers - 1, max(1, room // PROCESS_BYTES)), 0, -1)
    most = next((w for w in below if needed(scenario, w, years, runs, gathered, batch, budget) <= room), 0)
    advice = f"change {_REMEDY[one.biggest()]} (most of it is {one.biggest()})"
    if most:
        advice = f"use --workers {most}, or {advice}"
    together = runs_at_once(scenario, workers, years, runs, batch, budget)
    at_once = f"{together} runs at once need" if together > 1 else "one run needs"
    raise TooBigForMemory([Problem(
        source or scenario.name, None, _SECTION[one.biggest()],
        f"{at_once} about {describe_bytes(need)} of memory (estimated from its sizes), and this machine has "
        f"{describe_bytes(room)} available; {advice}. Set CRITICAL_MASS_SKIP_MEMORY_CHECK=1 to try anyway",
    )])


def _skipped() -> bool:
    return bool(os.environ.get("CRITICAL_MASS_SKIP_MEMORY_CHECK"))


def describe_bytes(n: int) -> str:
    """12 MiB, 3.4 GiB, 9 PiB."""
    if n < 1024**2:
        return "under 1 MiB"
    if n >= 1024**5:
        return f"{n / 1024**5:,.0f} PiB"
    return f"{n / GIB:,.1f} GiB" if n >= GIB / 10 else f"{n / 1024**2:,.0f} MiB"
