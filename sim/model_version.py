"""Which model a result came from: the package version plus a digest of the code that decides a run.

The package version alone stays the same between releases while the engine changes (a `git pull` on an
editable install), so a sweep resumed after such a change would mix runs of two models without a word.
The digest covers the files that decide a run's result (the engine, its mechanisms, the scenario
schema and defaults, the seeds and outcomes, and the outcomes a calibration measures), not the command
line, analysis or app, whose changes leave a run's numbers alone.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from sim import __version__

MODEL_CODE = ("engine", "mechanisms", "scenario", "network.py", "contagion.py", "draws.py", "jobs.py", "runner.py",
              "calibration/outcomes.py", "calibration/evaluate.py")


def code_digest(root: Path) -> str:
    """The first 12 hex digits of a SHA-256 over the model's source files under `root` (the package folder)."""
    digest = hashlib.sha256()
    files = sorted(path for name in MODEL_CODE
                   for path in ([root / name] if name.endswith(".py") else (root / name).rglob("*.py")))
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def model_version() -> str:
    """'0.1.0+1a2b3c4d5e6f': the package version and the digest of this installation's model code."""
    return f"{__version__}+{code_digest(Path(__file__).parent)}"
