"""The workshop app in Debian's Chromium, timed as a facilitator feels it (figures in docs/workshop.md).

    .venv/bin/python benchmarks/app_browser.py                  # about five minutes
    .venv/bin/python benchmarks/app_browser.py --repeats 3 --participants 2 4 --json out.json

Against the aims of issue 18, on the default preset (scenarios/clustered.yaml, side by side shown):

- page load: a fresh browser context (nothing cached) until the headline, every map and every chart
  show year 0; and a reload in the same context (cached);
- Step: click until every view shows the next year; Reset: click until every view shows year 0;
- a live lever: District support moved at year N, then Step: the headline's year N+1 must equal a
  headless run with the change and differ from one without;
- the facilitator's pace: Step latency on the facilitator's screen alone, and while participant
  sessions (`?participant`) play at full speed; side by side with a second server started with
  CRITICAL_MASS_PACE=off (no priority, no budget), alternating, so the machine's noise falls on both.

Every figure is the median and the range over repeats. Participants' pages run in the same browser
on the same machine, so their drawing competes with the facilitator's too (on the day it runs on
their own devices): the with-participants figures are pessimistic. Not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_app_browser import Room, chromium, start_server  # noqa: E402

AIMS = {"page load (cold)": 2.0, "step": 0.2, "reset": 0.5}


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def show(name: str, values: list[float], aim: float | None = None) -> None:
    s = summary(values)
    verdict = "" if aim is None else f"  (aim <= {aim:.2f} s: {'met' if s['median'] <= aim else 'NOT met'})"
    print(f"{name:38s} median {s['median']:.3f} s  range {s['min']:.3f}-{s['max']:.3f}  n={s['n']}{verdict}")


def page_loads(browser, url: str, repeats: int) -> dict[str, list[float]]:
    cold, warm = [], []
    for _ in range(repeats):
        room = Room(browser, url)
        cold.append(room.load_seconds)
        room.page.reload()
        room.wait_drawn(0)
        warm.append(room.page.evaluate("() => window.__drawnAt / 1000"))
        room.close()
    return {"page load (cold)": cold, "page load (cached)": warm}


def steps_and_resets(browser, url: str, repeats: int, steps: int) -> dict[str, list[float]]:
    room = Room(browser, url)
    step, reset = [], []
    try:
        for _ in range(repeats):
            step += [room.step() for _ in range(steps)]
            reset.append(room.reset())
    finally:
        room.close()
    return {"step": step, "reset": reset}


def lever(browser, url: str, at_year: int = 3) -> dict[str, object]:
    from sim.app.workshop_model import WorkshopRun, load

    runs = {}
    for changed in (True, False):
        run = WorkshopRun(load(str(ROOT / "scenarios" / "clustered.yaml")), {}, 0, compare=False)
        for year in range(at_year + 1):
            if changed and year == at_year:
                run.set_live("district_support", 1.0)
            run.step()
        runs[changed] = float(run.yearly()["practising_share"].iloc[-1])
    room = Room(browser, url)
    try:
        room.step_to(at_year)
        started = time.monotonic()
        room.set_slider("district_support", 1.0)
        registered = time.monotonic() - started
        seconds = room.step()
        shown = room.number("practising")
    finally:
        room.close()
    return {"year changed": at_year, "shown next year": shown, "headless with change": round(runs[True], 4),
            "headless without": round(runs[False], 4), "lever to server (s)": round(registered, 3),
            "next year drawn (s)": round(seconds, 3),
            "visible next year": abs(shown - runs[True]) < 1e-4 and abs(shown - runs[False]) >= 1e-4}


def facilitator_pace(browser, urls: dict[str, str], participants: list[int], repeats: int,
                     steps: int) -> dict[str, list[float]]:
    """Facilitator Step latency alone and with N participants playing, for each server, interleaved."""
    results: dict[str, list[float]] = {}
    facilitators = {name: Room(browser, url) for name, url in urls.items()}
    try:
        for _ in range(repeats):
            for count in [0, *participants]:
                for name, url in urls.items():
                    crowd = [Room(browser, url + "?participant", 800, 600) for _ in range(count)]
                    try:
                        for p in crowd:  # full speed; each replays when it ends (Play again)
                            p.page.locator(".cm-slider-speed [role=slider]").focus()
                            p.page.keyboard.press("End")
                            p.page.get_by_text("10 years per second").wait_for()
                            p.button("▶ Play").click()
                        time.sleep(1.0)  # let them get going
                        room = facilitators[name]
                        if room.year() + steps >= 20:
                            room.reset()
                        key = f"pace {name}, {count} participants"
                        for _ in range(steps):
                            for p in crowd:  # keep them playing: a run that ended starts again
                                if p.button("⟲ Play again").count():
                                    p.button("⟲ Play again").click()
                            results.setdefault(key, []).append(room.step())
                    finally:
                        for p in crowd:
                            p.close()
    finally:
        for room in facilitators.values():
            room.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8, help="steps per repeat")
    parser.add_argument("--participants", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as work, chromium() as browser, \
            start_server(Path(work)) as url, \
            start_server(Path(work), env={"CRITICAL_MASS_PACE": "off"}) as url_off:
        loads = page_loads(browser, url, args.repeats)
        timed = steps_and_resets(browser, url, args.repeats, args.steps)
        for name, values in {**loads, **timed}.items():
            show(name, values, AIMS.get(name))
            figures[name] = summary(values)
        figures["lever"] = lever(browser, url)
        print("lever:", figures["lever"])
        pace = facilitator_pace(browser, {"priority on": url, "priority off": url_off}, args.participants,
                                args.repeats, args.steps)
        for name, values in pace.items():
            show(name, values)
            figures[name] = summary(values)
        for setting in ("on", "off"):
            alone = statistics.median(pace[f"pace priority {setting}, 0 participants"])
            for count in args.participants:
                ratio = statistics.median(pace[f"pace priority {setting}, {count} participants"]) / alone
                print(f"facilitator's Step with {count} participants / alone, priority {setting}: {ratio:.2f}x")
                figures[f"pace ratio priority {setting}, {count} participants"] = round(ratio, 2)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
