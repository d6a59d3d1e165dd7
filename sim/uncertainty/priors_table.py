"""The priors as markdown: every ranged key with its default, range and reason; balancing shares; exclusions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.uncertainty.keys import key_info

if TYPE_CHECKING:
    from sim.uncertainty.priors import Priors

INTRO = """\
A *world* is one set of values for the model's assumptions. `critical-mass` draws plausible worlds
from the ranges below (uniformly; a whole-number key takes each whole number in its range with equal
chance) and runs every strategy in every world. **Basis** says whether the range rests on a figure
checked in its source (*sourced*) or on reasoning alone (*assumption*). Tags in the reasons:
[read] seen in the source or its abstract, [computed] worked out from its numbers, [recalled] from
memory and not checked, [checked: ...] what was found when the figure was looked up.

To narrow, widen, add or drop ranges, write a file of your own and check it with
`python -m sim.uncertainty.priors --priors my_priors.yaml`:

```yaml
extends: shipped        # start from these ranges
ranges:
  teachers.adoption_threshold_mean: {range: [0.40, 0.50], basis: sourced, why: our staff survey}
drop: [contagion.rounds_per_year]   # held at the scenario's own value
```
"""


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return f"'{value}'"
    return f"{value:g}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def priors_markdown(priors: Priors) -> str:
    sourced = sum(r.basis == "sourced" for r in priors.ranges.values())
    lines = [
        f"Generated from `{priors.source}` by `python -m sim.uncertainty.priors --markdown`; do not edit by hand.",
        "",
        INTRO,
        f"### Ranged assumptions ({len(priors)} keys: {sourced} sourced, {len(priors) - sourced} assumptions)",
        "",
        "| Key | Default | Plausible range | Basis | Why |",
        "|---|---|---|---|---|",
    ]
    for r in priors.ranges.values():
        span = f"{r.low:g} – {r.high:g}" + (" (whole numbers)" if r.integer else "")
        lines.append(f"| `{r.key}` | {_num(r.default)} | {span} | {r.basis} | {_cell(r.why)} |")
    if priors.balance:
        lines += [
            "",
            "### Balancing shares",
            "",
            "A role share of a career stage that takes up what the stage's ranged shares leave, so the shares "
            "still sum to 1. Its range follows from the others' (shown with the default shares).",
            "",
            "| Share | Default | Range that follows | Why |",
            "|---|---|---|---|",
        ]
        for group, b in priors.balance.items():
            low, high = priors.implied_range(group)
            info = key_info(b.key)
            default = info.default if info is not None else None
            span = f"{max(low, 0):.3g} – {min(high, 1):.3g}" if default is not None else "depends on the scenario"
            lines.append(f"| `{b.key}` | {_num(default)} | {span} | {_cell(b.why)} |")
    if priors.excluded:
        lines += [
            "",
            "### Not ranged",
            "",
            "Held at each scenario's own value in every world (a section name covers all its keys).",
            "",
            "| Key | Why not |",
            "|---|---|",
        ]
        lines += [f"| `{key}` | {_cell(why)} |" for key, why in priors.excluded.items()]
    return "\n".join(lines) + "\n"
