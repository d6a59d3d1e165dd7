"""Write results so that nothing half-written is ever left behind: temp file, fsync, rename."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes a private 0600 file; a result is an ordinary file, readable as the umask says
        os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
        _sync_directory(path.parent)
    finally:
        tmp_path.unlink(missing_ok=True)


def _sync_directory(folder: Path) -> None:
    """Make the rename itself durable: a sweep writes a part's series before its runs (which mark its runs
    done), and only a synced directory keeps that order through a power cut."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory; the file itself is synced above
        pass
    finally:
        os.close(fd)


def current_umask() -> int:
    """This process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it, and put it back at once
    os.umask(mask)
    return mask


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_text(text: str, path: Path) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(data: object, path: Path) -> None:
    write_text(json.dumps(data, indent=2, default=str) + "\n", path)


def write_png(fig: object, path: Path, dpi: int = 120) -> bytes:
    """Render a matplotlib figure to PNG, write it atomically, and return the bytes (for embedding)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)  # type: ignore[attr-defined]
    data = buffer.getvalue()
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return data


def write_frames(frames: dict[str, pd.DataFrame], directory: Path) -> list[Path]:
    paths = []
    for name, frame in frames.items():
        path = directory / f"{name}.parquet"
        write_parquet(frame, path)
        paths.append(path)
    return paths
