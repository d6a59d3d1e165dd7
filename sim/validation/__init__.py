"""Validation: what the model gives for each published pattern, against the target, pass or fail.

    from sim.validation import run_validation
    report = run_validation(quick=True)
    report.rows          # one row per pattern (a DataFrame)
    report.markdown()    # docs/validation.md

`python -m sim.validation --out docs/` writes docs/validation.md and its figures.
"""

from __future__ import annotations

from sim.validation.report import ValidationReport
from sim.validation.runner import run_validation, write

__all__ = ["ValidationReport", "run_validation", "write"]
