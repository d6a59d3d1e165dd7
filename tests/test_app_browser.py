"""The workshop app in a real browser: Debian's Chromium, headless, driven by Playwright.

One server per module, started as a facilitator lets participants in (`python -m sim app SCENARIO
--host 0.0.0.0 --port N`) in a folder holding a small tipping-results fixture, so every view shows.
Every request a page makes is recorded: the app must work with no network, so none may leave this
machine. `Room` and `start_server` are shared with tests/test_app_script.py and the benchmark.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from sim.app.network import lan_address
from tests.helpers import ROOT, SCENARIOS

# Outside CI a machine without the browser skips these tests, saying why; in CI they must run, so a
# missing browser or Playwright fails them instead of letting the suite pass without them.
IN_CI = bool(os.environ.get("CI"))
if IN_CI:
    import playwright.sync_api as playwright
else:
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="BROWSER TESTS SKIPPED: Playwright is not installed (pip install -e '.[test]')"
    )

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
THIS_MACHINE = {"127.0.0.1", "localhost", lan_address(), socket.gethostname()} - {None}
FRAMEWORK_INTERNALS = ("Play Interval", "Render Interval", "Use Threads", "PAGE 0", "Model Parameters")

pytestmark = pytest.mark.skipif(
    not IN_CI and not Path(CHROMIUM).exists(),
    reason=f"BROWSER TESTS SKIPPED: no Debian chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def start_server(work: Path, scenario: Path = SCENARIOS / "clustered.yaml", host: str = "127.0.0.1",
                 curve: bool = False, env: dict[str, str] | None = None) -> Iterator[str]:
    """The app as a facilitator starts it, in `work`; yields the facilitator's address."""
    if curve:
        results = work / "results" / "clustered"
        results.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"programme.cohort_size": [10, 20, 40, 60],
                      "p_tipped": [0.0, 0.5, 1.0, 1.0]}).to_csv(results / "tipping.csv", index=False)
    port = _free_port()
    log_file = work / f"server-{port}.log"
    log = log_file.open("w")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    command = [sys.executable, "-m", "sim", "app", str(scenario), "--port", str(port), "--host", host]
    proc = subprocess.Popen(command, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 90
    try:
        while True:  # start-up takes a few seconds: poll until it answers
            try:
                direct.open(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the app did not start:\n{log_file.read_text()}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Room:
    """One browser session on the app, recording every address the page reaches for."""

    def __init__(self, browser, url: str, width: int = 1600, height: int = 1000) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(url)
        self.wait_drawn(0)
        # from the start of navigation until every view showed year 0, by the page's own clock
        self.load_seconds = self.page.evaluate("() => window.__drawnAt / 1000")

    # --- reading the page ---------------------------------------------------------------------

    @property
    def headline(self):
        return self.page.locator(".cm-headline").first  # as querySelector: a re-render may briefly hold two

    def year(self) -> int:
        return int(self.headline.get_attribute("data-year"))

    def tipped_year(self) -> int | None:
        value = self.headline.get_attribute("data-tipped-year")
        return int(value) if value else None

    def number(self, name: str) -> float:
        return float(self.headline.get_attribute(f"data-{name}"))

    def text(self, selector: str) -> str:
        found = self.page.locator(selector)
        return found.inner_text() if found.count() else ""

    def wait_drawn(self, year: int, timeout: float = 60_000) -> None:
        """Until the headline, every chart and every map show `year` (checked at every animation frame;
        the page's clock then is kept in window.__drawnAt)."""
        self.page.wait_for_function(
            """year => {
                const head = document.querySelector('.cm-headline');
                const charts = [...document.querySelectorAll('.cm-chart')]
                    .filter(c => c.dataset.year !== '0' || year === 0);
                const maps = [...document.querySelectorAll('svg.cm-map')];
                const drawn = head && head.dataset.year === String(year) && maps.length > 0
                    && maps.every(m => m.dataset.year === String(year))
                    && document.querySelectorAll('.cm-chart').length >= 3
                    && charts.every(c => c.dataset.drawn === String(year));
                if (drawn) window.__drawnAt = performance.now();
                return drawn;
            }""", arg=year, timeout=timeout)

    def clicked(self, name: str) -> None:
        """Click a button, keeping the page's clock at the click in window.__clickAt."""
        self.page.evaluate("() => document.addEventListener('click', () => { window.__clickAt = performance.now(); },"
                           " {capture: true, once: true})")
        self.button(name).click()

    def since_click(self) -> float:
        """Seconds from the last click to the last wait_drawn, as the page saw them (no driver overhead)."""
        return self.page.evaluate("() => (window.__drawnAt - window.__clickAt) / 1000")

    def expect(self, selector: str, text: str, timeout: float = 10_000) -> None:
        """Until the element's text is `text` (widgets update one by one, not all at once)."""
        try:
            self.page.wait_for_function(
                "([selector, text]) => { const e = document.querySelector(selector); return (e ? e.innerText : '')"
                " === text; }", arg=[selector, text], timeout=timeout)
        except playwright.TimeoutError:
            assert self.text(selector) == text, f"{selector}"

    def control_text(self, name: str) -> str:
        return self.page.locator(f".cm-control-{name} .cm-control-value").inner_text()

    def outside(self) -> list[str]:
        def host(url: str) -> str | None:
            inner = url.removeprefix("blob:")  # a blob: URL belongs to the page that made it
            return "127.0.0.1" if inner.startswith("data:") else urlparse(inner).hostname

        return [u for u in self.requests if host(u) not in THIS_MACHINE or urlparse(u.removeprefix("blob:")).port == 9]

    # --- acting on it ---------------------------------------------------------------------------

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def step(self) -> float:
        """One year; seconds from the click until every view shows it."""
        year = self.year()
        self.clicked("Step")
        self.wait_drawn(year + 1)
        return self.since_click()

    def step_to(self, year: int) -> None:
        while self.year() < year:
            self.step()

    def reset(self) -> float:
        """A new run; seconds from the click until every view shows its year 0."""
        run = self.headline.get_attribute("data-run")
        self.clicked("Reset")
        self.page.wait_for_function("run => document.querySelector('.cm-headline').dataset.run !== run", arg=run)
        self.wait_drawn(0)
        return self.since_click()

    def set_slider(self, name: str, value: float) -> None:
        """Move a slider with the arrow keys, as a facilitator can, until it shows `value`."""
        from sim.app.scenario_keys import BY_NAME

        thumb = self.page.locator(f".cm-slider-{name} [role=slider]")
        steps = round((value - float(thumb.get_attribute("aria-valuenow"))) / BY_NAME[name].step)
        thumb.focus()
        ends = {float(thumb.get_attribute("aria-valuemin")): "Home", float(thumb.get_attribute("aria-valuemax")): "End"}
        if value in ends:
            self.page.keyboard.press(ends[value])
        for _ in range(0 if value in ends else abs(steps)):
            self.page.keyboard.press("ArrowRight" if steps > 0 else "ArrowLeft")
        self.page.wait_for_function(
            "([name, value]) => Math.abs(+document.querySelector('.cm-slider-' + name + ' [role=slider]')"
            ".getAttribute('aria-valuenow') - value) < 1e-9", arg=[name, value])
        # the slider sends its value once it has rested (sim.app.slider_widget); the panel then shows it
        from sim.app.view import control_text

        self.expect(f".cm-control-{name} .cm-control-value", control_text(name, value))

    def choice(self, name: str) -> str:
        """The value a drop-down setting shows."""
        return self.page.locator(f".cm-select-{name} .v-select__selection").inner_text()

    def choose(self, name: str, value: str) -> None:
        """Pick a value of a drop-down setting, as a facilitator does."""
        self.page.locator(f".cm-select-{name}").click()
        self.page.get_by_role("option", name=value, exact=True).click()
        self.page.wait_for_function(
            "([name, value]) => { const e = document.querySelector('.cm-select-' + name + ' .v-select__selection');"
            " return e && e.innerText === value; }", arg=[name, value])

    def choose_preset(self, name: str) -> None:
        self.page.locator(".cm-preset").click()
        self.page.get_by_role("option", name=name, exact=True).click()
        self.page.get_by_text(f"preset {name} (running:").wait_for()

    def play_until(self, condition: str, speed_end: bool = True, timeout: float = 60_000) -> None:
        """Play at full speed until a JavaScript condition on the page holds, then pause."""
        if speed_end:
            self.page.locator(".cm-slider-speed [role=slider]").focus()
            self.page.keyboard.press("End")
            self.page.get_by_text("10 years per second").wait_for()
        self.button("▶ Play").click()
        self.page.wait_for_function(condition, timeout=timeout)
        if self.button("❚❚ Pause").count():
            self.button("❚❚ Pause").click()

    def to_end(self) -> None:
        """The ▶▶ End button: the run's last year, drawn once."""
        self.button("▶▶ End").click()
        self.wait_drawn(int(self.headline.get_attribute("data-years")))

    def play_to_end(self) -> None:
        self.play_until("() => !!document.querySelector('.cm-play') && "
                        "document.querySelector('.cm-play').innerText.includes('Play again')")
        self.wait_drawn(int(self.headline.get_attribute("data-years")))

    def svg_texts(self) -> list[str]:
        return self.page.locator(".cm-chart svg text").all_text_contents()

    def close(self) -> None:
        self.context.close()


def _until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- the tests ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_server(tmp_path_factory.mktemp("app"), host="0.0.0.0", curve=True) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def test_page_loads_offline_with_every_view_every_value_and_none_of_the_frameworks_internals(server, browser):
    from sim.app.network import public_url

    room = Room(browser, server, 1920, 1080)
    try:
        print(f"page load: {room.load_seconds:.2f} s")
        page_text = room.page.inner_text("body")
        for internal in FRAMEWORK_INTERNALS:
            assert internal not in page_text
        titles = room.page.locator(".cm-card-title").all_inner_texts()
        assert titles == ["Practising, school by school", "Teachers practising",
                          "Side by side: these settings, dispersed and clustered (same seed)",
                          "Achievement, school by school", "Achievement, the gap, leadership and institutions",
                          "How surely it tips (from a sweep run before the day)"]
        shown = {name: room.control_text(name) for name in
                 ("cohort_size", "host_schools", "seed", "district_support", "ministry_alignment", "threshold_mean",
                  "school_leaders")}
        assert shown == {"cohort_size": "15 fellows a year", "host_schools": "16 schools hosting fellows",
                         "seed": "0", "district_support": "0.10 off every threshold at full backing",
                         "ministry_alignment": "0.10 (0 to 1)", "threshold_mean": "45% of colleagues needed",
                         "school_leaders": "5% of alumni in later career"}
        assert room.choice("alumni_heads") == "anywhere"
        assert room.text(".cm-speed .cm-control-value") == "1 year per second"
        assert room.text(".cm-role") == "facilitator's screen"
        # above the fold at 1920 x 1080: the headline, both practice views and the side by side's chart
        for selector in (".cm-headline", ".cm-card-practice-map", ".cm-card-practice-chart", ".cm-side-chart"):
            box = room.page.locator(selector).bounding_box()
            assert box["y"] + box["height"] <= 1080, f"{selector} is below the fold"
        assert "these settings: 15" in room.svg_texts()
        # participants: the address and a QR code made here, large for the room to scan
        expected = public_url("0.0.0.0", int(urlparse(server).port))
        assert room.text(".cm-join-small .cm-join-url") == expected
        room.button("Join code").click()
        big = room.page.locator(".cm-join-big .cm-qr svg")
        big.wait_for()
        assert big.bounding_box()["width"] >= 300 and room.text(".cm-join-big .cm-join-url") == expected
        assert room.outside() == [], "the page reached beyond this machine (or for a missing asset)"
        charts = "/_solara/cdn/echarts@5.4.0/dist/echarts.common.min.js"
        assert any(charts in u for u in room.requests), "charts should come from solara-assets"
    finally:
        room.close()


def test_sliders_show_their_values_as_they_move_and_structural_ones_wait_for_reset(server, browser):
    room = Room(browser, server)
    try:
        room.set_slider("cohort_size", 18)
        room.set_slider("threshold_mean", 0.44)
        room.choose("alumni_heads", "back to host schools")
        assert room.control_text("cohort_size") == "18 fellows a year"
        assert room.control_text("threshold_mean") == "44% of colleagues needed"
        room.expect(".cm-pending-line", "Pending until Reset: fellows per year 18 (running: 15); "
                                        "alumni head teachers go back to host schools (running: anywhere)")
        assert room.page.locator(".cm-control-cohort_size.cm-pending").count() == 1
        room.expect(".cm-next-line", "From year 1: teachers' adoption threshold 44%")
        room.page.locator(".cm-slider-speed [role=slider]").focus()
        room.page.keyboard.press("ArrowRight")
        room.page.get_by_text("1.5 years per second").wait_for()
        room.reset()
        room.expect(".cm-pending-line", "")
        assert "18 fellows a year" in room.text(".cm-running")
        assert "alumni head teachers go back to host schools" in room.text(".cm-running")
        assert room.outside() == []
    finally:
        room.close()


def test_a_live_lever_changes_the_next_years_values_is_marked_on_every_chart_and_goes_home(server, browser):
    from sim.app.workshop_model import WorkshopRun, load

    room = Room(browser, server)
    try:
        room.step_to(3)
        room.set_slider("district_support", 1.0)
        room.expect(".cm-next-line", "From year 4: district support 1.00")
        assert room.year() == 3, "a live lever does not reset the run"
        room.step()
        with_change, without = (WorkshopRun(load(str(SCENARIOS / "clustered.yaml")), {}, 0, compare=False)
                                for _ in range(2))
        for run, change in ((with_change, True), (without, False)):
            for year in range(4):
                if change and year == 3:
                    run.set_live("district_support", 1.0)
                run.step()
        shown = room.number("practising")
        assert shown == pytest.approx(with_change.yearly()["practising_share"].iloc[4], abs=1e-4)
        assert shown != pytest.approx(without.yearly()["practising_share"].iloc[4], abs=1e-4)
        room.expect(".cm-events-line", "Changes this run: year 3: district support 1.00")
        marked = room.page.locator(".cm-chart svg", has_text="year 3: district support 1.00").count()
        assert marked == 3, "practice chart, small charts and side by side each mark the change"
        # take it home: this session's run, changes and all, as run_report's self-contained page
        with room.page.expect_download(timeout=90_000) as download:  # drawing the report's figures takes seconds
            room.button("Save report (HTML)").click()
        page = Path(download.value.path()).read_text()
        assert download.value.suggested_filename == "critical-mass-clustered-seed0-year4.html"
        assert "Critical Mass: clustered" in page and "year 3: district support 1.00" in page
        assert not re.search(r"""(src|href)=["']https?:""", page)
        assert room.outside() == []
    finally:
        room.close()


def test_room_mode_fills_a_1280_by_720_projector_with_readable_headline_map_and_chart(server, browser):
    room = Room(browser, server, 1280, 720)
    try:
        normal = room.page.locator(".cm-card-practice-map svg").bounding_box()["width"]
        room.button("Room mode").click()
        room.page.locator(".cm-controls").wait_for(state="detached")
        room.step()
        for selector in (".cm-headline", ".cm-card-practice-map", ".cm-card-practice-chart"):
            box = room.page.locator(selector).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, f"{selector} does not fit 1280 x 720"
        assert room.page.locator(".cm-card-practice-map svg").bounding_box()["width"] > normal * 1.15
        smallest = room.page.evaluate("""() => {
            const sizes = [];
            for (const el of document.querySelectorAll(
                    '.cm-headline *, .cm-card-practice-map *, .cm-card-practice-chart *')) {
                if (el.tagName === 'text') {
                    const h = el.getBoundingClientRect().height;  // a line box is about 1.25 x the font
                    if (h > 0) sizes.push(h * 0.8);
                }
                else if (el.children.length === 0 && el.innerText && el.innerText.trim())
                    sizes.push(parseFloat(getComputedStyle(el).fontSize));
            }
            return Math.min(...sizes);
        }""")
        assert smallest >= 14, f"text {smallest:.1f} px high is too small to read on a projector"
        shot = room.page.screenshot()
        assert len(shot) > 50_000
        room.button("Leave room mode").click()
        room.page.locator(".cm-controls").wait_for()
        assert room.outside() == []
    finally:
        room.close()


def test_two_sessions_each_have_their_own_run_and_participants_are_marked(server, browser):
    participant_url = server.replace("127.0.0.1", lan_address()) if lan_address() else server + "?participant"
    first, second = Room(browser, server), Room(browser, participant_url)
    try:
        assert first.text(".cm-role") == "facilitator's screen" and second.text(".cm-role") == "participant"
        first.step_to(2)
        assert second.year() == 0
        second.set_slider("host_schools", 40)
        second.reset()
        second.page.get_by_text("host schools 40 ·").wait_for()
        assert "host schools 16 ·" in first.text(".cm-running") and first.year() == 2
        second.step()
        assert first.year() == 2 and second.year() == 1
        assert first.outside() == [] and second.outside() == []
    finally:
        first.close()
        second.close()


def test_pause_stops_at_once_and_play_ends_ready_to_play_again(server, browser):
    room = Room(browser, server)
    try:
        room.play_until("() => +document.querySelector('.cm-headline').dataset.year >= 3")
        pressed = room.year()
        room.button("▶ Play").wait_for()
        time.sleep(1.0)  # at 10 years a second, a loop that ignored the pause would be years on
        settled = room.year()
        assert settled <= pressed + 1, "at most the year already being made when pause was pressed"
        time.sleep(0.5)
        assert room.year() == settled
        room.play_to_end()
        assert room.year() == 20
        again = room.button("⟲ Play again")
        assert again.is_enabled() and room.button("Step").is_disabled()
        again.click()
        room.page.wait_for_function("() => +document.querySelector('.cm-headline').dataset.year >= 1")
        room.button("❚❚ Pause").click()
        assert room.outside() == []
    finally:
        room.close()
