"""Scenario keys that were renamed or retired: old files keep working, with a warning that says what changed.

A renamed key is read under its new name and reported once (file and line); a retired key whose
meaning changed is an error that says what to write instead. Both apply to files, experiment
`set:` and `parameters:` keys, and `--set`.
"""

from __future__ import annotations

import warnings
from typing import Any

# old dotted key path -> new; the old names stop working in version 0.3
RENAMED: dict[str, str] = {
    "teachers.threshold_mean": "teachers.adoption_threshold_mean",
    "teachers.threshold_sd": "teachers.adoption_threshold_sd",
    "teachers.novice_threshold_discount": "teachers.novice_discount",
    "programme.representation": "programme.rootedness",
    "institutions.leader_threshold_mean": "institutions.leader_staff_needed_mean",
    "institutions.leader_threshold_sd": "institutions.leader_staff_needed_sd",
    "institutions.district.threshold": "institutions.district.pressure_needed",
    "institutions.ministry.threshold": "institutions.ministry.pressure_needed",
    "tipping.threshold": "tipping.level",
}
# old key -> what to write instead (its meaning changed, so reading it silently would mislead)
RETIRED: dict[str, str] = {
    "students.practice_effect": (
        "split in two since version 0.2: students.programme_teacher_effect (the class of a practising "
        "fellow or alumnus, 0.07-0.12 SD in the evidence) and students.peer_practice_effect (the class of a "
        "teacher who took the practice up from colleagues, about 0.02-0.04 SD); see docs/model.md"
    ),
}


class RenamedKey(UserWarning):
    """A scenario used a key's old name; it was read under the new one."""


def new_name(dotted: str) -> str | None:
    """The current name of an old key path (list indices and deeper keys carried over), or None."""
    for old, new in RENAMED.items():
        if dotted == old or dotted.startswith(old + "."):
            return new + dotted[len(old):]
    return None


def retired_reason(dotted: str) -> str | None:
    for old, why in RETIRED.items():
        if dotted == old or dotted.startswith(old + "."):
            return why
    return None


def warn_renamed(where: str, old: str, new: str) -> None:
    warnings.warn(
        f"{where}: {old} is now called {new}; the old name still works but will stop in version 0.3",
        RenamedKey, stacklevel=3,
    )


def has_old_keys(data: dict[str, Any]) -> bool:
    """Whether data holds a renamed or retired key (which rename_keys then changes or reports)."""
    for old in (*RENAMED, *RETIRED):
        path = tuple(old.split("."))
        parent = _parent(data, path)
        if parent is not None and path[-1] in parent:
            return True
    return False


def rename_keys(data: dict[str, Any], lines: dict[tuple, int], source: str) -> list[tuple[tuple[str, ...], str]]:
    """Move values at old key paths to their new paths, in place; return (old path, message) for retired keys."""
    retired = []
    for old, new in RENAMED.items():
        path = tuple(old.split("."))
        parent = _parent(data, path)
        if parent is None or path[-1] not in parent:
            continue
        target = tuple(new.split("."))
        holder = _parent(data, target, create=True)
        if holder is None:
            continue
        if target[-1] in holder:
            continue  # both given: the new one wins, and the old one is reported as an unknown key below
        holder[target[-1]] = parent.pop(path[-1])
        line = lines.get(path)
        if line is not None:
            lines[target] = line
        warn_renamed(f"{source}:{line}" if line else source, old, new)
    for old, why in RETIRED.items():
        path = tuple(old.split("."))
        parent = _parent(data, path)
        if parent is not None and path[-1] in parent:
            retired.append((path, why))
    return retired


def _parent(data: Any, path: tuple[str, ...], create: bool = False) -> dict | None:
    for part in path[:-1]:
        if not isinstance(data, dict):
            return None
        if part not in data:
            if not create:
                return None
            data[part] = {}
        data = data[part]
    return data if isinstance(data, dict) else None
