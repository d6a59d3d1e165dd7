"""The batch engine: a system in a batch is the same system run alone, bit for bit.

A batch is an implementation detail, never a change of results."""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim import SchoolSystemModel
from sim.engine import Batch
from sim.engine.levers import build_only_reason
from sim.engine.params import Section
from sim.jobs import Job, Run, batch_size, make_jobs, run_job, system_bytes
from sim.runner import run_once
from sim.scenario import ScenarioError
from tests.helpers import scenarios, small


def frames_alone(scenario, seed, years):
    batch = Batch([scenario], [seed], years=years)
    batch.run(years)
    return batch.frames()


@settings(max_examples=30)
@given(data=st.data(), n=st.integers(2, 4))
def test_every_system_of_a_random_batch_equals_the_system_run_alone(data: st.DataObject, n: int) -> None:
    systems = [data.draw(scenarios(max_years=4)) for _ in range(n)]
    seeds = [data.draw(st.integers(0, 2**32)) for _ in range(n)]
    years = max(s.years for s in systems)
    batch = Batch(systems, seeds, years=years)
    batch.run(years)
    together = batch.frames()
    for b, (scenario, seed) in enumerate(zip(systems, seeds, strict=True)):
        alone = frames_alone(scenario, seed, years)
        for name, frame in together.items():
            mine = frame[frame["system"] == b].drop(columns="system").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, alone[name].drop(columns="system"), check_exact=True)


def test_systems_of_different_sizes_and_settings_share_a_batch() -> None:
    a = small(**{"system.districts": 2, "programme.cohort_size": 5})
    b = small(**{"system.schools_per_district": 9, "contagion.lapse_rate": 0.05, "students.persistence": 1.0})
    batch = Batch([a, b, a], [3, 4, 5])
    batch.run()
    yearly = batch.yearly()
    assert yearly.groupby("system").size().tolist() == [9, 9, 9]
    alone = [Batch([s], [seed]).state.posts.size for s, seed in ((a, 3), (b, 4), (a, 5))]
    assert np.diff(batch.state.systems.first_post).tolist() == alone


def test_a_batch_refuses_systems_with_different_numbers_of_grades() -> None:
    with pytest.raises(ValueError, match="same number of grades"):
        Batch([small(), small(**{"system.grades": 4})], [1, 2])


def test_zero_size_draws_do_not_move_a_generator() -> None:
    # the engine skips systems asked for no draws; that is only safe because of this
    for draw in (lambda g: g.random(0), lambda g: g.standard_normal(0), lambda g: g.beta(2, 3, 0),
                 lambda g: g.integers(0, 5, 0), lambda g: g.geometric(0.1, 0), lambda g: g.choice(4, 0, replace=False)):
        g = np.random.default_rng(1)
        before = g.bit_generator.state["state"]["state"]
        draw(g)
        assert g.bit_generator.state["state"]["state"] == before


@settings(max_examples=60)
@given(means=st.lists(st.lists(st.sampled_from([0.0, 1.0, 0.05, 0.5, 0.93]) | st.floats(-0.2, 1.2), min_size=3,
                               max_size=3), min_size=1, max_size=5),
       data=st.data())
def test_the_batch_draws_what_a_generator_gives_called_one_draw_at_a_time(means: list[list[float]],
                                                                         data: st.DataObject) -> None:
    """Streams takes shortcuts (raw words for uniforms, one loop for three traits); the numbers are those of
    Generator.random, Generator.beta and the Beta rule of sim.draws, system by system and trait by trait."""
    from sim.draws import CONCENTRATION
    from sim.engine.streams import Streams

    systems = len(means)
    counts = np.array(data.draw(st.lists(st.integers(0, 4), min_size=systems, max_size=systems)), dtype=np.int64)
    streams = Streams([np.random.default_rng(seed) for seed in range(systems)])
    u = streams.random(counts)
    traits = streams.beta_traits([np.array(column) for column in zip(*means, strict=True)], counts)
    for b in range(systems):
        g, lo, hi = np.random.default_rng(b), int(counts[:b].sum()), int(counts[:b + 1].sum())
        assert np.array_equal(u[lo:hi], g.random(counts[b]))
        for t, m in enumerate(means[b]):
            alone = g.beta(m * CONCENTRATION, (1 - m) * CONCENTRATION, counts[b]) if 0 < m < 1 else np.full(
                counts[b], min(max(m, 0.0), 1.0))
            assert np.array_equal(traits[t][lo:hi], alone), (b, t, m)
    # large draws go through Generator.random itself, and so does a generator whose doubles are not one
    # 64-bit word each
    assert np.array_equal(Streams([np.random.default_rng(7)]).random(np.array([500])),
                          np.random.default_rng(7).random(500))
    mt = Streams([np.random.Generator(np.random.MT19937(4))])
    assert np.array_equal(mt.random(np.array([5])), np.random.Generator(np.random.MT19937(4)).random(5))


def test_the_mesa_model_is_a_batch_of_one() -> None:
    scenario = small()
    model = SchoolSystemModel(scenario, rng=7)
    while model.running:
        model.step()
    assert model.state.year == scenario.years
    pd.testing.assert_frame_equal(model.yearly(), run_once(scenario, 7)["yearly"])


def test_the_mesa_model_takes_numpy_seeds_and_overrides_by_key_path() -> None:
    model = SchoolSystemModel(small(), rng=np.int64(7), **{"contagion.lapse_rate": 0.05})
    assert model.scenario.contagion.lapse_rate == 0.05
    model.step()
    assert model.yearly()["year"].tolist() == [0, 1]


def test_mesa_batch_run_works_without_a_subclass() -> None:
    import mesa

    # a Scenario is iterable (pydantic), so it goes in a list of one, as any fixed object does in batch_run
    rows = mesa.batch_run(SchoolSystemModel, {"scenario": [small(**{"years": 3})], "contagion.lapse_rate": [0.1, 0.5]},
                          rng=[1], max_steps=100, number_processes=1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert sorted(frame["contagion.lapse_rate"].unique()) == [0.1, 0.5]
    assert frame.groupby("contagion.lapse_rate")["Step"].max().tolist() == [3, 3]


def test_a_lever_moved_mid_run_acts_from_the_next_year() -> None:
    scenario = small(**{"years": 6})
    model = SchoolSystemModel(scenario, rng=2)
    model.run_for(3)
    model.scenario = scenario.with_overrides({"institutions.district.pressure_needed": 0.0,
                                              "institutions.district.rate": 1.0})
    model.step()
    assert (model.state.districts.support == 1.0).all()


def test_a_refused_change_leaves_the_model_on_its_scenario() -> None:
    scenario = small(**{"years": 6})
    model = SchoolSystemModel(scenario, rng=2)
    model.run_for(2)
    with pytest.raises(ScenarioError):  # the network is built once: a change to it is refused
        model.scenario = scenario.with_overrides({"network.alumni_ties": scenario.network.alumni_ties + 2})
    assert model.scenario == scenario, "the scenario the model reports is the one it runs"
    model.step()


def test_a_dimension_weighted_zero_drops_out_without_a_warning() -> None:
    weights = {"roles": 1, "strength": 1, "orientation": 1, "representation": 1, "network": 0, "scale": 1}
    batch = Batch([small(**{"years": 2, "programme.cohort_size": 0, "leadership_index.weights": weights})], [1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0 * log(0) on the way to an index of 0
        batch.run()
    assert (batch.yearly()["leadership_index"] == 0.0).all()


class _Reads:
    """A view of a batch's params that notes every scenario value read through it (derived arrays under the
    key they come from)."""

    DERIVED: ClassVar[dict[str, str]] = {"rule_code": "rule", "named_district": "district_names",
                                         "stage_starts": "stages", "role_cumulative": "stages",
                                         "weight_array": "weights"}

    def __init__(self, section: Section, seen: set[str], prefix: str = "") -> None:
        self._section, self._seen, self._prefix = section, seen, prefix

    def __getattr__(self, name: str) -> object:
        value = getattr(self._section, name)
        key = self._prefix + self.DERIVED.get(name, name)
        if isinstance(value, Section):
            return _Reads(value, self._seen, key + ".")
        self._seen.add(key)
        return value


def _leaves(model: BaseModel, prefix: str = "") -> list[str]:
    return [leaf for name, value in ((n, getattr(model, n)) for n in type(model).model_fields)
            for leaf in (_leaves(value, f"{prefix}{name}.") if isinstance(value, BaseModel) else [prefix + name])]


def test_every_live_lever_is_read_every_year_and_the_rest_are_refused_mid_run() -> None:
    """sim.engine.levers.BUILD_ONLY is exactly what a year's step does not read (bar one, below)."""
    from tests.test_oracle import busy

    seen: set[str] = set()
    for scenario in (busy(), busy(**{"tipping.metric": "achievement_gap", "tipping.by_district": False})):
        batch = Batch([scenario], [1])
        batch.params = _Reads(batch.params, seen)  # type: ignore[assignment]
        batch.run()
    leaves = set(_leaves(busy())) - {"name", "description", "years"}  # labels and the horizon: the caller's
    live = {key for key in leaves if build_only_reason(key) is None}
    assert live - seen == set(), "live levers no step reads: changing them mid-run would do nothing"
    # read every year, but sized when the system is built: a change could overflow the partner rows
    assert (leaves - live) & seen == {"partners.schools_per_partner"}


def test_a_build_only_value_changed_mid_run_is_refused_naming_it() -> None:
    scenario = small(**{"years": 4})
    batch = Batch([scenario, scenario], [1, 2])
    batch.run(2)
    changed = scenario.with_overrides({"tipping.metric": "mean_achievement", "system.disadvantage.mean": 0.9})
    with pytest.raises(ScenarioError) as raised:
        batch.set_scenarios([scenario, changed])
    assert [(p.source, p.path) for p in raised.value.problems] == [
        ("system 1 of a running batch", "system.disadvantage.mean"), ("system 1 of a running batch", "tipping.metric")]
    batch.set_scenarios([scenario.with_overrides({"tipping.level": 0.2, "students.gap_quantile": 0.1})] * 2)
    batch.run()


def test_a_failing_system_is_recorded_without_losing_its_batch_mates() -> None:
    good = small()
    job = Job(scenarios={0: good, 1: good}, runs=(Run("a", 0, 1), Run("b", 1, 2), Run("c", 0, 3)), years=3)
    import sim.jobs as jobs

    original = jobs._run_batch

    def fail_for_seed_2(job, runs):
        if any(r.seed == 2 for r in runs):
            raise RuntimeError("planted failure")
        return original(job, runs)

    jobs._run_batch = fail_for_seed_2
    try:
        result = run_job(job)
    finally:
        jobs._run_batch = original
    assert result.runs.set_index("run_id")["status"].to_dict() == {"a": "ok", "b": "failed", "c": "ok"}
    assert "planted failure" in result.runs.set_index("run_id").loc["b", "error"]
    alone = run_job(Job(scenarios={0: good}, runs=(Run("a", 0, 1),), years=3))
    assert alone.runs.iloc[0]["practising_share"] == result.runs.iloc[0]["practising_share"]


def test_batch_size_follows_the_memory_budget_and_keeps_workers_busy() -> None:
    scenario = small()
    per = system_bytes(scenario, 8)
    assert batch_size([scenario], 8, runs=10_000, workers=2, budget=per * 20) == 10
    assert batch_size([scenario], 8, runs=40, workers=2, budget=per * 10_000) == 5  # four batches a worker
    jobs = make_jobs([scenario], [Run(f"r{i}", 0, i) for i in range(25)], 8, 10)
    assert [len(j.runs) for j in jobs] == [10, 10, 5]


def test_the_long_frames_are_the_wide_ones_melted_and_sorted_as_pandas_would() -> None:
    # roles_frame and districts are built with NumPy for speed; pandas' own reshaping is the definition
    from sim.engine import roles_frame
    from sim.scenario import ROLES

    batch = Batch([small(), small(), small()], seeds=[3, 1, 2])
    batch.run(3)
    yearly = batch.yearly()
    for frame in (yearly, yearly.iloc[::-1].reset_index(drop=True), yearly.drop(columns=["system"]),
                  yearly.drop(columns=["year"]), batch.yearly([2, 0])):
        ids = [c for c in ("system", "year") if c in frame.columns]
        melted = frame.melt(id_vars=ids, value_vars=[f"alumni_{r}" for r in ROLES], var_name="role",
                            value_name="alumni")
        melted["role"] = melted["role"].str.removeprefix("alumni_")
        expected = melted.sort_values(ids, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(roles_frame(frame), expected, check_exact=True)
    districts = batch.districts()
    by_year = districts.sort_values(["year", "system"], kind="stable")  # year-major, as recorded
    # sorted by system and year, each year's districts in the order recorded
    assert districts.equals(by_year.sort_values(["system", "year"], kind="stable").reset_index(drop=True))
    names = batch.state.districts.names
    assert districts.loc[(districts["system"] == 0) & (districts["year"] == 1), "district"].tolist() == [
        n for n, s in zip(names, batch.state.districts.sys, strict=True) if s == 0]
