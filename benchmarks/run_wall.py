"""Wall and CPU time of `critical-mass run SCENARIO --replicates 1`, two checkouts alternately.

    .venv/bin/python benchmarks/run_wall.py /work/main .                # before, after: 5 rounds each
    .venv/bin/python benchmarks/run_wall.py /work/main . --rounds 10 --quiet 0.6

Each checkout's own .venv/bin/critical-mass runs the scenario under /usr/bin/time, the two alternating
(and swapping which goes first every round) so that both see the same machine. With --quiet, each round
first waits (up to two minutes) until the other processes on the machine keep fewer than that many cores
busy, measured over one second from /proc/stat. Prints one line a run (wall, CPU = user + system, peak
RSS, the 1-minute load average and the cores found busy before it), then medians and ranges. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def busy_cores(seconds: float = 1.0) -> float:
    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # all, idle + iowait

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / max(1, total1 - total0))


def one_run(checkout: Path, scenario: str, out: Path) -> dict[str, float]:
    timing = out.with_suffix(".time")
    subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(timing),
                    str(checkout / ".venv" / "bin" / "critical-mass"), "run", str(checkout / scenario),
                    "--replicates", "1", "--out", str(out)],
                   cwd=out.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall, user, system, rss = timing.read_text().split()
    return {"wall": float(wall), "cpu": round(float(user) + float(system), 2), "rss_mb": int(rss) // 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a checkout with its .venv (e.g. main)")
    parser.add_argument("after", type=Path, help="another checkout with its .venv")
    parser.add_argument("--scenario", default="scenarios/london.yaml")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quiet", type=float, default=None, metavar="CORES",
                        help="wait before each round until fewer than CORES cores are busy")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            busy = busy_cores()
            deadline = time.monotonic() + 120
            while args.quiet is not None and busy > args.quiet and time.monotonic() < deadline:
                busy = busy_cores()
            pair = [("before", args.before), ("after", args.after)]
            for label, checkout in pair if round_ % 2 == 0 else pair[::-1]:
                load = os.getloadavg()[0]
                out = Path(scratch) / f"{label}-{round_}"
                row = {"checkout": label, **one_run(checkout.resolve(), args.scenario, out), "load": round(load, 2),
                       "busy_before": round(busy, 2)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    for label in ("before", "after"):
        mine = [r for r in rows if r["checkout"] == label]
        wall = [float(r["wall"]) for r in mine]  # type: ignore[arg-type]
        cpu = [float(r["cpu"]) for r in mine]  # type: ignore[arg-type]
        print(f"{label}: wall median {statistics.median(wall):.2f} s ({min(wall):.2f}-{max(wall):.2f}), "
              f"CPU median {statistics.median(cpu):.2f} s ({min(cpu):.2f}-{max(cpu):.2f}), "
              f"peak RSS {max(int(r['rss_mb']) for r in mine)} MB, "  # type: ignore[call-overload]
              f"load {min(float(r['load']) for r in mine):.2f}-{max(float(r['load']) for r in mine):.2f}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
