"""One writer per sweep folder: a lock held for as long as a sweep (or its --resume) runs.

Two writers in one folder would run the same runs twice and write both: `--resume` started while
the sweep still ran gave 1,505 rows for 800 runs, and a plain Parquet reader then averages the
duplicates in. The lock is an advisory `flock` on DIR/.lock, which the kernel releases when its
process ends, however it ends (SIGKILL included), so a crash never leaves a stale lock behind. The
file also says who holds it (process id, host, command, since when) for the message the second
writer gets. Readers (read_runs, tipping) need no lock: parts are only ever added whole.

On a network filesystem without working locks (an old NFS), flock may not exclude a writer on
another machine; the holder's host in the message is there to make such a case plain.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sim.scenario import Problem, ScenarioError

LOCK = ".lock"
# the lock files this process holds open: a forked child (a pool's worker) gets a copy of each, and a
# flock is released only when every copy is closed, so the child closes its copies at once; the lock
# stays with this process and ends with it, not with the last of its workers
_held: set = set()


def _close_held_in_child() -> None:
    for handle in list(_held):
        handle.close()
    _held.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


class SweepLocked(ScenarioError):
    """Another process is writing to this sweep folder (exit 2)."""


@contextlib.contextmanager
def sweep_lock(directory: Path) -> Iterator[None]:
    """Hold the folder's lock for the duration; SweepLocked at once if another process holds it."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ScenarioError([Problem(str(directory), None, "", "exists and is not a folder")])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 -- held open for the whole sweep
    _held.add(handle)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepLocked([Problem(str(directory), None, "", _held_by(path))]) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }) + "\n")
        handle.flush()
        yield
    finally:
        _held.discard(handle)
        handle.close()  # closing releases the lock; the file stays, an unlocked file means no writer


def _held_by(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        who = (f"process {holder['pid']} on {holder['host']} (since {holder['since']}): "
               f"{holder['command'][:200]}")
    except (OSError, ValueError, KeyError, TypeError):
        who = "another process"
    return (f"another sweep is writing to this folder: {who}. Wait for it to finish (or stop it), then "
            "run again with --resume; two writers would run the same runs twice")
