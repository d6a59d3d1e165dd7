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

from sim.scenario import bounded_yaml
from sim.scenario.problems import Problem, ScenarioError, closest

KeyPath = tuple[str | int, ...]


def read_yaml(path: str | Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse a YAML file with safe loading; return the data and a map from key path to line."""
    source = str(path)
    try:
        with open(path, "rb") as handle:  # read no more than the limit, whatever the file's size
            raw = handle.read(bounded_yaml.MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(source, None, "", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(source, None, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(raw) > bounded_yaml.MAX_BYTES:
        limit = bounded_yaml.MAX_BYTES // 1_000_000
        raise ScenarioError([Problem(source, None, "", f"the file is larger than {limit} MB "
                                                       "(a scenario or experiment file is a few kB)")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(source, line, "", f"not UTF-8 text (byte {exc.start}: {exc.reason})")]) from None
    return _parsed_once(text, source)


# The last file parsed, and what came of it: `validate` looks at a file's keys to tell an experiment
# from a scenario, then loads it as one, and a file near the limits should not cost two parses.
_last: tuple[str, str, Any] | None = None


def copied(data: Any) -> Any:
    """A deep copy of plain data (dicts, lists, scalars), several times faster than copy.deepcopy."""
    if isinstance(data, dict):
        return {key: copied(value) for key, value in data.items()}
    if isinstance(data, list):
        return [copied(item) for item in data]
    return data


def _parsed_once(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    global _last
    cached = _last  # one read of the shared slot: another thread may replace it meanwhile
    if cached is None or cached[0] != source or cached[1] != text:
        try:
            outcome: Any = parse_yaml(text, source)
        except ScenarioError as exc:
            outcome = exc
        cached = _last = (source, text, outcome)
    outcome = cached[2]
    if isinstance(outcome, ScenarioError):
        raise ScenarioError(outcome.problems)
    data, lines = outcome
    return copied(data), dict(lines)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    try:
        data, node = bounded_yaml.load(text)
    except bounded_yaml.YamlLimitError as exc:
        raise ScenarioError([Problem(source, exc.line, exc.path, exc.message)]) from None
    lines: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems, source)
    if problems:
        raise ScenarioError(problems)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, 1, "", "expected a mapping of keys to values at the top", _shown(data))])
    return data, lines


def _shown(value: Any) -> Any:
    """A value short enough to quote in a message."""
    text = repr(value)
    return value if len(text) <= 60 else text[:57] + "..."


def _walk(node: yaml.Node, path: KeyPath, lines: dict, problems: list[Problem], source: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            # a key written as a list or mapping is refused when the data is built; name it plainly here
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else f"<{key_node.id} key>"
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
        value = bounded_yaml.load(raw)[0] if raw.strip() else ""
    except bounded_yaml.YamlLimitError:
        value = raw  # not YAML: taken as the plain text it is, and validated as such
    return key, value


def value_at(data: Any, dotted: str) -> Any:
    """The value at a dotted key path (list items by index), or None where the path does not exist."""
    for part in str(dotted).split("."):
        if isinstance(data, list) and _is_index(part) and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


def _is_index(part: str) -> bool:
    return part.isascii() and part.isdigit()


def key_parts(dotted: str) -> list[str | int]:
    """'alumni.stages.1.roles' -> ['alumni', 'stages', 1, 'roles'], refusing empty parts ('a..b', 'a.')."""
    parts = str(dotted).split(".")
    if any(not p.strip() for p in parts):
        raise ScenarioError([Problem("--set", None, str(dotted),
                                     "the key path has an empty part; write it like placement.clustering")])
    return [int(p) if _is_index(p) else p for p in parts]


def apply_overrides(data: dict, overrides: dict[str, Any]) -> tuple[dict, set[KeyPath]]:
    """Set values by dotted key path in a copy of data; list items are addressed by index.

    Only the dicts and lists on an override's path are copied; the rest is shared with data, which is
    never changed (a sweep applies its overrides to one base for every design point, and copying the
    whole base each time was most of the cost of checking a large plan)."""
    from sim.scenario.renames import new_name, warn_renamed

    result = dict(data)
    fresh = {id(result)}  # the containers made here, which may be changed in place
    touched: set[KeyPath] = set()
    for dotted, value in overrides.items():
        renamed = new_name(str(dotted))
        if renamed is not None:
            warn_renamed("--set", dotted, renamed)
            dotted = renamed
        parts = key_parts(dotted)
        target: Any = result
        for depth, part in enumerate(parts):
            where = _dotted(tuple(parts[:depth])) or "the top level"
            last = depth == len(parts) - 1
            if isinstance(target, list):
                if not isinstance(part, int) or part >= len(target):
                    raise ScenarioError([Problem("--set", None, str(dotted),
                                                 f"{where} is a list of {len(target)}; no item {part}")])
            elif not isinstance(target, dict):
                raise ScenarioError([Problem("--set", None, str(dotted),
                                             f"{where} is a plain value ({_shown(target)!r}), with no keys inside")])
            elif not last and target.get(part) is None:
                target[part] = [] if isinstance(parts[depth + 1], int) else {}
                fresh.add(id(target[part]))
            if last:
                target[part] = value
            else:
                child = target[part]
                if id(child) not in fresh and isinstance(child, dict | list):
                    child = target[part] = list(child) if isinstance(child, list) else dict(child)
                    fresh.add(id(child))
                target = child
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
        problems = [_problem(model, err, data, source, lines, overridden) for err in exc.errors()]
        raise ScenarioError(problems) from None


def _problem(model: type[BaseModel], err: Any, data: Any, source: str, lines: dict, overridden: set) -> Problem:
    loc = _real_loc(tuple(err["loc"]), data)
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


_ABSENT = object()
_TYPE_NAMES = frozenset({"bool", "int", "float", "str", "list", "dict", "tuple", "none", "literal"})


def _real_loc(loc: KeyPath, data: Any) -> KeyPath:
    """The key path of loc in data: pydantic adds validator names and union branches ('int',
    'function-after[...]') to it, which must not be mistaken for keys, and a key of the user's that
    looks like one (it may contain '[') must not be dropped."""
    kept: list[str | int] = []
    current = data
    for part in loc:
        inside_dict = isinstance(current, dict) and part in current
        if inside_dict or (isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)):
            current = current[part]
        elif isinstance(part, str) and ("[" in part or part.startswith("function-") or part in _TYPE_NAMES):
            continue  # a tag pydantic added, not a key
        elif isinstance(current, dict | list) or current is _ABSENT:
            current = _ABSENT  # a missing key: kept, it is where the problem is
        else:
            continue  # below a plain value there are no keys, only a union's branches
        kept.append(part)
    return tuple(kept)


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
