"""What the shipped scenarios are for: pairs that differ in one lever, measured over one population;
the large systems run; the seeds' sizes hold."""

from __future__ import annotations

import numpy as np
import pytest

from sim import SchoolSystemModel, load_scenario
from sim.analysis.compare import changed_levers
from sim.report import differing_settings
from sim.runner import run_many
from tests.helpers import SCENARIOS

PAIRS = [("dispersed", "clustered", "how fellows cluster into schools"),
         ("all_districts", "two_districts", "where fellows go (districts)"),
         ("alumni_spread", "alumni_return", "where alumni go")]


@pytest.mark.parametrize(("a", "b", "lever"), PAIRS)
def test_each_shipped_pair_differs_in_one_lever_and_measures_one_population(a: str, b: str, lever: str) -> None:
    scenarios = {name: load_scenario(SCENARIOS / f"{name}.yaml") for name in (a, b)}
    assert changed_levers(list(differing_settings(scenarios).index)) == [lever]
    tipping = {s.tipping.model_dump_json() for s in scenarios.values()}
    assert len(tipping) == 1 and scenarios[a].tipping.scope != "programme_districts"


def test_a_lever_is_one_kind_of_choice_and_the_years_or_a_name_are_none() -> None:
    """Size and who the fellows are are two levers; a different horizon is not one (compare runs all to the same)."""
    assert changed_levers(["programme.cohort_size", "programme.strength", "programme.orientation"]) == [
        "programme size", "who the fellows are"]
    assert changed_levers(["years", "name", "programme.cohort_size"]) == ["programme size"]


def test_concentrating_in_two_districts_tips_districts_where_spreading_over_ten_does_not() -> None:
    names = ["all_districts", "two_districts"]
    frames = run_many([load_scenario(SCENARIOS / f"{n}.yaml") for n in names], 10, seed=3, workers=1)
    last = frames["yearly"][frames["yearly"]["year"] == 20]
    tipped = last.groupby("point")["districts_tipped"].mean()
    assert tipped[0] == 0 and tipped[1] >= 0.5


def test_london_runs_twenty_years_at_sixty_thousand_teachers() -> None:
    scenario = load_scenario(SCENARIOS / "london.yaml")
    model = SchoolSystemModel(scenario, rng=1)
    assert 55_000 <= model.state.posts.size <= 65_000
    while model.running:
        model.step()
    assert model.yearly()["year"].max() == 20


def test_delhi_puts_about_500_alumni_in_positions_of_influence() -> None:
    scenario = load_scenario(SCENARIOS / "delhi.yaml")
    model = SchoolSystemModel(scenario, rng=2)
    model.run_for(scenario.years)
    end = model.yearly().iloc[-1]
    influence = sum(end[f"alumni_{r}"] for r in ("school_leader", "district_official", "ministry", "nonprofit"))
    assert 350 <= influence <= 650


def test_ancash_has_about_6800_students_and_70_fellows() -> None:
    scenario = load_scenario(SCENARIOS / "ancash.yaml")
    model = SchoolSystemModel(scenario, rng=3)
    assert 6_000 <= model.state.schools.enrolment.sum() <= 7_600
    assert sum(scenario.programme.sizes()) == 70


def test_every_shipped_scenario_places_every_fellow() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = load_scenario(path)
        if scenario.system.districts * scenario.system.schools_per_district > 5_000:
            continue  # the largest systems are covered by the benchmarks
        model = SchoolSystemModel(scenario, rng=4)
        model.run_for(scenario.years)
        assert int(model.state.systems.unplaced_fellows[0]) == 0, path.name
        recruited = (model.state.members.status > 0).sum()
        assert recruited == sum(scenario.programme.sizes()[: scenario.years]), path.name
        assert np.isfinite(model.yearly()["mean_achievement"]).all()


def test_the_shipped_experiments_run_end_to_end_in_small_versions(tmp_path) -> None:
    """Each shipped experiment through the command line, with one replicate and a few years."""
    import yaml

    from tests.helpers import EXPERIMENTS, cli

    for name in ("clustering_x_alumni", "clustering_density", "programme_scale"):
        data = yaml.safe_load((EXPERIMENTS / f"{name}.yaml").read_text(encoding="utf-8"))
        data.update(scenario=str(SCENARIOS / "clustered.yaml"), replicates=1, years=4)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        swept = cli("sweep", path, "--out", tmp_path / name, "--no-figures")
        assert swept.exit_code == 0, swept.output
        points = cli("tipping", "points", tmp_path / name)
        assert points.exit_code == 0, points.output
    compared = cli("compare", SCENARIOS / "alumni_spread.yaml", SCENARIOS / "alumni_return.yaml", "--replicates", "2",
                   "--years", "5", "--out", tmp_path / "alumni")
    assert compared.exit_code == 0, compared.output
    assert "alumni.placement.school_leader.rule" in (tmp_path / "alumni" / "report.html").read_text()
