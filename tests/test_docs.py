"""The docs keep up with the code: every scenario key is documented with its default."""

from __future__ import annotations

from sim import Scenario
from tests.helpers import ROOT


def _leaf_keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        if isinstance(value, dict):
            keys += _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def test_every_scenario_key_is_in_the_model_description() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    missing = []
    for key in _leaf_keys(Scenario.from_dict({}).model_dump()):
        if key in ("name", "description"):
            continue
        section, _, last = key.rpartition(".")
        # a table row may list sibling keys together (`section.a` / `b` / `c`) or all of them (`section.*`)
        listed_with_siblings = section and f"`{section}." in text and f"`{last}`" in text
        listed_as_group = section and f"`{section}.*`" in text
        if f"`{key}`" not in text and not listed_with_siblings and not listed_as_group:
            missing.append(key)
    assert not missing, f"document these keys in docs/model.md: {missing}"


def test_readme_opens_with_what_it_is_and_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# Critical Mass\n")
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    block = quick.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
