"""The docs keep up with the code: every scenario key has its own row in docs/model.md, generated from the schema."""

from __future__ import annotations

from sim.scenario.reference import END, START, leaf_keys, parameter_table
from sim.scenario.schema import Scenario
from tests.helpers import ROOT


def test_the_parameter_table_in_the_model_description_is_the_generated_one() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    committed = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert committed == parameter_table().strip(), (
        "docs/model.md's parameter table is stale: run `python -m sim.scenario.reference --update docs/model.md`")


def test_every_scenario_key_has_a_row_of_its_own() -> None:
    table = parameter_table()
    rows = [line.split("|")[1].strip().strip("`") for line in table.splitlines()[2:]]
    keys = [k for k, _, _ in leaf_keys(Scenario()) if k not in ("name", "description")]
    assert rows == keys
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for key in keys:
        assert f"| `{key}` |" in text, f"no row for {key} in docs/model.md"


def test_readme_opens_with_what_it_is_and_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# Critical Mass\n")
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    block = quick.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_every_import_of_the_package_in_the_docs_python_examples_exists() -> None:
    """A reader copies these: each `from sim... import name` in a ```python block names something real."""
    import importlib
    import re

    block = re.compile(r"```python\n(.*?)```", re.S)
    statement = re.compile(r"^\s*from (sim[\w.]*) import (?:\(([^)]*)\)|([\w, ]+))", re.M)
    missing, checked = [], 0
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for code in block.findall(page.read_text(encoding="utf-8")):
            for module, grouped, listed in statement.findall(code):
                for name in (n.strip() for n in (grouped or listed).replace("\n", ",").split(",")):
                    if not name:
                        continue
                    checked += 1
                    loaded = importlib.import_module(module)
                    submodule = hasattr(loaded, "__path__") and importlib.util.find_spec(f"{module}.{name}")
                    if not hasattr(loaded, name) and not submodule:
                        missing.append(f"{page.name}: from {module} import {name}")
    assert checked > 10, "the examples should have been found"
    assert not missing, missing
