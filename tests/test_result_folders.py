"""Where results go: safe folder names, folders replaced whole, files that follow the umask, and a full
disk or a folder that cannot be written, each said plainly with nothing half-written left behind."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sim.folder_names import MAX_BYTES, folder_name
from sim.result_folder import MARKER, FolderInUse, complete_folder
from sim.results_io import atomic_write, write_text
from tests.helpers import invoke

TINY = "years: 3\nsystem: {districts: 2, schools_per_district: 3, teachers_per_school: 6}\n"


def scenario_file(folder: Path, name: str = "tiny") -> Path:
    path = folder / "tiny.yaml"
    path.write_text(f"name: {json.dumps(name)}\n{TINY}", encoding="utf-8")
    return path


@given(st.text(max_size=300))
def test_a_folder_name_never_leaves_its_parent(name: str) -> None:
    safe = folder_name(name)
    assert safe and safe not in (".", "..") and not safe.startswith(".")
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert len(safe.encode("utf-8")) <= MAX_BYTES
    parent = Path("/results")
    assert (parent / safe).resolve().parent == parent


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute", "..", "a/../../b", "x" * 120])
def test_run_names_its_default_folder_safely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run", scenario_file(tmp_path, name), "--replicates", "1")
    assert result.exit_code == 0, result.stderr
    written = [p for p in (tmp_path / "results").iterdir()]
    assert len(written) == 1 and (written[0] / "yearly.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "tiny.yaml"]


def test_years_is_saved_in_the_scenario_that_ran(tmp_path: Path) -> None:
    result = invoke("run", scenario_file(tmp_path), "--years", "4", "--replicates", "1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load((tmp_path / "out" / "scenario.yaml").read_text())["years"] == 4
    assert pd.read_parquet(tmp_path / "out" / "yearly.parquet")["year"].max() == 4


def test_a_rerun_replaces_the_folder_whole_and_marks_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", out).exit_code == 0
    (out / "figures" / "dimensions.png").unlink()  # a result's own files may go; the rest is replaced whole
    assert invoke("run", scenario_file(tmp_path), "--replicates", "2", "--out", out).exit_code == 0
    assert set(json.loads((out / MARKER).read_text())["files"]) == {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MARKER}
    marker = json.loads((out / MARKER).read_text())
    assert marker["kind"] == "run" and "yearly.parquet" in marker["files"] and "report.html" in marker["files"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"], "no staging folder left behind"


def test_a_folder_of_other_files_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", mine)
    assert result.exit_code == 2 and "holds files that are not a Critical Mass result" in result.stderr
    assert (mine / "notes.txt").read_text() == "keep me"


def test_a_result_with_files_added_since_is_never_replaced(tmp_path: Path) -> None:
    """A sweep's parts, a user's notes: files the seal does not list are not the result's to delete."""
    out = tmp_path / "out"
    assert invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", out).exit_code == 0
    (out / "figures" / "mine.png").write_bytes(b"a user's own figure")
    result = invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", out)
    assert result.exit_code == 2 and "files added to it since (figures/mine.png)" in result.stderr, result.stderr
    assert (out / "figures" / "mine.png").read_bytes() == b"a user's own figure"


def test_the_folder_the_command_runs_in_is_never_the_out_folder(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # its results would be staged inside it and the work lost at the end; or the folder swapped from under the shell
    here = tmp_path / "here"
    (here / "sub").mkdir(parents=True)
    scenario = scenario_file(tmp_path)
    for inside, out in ((here, "."), (here, ""), (here / "sub", "..")):
        monkeypatch.chdir(inside)
        result = invoke("run", scenario, "--replicates", "1", "--out", out)
        assert result.exit_code == 2 and "is the folder this command runs in" in result.stderr, (out, result.stderr)
    assert sorted(p.name for p in here.iterdir()) == ["sub"]


def test_a_failure_while_writing_keeps_the_previous_result_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with complete_folder(out, "run") as staging:
        write_text("first", staging / "a.txt")
    with pytest.raises(RuntimeError), complete_folder(out, "run") as staging:
        write_text("second", staging / "a.txt")
        raise RuntimeError("the disk went away")
    assert (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_swap_cut_short_by_sigkill_is_put_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with complete_folder(out, "run") as staging:
        write_text("first", staging / "a.txt")
    # as if killed between moving the old result aside and moving the new one in
    pid = _a_dead_pid()
    os.replace(out, tmp_path / f".out.old-{pid}-abcd")
    with complete_folder(out, "run") as staging:
        assert (out / "a.txt").read_text() == "first", "the only complete result was restored first"
        write_text("second", staging / "a.txt")
    assert (out / "a.txt").read_text() == "second"


def _a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.txt", lambda tmp: tmp.write_text("x"))
        with complete_folder(tmp_path / "out", "run") as staging:
            write_text("x", staging / "b.txt")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "out" / "b.txt").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750


def test_an_out_folder_that_cannot_be_written_is_said_plainly(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # root writes anywhere, so the refusal a read-only folder gives is raised where the folder is made
    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "ro"))

    monkeypatch.setattr("sim.result_folder.tempfile.mkdtemp", refuse)
    result = invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", tmp_path / "ro" / "out")
    assert result.exit_code == 2
    assert f"error: Permission denied: {tmp_path / 'ro'}" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder; the case above covers it")
def test_an_out_folder_in_a_read_only_folder(tmp_path: Path) -> None:
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o555)
    result = invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", read_only / "out")
    assert result.exit_code == 2 and "Permission denied" in result.stderr


def test_an_out_path_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", tmp_path / "file" / "out")
    assert result.exit_code == 2 and f"{tmp_path / 'file'} is a file, not a folder" in result.stderr


def test_a_full_disk_during_run_leaves_no_partial_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert invoke("run", scenario_file(tmp_path), "--replicates", "1", "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    calls = {"n": 0}
    real_fsync = os.fsync

    def fill_up(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the third file written
            raise OSError(errno.ENOSPC, "No space left on device", str(out))
        real_fsync(fd)

    monkeypatch.setattr("sim.results_io.os.fsync", fill_up)
    result = invoke("run", scenario_file(tmp_path), "--replicates", "2", "--out", out)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "No space left on device" in result.stderr and "free some space" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]


def test_folder_in_use_is_a_scenario_error() -> None:
    from sim.scenario import ScenarioError

    assert issubclass(FolderInUse, ScenarioError)  # so every command reports it as a located problem, exit 2


@pytest.fixture
def small_tmpfs(tmp_path: Path):
    """A real 96 kB filesystem (needs root and mount rights; skipped, saying so, elsewhere)."""
    where = tmp_path / "tmpfs"
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("SKIPPED: a real full-disk test needs root to mount a small tmpfs; the monkeypatched "
                    "ENOSPC tests cover the same paths")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"SKIPPED: cannot mount a tmpfs here ({mounted.stderr.decode().strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_real_full_disk_during_run(tmp_path: Path, small_tmpfs: Path) -> None:
    result = invoke("run", scenario_file(tmp_path), "--replicates", "3", "--out", small_tmpfs / "out")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "No space left on device" in result.stderr
    assert list(small_tmpfs.iterdir()) == [], "no partial result, no temporary file"


def test_an_atomic_write_syncs_the_file_and_then_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename is made durable too: a sweep's order (series part, then runs part) must survive a power cut."""
    import os
    import stat

    from sim.results_io import write_text

    synced: list[str] = []
    fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    write_text("x", tmp_path / "sub" / "a.txt")
    assert synced == ["file", "folder"] and (tmp_path / "sub" / "a.txt").read_text() == "x"
