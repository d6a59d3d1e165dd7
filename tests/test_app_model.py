"""The workshop app without a browser: settings as scenarios, live and structural settings, the side
by side, the adapter boundary, the figures' data, the report, the pace, the script's claims."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.app import charts, presets, script_claims
from sim.app.layout import district_layout
from sim.app.network import is_loopback, public_url, qr_svg
from sim.app.pace import Pace
from sim.app.scenario_keys import BY_NAME, KEYS, SETTINGS
from sim.app.session import Session
from sim.app.svg_map import AGGREGATE_ABOVE, school_map
from sim.app.take_home import report_html
from sim.app.tipping import find_curve
from sim.app.view import build
from sim.app.workshop_model import (
    AS_PRESET,
    WorkshopRun,
    build_scenario,
    clean,
    host_schools,
    load,
    preset_values,
    setting_range,
    tipped_years,
    value_of,
    with_school_leaders,
)
from sim.model import SchoolSystemModel
from sim.scenario import ROLES
from tests.helpers import ROOT, SCENARIOS

CLUSTERED = str(SCENARIOS / "clustered.yaml")
OFFERED = presets.available(SCENARIOS / "clustered.yaml")


def _session(preset: str = "clustered", compare: bool = False) -> Session:
    return Session(OFFERED, preset, compare=compare)


def _plain(scenario, seed: int = 0, years: int = 0, change=None) -> pd.DataFrame:
    """A model run without the app; `change` = (year, callable(model)) applied before that year's step."""
    model = SchoolSystemModel(scenario, rng=seed)
    for _ in range(years):
        if change and model.time == change[0]:
            change[1](model)
        model.step()
    return model.yearly()


# --- the district layout ------------------------------------------------------------------------

def test_layout_puts_each_school_inside_its_district_block_without_overlap() -> None:
    district = np.repeat(np.arange(7), [5, 20, 1, 9, 30, 12, 3])
    layout = district_layout(district, [f"D{i}" for i in range(7)], order=np.random.default_rng(0).random(80))
    for d, (x0, y0, w, h) in enumerate(layout.blocks):
        inside = district == d
        assert np.all((layout.x[inside] > x0) & (layout.x[inside] < x0 + w))
        assert np.all((layout.y[inside] > y0) & (layout.y[inside] < y0 + h))
    assert len(set(zip(layout.x.round(9), layout.y.round(9), strict=True))) == district.size
    assert len({tuple(b[:2]) for b in layout.blocks}) == 7


def test_layout_orders_schools_within_a_district_most_disadvantaged_first() -> None:
    layout = district_layout(np.zeros(4, int), ["A"], order=np.array([0.1, 0.9, 0.5, 0.7]))
    assert list(np.lexsort((layout.x, -layout.y))) == [1, 3, 2, 0]


# --- settings as scenarios ----------------------------------------------------------------------

@pytest.mark.parametrize("share", [0.0, 0.1, 0.35, 0.7, 1.0])
def test_school_leader_share_keeps_role_shares_summing_to_one(share: float) -> None:
    roles = {"classroom": 0.4, "school_leader": 0.1, "district_official": 0.04, "ministry": 0.02,
             "nonprofit": 0.06, "outside": 0.38}
    shares = with_school_leaders(roles, share)
    assert shares["school_leader"] == pytest.approx(share)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(v >= 0 for v in shares.values()) and set(shares) == set(ROLES)
    if share - 0.1 <= 0.38:  # 'outside' alone pays for it: the other roles are untouched
        assert shares["classroom"] == pytest.approx(0.4)
        assert shares["outside"] == pytest.approx(0.38 - (share - 0.1))


@pytest.mark.parametrize("file", sorted(SCENARIOS.glob("*.yaml")), ids=lambda f: f.stem)
def test_every_control_holds_every_shipped_scenarios_value_exactly(file: Path) -> None:
    base = load(str(file))
    values = preset_values(base)
    for setting in SETTINGS:
        if setting.choices:
            assert values[setting.name] in setting.choices, setting.name
            continue
        low, high, step = setting_range(setting, base)
        assert low <= values[setting.name] <= high, setting.name
        stops = (values[setting.name] - low) / step
        assert abs(stops - round(stops)) < 1e-6, f"{setting.name} {values[setting.name]} is not a stop of {step}"
        assert clean(setting, values[setting.name], base) == values[setting.name]
    assert build_scenario(base, values) == base, "unmoved controls must reproduce the file exactly"


@pytest.mark.parametrize("preset", ["dispersed", "ancash", "delhi"])
def test_the_host_schools_control_shows_the_number_the_engine_places(preset: str) -> None:
    """dispersed gives host_schools, ancash too, delhi places by clustering (the number it makes)."""
    scenario = load(OFFERED[preset])
    engine = SchoolSystemModel(scenario, rng=0).state.systems.host_count[0]
    assert preset_values(scenario)["host_schools"] == host_schools(scenario) == engine


def test_a_value_off_the_usual_grid_gets_a_finer_one() -> None:
    base = load(CLUSTERED).with_overrides({KEYS["district_support"]: 0.125})
    _, _, step = setting_range(BY_NAME["district_support"], base)
    assert step == pytest.approx(0.001) and clean(BY_NAME["district_support"], 0.125, base) == 0.125


def test_nonsense_and_extreme_values_are_cleaned_into_a_valid_scenario() -> None:
    base = load(CLUSTERED)
    wild = {"cohort_size": 1e12, "host_schools": -3, "school_leaders": 7, "district_support": float("nan"),
            "threshold_mean": "lots", "ministry_alignment": 0.304, "alumni_heads": "nowhere"}
    values = {k: clean(BY_NAME[k], v, base) for k, v in wild.items()}
    assert values == {"cohort_size": 5000, "host_schools": 1, "school_leaders": 1.0, "district_support": 0.1,
                      "threshold_mean": 0.45, "ministry_alignment": 0.3, "alumni_heads": "anywhere"}
    assert clean(BY_NAME["host_schools"], 41, base) == 40, "at most every school of the programme's districts"
    scenario = build_scenario(base, values)
    assert value_of(scenario, KEYS["cohort_size"]) == 5000 and value_of(scenario, KEYS["host_schools"]) == 1


def test_a_run_with_the_presets_values_is_the_plain_model() -> None:
    run = WorkshopRun(load(CLUSTERED), preset_values(load(CLUSTERED)), seed=3, compare=False)
    for _ in range(4):
        run.step()
    pd.testing.assert_frame_equal(run.main.yearly(), _plain(load(CLUSTERED), seed=3, years=4))


# --- presets, Reset, pending ----------------------------------------------------------------------

def test_choosing_a_preset_then_moving_one_slider_and_reset_runs_that_preset_with_that_one_change() -> None:
    session = _session()
    session.choose_preset("london")
    assert next(p.setting for p in session.pending()) == "preset"
    session.set_control("district_support", 0.6)
    assert session.run.pending_live() == {}, "a live setting for another preset waits for Reset"
    session.reset()
    london = load(OFFERED["london"])
    assert session.run.scenario == london.with_overrides({KEYS["district_support"]: 0.6})
    assert session.pending() == [] and session.run_preset == "london"


@pytest.mark.parametrize("preset", sorted(OFFERED))
def test_reset_without_moving_anything_reproduces_each_preset(preset: str) -> None:
    session = _session()
    session.choose_preset(preset)
    session.reset()
    assert session.run.scenario == load(OFFERED[preset])


def test_structural_settings_are_pending_until_reset() -> None:
    session = _session()
    for _ in range(2):
        session.step()
    session.set_control("cohort_size", 12)
    session.set_control("host_schools", 24)
    session.set_control("seed", 4)
    assert [p.text for p in session.pending()] == ["fellows per year 12 (running: 15)",
                                                   "host schools 24 (running: 16)", "seed 4 (running: 0)"]
    assert session.run.year == 2 and value_of(session.run.scenario, KEYS["cohort_size"]) == 15
    session.reset()
    assert session.run.year == 0 and session.run.seed == 4 and value_of(session.run.scenario, KEYS["cohort_size"]) == 12
    assert value_of(session.run.scenario, KEYS["host_schools"]) == 24
    assert session.pending() == []


def test_presets_offer_the_launch_scenario_first_and_leave_out_systems_too_big_for_a_room() -> None:
    offered = presets.available(SCENARIOS / "ancash.yaml")
    assert next(iter(offered)) == "ancash"
    assert {"clustered", "dispersed", "london", "delhi"} <= set(offered)
    assert "national" not in offered and "national" in presets.available(SCENARIOS / "national.yaml")


# --- live settings ----------------------------------------------------------------------------------

def test_a_live_change_acts_from_the_next_year_exactly_as_a_scenario_swap_would() -> None:
    session = _session(compare=True)
    for _ in range(6):
        session.step()
    session.set_control("district_support", 0.9)
    assert session.next_year_changes() == ["district support 0.90"] and session.run.events == []
    session.step()
    swapped = _plain(load(CLUSTERED), years=7, change=(6, lambda m: setattr(
        m, "scenario", m.scenario.with_overrides({KEYS["district_support"]: 0.9}))))
    unchanged = _plain(load(CLUSTERED), years=7)
    pd.testing.assert_frame_equal(session.run.main.yearly(), swapped)
    assert session.run.main.yearly()["practising_share"].iloc[7] != unchanged["practising_share"].iloc[7]
    assert [e.text() for e in session.run.events] == ["year 6: district support 0.90"]
    for model in session.run.models():  # the side by side gets the change too
        assert value_of(model.scenario, KEYS["district_support"]) == 0.9


def test_the_threshold_push_moves_every_teachers_threshold_and_the_newcomers_mean() -> None:
    run = WorkshopRun(load(CLUSTERED), {}, seed=0, compare=False)
    run.step()
    before = run.main.state.posts.adoption_threshold.copy()
    members = run.main.state.members.adoption_threshold.copy()  # fellows to come and alumni move with it
    run.set_live("threshold_mean", 0.35)
    run._apply_pending()
    np.testing.assert_allclose(run.main.state.posts.adoption_threshold, np.clip(before - 0.10, 0, 1))
    np.testing.assert_allclose(run.main.state.members.adoption_threshold, np.clip(members - 0.10, 0, 1))
    assert value_of(run.scenario, KEYS["threshold_mean"]) == 0.35


def test_the_ministry_push_sets_its_alignment_and_the_level_it_rests_at() -> None:
    run = WorkshopRun(load(CLUSTERED), {}, seed=0, compare=False)
    run.set_live("ministry_alignment", 0.9)
    for _ in range(3):
        run.step()
    alignment = run.yearly()["ministry_alignment"]
    assert alignment.iloc[0] == pytest.approx(0.1) and alignment.iloc[1:].min() >= 0.9 - 1e-12
    assert value_of(run.scenario, KEYS["ministry_start"]) == 0.9


def test_moving_a_live_setting_twice_in_a_year_makes_one_event_and_moving_it_back_makes_none() -> None:
    session = _session()
    session.step()
    session.set_control("school_leaders", 0.3)
    session.set_control("school_leaders", 0.4)
    session.step()
    assert [e.text() for e in session.run.events] == ["year 1: alumni leading schools 40%"]
    session.set_control("school_leaders", 0.2)
    session.set_control("school_leaders", 0.4)
    session.step()
    assert len(session.run.events) == 1


# --- the side by side -------------------------------------------------------------------------------

def test_side_by_side_follows_the_settings_on_the_same_seed() -> None:
    session = _session(compare=True)
    session.set_control("cohort_size", 25)
    session.set_control("seed", 2)
    session.reset()
    run = session.run
    assert set(run.companions) == {"dispersed", "clustered"}
    assert run.companions["clustered"] is run.main, "the run itself is one side: not run twice"
    dispersed = run.companions["dispersed"]
    assert value_of(dispersed.scenario, KEYS["cohort_size"]) == 25 and dispersed.rng is not run.main.rng
    # the shipped pair differs in one lever, the number of host schools: the dispersed side differs in it only
    expected = load(CLUSTERED).with_overrides({KEYS["cohort_size"]: 25, KEYS["host_schools"]: 40})
    assert dispersed.scenario == expected
    for _ in range(3):
        session.step()
    pd.testing.assert_frame_equal(dispersed.yearly(), _plain(expected, seed=2, years=3))


def test_side_by_side_of_another_preset_runs_both_placements() -> None:
    run = WorkshopRun(load(OFFERED["ancash"]), {}, seed=1)
    assert all(m is not run.main for m in run.companions.values())
    run.step()
    assert [c.placement for c in run.side_by_side()] == ["dispersed", "clustered"]


def test_side_by_side_is_left_out_for_a_system_too_big_to_run_three_times() -> None:
    run = WorkshopRun(load(CLUSTERED).with_overrides({"system.districts": 30, "system.teachers_per_school": 200}),
                      {}, seed=0)
    assert run.companions == {} and "up to 100,000 teachers" in run.side_by_side_note


# --- failures ---------------------------------------------------------------------------------------

def test_settings_the_model_refuses_fall_back_to_the_preset_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise ValueError("no such setting")

    monkeypatch.setattr("sim.app.workshop_model.build_scenario", broken)
    run = WorkshopRun(load(CLUSTERED), {"cohort_size": 12}, seed=0, compare=False)
    assert run.problem and "no such setting" in run.problem and run.scenario == load(CLUSTERED)
    monkeypatch.setattr(run.main, "step", lambda: 1 / 0)
    assert run.step() is False and run.finished and "stopped in year 0" in (run.problem or "")


def test_a_run_stops_at_its_last_year() -> None:
    run = WorkshopRun(load(OFFERED["ancash"]), {}, seed=0)
    steps = sum(run.step() for _ in range(run.years + 3))
    assert steps == run.years and run.finished and len(run.yearly()) == run.years + 1


# --- what the page draws ----------------------------------------------------------------------------

def test_every_chart_marks_the_tipping_year_and_every_live_change() -> None:
    session = _session(compare=True)
    session.set_control("cohort_size", 25)  # tips in year 11 on seed 0
    session.reset()
    for year in range(12):
        if year == 3:
            session.set_control("district_support", 0.4)
        session.step()
    view = build(session)
    assert view.tipped_year is not None and view.events == ["year 3: district support 0.40"]
    for option in (view.practice_chart, view.outcome_charts, view.comparison_chart):
        text = json.dumps(option)
        assert "year 3: district support 0.40" in text
        assert f"tipped: year {view.tipped_year}" in text
    marked_panels = [s for s in view.outcome_charts["series"] if "markLine" in s]
    assert len(marked_panels) == len(charts.PANELS), "each small chart carries the marks"


def test_maps_draw_dots_for_a_small_system_and_district_blocks_for_a_large_one() -> None:
    for preset, aggregated in (("clustered", False), ("london", True)):
        run = WorkshopRun(load(OFFERED[preset]), {}, seed=0, compare=False)
        run.step()
        schools = run.schools()
        svg = school_map(schools, schools.practice, "YlGnBu", 0, 1, 1, "practice")
        assert svg.startswith("<svg") and 'data-year="1"' in svg and "width=" not in svg.split(">")[0]
        assert (schools.layout.x.size > AGGREGATE_ABOVE) == aggregated
        assert svg.count("<circle") == (0 if aggregated else schools.layout.x.size + schools.fellows.sum())


def test_tipping_curve_from_a_runs_table_holds_other_parameters_at_this_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "clustered"
    folder.mkdir()
    pd.DataFrame({
        "placement.clustering": [0.0, 0.0, 1.0, 1.0, 0.0, 1.0],
        "alumni.stages.1.roles.school_leader": [0.1, 0.1, 0.1, 0.1, 0.3, 0.3],
        "tipped": [False, True, True, True, False, False], "status": ["ok"] * 6,
    }).to_parquet(folder / "tipping_runs.parquet")
    curve = find_curve(tmp_path, load(CLUSTERED))
    assert curve is not None and list(curve.values) == [0.0, 1.0] and list(curve.p_tipped) == [0.5, 1.0]
    option = charts.tipping_curve_chart(curve, "clustering", 0.6)
    assert "these settings: 0.6" in json.dumps(option)
    assert find_curve(tmp_path / "none", load(CLUSTERED)) is None


def test_a_sweep_for_the_app_lives_where_a_run_cannot_replace_it(tmp_path: Path) -> None:
    """docs/workshop.md's sweep goes to results/tipping/<scenario>/, a folder `critical-mass run` never
    replaces (it replaces results/<scenario>/ whole); a table there is found first, under any name."""
    from sim.folder_names import folder_name

    own = tmp_path / "tipping" / "clustered"
    own.mkdir(parents=True)
    pd.DataFrame({"programme.cohort_size": [10, 40], "p_tipped": [0.2, 0.9]}).to_csv(own / "scale.csv", index=False)
    (tmp_path / "clustered").mkdir()
    pd.DataFrame({"programme.cohort_size": [10, 40], "p_tipped": [0.0, 1.0]}).to_csv(
        tmp_path / "clustered" / "tipping.csv", index=False)
    curve = find_curve(tmp_path, load(CLUSTERED))
    assert curve is not None and curve.source == own / "scale.csv" and list(curve.p_tipped) == [0.2, 0.9]
    (own / "scale.csv").unlink()
    assert find_curve(tmp_path, load(CLUSTERED)).source == tmp_path / "clustered" / "tipping.csv"
    # a name that is no folder name is looked for where `run` and `sweep` put it: made safe
    named = load(CLUSTERED).with_overrides({"name": "Lima/Callao: 2024"})
    safe = tmp_path / "tipping" / folder_name("Lima/Callao: 2024")
    safe.mkdir()
    pd.DataFrame({"programme.cohort_size": [10, 40], "p_tipped": [0.1, 0.8]}).to_csv(safe / "t.csv", index=False)
    assert find_curve(tmp_path, named).source == safe / "t.csv"


# --- take it home -----------------------------------------------------------------------------------

def test_the_saved_report_is_run_reports_self_contained_page_with_the_sessions_changes() -> None:
    session = _session()
    for year in range(5):
        if year == 2:
            session.set_control("district_support", 0.5)
        session.step()
    page = report_html(session.run).decode()
    assert page.startswith("<!DOCTYPE html>") and "Critical Mass: clustered" in page
    assert "seed 0, up to year 5" in page and "year 2: district support 0.50" in page
    assert "data:image/png;base64," in page
    assert not re.search(r"""(src|href)=["']https?:""", page), "the report must open offline"


# --- participants -----------------------------------------------------------------------------------

def test_participants_address_and_qr_code_are_made_here() -> None:
    assert public_url("127.0.0.1", 8765) is None and is_loopback("localhost") and is_loopback("127.0.0.2")
    url = public_url("0.0.0.0", 8765)
    assert url is not None and url.startswith("http://") and url.endswith(":8765/")
    assert qr_svg(url).startswith("<svg") and "http" not in qr_svg(url)


def test_a_facilitators_year_waits_for_at_most_the_participant_year_under_way() -> None:
    pace, log, started = Pace(), [], threading.Event()

    def participant(name: str) -> None:
        with pace.turn(facilitator=False):
            started.set()
            log.append(f"{name} start")
            time.sleep(0.2)
            log.append(f"{name} end")

    threads = [threading.Thread(target=participant, args=(f"p{i}",)) for i in range(3)]
    threads[0].start()
    started.wait()
    for t in threads[1:]:
        t.start()
    time.sleep(0.05)
    began = time.monotonic()
    with pace.turn(facilitator=True):
        waited = time.monotonic() - began
        log.append("facilitator")
    for t in threads:
        t.join()
    assert log[:3] == ["p0 start", "p0 end", "facilitator"], log
    assert waited < 0.3 and pace.rest_after(False, 0.1) == pytest.approx(0.1) and pace.rest_after(True, 1) == 0
    assert Pace(enabled=False).rest_after(False, 0.1) == 0


# --- the boundary and the script -------------------------------------------------------------------

def test_only_the_adapter_touches_the_model() -> None:
    """The model is being rewritten: every read of its internals must stay in workshop_model.py."""
    internals = re.compile(r"\.state\b|from sim\.(model|engine|mechanisms)|import sim\.(model|engine|mechanisms)")
    key_path = re.compile(r"""["'](programme|placement|teachers|support|institutions|alumni|tipping|system)\.""")
    for file in (ROOT / "sim" / "app").glob("*.py"):
        if file.name in ("workshop_model.py", "scenario_keys.py"):
            continue
        text = file.read_text()
        assert not internals.search(text), f"{file.name} reaches into the model"
        assert not key_path.search(text), f"{file.name} names a scenario key; use sim/app/scenario_keys.py"


def test_the_workshop_script_is_rendered_from_its_claims_table() -> None:
    claims = json.loads(script_claims.TABLE.read_text())
    doc = script_claims.DOC.read_text()
    assert script_claims.rewrite_doc(doc, script_claims.render(claims)) == doc, (
        "docs/workshop.md's script differs from docs/workshop_claims.json: python -m sim.app.script_claims")
    assert script_claims.premises(claims) == []


def test_the_script_plays_the_first_seed_on_which_every_step_holds() -> None:
    claims = json.loads(script_claims.TABLE.read_text())
    assert claims["script_seed"] == script_claims.script_seed(
        claims["watch"]["by_seed"], claims["side_by_side"]["by_seed"], claims["fellows"],
        claims["host_schools"]["by_seed"])
    never = dict.fromkeys("01234")
    tips = {**never, "1": 16, "3": 17}  # seed 1 tips, but its dispersed side does too: seed 3 is the one
    fellows = {"10": {"clustered": never, "dispersed": never}, "20": {"clustered": dict.fromkeys("01234", 12),
                                                                      "dispersed": never}}
    assert script_claims.script_seed(tips, {**never, "1": 18}, fellows, never) == 3
    assert script_claims.luck_seed(tips, 3) == 0  # seed 0 does not tip: the luck the script shows
    assert script_claims.script_seed(never, never, fellows, never) == script_claims.SEEDS[0]  # none: premises say


@pytest.mark.slow
def test_the_claims_table_is_what_the_model_does_now() -> None:
    """The script seed's run and the cheap claims over seeds 0-4, re-run headless (the browser tests check
    the script seed in the app)."""
    claims = json.loads(script_claims.TABLE.read_text())
    assert script_claims.play("clustered", claims["script_seed"]).tipped_year == claims["watch"]["tipped_year"]
    assert script_claims.by_seed("clustered") == claims["watch"]["by_seed"]
    tried = script_claims.HOST_SCHOOLS_TRIED
    assert script_claims.by_seed("clustered", {"host_schools": tried}) == claims["host_schools"]["by_seed"]
    for choice in script_claims.ALUMNI_TRIED:
        assert script_claims.by_seed("clustered", {"alumni_heads": choice}) == claims["alumni"]["by_seed"][choice]


def test_many_seeds_at_once_are_the_apps_runs_one_by_one() -> None:
    values = {"cohort_size": 25}
    batched = tipped_years(load(CLUSTERED), values, [0, 1])
    assert batched == [script_claims.play("clustered", seed, values).tipped_year for seed in (0, 1)]
    assert batched[0] is not None


def test_while_the_facilitator_is_active_participants_together_get_a_quarter_of_the_time() -> None:
    from sim.app import pace as pacing

    pace = Pace()
    with pace.turn(facilitator=True):
        pass
    starts = []
    for _ in range(3):
        with pace.turn(facilitator=False):
            starts.append(time.monotonic())
            time.sleep(0.05)
    gaps = np.diff(starts)
    assert np.all(gaps >= 0.05 / pacing.SHARE_WHILE_FACILITATING - 0.01), gaps


def test_where_alumni_heads_go_is_a_choice_that_waits_for_reset() -> None:
    session = _session()
    assert session.controls["alumni_heads"] == "anywhere"
    assert session.set_control("alumni_heads", "nowhere") == "anywhere"
    session.set_control("alumni_heads", "back to host schools")
    assert [p.text for p in session.pending()] == [
        "alumni head teachers go back to host schools (running: anywhere)"]
    session.reset()
    assert value_of(session.run.scenario, KEYS["school_leader_placement"]) == value_of(
        load(OFFERED["alumni_return"]), KEYS["school_leader_placement"]), "alumni_return.yaml's rule, share 1"
    assert preset_values(load(OFFERED["alumni_spread"]))["alumni_heads"] == "to the cluster's other schools"


def test_a_choice_setting_keeps_a_presets_value_that_is_none_of_its_choices() -> None:
    base = load(CLUSTERED).with_overrides({KEYS["school_leader_placement"]: {"rule": "most_disadvantaged",
                                                                             "share": 0.5}})
    values = preset_values(base)
    assert values["alumni_heads"] == AS_PRESET and clean(BY_NAME["alumni_heads"], AS_PRESET, base) == AS_PRESET
    assert build_scenario(base, values) == base
    moved = build_scenario(base, {**values, "alumni_heads": "anywhere"})
    assert value_of(moved, KEYS["school_leader_placement"])["rule"] == "random"


@pytest.mark.parametrize("facilitator", [True, False])
def test_end_runs_a_participants_years_with_the_rests_of_play(facilitator: bool) -> None:
    """▶▶ End: every remaining year in its turn; a participant rests after each (docs/workshop.md: each
    participant's session uses at most half of the time), the facilitator does not."""
    from sim.app.pace import Pace, each_year_in_turn

    left, rests = [5], []

    def step() -> bool:
        left[0] -= 1
        return left[0] > 0

    each_year_in_turn(step, facilitator, Pace(enabled=True), rest=rests.append)
    assert left == [0]
    assert len(rests) == (0 if facilitator else 4) and all(r > 0 for r in rests)
