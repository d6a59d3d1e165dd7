"""Plain-language sentences generated from the numbers, for people who will not read the tables."""

from __future__ import annotations

import math

from sim.analysis.compare import COMPARED, Difference
from sim.analysis.summary import RunSummary


def describe_run(summary: RunSummary) -> list[str]:
    out = {o.outcome: o for o in summary.outcomes}
    practice, gap, ach = out["practising_share"], out["achievement_gap"], out["mean_achievement"]
    lines = [
        f"Over {summary.years} years and {summary.replicates} replicate(s), the share of teachers practising "
        f"went from {practice.start_mean:.0%} to {practice.end_mean:.0%} "
        f"(between {practice.end_low:.0%} and {practice.end_high:.0%} in 90% of replicates).",
        f"Mean achievement moved by {ach.change_mean:+.2f} SD and the gap between the least and most "
        f"disadvantaged schools by {gap.change_mean:+.2f} SD "
        f"({'narrower' if gap.change_mean < 0 else 'wider'} is {'good' if gap.change_mean < 0 else 'bad'} news).",
    ]
    if summary.tipped_replicates:
        lines.append(
            f"The system tipped in {summary.tipped_replicates} of {summary.replicates} replicate(s), "
            f"typically in year {summary.tipped_year_median:g} ({summary.tipping_rule})."
        )
    else:
        lines.append(f"It did not tip in any replicate ({summary.tipping_rule}).")
    return lines


def describe_difference(d: Difference) -> str:
    # a sentence quoted on its own still says which population a tipping outcome was measured over
    over = {"own tipping scope": "each scenario's own tipping scope",
            "each one's tipping scope": "each scenario's own tipping scope"}.get(d.population, d.population)
    what = d.label if d.population == "whole system" else f"{d.label} (over {over})"
    if d.pairs == 0 or math.isnan(d.difference):
        return f"{what}: not enough replicates tipped in both to compare."
    if d.decided_by_sign_test:
        better = (d.difference > 0) == COMPARED[d.outcome][1]
        return (f"{what}: {d.scenario} is {'better' if better else 'worse'} than {d.baseline} by {_fmt(d)} in "
                f"every one of {d.pairs} matched replicates (sign test p = {d.sign_test_p:.2g}; no interval, as the "
                "pairs do not vary; seed noise only).")
    if d.identical:
        return (f"{what}: {d.scenario} and {d.baseline} are the same in all {d.pairs} matched replicates "
                "(no difference in any, so no interval; not told apart, which is not proof they are equal; "
                "seed noise only).")
    if not d.has_interval:
        return (f"{what}: {d.pairs} matched replicate(s) are too few to tell {d.scenario} from {d.baseline} "
                f"(difference {_fmt(d)}; run more replicates).")
    if d.within_noise:
        return (f"{what}: {d.scenario} and {d.baseline} are within the noise of each other "
                f"(difference {_fmt(d)}, interval {_interval(d)} includes zero; seed noise only).")
    better = (d.difference > 0) == COMPARED[d.outcome][1]
    return (f"{what}: {d.scenario} is {'better' if better else 'worse'} than {d.baseline} by "
            f"{_fmt(d)} (95% interval {_interval(d)}, {d.pairs} matched replicates; seed noise only).")


def _fmt(d: Difference) -> str:
    if d.outcome in ("practising_share", "tipped_by_horizon"):
        return f"{abs(d.difference):.0%}"
    if d.outcome == "tipped_year":
        return f"{abs(d.difference):.1f} years"
    if d.outcome == "districts_tipped":
        return f"{abs(d.difference):.1f} districts"
    return f"{abs(d.difference):.3f}"


def _interval(d: Difference) -> str:
    if d.outcome in ("practising_share", "tipped_by_horizon"):
        return f"{d.ci_low:+.0%} to {d.ci_high:+.0%}"
    return f"{d.ci_low:+.3f} to {d.ci_high:+.3f}"
