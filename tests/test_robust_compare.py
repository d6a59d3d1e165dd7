"""`critical-mass compare ... --worlds N`: every strategy in every plausible world on matched seeds,
shares of worlds with their intervals, the keys compared held, bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import wilson
from sim.analysis.robust_comparison import analyse_worlds
from sim.scenario import Scenario
from sim.uncertainty.priors import load_priors
from sim.uncertainty.run_worlds import run_in_worlds
from tests.helpers import cli

TINY = """\
name: {name}
years: 5
system: {{districts: 3, schools_per_district: 5, teachers_per_school: 8}}
programme: {{cohort_size: 6, cohorts: 3}}
placement: {{districts: most_disadvantaged, district_count: 1, host_schools: {hosts}}}
contagion: {{lapse_rate: {lapse}}}
tipping: {{metric: practising_share, level: 0.3, scope: most_disadvantaged, district_count: 1}}
"""


def tiny(name: str, hosts: int = 5, lapse: float = 0.1) -> Scenario:
    return Scenario.from_dict(__import__("yaml").safe_load(TINY.format(name=name, hosts=hosts, lapse=lapse)))


def test_identical_strategies_differ_by_nothing_in_every_world() -> None:
    """Common random numbers: the same strategy under two names meets the same system and luck."""
    ran = run_in_worlds({"a": tiny("a"), "b": tiny("b")}, load_priors(), 10, 2, seed=3, workers=1)
    assert len(ran.values) == 10 and ran.held == []
    assert len(ran.runs) == 10 * 2 * 2
    a = ran.runs[ran.runs["strategy"] == "a"].drop(columns="strategy").reset_index(drop=True)
    b = ran.runs[ran.runs["strategy"] == "b"].drop(columns="strategy").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    report = analyse_worlds(ran)
    assert set(report.result.per_world["verdict"]) <= {"within noise", "too few runs"}
    # the worlds differ from each other: the draws reach the model
    assert report.worlds.runs.groupby("world")["practising_share"].mean().nunique() > 1


def test_the_lever_compared_is_held_not_drawn() -> None:
    ran = run_in_worlds({"low": tiny("low", lapse=0.05), "high": tiny("high", lapse=0.2)}, load_priors(), 10, 2,
                        seed=1, workers=1)
    assert ran.held == ["contagion.lapse_rate"]
    assert "contagion.lapse_rate" not in ran.values.columns
    assert any("held at each strategy's own value" in n for n in ran.notes)


def test_a_lever_inside_a_career_stage_is_held_too() -> None:
    """Strategies that differ in when alumni move on: that key, not the whole list of stages, differs, and the
    worlds hold it rather than drawing one value for both strategies."""
    base = tiny("early")
    later = base.with_overrides({"name": "later", "alumni.stages.1.after_years": base.alumni.stages[1].after_years + 3})
    ran = run_in_worlds({"early": base, "later": later}, load_priors(), 10, 2, seed=1, workers=1)
    assert ran.held == ["alumni.stages.1.after_years"]
    assert "alumni.stages.1.after_years" not in ran.values.columns


def test_a_value_set_on_the_command_line_is_held_in_every_world(tmp_path: Path) -> None:
    """`--set` chooses a value for every strategy: the worlds keep it, inside the plausible range or not, and say so."""
    (tmp_path / "a.yaml").write_text(TINY.format(name="a", hosts=5, lapse=0.1), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(TINY.format(name="b", hosts=2, lapse=0.1), encoding="utf-8")
    result = cli("compare", "a.yaml", "b.yaml", "--worlds", "10", "--replicates", "2", "--workers", "1",
                 "--set", "teachers.adoption_threshold_mean=0.4", "--out", "out", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "teachers.adoption_threshold_mean set with --set, so held at that value in every world" in result.output
    worlds = pd.read_csv(tmp_path / "out" / "worlds.csv")
    assert "teachers.adoption_threshold_mean" not in worlds.columns and len(worlds) == 10


def test_a_value_set_for_a_tipping_search_over_worlds_is_held_too(tmp_path: Path) -> None:
    from sim.parallel.processes import InProcess
    from sim.tipping.trials import load_base
    from sim.uncertainty.run_worlds import run_tipping_in_worlds

    (tmp_path / "a.yaml").write_text(TINY.format(name="a", hosts=5, lapse=0.1), encoding="utf-8")
    base = load_base(tmp_path / "a.yaml").overridden({"teachers.adoption_threshold_mean": 0.4})
    ran = run_tipping_in_worlds(base, "programme.cohort_size", [0, 6], load_priors(), 10, 1, 0, InProcess())
    assert ran.held == ["teachers.adoption_threshold_mean"]  # the size searched is a choice, never ranged
    assert "teachers.adoption_threshold_mean" not in ran.values.columns
    assert any("set with --set, so held" in n for n in ran.notes)


def test_compare_with_worlds_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(TINY.format(name="spread", hosts=5, lapse=0.1), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(TINY.format(name="cluster", hosts=2, lapse=0.1), encoding="utf-8")
    result = cli("compare", "a.yaml", "b.yaml", "--worlds", "10", "--replicates", "2", "--workers", "1",
                 "--out", "robust", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "2 strategies x 10 worlds" in result.stdout and "= 40 runs" in result.stdout
    assert "seed noise and the assumptions' plausible ranges" in result.stdout
    summary = json.loads((tmp_path / "robust" / "summary.json").read_text())
    assert summary["worlds"] == 10 and summary["replicates"] == 2 and summary["baseline"] == "spread"
    shares = pd.read_csv(tmp_path / "robust" / "shares.csv")
    for _, row in shares.iterrows():
        assert row["better"] + row["worse"] + row["within"] == row["worlds"] <= 10
    per_world = pd.read_parquet(tmp_path / "robust" / "per_world.parquet")
    assert set(per_world["world"]) <= set(range(10))
    assert (tmp_path / "robust" / "worlds_mean_achievement_cluster.png").stat().st_size > 0
    page = (tmp_path / "robust" / "report.html").read_text()
    assert "share of worlds" in page and "data:image/png;base64" in page and "plausible ranges" in page

    # a posterior: worlds drawn from its weighted rows, and the sentences say so
    draws = load_priors().draw(20, seed=2).reset_index(drop=True)
    draws["weight"] = np.full(len(draws), 1 / len(draws))
    draws.to_parquet(tmp_path / "posterior.parquet")
    result = cli("compare", "a.yaml", "b.yaml", "--worlds", "10", "--replicates", "2", "--workers", "1",
                 "--posterior", "posterior.parquet", "--out", "post", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "seed noise and a calibrated posterior" in result.stdout
    # drawn with replacement from 20 equally weighted rows, 10 worlds are worth 10 * 20 / 30 independent ones
    summary = json.loads((tmp_path / "post" / "summary.json").read_text())
    assert any("count as 7 independent worlds" in note for note in summary["notes"])
    for row in summary["shares"]:
        low, high = wilson(row["within"] * 2 / 3, row["worlds"] * 2 / 3)
        assert row["within_ci"] == pytest.approx([low, high])
    worlds = pd.read_csv(tmp_path / "post" / "worlds.csv")
    key = "contagion.lapse_rate"
    assert set(worlds[key]) <= set(draws[key].round(12)) | set(draws[key])


@pytest.mark.parametrize("args, message", [
    (["--priors", "a.yaml"], "add --worlds N"),
    (["--worlds", "3"], "10"),
    (["--worlds", "10", "--posterior", "missing.parquet"], "missing.parquet"),
])
def test_bad_world_options_are_refused_clearly(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "a.yaml").write_text(TINY.format(name="a", hosts=5, lapse=0.1), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(TINY.format(name="b", hosts=2, lapse=0.1), encoding="utf-8")
    result = cli("compare", "a.yaml", "b.yaml", *args, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_tipping_search_over_worlds_gives_each_grid_value_its_own_seeds(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    """Replicate r has one seed in every world (worlds differ only in their assumptions) but another at each value of
    the grid: with one seed a replicate crosses the grid as one threshold, and a logistic fit that counts its runs
    as independent gives an interval too narrow (about 74% coverage for a nominal 95% in a simulation of it)."""
    import sim.runner
    from sim.parallel.processes import InProcess
    from sim.tipping.trials import load_base
    from sim.uncertainty.run_worlds import run_tipping_in_worlds

    seen: list[pd.DataFrame] = []
    real = sim.runner.run_final

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(sim.runner, "run_final", spy)
    (tmp_path / "a.yaml").write_text(TINY.format(name="a", hosts=5, lapse=0.1), encoding="utf-8")
    run_tipping_in_worlds(load_base(tmp_path / "a.yaml"), "programme.cohort_size", [0, 3, 6], load_priors(), 10, 2,
                          0, InProcess())
    frame = seen[0]
    columns = 4  # three grid values and the no-programme control, in every world and the scenario as written
    frame = frame.assign(world=frame["point"] // columns, column=frame["point"] % columns)
    per_world = frame.groupby(["column", "replicate"])["seed"].nunique()
    assert (per_world == 1).all(), "a replicate's seed is the same in every world"
    assert frame.groupby("replicate")["seed"].nunique().eq(columns).all(), "and another at each grid value"
