"""Shared fixtures, the hypothesis profiles (`HYPOTHESIS_PROFILE=thorough pytest` runs more examples), and a
local SLURM cluster."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from sim import Scenario
from tests.helpers import ROOT, SCENARIOS, small  # noqa: F401  (SCENARIOS: imported from here by the app tests)

LOCAL_SLURM = ROOT / "scripts" / "local-slurm"
IN_CI = bool(os.environ.get("CI"))
_SPLIT = pytest.StashKey[str]()

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def small_scenario() -> Scenario:
    return small()


# after xdist's own hook, which marks the tests of an xdist_group for --dist loadgroup
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The SLURM tests share one test worker. Their wall-time test cannot end sooner than a minute and a
    # half after the cluster starts (SLURM's shortest limit is a minute, checked every 30 s), so the
    # cluster is started first: collected first, the SLURM tests are the first work handed out, and that
    # test is handed out last (tests/scheduling.py), so that its worker runs other tests while SLURM's
    # clock runs, rather than waiting idle for the kill.
    items.sort(key=lambda item: not _in_slurm_group(item))
    # Split over workers, each would start its own cluster and its own wall-time sweep on the same cores,
    # and the tests fail for want of CPU. pytest-xdist groups by appending "@group" to the test ids, which
    # pytest 9.2 ignores (pytest-xdist issue #1386): then the SLURM tests fail at once, saying so.
    on_worker = getattr(config, "workerinput", None) is not None and getattr(config.option, "loadgroup", False)
    if on_worker and any(_in_slurm_group(item) and "@" not in item.nodeid for item in items):
        config.stash[_SPLIT] = (
            f"pytest-xdist's --dist loadgroup does not keep the SLURM tests on one worker under pytest "
            f"{pytest.__version__} (pytest-xdist issue #1386), so each worker would start its own cluster on "
            "the same cores: install pytest<9.2 (as pyproject.toml asks: make .venv/.installed-stamp), or run "
            "them without xdist (-p no:xdist)")


def _in_slurm_group(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("xdist_group")
    return marker is not None and marker.args[:1] in {("slurm",), ("slurm-last",)}


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    # --dist loadgroup, with the SLURM wall-time test handed out last (tests/scheduling.py says why)
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.scheduling import SlurmLastScheduling

    return SlurmLastScheduling(config, log)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # a skipped SLURM test hides a whole route of the sweep: say so in a banner, not only in the -ra lines
    reasons = {str(report.longrepr[2]) for report in terminalreporter.stats.get("skipped", [])
               if isinstance(report.longrepr, tuple) and SLURM_SKIPPED in str(report.longrepr[2])}
    for reason in sorted(reasons):
        terminalreporter.write_sep("!", "THE SLURM TESTS DID NOT RUN", yellow=True, bold=True)
        terminalreporter.write_line(reason.removeprefix("Skipped: "))


SLURM_SKIPPED = "SLURM TESTS SKIPPED"


def _slurm_unavailable(reason: str) -> None:
    # Outside CI a machine that cannot run SLURM skips its tests, saying why; in CI they must run, so
    # that a broken install fails the suite instead of letting it pass without them.
    if IN_CI:
        pytest.fail(f"SLURM tests cannot run, and CI requires them: {reason}", pytrace=False)
    pytest.skip(f"{SLURM_SKIPPED}: {reason}")


def _free_port_pair() -> int:
    """A port p with p + 1 also free (scripts/local-slurm gives slurmctld p and slurmd p + 1)."""
    for _ in range(200):
        port = random.randint(20000, 60000)
        try:
            with socket.socket() as first, socket.socket() as second:
                first.bind(("", port))
                second.bind(("", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no two free ports in a row between 20000 and 60000")


@pytest.fixture(scope="session")
def local_slurm(pytestconfig: pytest.Config) -> Iterator[dict[str, str]]:
    """A one-node SLURM cluster (scripts/local-slurm) for the session; yields the environment that reaches it.

    Started only when a test asks for it, and stopped after the session. It is this session's own
    cluster, in a private folder on free ports, so that two test sessions at once (or a cluster a
    developer started with scripts/local-slurm) cannot stop or drain each other's. SLURM_CONF is set in
    this process too, so that sbatch, squeue and scontrol called from the tests reach it.
    """
    if _SPLIT in pytestconfig.stash:
        pytest.fail(pytestconfig.stash[_SPLIT], pytrace=False)
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    missing = [p for p in ("munged", "slurmctld", "slurmd", "sbatch") if shutil.which(p, path=search) is None]
    if missing:
        _slurm_unavailable(f"not installed: {', '.join(missing)} (apt-get install slurm-wlm munge; .ci/run does)")
    if os.geteuid() != 0:
        _slurm_unavailable("scripts/local-slurm must run as root (slurmd starts jobs as their users)")
    # in /tmp itself: munged refuses a socket below a folder that not everyone may enter, as pytest's are
    folder = Path(tempfile.mkdtemp(prefix="critical-mass-slurm-test-"))
    env = {**os.environ, "PATH": search, "LOCAL_SLURM_DIR": str(folder), "LOCAL_SLURM_PORT": str(_free_port_pair()),
           "SLURM_CONF": str(folder / "slurm.conf")}
    started = subprocess.run([LOCAL_SLURM, "start"], capture_output=True, text=True, env=env, timeout=180)
    if started.returncode != 0:
        subprocess.run([LOCAL_SLURM, "stop"], capture_output=True, env=env, timeout=120)  # logs stay for reading
        _slurm_unavailable(f"scripts/local-slurm start failed:\n{started.stdout}{started.stderr}")
    saved = {key: os.environ.get(key) for key in ("SLURM_CONF", "PATH")}
    os.environ.update(SLURM_CONF=env["SLURM_CONF"], PATH=search)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stopped = subprocess.run([LOCAL_SLURM, "stop"], capture_output=True, text=True, env=env, timeout=120)
        if stopped.returncode == 0:
            shutil.rmtree(folder, ignore_errors=True)
