"""Run every strategy in every plausible world: the tidy table sim.uncertainty.robust reads.

A world is one set of values for the uncertain assumptions, drawn from their plausible ranges (a
Latin hypercube over the priors) or from a calibration's posterior. Every strategy runs in every world
with the same replicates, and replicate r has the same seed in every world and strategy (common
random numbers), so inside a world the strategies meet the same drawn school system and the same luck.

The keys the strategies differ on are the levers being compared, not uncertain assumptions: they are
held at each strategy's own value, never drawn.

    worlds = run_in_worlds({"dispersed": a, "clustered": b}, load_priors(), n=200, replicates=10, seed=0)
    worlds.runs      # world, replicate, strategy, final-year outcomes, tipping over a common population
    worlds.values    # the worlds: index `world`, one column per drawn key

run_tipping_in_worlds does the same for a grid of one value (the tipping point's distribution over worlds):
replicate r has the same seed in every world, and another at each value of the grid, so that the runs a
world's logistic fit counts as independent are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from sim.analysis.compare import COMPARED, end_values
from sim.analysis.comparison import lever_notes, tipping_population
from sim.scenario import Problem, Scenario, ScenarioError
from sim.scenario.loading import validating_many

if TYPE_CHECKING:
    from sim.parallel import Backend
    from sim.tipping.trials import Base
    from sim.uncertainty.posterior import Posterior
    from sim.uncertainty.priors import Priors

# outcome column -> higher is better (districts_tipped is left out: it counts each scenario's own scope)
DIRECTIONS = {k: higher for k, (_, higher) in COMPARED.items() if k != "districts_tipped"}


@dataclass
class WorldRuns:
    scenarios: dict[str, Scenario]
    values: pd.DataFrame  # index world; one column per drawn key
    runs: pd.DataFrame  # world, replicate, strategy, one column per outcome in DIRECTIONS
    held: list[str]  # ranged keys the strategies differ on: held at each strategy's own value
    replicates: int
    seed: int
    source: str  # where the worlds came from (the priors' or the posterior's file)
    from_posterior: bool
    population: str  # where tipping is judged
    notes: list[str] = field(default_factory=list)
    worth: float = 1.0  # independent worlds one drawn world is worth in a share's interval (posterior_worth)


def run_in_worlds(
    scenarios: dict[str, Scenario], worlds_from: Priors | Posterior, n: int, replicates: int, seed: int,
    years: int | None = None, workers: int | None = None, on_progress: Callable[[int], None] | None = None,
    fixed: Sequence[str] = (),
) -> WorldRuns:
    """Every strategy x world x replicate; raises ScenarioError before running if a world cannot apply.

    `fixed` names the keys the user set for every strategy (`--set`): a value chosen is held, never drawn."""
    from sim.report import differing_settings
    from sim.runner import run_many
    from sim.uncertainty.posterior import Posterior

    if len(scenarios) < 2:
        raise ScenarioError([Problem("compare", None, "scenarios", "needs at least two strategies to compare")])
    differing = set(differing_settings(scenarios).index)
    ranged: list[str] = worlds_from.keys()
    held = sorted(k for k in ranged if k in differing or k in fixed)
    notes = lever_notes(scenarios)
    levers = [k for k in held if k in differing]
    if levers:
        notes.append(f"{', '.join(levers)} differ between the strategies, so they are held at each strategy's own "
                     "value in every world rather than drawn")
    chosen = [k for k in held if k not in differing]
    if chosen:
        notes.append(f"{', '.join(chosen)} set with --set, so held at that value in every world rather than drawn")
    for scenario in scenarios.values():
        worlds_from.check_scenario(scenario)
    priors = worlds_from.priors if isinstance(worlds_from, Posterior) else worlds_from
    for name, scenario in scenarios.items():
        moved = [k for k, *_ in priors.outside_ranges(scenario) if k not in held]
        if moved:
            notes.append(f"{name} sets {', '.join(moved)} outside the plausible range; the worlds replace that "
                         "choice with drawn values")
    values = worlds_from.draw(n, seed).drop(columns=held)
    names = list(scenarios)
    # validate every world before running any: a bad draw is reported, not found after an hour of runs
    with validating_many():
        grid = [worlds_from.apply(scenarios[s], row) for _, row in values.iterrows() for s in names]
    frames = run_many(grid, replicates, seed, years, workers, on_progress)

    runs, population, remeasured = [], "own tipping scope", False
    by_point = {k: dict(tuple(f.groupby("point", sort=True))) for k, f in frames.items()}
    for w, world in enumerate(values.index):
        points = {s: w * len(names) + i for i, s in enumerate(names)}
        districts = {s: by_point["districts"][p] for s, p in points.items()}
        world_scenarios = {s: grid[p] for s, p in points.items()}
        tipping, population, tipping_notes = tipping_population(world_scenarios, districts)
        remeasured = tipping is not None
        if w == 0:
            # which districts replicate 0 pooled is a per-world detail; the rest holds in every world
            notes += [t for t in tipping_notes if "any of these programmes works in" not in t]
        for s, p in points.items():
            ends = end_values(by_point["yearly"][p])
            if tipping is not None:
                mine = tipping[tipping["scenario"] == s].set_index("replicate")
                ends["tipped_by_horizon"] = mine["tipped_by_horizon"].reindex(ends.index).astype(float)
                ends["tipped_year"] = mine["tipped_year"].reindex(ends.index).astype(float)
            runs.append(ends.reset_index().assign(world=world, strategy=s))
    table = pd.concat(runs, ignore_index=True)
    outcomes = [o for o in DIRECTIONS if o in table.columns]
    table = table[["world", "replicate", "strategy", *outcomes]]
    if remeasured:
        population = "the programme districts of any compared strategy"
    worth = posterior_worth(worlds_from, n, notes)
    return WorldRuns(scenarios, values, table, held, replicates, seed, str(getattr(worlds_from, "source", "")),
                     isinstance(worlds_from, Posterior), population, notes, worth)


@dataclass
class TippingWorldRuns:
    """A grid of one value (e.g. fellows a year) run in every world and at the scenario's own values."""

    name: str
    key: str
    grid: list[float]
    values: pd.DataFrame  # index world; one column per drawn key
    runs: pd.DataFrame  # world (DEFAULTS for the scenario as written), value, replicate, tipped (0/1)
    # the same worlds with no programme at all (cohort size 0): world, replicate, tipped (0/1). A world
    # that tips without fellows has no programme tipping point, whatever the grid says.
    without_programme: pd.DataFrame
    held: list[str]
    replicates: int
    seed: int
    source: str
    from_posterior: bool
    notes: list[str] = field(default_factory=list)
    worth: float = 1.0  # independent worlds one drawn world is worth in a share's interval (posterior_worth)


def posterior_worth(worlds_from: Priors | Posterior, n: int, notes: list[str]) -> float:
    """1 for worlds drawn from plausible ranges (each an independent draw); less for worlds drawn from a
    posterior table (Posterior.worth_of_a_draw), which the notes then say."""
    from sim.uncertainty.posterior import Posterior

    if not isinstance(worlds_from, Posterior):
        return 1.0
    worth = worlds_from.worth_of_a_draw(n)
    notes.append(f"the posterior is worth {worlds_from.effective_size():.0f} equally weighted draws (Kish's "
                 f"effective size of its {len(worlds_from.table)} rows), so the {n} worlds drawn from it count as "
                 f"{n * worth:.0f} independent worlds in every share's interval")
    return worth


DEFAULTS = -1  # the world label of the scenario's own values, run beside the drawn worlds


def run_tipping_in_worlds(
    base: Base, key: str, grid: list[float], worlds_from: Priors | Posterior, n: int, replicates: int, seed: int,
    backend: Backend, on_runs: Callable[[int], None] | None = None,
) -> TippingWorldRuns:
    """Every grid value x (the scenario as written, and each of n worlds) x replicate on matched seeds,
    and each world with no programme (its control); the key searched (and its balancing share) is held,
    never drawn."""
    from sim.runner import run_final
    from sim.tipping.trials import overrides_for
    from sim.uncertainty.posterior import Posterior

    balance = base.balances.get(key)
    ranged: list[str] = worlds_from.keys()
    searched = sorted(k for k in ranged if k in (key, balance))
    chosen = sorted(k for k in ranged if k in base.fixed and k not in searched)
    held = sorted(searched + chosen)
    notes = [f"{', '.join(searched)} is the value searched, so it is held, not drawn"] if searched else []
    if chosen:
        notes.append(f"{', '.join(chosen)} set with --set, so held at that value in every world rather than drawn")
    values = worlds_from.draw(n, seed).drop(columns=held)
    grid_scenarios = [base.build(overrides_for(base, key, x, balance)) for x in grid]
    for scenario in grid_scenarios[:1]:
        worlds_from.check_scenario(scenario)
    priors = worlds_from.priors if isinstance(worlds_from, Posterior) else worlds_from
    moved = [k for k, *_ in priors.outside_ranges(grid_scenarios[0]) if k not in held]
    if moved:
        notes.append(f"{base.name} sets {', '.join(moved)} outside the plausible range; the worlds replace that "
                     "choice with drawn values")
    labels = [DEFAULTS, *values.index]
    control = base.build({"programme.cohorts": 0, "programme.cohort_sizes": None})
    columns = [*grid_scenarios, control]
    with validating_many():  # every world checked before any runs
        scenarios = [s if world == DEFAULTS else worlds_from.apply(s, values.loc[world])
                     for world in labels for s in columns]
    # the same seeds in every world (worlds differ only in their assumptions), but other seeds at each
    # value of the grid: with one seed a replicate crosses the grid's values as one threshold, not as
    # independent runs, and the logistic fit would count it as many (its interval was too narrow)
    frame = run_final(scenarios, replicates, seed, backend, on_runs, outcomes=(), years=base.years,
                      seed_groups=[c for _ in labels for c in range(len(columns))])
    point = frame["point"].to_numpy()
    table = pd.DataFrame({
        "world": [labels[p // len(columns)] for p in point], "column": point % len(columns),
        "replicate": frame["replicate"].to_numpy(), "tipped": frame["tipped_year"].notna().to_numpy(int),
    })
    is_control = table["column"] == len(grid)
    runs = table[~is_control].assign(value=lambda t: [grid[c] for c in t["column"]])
    runs = runs[["world", "value", "replicate", "tipped"]].reset_index(drop=True)
    without = table.loc[is_control, ["world", "replicate", "tipped"]].reset_index(drop=True)
    worth = posterior_worth(worlds_from, n, notes)
    return TippingWorldRuns(base.name, key, list(grid), values, runs, without, held, replicates, seed,
                            str(getattr(worlds_from, "source", "")), isinstance(worlds_from, Posterior), notes, worth)
