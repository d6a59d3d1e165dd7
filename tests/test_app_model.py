"""The workshop app without a browser: sliders as overrides, the district layout, the adapter model,
the tipping-curve hook and the figures."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from sim.app import knobs, presets
from sim.app.charts import OutcomeCharts, outcome_charts
from sim.app.compare import Comparison, comparison_figure
from sim.app.controls import model_params
from sim.app.layout import district_layout
from sim.app.maps import AGGREGATE_ABOVE, SystemMap, system_map
from sim.app.text import headline, settings_line
from sim.app.tipping import find_curve, value_at
from sim.app.tipping_chart import tipping_figure
from sim.app.workshop_model import WorkshopModel
from sim.model import SchoolSystemModel
from sim.scenario import ROLES
from tests.conftest import SCENARIOS

CLUSTERED = str(SCENARIOS / "clustered.yaml")


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_layout_puts_each_school_inside_its_district_block_without_overlap() -> None:
    district = np.repeat(np.arange(7), [5, 20, 1, 9, 30, 12, 3])
    layout = district_layout(district, [f"D{i}" for i in range(7)], order=np.random.default_rng(0).random(80))
    for d, (x0, y0, w, h) in enumerate(layout.blocks):
        inside = district == d
        assert np.all((layout.x[inside] > x0) & (layout.x[inside] < x0 + w))
        assert np.all((layout.y[inside] > y0) & (layout.y[inside] < y0 + h))
    points = set(zip(layout.x.round(9), layout.y.round(9), strict=True))
    assert len(points) == district.size, "two schools drawn on the same spot"
    blocks = {tuple(b[:2]) for b in layout.blocks}
    assert len(blocks) == 7, "two districts share a block"


def test_layout_orders_schools_within_a_district_most_disadvantaged_first() -> None:
    layout = district_layout(np.zeros(4, int), ["A"], order=np.array([0.1, 0.9, 0.5, 0.7]))
    first = np.lexsort((layout.x, -layout.y))  # reading order: top row first, left to right
    assert list(first) == [1, 3, 2, 0]


@pytest.mark.parametrize("share", [0.0, 0.1, 0.35, 0.7, 1.0])
def test_school_leader_share_keeps_role_shares_summing_to_one(share: float) -> None:
    roles = {"classroom": 0.4, "school_leader": 0.1, "district_official": 0.04, "ministry": 0.02,
             "nonprofit": 0.06, "outside": 0.38}
    shares = knobs.with_school_leaders(roles, share)
    assert shares["school_leader"] == pytest.approx(share)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(v >= 0 for v in shares.values())
    if share - 0.1 <= 0.38:  # 'outside' alone pays for it: the other roles are untouched
        assert shares["classroom"] == pytest.approx(0.4)
        assert shares["outside"] == pytest.approx(0.38 - (share - 0.1))


def test_extreme_and_nonsense_slider_values_are_clamped_into_a_valid_scenario() -> None:
    base = presets.load(CLUSTERED)
    wild = knobs.Knobs(cohort_size=1e12, clustering=-3, school_leaders=7, district_support=float("nan"),
                       threshold_mean="lots")  # type: ignore[arg-type]
    scenario = base.with_overrides(knobs.overrides(base, wild))
    assert scenario.programme.cohort_size == knobs.MAX_COHORT
    assert scenario.placement.clustering == 0.0
    assert scenario.alumni.stages[-1].roles.school_leader == 1.0
    assert scenario.support.district == base.support.district  # not a number: the preset's own value
    assert scenario.teachers.threshold_mean == base.teachers.threshold_mean


def test_unmoved_sliders_reproduce_the_preset_exactly() -> None:
    base = presets.load(CLUSTERED)
    defaults = {k: v["value"] for k, v in model_params(CLUSTERED).items() if isinstance(v, dict)}
    rebuilt = WorkshopModel(preset=CLUSTERED, **defaults)
    assert rebuilt.config == base
    plain = WorkshopModel(preset=CLUSTERED)
    for _ in range(4):
        rebuilt.step(), plain.step()
    pd.testing.assert_frame_equal(rebuilt.yearly(), plain.yearly())


def test_adapter_runs_to_the_scenario_end_then_stops_with_its_companions_in_step() -> None:
    model = WorkshopModel(preset=str(SCENARIOS / "ancash.yaml"), compare=True, seed=3)
    for _ in range(model.config.years + 3):
        model.step()
    assert not model.running
    assert len(model.yearly()) == model.config.years + 1
    assert set(model.companions) == {"dispersed", "clustered"}
    for name, companion in model.companions.items():
        alone = SchoolSystemModel(presets.load(str(SCENARIOS / f"{name}.yaml")), rng=3)
        alone.run_for(model.config.years)  # the same seed, advanced with the main model and never past it
        pd.testing.assert_frame_equal(companion.yearly(), alone.yearly())


def test_adapter_shows_a_message_instead_of_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> dict:
        raise ValueError("no such setting")

    monkeypatch.setattr("sim.app.workshop_model.overrides", broken)
    model = WorkshopModel(preset=CLUSTERED)
    assert model.problem and "no such setting" in model.problem
    assert model.config == presets.load(CLUSTERED)

    monkeypatch.setattr("sim.model.SchoolSystemModel.step", lambda self: 1 / 0)
    model.step()
    assert not model.running and "stopped in year" in (model.problem or "")


def test_figures_draw_for_a_small_and_an_aggregated_large_system() -> None:
    for preset in ("london", "clustered"):
        model = WorkshopModel(preset=str(SCENARIOS / f"{preset}.yaml"), compare=preset == "clustered")
        model.step()
        assert (model.layout.x.size > AGGREGATE_ABOVE) == (preset == "london")
        for figure in (system_map(model), outcome_charts(model.yearly(), model.config, 1)):
            assert _png(figure).startswith(b"\x89PNG")
        assert headline(model.yearly(), None).startswith("year 1 · practising ")
        assert f"seed {model.seed}" in settings_line(model)
    assert len(comparison_figure(model.companions).axes) == 3  # two maps and one chart


def test_tipping_curve_absent_shows_nothing(tmp_path) -> None:
    assert find_curve(tmp_path, presets.load(CLUSTERED)) is None
    (tmp_path / "clustered").mkdir()
    (tmp_path / "clustered" / "tipping_notes.txt").write_text("not a table")
    assert find_curve(tmp_path, presets.load(CLUSTERED)) is None


def test_tipping_curve_from_a_probability_table(tmp_path) -> None:
    folder = tmp_path / "clustered"
    folder.mkdir()
    pd.DataFrame({"placement.clustering": [0.8, 0.0, 0.4], "p_tipped": [0.9, 0.1, 0.5]}).to_csv(
        folder / "tipping.csv", index=False)
    scenario = presets.load(CLUSTERED)
    curve = find_curve(tmp_path, scenario)
    assert curve is not None and curve.parameter == "placement.clustering"
    assert list(curve.values) == [0.0, 0.4, 0.8] and list(curve.p_tipped) == [0.1, 0.5, 0.9]
    assert value_at(scenario, curve.parameter) == 0.6
    assert tipping_figure(curve, 0.6).axes


def test_tipping_curve_from_a_runs_table_holds_other_parameters_at_this_scenario(tmp_path) -> None:
    folder = tmp_path / "clustered"
    folder.mkdir()
    runs = pd.DataFrame({
        "placement.clustering": [0.0, 0.0, 1.0, 1.0, 0.0, 1.0],
        "alumni.stages.1.roles.school_leader": [0.1, 0.1, 0.1, 0.1, 0.3, 0.3],
        "tipped": [False, True, True, True, False, False],
        "status": ["ok"] * 6,
    })
    runs.to_parquet(folder / "tipping_runs.parquet")
    curve = find_curve(tmp_path, presets.load(CLUSTERED))  # clustered.yaml's later stage: 0.1 school leaders
    assert curve is not None
    assert list(curve.values) == [0.0, 1.0] and list(curve.p_tipped) == [0.5, 1.0]
    assert curve.low is not None and np.all(curve.low <= curve.p_tipped)


def test_every_role_is_known_to_the_slider() -> None:
    assert set(knobs.with_school_leaders({}, 0.2)) == set(ROLES)


def test_figures_updated_in_place_match_figures_drawn_afresh() -> None:
    model = WorkshopModel(preset=CLUSTERED, compare=True)
    kept = (SystemMap(model), OutcomeCharts(model.config), Comparison(model.companions))
    for built in kept:
        _png(built.figure)  # drawn once at year 0, as the room first sees it
    for _ in range(4):
        model.step()
    assert _png(kept[0].update(model)) == _png(system_map(model))
    assert _png(kept[1].update(model.yearly(), model.tipped_year)) == _png(outcome_charts(model.yearly(), model.config))
    assert _png(kept[2].update(model.companions)) == _png(comparison_figure(model.companions))


def test_presets_offer_the_launch_scenario_first_and_leave_out_systems_too_big_for_a_room(tmp_path) -> None:
    offered = presets.available(SCENARIOS / "ancash.yaml")
    assert next(iter(offered)) == "ancash"
    assert {"clustered", "dispersed", "london", "delhi"} <= set(offered)
    shipped_big = [f for f in SCENARIOS.glob("*.yaml") if presets.teachers(presets.load(str(f))) > 100_000]
    assert all(f.stem not in offered for f in shipped_big)
    if shipped_big:  # chosen on the command line, a big system is still offered
        assert shipped_big[0].stem in presets.available(shipped_big[0])
