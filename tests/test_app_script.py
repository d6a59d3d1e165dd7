"""docs/workshop.md's 20-minute script, step by step in Debian's Chromium, on the seed it plays.

Each step does what the script tells a facilitator to do, and checks that the app shows what the
script says, as recorded in docs/workshop_claims.json (which `python -m sim.app.script_claims`
computes with headless runs of the same model). One test, one server and one browser: the steps
follow each other as they do in a workshop.
"""

from __future__ import annotations

import json

import pytest

from sim.app import script_claims
from tests.test_app_browser import CHROMIUM, IN_CI, Room, chromium, start_server

pytestmark = pytest.mark.skipif(
    not IN_CI and not __import__("pathlib").Path(CHROMIUM).exists(),
    reason=f"BROWSER TESTS SKIPPED: no Debian chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
)
CLAIMS = json.loads(script_claims.TABLE.read_text())
ABOUT = 1e-4  # the headline carries four decimals


def _tipped(room: Room, expected: int | None, step: str) -> None:
    assert room.tipped_year() == expected, f"{step}: tipped in {room.tipped_year()}, the script says {expected}"
    if expected is None:
        assert room.page.locator(".cm-banner").count() == 0
        return
    assert room.text(".cm-banner") == f"TIPPED in year {expected}"
    assert room.page.locator(".cm-headline.cm-tipped").count() == 1
    marked = room.page.locator(".cm-chart svg", has_text=f"tipped: year {expected}").count()
    assert marked >= 3, f"{step}: the tipping year should be marked on every chart over the years"


def _run(room: Room, fellows: int | None = None, **values: float) -> None:
    if fellows is not None:
        room.set_slider("cohort_size", fellows)
    for name, value in values.items():
        room.set_slider(name, value)
    room.reset()
    room.to_end()


def _side(room: Room, placement: str) -> str:
    """The side-by-side label of one placement ('dispersed: 52%', 'clustered (this run): 93% · tipped ...')."""
    labels = room.page.locator(".cm-side-label").all_inner_texts()
    return next(label for label in labels if label.startswith(placement))


def test_the_20_minute_script_step_by_step(tmp_path) -> None:
    intro, seed = CLAIMS["intro"], CLAIMS["script_seed"]
    years, at = intro["years"], str(seed)
    with start_server(tmp_path) as url, chromium() as browser:
        room = Room(browser, url, 1920, 1080)
        try:
            # 0:00 The claim: the system on screen as the app opens, and where practice starts
            assert room.text(".cm-running").startswith(
                f"Running: clustered · {intro['fellows_a_year']} fellows a year for {intro['cohorts']} years")
            assert room.control_text("host_schools") == f"{intro['host_schools']} schools hosting fellows"
            assert room.number("practising") == pytest.approx(intro["practising_at_start"], abs=ABOUT)
            labels = room.page.locator(".cm-card-practice-map svg text").all_text_contents()
            assert len(labels) == intro["districts"]
            assert room.page.locator(".cm-card-practice-map svg circle").count() >= intro["schools"]
            assert f"tipping line {intro['level'] * 100:g}%" in room.svg_texts()
            assert intro["where"] in room.text(".cm-sub-line")

            # 2:00 Watch it tip: the script's seed, pause at the pause year, ask, play on
            watch = CLAIMS["watch"]
            room.set_slider("seed", seed)
            room.reset()
            room.step_to(CLAIMS["pause_year"])
            assert room.number("metric") == pytest.approx(watch["metric_at_pause"], abs=ABOUT)
            room.step_to(watch["tipped_year"] + intro["sustained_years"] - 2)
            _tipped(room, None, "2:00 before the tip is sustained")
            room.step()
            _tipped(room, watch["tipped_year"], "2:00 watch it tip")
            room.play_to_end()  # ▶ on to the end, as the room watches

            # 6:00 Same programme, spread out: the side by side at the last year
            side = CLAIMS["side_by_side"]
            assert _side(room, "dispersed") == f"dispersed: {side['metric_at_end']:.0%}"
            clustered = _side(room, "clustered")
            assert clustered.startswith("clustered (this run): ") and clustered.endswith(
                f"tipped in year {watch['tipped_year']}")

            # 9:00 Find the tipping point: fellows per year, each a Reset, with the dispersed side beside
            for fellows in script_claims.FELLOWS_TRIED:
                claim = CLAIMS["fellows"][str(fellows)]
                _run(room, fellows)
                _tipped(room, claim["clustered"][at], f"9:00 {fellows} fellows a year")
                dispersed = claim["dispersed"][at]
                assert _side(room, "dispersed").endswith(
                    f"tipped in year {dispersed}" if dispersed is not None else "%"), f"9:00 {fellows}, dispersed"
            room.button("Preset's values").click()
            room.expect(".cm-control-cohort_size .cm-control-value", f"{intro['fellows_a_year']} fellows a year")
            hosts = CLAIMS["host_schools"]
            _run(room, host_schools=hosts["tried"])
            _tipped(room, hosts["by_seed"][at], f"9:00 host schools {hosts['tried']}")
            room.button("Preset's values").click()
            luck = CLAIMS["watch"]["luck"]
            _run(room, seed=luck["seed"])
            _tipped(room, luck["tipped_year"], f"9:00 the preset on seed {luck['seed']}")
            assert room.number("metric") == pytest.approx(luck["metric_at_end"], abs=ABOUT)
            if CLAIMS.get("sweep"):  # the curve needs the sweep run before the day: shown when its results exist
                assert room.page.locator(".cm-card-curve").count() == 0

            # 13:00 Where alumni go: the script's seed again, the preset's values, then each destination
            room.set_slider("seed", seed)
            room.button("Preset's values").click()
            alumni = CLAIMS["alumni"]
            assert room.choice("alumni_heads") == alumni["from"]
            for choice in script_claims.ALUMNI_TRIED:
                room.choose("alumni_heads", choice)
                room.reset()
                room.to_end()
                _tipped(room, alumni["by_seed"][choice][at], f"13:00 alumni heads go {choice}")

            # 16:00 At scale: London as shipped, then district support, then a support push, each from year 5
            london = CLAIMS["london"]
            room.choose_preset("london")
            room.reset()
            room.to_end()
            _tipped(room, london["plain"]["tipped_year"], "16:00 London")
            assert room.number("practising") == pytest.approx(london["plain"]["practising_at_end"], abs=ABOUT)
            for name, claim in (("district_support", london["district_support"]),
                                ("threshold_mean", london["threshold"])):
                room.button("Preset's values").click()
                room.reset()
                room.step_to(claim["year"])
                room.set_slider(name, claim["value"])
                room.to_end()
                _tipped(room, claim["tipped_year"], f"16:00 London, {name} from year {claim['year']}")
                assert room.number("practising") == pytest.approx(claim["practising_at_end"], abs=ABOUT)
                assert room.page.locator(".cm-chart svg", has_text=f"year {claim['year']}: ").count() >= 3
            assert years == room.year()

            assert room.outside() == [], "the script reached beyond this machine"
        finally:
            room.close()
