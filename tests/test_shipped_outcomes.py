"""What the shipped scenarios are for: the dispersed/clustered pair differ, the large systems run."""

from __future__ import annotations

import numpy as np

from sim import SchoolSystemModel, load_scenario
from sim.runner import run_replicates
from tests.helpers import SCENARIOS


def _ends(name: str, replicates: int = 6) -> dict[str, np.ndarray]:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    yearly = run_replicates(scenario, replicates, seed=3, workers=1)["yearly"]
    start = yearly[yearly["year"] == 0].set_index("replicate")
    end = yearly[yearly["year"] == scenario.years].set_index("replicate")
    return {
        "gap_change": (end["achievement_gap"] - start["achievement_gap"]).to_numpy(),
        "tipped": end["tipped_year"].notna().to_numpy(),
        "practising": end["practising_share"].to_numpy(),
    }


def test_clustered_tips_its_districts_and_closes_the_gap_where_dispersed_does_not() -> None:
    dispersed, clustered = _ends("dispersed"), _ends("clustered")
    # same fellows, same cost: clustering tips the districts it works in, dispersal does not
    assert clustered["tipped"].mean() >= 0.5
    assert dispersed["tipped"].mean() == 0
    # and the gap between the most and least disadvantaged schools closes much more
    assert clustered["gap_change"].max() < dispersed["gap_change"].min()


def test_london_runs_twenty_years_at_sixty_thousand_teachers() -> None:
    scenario = load_scenario(SCENARIOS / "london.yaml")
    model = SchoolSystemModel(scenario, rng=1)
    assert 55_000 <= model.state.posts.size <= 65_000
    model.run_for(20)
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
        assert model.state.unplaced_fellows == 0, path.name
        recruited = (model.state.members.status > 0).sum()
        expected = sum(scenario.programme.sizes()[: scenario.years])
        assert recruited == expected, path.name
