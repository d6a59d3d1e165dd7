"""A results folder is complete or it is not there: written aside, then swapped in whole.

    with complete_folder(Path("results/ancash"), "run") as staging:
        write_frames(frames, staging)            # ... every file of the result
    # now results/ancash/ holds exactly this run's files, and .critical-mass.json says so

Everything is written into a fresh hidden folder beside the target (`.NAME.partial-PID-XXXX`).
Only when the last file is written does the old folder (if any) move aside and the new one take
its name; then the old one is deleted. A failure at any point (a full disk, Ctrl-C, a crash)
leaves the previous complete result untouched and no new file in it, so a folder never mixes two
runs. SIGKILL between the two renames (microseconds) can leave the previous result as a hidden
`.NAME.old-...` folder and none under NAME, never a mix; the next write to NAME puts it back first.

To keep a user's own files safe, an existing folder is replaced only if it is empty or holds a
previous result (it has the marker file, MARKER). Anything else is refused with a clear message.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sim.scenario import Problem, ScenarioError

MARKER = ".critical-mass.json"


class FolderInUse(ScenarioError):
    """The target folder holds files that are not a previous result (exit 2)."""


def check_creatable(directory: Path) -> None:
    """Refuse a target that is a file or lies under one."""
    if directory.exists() and not directory.is_dir():
        raise FolderInUse([Problem("--out", None, str(directory), f"{directory} is a file, not a folder")])
    existing = next((p for p in directory.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise FolderInUse([Problem("--out", None, str(directory), f"{existing} is a file, not a folder")])


def check_target(directory: Path) -> None:
    """Refuse a target that is a file, or a folder of other files, before any work is done."""
    check_creatable(directory)
    here = Path.cwd().resolve()
    if directory.resolve() == here or directory.resolve() in here.parents:
        raise FolderInUse([Problem(
            "--out", None, str(directory),
            "is the folder this command runs in (or holds it); results replace a folder whole, so choose "
            "a new folder such as results/NAME",
        )])
    if not directory.is_dir() or not any(directory.iterdir()):
        return
    if not (directory / MARKER).exists():
        raise FolderInUse([Problem(
            "--out", None, str(directory),
            "holds files that are not a Critical Mass result (no .critical-mass.json); results replace a "
            "folder whole, so choose a new or empty folder (results written before this marker existed: "
            "remove the folder first)",
        )])
    added = _added_since_sealed(directory)
    if added:
        raise FolderInUse([Problem(
            "--out", None, str(directory),
            f"holds a result and files added to it since ({a_few(added)}); results replace a folder whole, so "
            "choose a new folder, or move those files out first",
        )])


def other_files(directory: Path, ours: tuple[str, ...] = ()) -> str | None:
    """A few of the entries of a folder other than `ours`, named for a message; None if there are none (or no
    folder). For commands that write into a folder of their own (a sweep, a calibration), never beside others."""
    if not directory.is_dir():
        return None
    others = sorted(p.name for p in directory.iterdir() if p.name not in ours)
    return a_few(others) if others else None


def a_few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _added_since_sealed(directory: Path) -> list[str]:
    """Files in a sealed result folder that its seal does not list: another command's output, or a user's."""
    try:
        sealed = set(json.loads((directory / MARKER).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return [MARKER + " (unreadable)"]
    present = {str(p.relative_to(directory)) for p in directory.rglob("*") if not p.is_dir()}
    return sorted(present - sealed - {MARKER})


@contextlib.contextmanager
def complete_folder(directory: Path, kind: str, details: dict | None = None) -> Iterator[Path]:
    """Yield a fresh staging folder; on success it replaces directory whole, on failure it is removed."""
    directory = Path(directory)
    check_target(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    _clear_debris(directory)
    from sim.results_io import current_umask, write_text  # pandas loads with it: only when results are written

    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-{os.getpid()}-", dir=directory.parent))
    try:
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes it private (0700)
        yield staging
        marker = {"kind": kind, "written": datetime.now(UTC).isoformat(timespec="seconds"),
                  "files": sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()),
                  **(details or {})}
        write_text(json.dumps(marker, indent=2, default=str) + "\n", staging / MARKER)  # last: the seal
        _swap_in(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, directory: Path) -> None:
    check_target(directory)  # again: someone may have put files there while this ran
    old = None
    if directory.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-{os.getpid()}-", dir=directory.parent))
        os.replace(directory, old)  # an empty placeholder is replaced by the old folder
    os.replace(staging, directory)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _clear_debris(directory: Path) -> None:
    """Remove staging and old folders left beside directory by processes that no longer run."""
    for kind in ("partial", "old"):
        for debris in directory.parent.glob(f".{directory.name}.{kind}-*"):
            pid = debris.name.removeprefix(f".{directory.name}.{kind}-").split("-", 1)[0]
            if not (pid.isdigit() and not _alive(int(pid)) and debris.is_dir()):
                continue
            if kind == "old" and not directory.exists():
                os.replace(debris, directory)  # killed mid-swap: the previous result is the only one; restore it
            else:
                shutil.rmtree(debris, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
