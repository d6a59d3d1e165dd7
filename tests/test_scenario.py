"""Scenario files: defaults, validation with located messages, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import Scenario, ScenarioError, load_scenario
from sim.scenario import parse_overrides
from tests.helpers import SCENARIOS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_load_and_begin_with_a_comment(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert path.read_text(encoding="utf-8").startswith("#"), "each scenario begins with what it represents"


def test_empty_file_gives_every_default(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, ""))
    assert scenario == Scenario.from_dict({"name": "s"})
    assert scenario.placement.clustering is None  # no way to place given: spread over every eligible school


def test_every_problem_is_reported_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "years: -3\nplacement:\n  clustring: 0.5\n  districts: everywhere\n"
        "alumni:\n  stages:\n    - after_years: 0\n      roles: {classroom: 0.5, outside: 0.3}\n",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    problems = {p.path: p for p in info.value.problems}
    assert set(problems) == {"years", "placement.clustring", "placement.districts", "alumni.stages.0.roles"}
    assert problems["years"].line == 1 and problems["years"].value == -3
    assert problems["placement.clustring"].line == 3
    assert problems["placement.clustring"].suggestion == "clustering"
    assert problems["placement.districts"].value == "everywhere"
    assert "sum to 1" in problems["alumni.stages.0.roles"].message
    assert f"{path}:3: placement.clustring: unknown key; did you mean 'clustering'?" in text


def test_true_or_false_where_a_number_belongs_is_an_error_not_one_or_zero(tmp_path: Path) -> None:
    # YAML reads yes/no/on/off as true/false, which pydantic would take as 1 and 0: `years: yes` ran one year
    path = write(tmp_path, "years: yes\nprogramme:\n  cohort_size: on\nplacement:\n  clustering: no\n"
                           "contagion:\n  enabled: true\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = {p.path: p for p in info.value.problems}
    assert set(problems) == {"years", "programme.cohort_size", "placement.clustering"}, problems
    assert problems["programme.cohort_size"].line == 3
    assert all("expected a number, not true/false" in p.message for p in problems.values())
    with pytest.raises(ScenarioError, match="expected a number"):
        load_scenario(SCENARIOS / "ancash.yaml", {"years": True})  # --set years=true


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, "years: 3\nsystem: [unclosed\n"))
    assert info.value.problems[0].line is not None
    assert "not valid YAML" in info.value.problems[0].message


def test_duplicate_keys_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="key given twice"):
        load_scenario(write(tmp_path, "years: 3\nyears: 4\n"))


def test_unsafe_yaml_tags_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(write(tmp_path, "years: !!python/object/apply:os.system ['true']\n"))


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(write(tmp_path, "- 1\n- 2\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_named_districts_must_exist(tmp_path: Path) -> None:
    text = "system: {districts: 2, district_names: [A, B]}\nplacement: {districts: named, district_names: [C]}\n"
    with pytest.raises(ScenarioError, match="not districts of the system"):
        load_scenario(write(tmp_path, text))


def test_overrides_by_key_path_are_validated() -> None:
    scenario = Scenario.from_dict({})
    changed = scenario.with_overrides(parse_overrides(["placement.clustering=0.8", "alumni.stages.0.after_years=0"]))
    assert changed.placement.clustering == 0.8
    assert scenario.placement.clustering is None, "scenarios are immutable"
    with pytest.raises(ScenarioError) as info:
        scenario.with_overrides({"placement.clustring": 0.8})
    assert info.value.problems[0].source == "--set"
    assert info.value.problems[0].suggestion == "clustering"
    with pytest.raises(ScenarioError, match="less than or equal to 1"):
        scenario.with_overrides({"placement.clustering": 2})


def test_override_needs_an_equals_sign() -> None:
    with pytest.raises(ScenarioError, match=r"KEY\.PATH=VALUE"):
        parse_overrides(["placement.clustering"])


def test_renamed_keys_still_load_with_a_warning_that_names_the_new_key(tmp_path: Path) -> None:
    from sim.scenario.renames import RenamedKey

    path = write(tmp_path, "teachers:\n  threshold_mean: 0.4\ntipping:\n  threshold: 0.6\n")
    with pytest.warns(RenamedKey, match=r"s.yaml:2: teachers.threshold_mean is now called teachers.adoption_threshold"):
        scenario = load_scenario(path)
    assert scenario.teachers.adoption_threshold_mean == 0.4 and scenario.tipping.level == 0.6
    with pytest.warns(RenamedKey, match="--set: programme.representation is now called programme.rootedness"):
        assert Scenario().with_overrides({"programme.representation": 0.2}).programme.rootedness == 0.2


def test_a_retired_key_whose_meaning_changed_is_an_error_that_says_what_to_write(tmp_path: Path) -> None:
    expected = r"programme_teacher_effect \(.*\) and students\.peer_practice_effect"
    with pytest.raises(ScenarioError, match=expected) as info:
        load_scenario(write(tmp_path, "students:\n  practice_effect: 0.08\n"))
    assert info.value.problems[0].line == 2


def test_placement_takes_one_way_of_saying_how_many_host_schools() -> None:
    assert Scenario().with_overrides({"placement.host_schools": 6}).placement.host_schools == 6
    with pytest.raises(ScenarioError, match="give one of clustering, host_schools or fellows_per_host"):
        Scenario().with_overrides({"placement.clustering": 0.5, "placement.fellows_per_host": 4})


def test_overrides_and_renamed_keys_leave_the_callers_data_as_it_was() -> None:
    """apply_overrides copies only the path it sets and shares the rest: neither setting a value, nor a list
    item, nor renaming an old key may change the dict a caller passed (a sweep reuses one base for every point)."""
    import copy
    import gc

    from sim.scenario.loading import validating_many
    from sim.scenario.renames import RenamedKey
    from sim.scenario.yaml_source import apply_overrides

    base = Scenario().model_dump(mode="json")
    kept = copy.deepcopy(base)
    result, touched = apply_overrides(base, {"alumni.stages.1.after_years": 5, "placement.host_schools": 3,
                                             "network.new_section.value": 1})
    assert base == kept
    assert result["alumni"]["stages"][1]["after_years"] == 5 and result["placement"]["host_schools"] == 3
    assert result["alumni"]["stages"][0] is base["alumni"]["stages"][0], "what was not set is shared"
    assert result["network"]["new_section"] == {"value": 1} and touched >= {("placement", "host_schools")}
    old = {"tipping": {"threshold": 0.6}, "teachers": {"threshold_mean": 0.4}}
    with pytest.warns(RenamedKey):
        assert Scenario.from_dict(old, {"years": 3}).tipping.level == 0.6
    assert old == {"tipping": {"threshold": 0.6}, "teachers": {"threshold_mean": 0.4}}
    points = [Scenario.from_dict(base, {"placement.host_schools": n}) for n in (2, 4)]
    assert [p.placement.host_schools for p in points] == [2, 4] and base == kept
    # the collector paused while many scenarios are validated comes back, even after an error
    with pytest.raises(ScenarioError), validating_many():
        assert not gc.isenabled()
        Scenario.from_dict(base, {"years": -1})
    assert gc.isenabled()
