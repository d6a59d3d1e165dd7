"""python -m sim.validation [--out docs/] [--quick] [--workers N]: measure every pattern, write docs/validation.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.validation",
        description="Measure what the model gives for each published pattern and write validation.md and its "
                    "figures.")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="directory to write to (default: docs)")
    parser.add_argument("--quick", action="store_true",
                        help="few replicates and no national scenario: seconds, for a smoke test (the committed "
                             "document is a full run)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be 1 or more, got {args.workers}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a directory")

    from sim.validation import run_validation, write

    start = time.perf_counter()

    def progress(job: object, result: object) -> None:
        print(f"  {job.key:<28} {result.seconds:6.1f} s", file=sys.stderr)  # type: ignore[attr-defined]

    report = run_validation(args.quick, workers=args.workers, on_job=progress)
    paths = write(report, args.out)
    passed, failed, reported = report.counts()
    rows = report.rows
    for row in rows.itertuples():
        print(f"{row.status:>8}  {row.pattern}")
    print(f"{passed} pass, {failed} fail, {reported} reported; wrote {', '.join(str(p) for p in paths)} "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
