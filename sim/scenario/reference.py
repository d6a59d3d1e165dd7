"""The parameter reference: every scenario key, one row each, with its default, its meaning and where it comes from.

Written into docs/model.md between two markers by `python -m sim.scenario.reference --update
docs/model.md` (a test checks the committed table is the one the code gives), so the table cannot
fall behind the schema or the priors: the reason for a default is the priors file's `why` for a
ranged key, its exclusion reason for a structural one, and the schema's description for the rest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.scenario.schema import Scenario

START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"


def leaf_keys(model: BaseModel, prefix: str = "") -> list[tuple[str, Any, str]]:
    """(key path, default, description) for every leaf of a scenario, list items by index."""
    rows: list[tuple[str, Any, str]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            rows += leaf_keys(value, path + ".")
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                rows += leaf_keys(item, f"{path}.{i}.")
        elif isinstance(value, dict):
            rows += [(f"{path}.{k}", v, field.description or "") for k, v in value.items()]
        else:
            rows.append((path, value, field.description or ""))
    return rows


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _excluded(key: str, excluded: dict[str, str]) -> tuple[str, str] | None:
    for prefix, why in excluded.items():
        if key == prefix or key.startswith(prefix + "."):
            return prefix, why
    return None


def parameter_table() -> str:
    from sim.uncertainty.priors import load_priors

    priors = load_priors()
    balancing = {b.key: b.why for b in priors.balance.values()}
    lines = [
        "| Key | Default | Plausible range | Basis and source |",
        "|---|---|---|---|",
    ]
    said: set[str] = set()
    for key, default, description in leaf_keys(Scenario()):
        if key in ("name", "description"):
            continue
        meaning = f"{description}. " if description else ""
        if key in priors:
            r = priors[key]
            span = f"{r.low:g} – {r.high:g}"
            source = f"{meaning}**{r.basis}**: {r.why}"
        elif key in balancing:
            span = "the rest of its stage"
            source = f"{meaning}**balancing share**: {balancing[key]}"
        else:
            span = "—"
            found = _excluded(key, priors.excluded)
            if found is None:
                source = meaning.rstrip(". ")
            elif found[0] in said:  # a section's reason is given once, at its first key
                source = f"{meaning}not an assumption (as `{found[0]}` above)"
            else:
                said.add(found[0])
                source = f"{meaning}not an assumption: {found[1]}"
        lines.append(f"| `{key}` | {_value(default)} | {span} | {_cell(source)} |")
    return "\n".join(lines) + "\n"


def update(path: Path) -> bool:
    """Write the table between the markers; return whether the file changed."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{path} has no {START} ... {END} markers")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    new = f"{before}{START}\n{parameter_table()}{END}{after}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", type=Path, metavar="FILE", help="write the table into FILE between the markers")
    args = parser.parse_args(argv)
    if args.update:
        changed = update(args.update)
        print(f"{'updated' if changed else 'unchanged'}: {args.update}")
    else:
        sys.stdout.write(parameter_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
