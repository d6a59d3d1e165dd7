"""What-if comparisons and reports: matched seeds, one population, honest intervals, the numbers in the report."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.compare import (
    POOLABLE,
    common_districts,
    common_tipping,
    end_values,
    paired_difference,
    proportion_difference,
)
from sim.analysis.comparison import compare_scenarios
from tests.helpers import SCENARIOS, cli, small


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        for key in ("href", "src"):
            if values.get(key) and tag != "img":
                self.links.append(values[key])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector


def test_pairs_without_any_difference_get_no_interval_however_few() -> None:
    """One pair, or five, that do not differ are not a measured zero: no [0, 0] interval, and the sentence says
    they are the same in every replicate (two or more) or too few to tell (one)."""
    from sim.analysis.compare import agreement_p, compare
    from sim.analysis.narrative import describe_difference

    mean, low, high = paired_difference(np.ones(5), np.ones(5))
    assert mean == 0.0 and np.isnan(low) and np.isnan(high) and agreement_p(np.ones(5), np.ones(5)) == 1.0
    mean, low, high = paired_difference(np.zeros(4), np.array([1.0, 3.0, 4.0, 6.0]))
    assert low < mean == 3.5 < high
    outcomes = {"mean_achievement": 0.1, "achievement_gap": 0.5, "practising_share": 0.6, "leadership_index": 0.3,
                "districts_tipped": 1.0}
    for pairs, words in ((1, "too few to tell"), (5, "the same in all 5 matched replicates")):
        yearly = {name: pd.DataFrame({"year": 20, "replicate": range(pairs), "tipped_year": 9, **outcomes})
                  for name in ("a", "b")}
        d = next(d for d in compare(yearly) if d.outcome == "tipped_year")
        assert not d.has_interval and d.within_noise and d.identical == (pairs > 1)
        assert words in describe_difference(d)
    from sim.uncertainty.robust import WITHIN, compare_over_worlds

    runs = pd.DataFrame({"world": 0, "replicate": [0, 1, 0, 1], "strategy": ["a", "a", "b", "b"], "year": 9.0})
    world = compare_over_worlds(runs, {"year": False}).per_world.iloc[0]
    assert world["verdict"] == WITHIN and np.isnan(world["ci_low"])


@pytest.mark.parametrize("pairs, judged", [(1, False), (2, False), (5, False), (6, True), (10, True)])
def test_pairs_that_all_agree_are_a_difference_only_when_too_many_to_be_chance(pairs: int, judged: bool) -> None:
    """Pairs that all differ by the same 2 years have no spread: a t interval would be [-2, -2], as if the
    difference were known exactly. No interval is given; a sign test decides whether so many agreeing pairs
    are beyond chance (six at 95%), and below that compare says the replicates are too few."""
    from sim.analysis.compare import agreement_p, compare
    from sim.analysis.narrative import describe_difference

    mean, low, high = paired_difference(np.full(pairs, 12.0), np.full(pairs, 10.0))
    assert mean == -2.0 and np.isnan(low) and np.isnan(high)
    assert agreement_p(np.full(pairs, 12.0), np.full(pairs, 10.0)) == min(1.0, 2 * 0.5**pairs)
    outcomes = {"mean_achievement": 0.1, "achievement_gap": 0.5, "practising_share": 0.6, "leadership_index": 0.3,
                "districts_tipped": 1.0}
    yearly = {name: pd.DataFrame({"year": 20, "replicate": range(pairs), "tipped_year": year, **outcomes})
              for name, year in (("dispersed", 12), ("clustered", 10))}
    d = next(d for d in compare(yearly) if d.outcome == "tipped_year")
    assert (d.pairs, d.difference) == (pairs, -2.0)
    assert not d.has_interval and d.within_noise != judged and d.decided_by_sign_test == judged
    row = d.as_dict()
    assert not row["has_interval"] and row["sign_test_p"] == pytest.approx(min(1.0, 2 * 0.5**pairs))
    sentence = describe_difference(d)
    assert ("too few to tell" in sentence) != judged
    assert ("better than dispersed by 2.0 years in every one of" in sentence) == judged
    # a sentence printed or embedded on its own still says which uncertainty it includes
    assert ("seed noise only" in sentence) == judged
    # the same rule decides a world of a comparison over worlds
    from sim.uncertainty.robust import BETTER, UNDECIDED, compare_over_worlds

    runs = pd.concat([pd.DataFrame({"world": 0, "replicate": range(pairs), "strategy": name, "tipped_year": year})
                      for name, year in (("dispersed", 12.0), ("clustered", 10.0))])
    world = compare_over_worlds(runs, {"tipped_year": False}).per_world.iloc[0]
    assert world["verdict"] == (BETTER if judged else UNDECIDED) and np.isnan(world["ci_low"])


def test_tipping_probability_interval_stays_honest_at_the_extremes() -> None:
    d, low, high = proportion_difference(np.zeros(10), np.ones(10))
    assert d == 1.0 and 0.5 < low < 0.7 and high == pytest.approx(1.0)
    d, low, high = proportion_difference(np.zeros(10), np.zeros(10))
    assert d == 0.0 and low < 0 < high


def test_run_writes_a_self_contained_report_with_the_run_numbers(tmp_path: Path) -> None:
    result = cli("run", SCENARIOS / "ancash.yaml", "--replicates", "3", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    page = parse(tmp_path / "report.html")
    assert page.tags[:2] == ["html", "head"] and "body" in page.tags
    assert len(page.images) == 5 and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert not page.links, "nothing outside the file: it must open offline and survive email"
    assert len(list((tmp_path / "figures").glob("*.png"))) == 5
    summary = json.loads((tmp_path / "summary.json").read_text())
    text = " ".join(page.text)
    for outcome in summary["outcomes"]:
        assert f"{outcome['end_mean']:.3f}" in text


def test_a_scenario_compared_with_itself_shows_no_difference(tmp_path: Path) -> None:
    path = SCENARIOS / "ancash.yaml"
    result = cli("compare", path, path, "--replicates", "4", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    differences = pd.read_parquet(tmp_path / "differences.parquet")
    assert differences["within_noise"].all()
    assert (tmp_path / "report.html").exists() and (tmp_path / "differences.csv").exists()


def test_every_scenario_is_measured_over_the_same_population() -> None:
    # the two programmes work in different districts; tipping is judged over the union, in both
    a = small(**{"placement.districts": "named", "placement.district_names": ["D1"], "years": 6,
                 "tipping.scope": "programme_districts"})
    b = a.with_overrides({"placement.district_names": ["D2"]})
    result = compare_scenarios({"in_d1": a, "in_d2": b}, replicates=3, seed=1)
    tipping = next(d for d in result.differences if d.outcome == "tipped_by_horizon")
    assert tipping.population == "2 programme districts"
    # the count of districts that tipped is over those two in both, not over each programme's own one
    counted = next(d for d in result.differences if d.outcome == "districts_tipped")
    assert counted.population == "2 programme districts"
    final = result.frames["in_d1"]["districts"].query("year == 6 and district in ['D1', 'D2']")
    assert counted.baseline_mean == final["tipped"].sum() / 3
    assert any(s.startswith("Districts tipped (over 2 programme districts):") for s in result.sentences())
    assert any("D1, D2" in w and "same population in every scenario" in w for w in result.warnings)
    assert {d.population for d in result.differences if d.outcome == "mean_achievement"} == {"whole system"}


def test_a_fixed_scope_every_scenario_shares_is_judged_as_the_runs_judged_it() -> None:
    # tipping over the whole system is already one population: compare must not swap it for the districts the
    # programmes work in, which would answer another question than the scenarios ask (and than `run` reports)
    a = small(**{"placement.districts": "named", "placement.district_names": ["D1"], "years": 6,
                 "tipping.scope": "system", "tipping.level": 0.3})
    b = a.with_overrides({"placement.district_names": ["D2"]})
    result = compare_scenarios({"in_d1": a, "in_d2": b}, replicates=4, seed=1)
    tipping = next(d for d in result.differences if d.outcome == "tipped_by_horizon")
    assert tipping.population == "whole system"
    assert not any("programme" in w and "works in" in w for w in result.warnings)
    for name, mean in (("in_d1", tipping.baseline_mean), ("in_d2", tipping.scenario_mean)):
        assert mean == end_values(result.frames[name]["yearly"])["tipped_by_horizon"].mean()
    named = a.with_overrides({"tipping.scope": "most_disadvantaged", "tipping.district_count": 2})
    result = compare_scenarios({"in_d1": named, "in_d2": named.with_overrides(
        {"placement.district_names": ["D2"]})}, replicates=2, seed=1)
    assert next(d for d in result.differences if d.outcome == "tipped_year").population == \
        "the 2 most disadvantaged districts"


@settings(max_examples=12, deadline=None)
@given(metric=st.sampled_from(POOLABLE), level=st.floats(-0.2, 1.0), sustained=st.integers(1, 3),
       by_district=st.booleans(), share=st.floats(0.01, 1.0))
def test_remeasuring_a_scope_over_its_own_districts_gives_the_engines_tipping(
        metric: str, level: float, sustained: int, by_district: bool, share: float) -> None:
    """compare's re-measurement, applied to the districts a run was judged over, is the engine's own verdict and
    year: pooled (teacher-weighted) and district by district (district_share of them each tipped)."""
    from sim.runner import run_many

    scenario = small(**{"years": 7, "placement.districts": "most_disadvantaged", "placement.district_count": 2,
                        "tipping.scope": "programme_districts", "tipping.metric": metric, "tipping.level": level,
                        "tipping.sustained_years": sustained, "tipping.by_district": by_district,
                        "tipping.district_share": share})
    frames = run_many([scenario], 5, 2, None, 1, None)
    districts = {"s": frames["districts"].drop(columns="point")}
    mine = common_tipping(districts, {"s": scenario}, common_districts(districts)).set_index("replicate")
    engine = end_values(frames["yearly"].drop(columns="point"))
    pd.testing.assert_series_equal(mine["tipped_year"].astype(float), engine["tipped_year"], check_names=False,
                                   check_index_type=False)
    assert (mine["tipped_by_horizon"].to_numpy() == engine["tipped_by_horizon"].to_numpy().astype(bool)).all()
    assert (mine["districts_tipped"].to_numpy() == engine["districts_tipped"].to_numpy()).all()


def test_more_than_one_lever_changed_is_said_plainly(tmp_path: Path) -> None:
    result = cli("compare", SCENARIOS / "dispersed.yaml", SCENARIOS / "all_districts.yaml", "--replicates", "3",
                 "--years", "4", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "differ in 2 levers at once" in result.stderr
    text = " ".join(parse(tmp_path / "report.html").text)
    assert "placement.host_schools" in text, "the report shows the settings that differ"
    assert "differ in 2 levers at once" in text
    # not every interval is on the paired differences: the report says which one is not
    assert "Newcombe's interval for a difference of two proportions, which does not use the pairing" in text


def test_scenarios_of_different_lengths_are_compared_in_one_year_and_the_user_is_told(tmp_path: Path) -> None:
    import yaml

    for name, years in (("short", 3), ("long", 5)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(
            {"name": name, "years": years, "system": {"districts": 2, "schools_per_district": 4,
                                                      "teachers_per_school": 6}}), encoding="utf-8")
    result = cli("compare", tmp_path / "short.yaml", tmp_path / "long.yaml", "--replicates", "2", "--workers", "1",
                 "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "the scenarios run for 3, 5 years; all are run and compared at year 5" in result.stderr
    for name in ("short", "long"):
        assert pd.read_parquet(tmp_path / "out" / name / "yearly.parquet")["year"].max() == 5


def test_duplicate_scenarios_get_names_no_other_scenario_has(tmp_path: Path) -> None:
    # the second "x" would have become "x-2"... and the third, renamed "x-3", clashed with the file named so
    import yaml

    for file, name in (("a", "x"), ("b", "x-3"), ("c", "X")):
        (tmp_path / f"{file}.yaml").write_text(yaml.safe_dump(
            {"name": name, "years": 2, "system": {"districts": 2, "schools_per_district": 3,
                                                  "teachers_per_school": 5}}), encoding="utf-8")
    result = cli("compare", tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "a.yaml", tmp_path / "c.yaml",
                 "--replicates", "2", "--workers", "1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    # "X" beside "x" would share a folder where case is ignored (macOS, Windows)
    assert json.loads((tmp_path / "out" / ".critical-mass.json").read_text())["scenarios"] == ["x", "x-3", "x-4", "X-5"]
    assert all((tmp_path / "out" / name / "yearly.parquet").exists() for name in ("x", "x-3", "x-4", "X-5"))


def test_compare_matches_seeds_across_scenarios() -> None:
    result = compare_scenarios({"a": small(), "b": small(**{"programme.cohort_size": 20})}, replicates=3, seed=5)
    a, b = result.frames["a"]["yearly"], result.frames["b"]["yearly"]
    assert a.groupby("replicate")["seed"].first().equals(b.groupby("replicate")["seed"].first())
    assert next(d for d in result.differences if d.outcome == "practising_share").pairs == 3


def test_compare_needs_two_scenarios_and_good_files(tmp_path: Path) -> None:
    one = cli("compare", SCENARIOS / "ancash.yaml")
    assert one.exit_code == 2 and "at least two" in one.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("placement:\n  clustring: 0.5\n", encoding="utf-8")
    result = cli("compare", SCENARIOS / "ancash.yaml", bad)
    assert result.exit_code == 2 and "did you mean 'clustering'" in result.stderr
