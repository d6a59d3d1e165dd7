"""A calibration from start (or resume) to its outputs: the folder, the ABC-SMC populations, tables, figures, report.

    loaded = load_calibration("calibrations/london_roles.yaml")
    settings = prepare(loaded, Path("results/calibrations/london_roles"), Settings(6, 200, 0), resume=False)
    finish = calibrate(loaded, directory, settings, backend=local(2), resume=False)

The folder holds exactly what ran (calibration.yaml, scenario.yaml), run.json (settings, each
sitting's wall time and model runs, the status), pyabc's history.db and state/ (for --resume), and the
outputs written from the history: posterior.parquet, particles.parquet, diagnostics.csv,
parameters.csv, predictive.csv, figures/ and report.html.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

import sim
from sim.calibration.schema import LoadedCalibration
from sim.model_version import model_version
from sim.result_folder import other_files
from sim.results_io import write_json, write_parquet, write_text

RUN = "run.json"
FIGURES = ("marginals", "pairs", "predictive", "populations")  # figures/NAME.png, in the report's order


class CalibrationError(Exception):
    """A calibration folder or request that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Settings:
    populations: int
    population_size: int
    seed: int


def settings_for(loaded: LoadedCalibration, populations: int | None, population_size: int | None,
                 seed: int | None) -> Settings:
    cal = loaded.calibration
    return Settings(populations or cal.populations, population_size or cal.population_size,
                    cal.seed if seed is None else seed)


def read_run(directory: Path) -> dict:
    import json

    return json.loads((directory / RUN).read_text(encoding="utf-8"))


def prepare(loaded: LoadedCalibration, directory: Path, asked: Settings, resume: bool,
            given: set[str] | None = None) -> Settings:
    """Make the folder (or check it for --resume); return the settings the run uses. `given` names the
    settings the user gave on the command line: on resume they must match the saved ones."""
    from sim.calibration.smc import HISTORY

    if directory.exists() and not directory.is_dir():
        raise CalibrationError(f"--out {directory} exists and is not a folder")
    if not resume:
        if (directory / HISTORY).exists() or (directory / RUN).exists():
            raise CalibrationError(f"{directory} already holds a calibration; add --resume to continue it, or "
                                   "choose another --out")
        others = other_files(directory)
        if others:  # another command's results, or a user's files: the calibration's would mix in
            raise CalibrationError(f"--out {directory} holds other files ({others}); a calibration needs a new or "
                                   "empty folder")
        check_targets_have_values(loaded, asked.seed)
        directory.mkdir(parents=True, exist_ok=True)
        write_text(loaded.text, directory / "calibration.yaml")
        write_text(yaml.safe_dump(loaded.base, sort_keys=False, allow_unicode=True), directory / "scenario.yaml")
        run = {"name": loaded.calibration.name, "calibration_file": str(loaded.path), **asdict(asked),
               "replicates": loaded.calibration.replicates, "years": loaded.years, "status": "running",
               "sittings": [], "versions": {"critical-mass": sim.__version__, "model": model_version(),
                                            "pyabc": _pyabc_version()}}
        write_json(run, directory / RUN)
        return asked
    if not (directory / RUN).is_file():
        raise CalibrationError(f"{directory} holds no calibration to resume (no {RUN}); run without --resume")
    saved_text = (directory / "calibration.yaml").read_text(encoding="utf-8")
    if saved_text != loaded.text:
        raise CalibrationError(f"{loaded.path} has changed since the calibration in {directory} started; resume "
                               "with the same file (a copy is in the folder: calibration.yaml), or start a new "
                               "calibration with another --out")
    scenario_now = yaml.safe_dump(loaded.base, sort_keys=False, allow_unicode=True)
    if (directory / "scenario.yaml").read_text(encoding="utf-8") != scenario_now:
        raise CalibrationError(f"the base scenario of {loaded.path} has changed since the calibration in {directory} "
                               "started (its copy: scenario.yaml); resume with it as it was, or start a new "
                               "calibration with another --out")
    run = read_run(directory)
    started_on = run.get("versions", {}).get("model")
    if started_on is not None and started_on != model_version():
        raise CalibrationError(f"the model's code has changed since the calibration in {directory} started "
                               f"({started_on}, now {model_version()}); its populations would mix two models: "
                               "start a new calibration with another --out")
    saved = Settings(run["populations"], run["population_size"], run["seed"])
    for name in sorted(given or ()):
        if getattr(asked, name) != getattr(saved, name):
            raise CalibrationError(f"--{name.replace('_', '-')} {getattr(asked, name)} differs from the "
                                   f"{getattr(saved, name)} the calibration started with; leave it out to resume")
    return saved


def check_targets_have_values(loaded: LoadedCalibration, seed: int) -> None:
    """ScenarioError (exit 2, at the target's line) for a target whose outcome has no value at its year in
    runs of the base scenario nor of the middle of the priors: no candidate is likely to be accepted, and
    the first population would never fill (the fellow class effect before the first cohort teaches, or
    after the last has left, for one)."""
    from sim.calibration.evaluate import ModelRunFailed, simulate
    from sim.parallel.processes import InProcess
    from sim.runner import derive_seed
    from sim.scenario import Problem, Scenario, ScenarioError

    cal = loaded.calibration
    middle = loaded.scenario({p.key: (p.between[0] + p.between[1]) / 2 for p in cal.parameters})
    seeds = np.array([[derive_seed(seed, 11, 0, c, r) for r in range(cal.replicates)] for c in range(2)],
                     dtype=np.int64)
    try:
        values, _ = simulate([Scenario.from_dict(loaded.base), middle], seeds, loaded.years, loaded.measures,
                             InProcess())
    except ModelRunFailed as exc:
        raise CalibrationError(f"a run of {loaded.path}'s base scenario failed before the calibration "
                               f"started: {exc}") from None
    empty = [i for i in range(len(cal.targets)) if not np.isfinite(values[:, :, i]).any()]
    if empty:
        raise ScenarioError([Problem(
            str(loaded.path), loaded.line_of("targets", i), f"targets.{i}",
            f"{cal.targets[i].outcome} has no value at year {loaded.year_of(cal.targets[i])} in runs of the base "
            "scenario or of the middle of the priors, so no candidate is likely to match it; choose a year when it "
            "is measured") for i in empty])


def _pyabc_version() -> str:
    from importlib.metadata import version

    return version("pyabc")


@dataclass
class Finish:
    directory: Path
    populations_done: int
    last_epsilon: float
    exact: bool
    status: str
    report: Path | None
    wall_seconds: float
    model_runs: int


def calibrate(loaded: LoadedCalibration, directory: Path, settings: Settings, backend: object, resume: bool,
              on_round: Callable | None = None, figures: bool = True) -> Finish:
    """Run or continue the populations, then write every output from the history (figures only if asked)."""
    from sim.calibration.smc import run_smc

    run = read_run(directory)
    started, clock, cpu = datetime.now().isoformat(timespec="seconds"), time.perf_counter(), time.process_time()
    outcome = run_smc(loaded, directory, populations=settings.populations, population_size=settings.population_size,
                      seed=settings.seed, backend=backend, resume=resume, on_round=on_round)
    exact = outcome.last_epsilon <= 1.0
    if exact:
        status = "finished: the temperature reached 1"
    elif outcome.stopped_early:
        where = (f"after {outcome.populations_done} population(s), the last at temperature {outcome.last_epsilon:.3g}"
                 if outcome.populations_done else "before a first population was complete")
        status = (f"stopped: the acceptance rate fell below min_acceptance_rate "
                  f"{loaded.calibration.min_acceptance_rate:g} {where}; the targets may not be reachable together "
                  "within the priors")
    else:
        status = f"stopped at temperature {outcome.last_epsilon:.3g} after {outcome.populations_done} populations"
    runs = outcome.simulated * loaded.calibration.replicates
    run["sittings"].append({"started": started, "wall_seconds": round(time.perf_counter() - clock, 2),
                            "model_runs": runs, "model_cpu_seconds": round(outcome.model_cpu_seconds, 2),
                            # this process: pyabc's work, building scenarios, and the runs when there is one worker
                            "main_cpu_seconds": round(time.process_time() - cpu, 2),
                            "backend": getattr(backend, "description", str(backend))})
    run["status"] = status
    run["populations_done"] = outcome.populations_done
    run["wall_seconds"] = round(sum(s["wall_seconds"] for s in run["sittings"]), 2)
    run["model_runs"] = sum(s["model_runs"] for s in run["sittings"])
    write_json(run, directory / RUN)
    report = write_outputs(loaded, directory, run, figures) if outcome.populations_done else None
    return Finish(directory, outcome.populations_done, outcome.last_epsilon, exact, status, report,
                  run["wall_seconds"], run["model_runs"])


def write_outputs(loaded: LoadedCalibration, directory: Path, run: dict, figures: bool = True) -> Path:
    """Tables, figures and the report, all from the history (so a resumed run writes the same ones).

    Without figures, those of an earlier sitting are removed: they would show a posterior that is no longer
    the folder's."""
    from sim.calibration import analysis, history
    from sim.calibration.report import calibration_report

    particles = history.read_particles(directory, loaded)
    posterior = history.posterior(particles, loaded)
    last = particles[particles["t"] == particles["t"].max()]
    diagnostics = history.read_diagnostics(directory, loaded, particles)
    parameters = analysis.parameter_table(posterior, loaded)
    trade_offs = analysis.correlations(posterior, loaded)
    predictive = analysis.predictive_table(last, loaded)
    write_parquet(posterior, directory / "posterior.parquet")
    write_parquet(particles, directory / "particles.parquet")
    for name, table in (("diagnostics", diagnostics), ("parameters", parameters), ("predictive", predictive),
                        ("trade_offs", trade_offs)):
        write_text(table.to_csv(index=False), directory / f"{name}.csv")
    if figures:
        from sim.calibration import figures as draw  # matplotlib: only when figures are asked for

        drawn = dict(zip(FIGURES, (draw.marginals(posterior, loaded), draw.pairs(posterior, loaded),
                                   draw.predictive(last, loaded), draw.populations(diagnostics)), strict=True))
    else:
        drawn = {}
        for name in FIGURES:
            (directory / "figures" / f"{name}.png").unlink(missing_ok=True)
    return calibration_report(loaded, run, parameters, trade_offs, predictive, diagnostics, drawn, directory)
