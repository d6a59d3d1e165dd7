"""Read YAML safely while remembering the line of every key, and turn pydantic errors into Problems.

Shared by scenario and experiment files so both report mistakes the same way.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.problems import Problem, ScenarioError, closest

KeyPath = tuple[str | int, ...]


def read_yaml(path: str | Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse a YAML file with safe loading; return the data and a map from key path to line."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(source, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(source, None, "", f"cannot read file: {exc}")]) from None
    return parse_yaml(text, source)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError([Problem(source, line, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(source, None, "", f"not valid YAML: {exc}")]) from None
    lines: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems, source)
    if problems:
        raise ScenarioError(problems)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, 1, "", "expected a mapping of keys to values at the top", data)])
    return data, lines


def _walk(node: yaml.Node, path: KeyPath, lines: dict, problems: list[Problem], source: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append(
                    Problem(source, key_node.start_mark.line + 1, _dotted((*path, key)), "key given twice")
                )
            seen.add(key)
            _walk(value_node, (*path, key), lines, problems, source)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, problems, source)


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def parse_override(text: str) -> tuple[str, Any]:
    """Split 'a.b.c=value' and read the value as YAML, so numbers, booleans and lists work."""
    if "=" not in text:
        raise ScenarioError([Problem("--set", None, text, "expected KEY.PATH=VALUE")])
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ScenarioError([Problem("--set", None, text, "the key path is empty")])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def value_at(data: Any, dotted: str) -> Any:
    """The value at a dotted key path (list items by index), or None where the path does not exist."""
    for part in dotted.split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


def apply_overrides(data: dict, overrides: dict[str, Any]) -> tuple[dict, set[KeyPath]]:
    """Set values by dotted key path in a deep copy of data; list items are addressed by index."""
    import copy

    from sim.scenario.renames import new_name, warn_renamed

    result = copy.deepcopy(data)
    touched: set[KeyPath] = set()
    for dotted, value in overrides.items():
        renamed = new_name(dotted)
        if renamed is not None:
            warn_renamed("--set", dotted, renamed)
            dotted = renamed
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        target: Any = result
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(target, list):
                if not isinstance(part, int) or part >= len(target):
                    raise ScenarioError(
                        [Problem("--set", None, dotted, f"no list item {part} (the list has {len(target)})")]
                    )
                target = target[part]
                continue
            if part not in target or target[part] is None:
                target[part] = [] if isinstance(nxt, int) else {}
            target = target[part]
        last = parts[-1]
        if isinstance(target, list):
            if not isinstance(last, int) or last >= len(target):
                raise ScenarioError([Problem("--set", None, dotted, f"no list item {last}")])
            target[last] = value
        elif isinstance(target, dict):
            target[last] = value
        else:
            raise ScenarioError([Problem("--set", None, dotted, "cannot set a key inside a plain value")])
        touched.add(tuple(parts))
    return result, touched


def validate(
    model: type[BaseModel],
    data: dict,
    source: str,
    lines: dict[KeyPath, int] | None = None,
    overridden: set[KeyPath] | None = None,
) -> BaseModel:
    """Validate data against model, or raise ScenarioError listing every problem with its line."""
    lines = lines or {}
    overridden = overridden or set()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(model, err, source, lines, overridden) for err in exc.errors()]
        raise ScenarioError(problems) from None


def _problem(model: type[BaseModel], err: Any, source: str, lines: dict, overridden: set) -> Problem:
    loc: KeyPath = tuple(err["loc"])
    # pydantic appends the validator's name or a union branch to loc; keep only real keys
    loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    path = _dotted(loc)
    from_override = any(loc[: len(o)] == o or o[: len(loc)] == loc for o in overridden)
    where = "--set" if from_override else source
    line = None if from_override else _nearest_line(loc, lines)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        return Problem(where, line, path, "unknown key", suggestion=closest(str(loc[-1]), allowed))
    message = err["msg"].removeprefix("Value error, ")
    value = err.get("input") if kind != "missing" else None
    if isinstance(value, dict | list):
        value = None
    return Problem(where, line, path, message, value)


def _nearest_line(loc: KeyPath, lines: dict[KeyPath, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def allowed_keys(model: type[BaseModel], loc: KeyPath) -> list[str]:
    """Field names of the section of model found at loc (skipping list indices and dict keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        current = _section_type(current, part)
        if current is None:
            return []
    return list(current.model_fields) if _is_model(current) else []


def _section_type(current: Any, name: str) -> Any:
    if not _is_model(current) or name not in current.model_fields:
        return None
    return _unwrap(current.model_fields[name].annotation)


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if _is_model(inner):
                return inner
    return annotation


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)
