"""What many tests share: small scenarios, random scenarios for hypothesis, the engine's parts, the CLI in-process."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from sim import Scenario
from sim.engine import Batch

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXPERIMENTS = ROOT / "experiments"


def small(**overrides: Any) -> Scenario:
    """3 districts x 6 schools x 10 teachers, 4 cohorts of 12 fellows, 8 years: runs in milliseconds."""
    base = {
        "years": 8,
        "system": {"districts": 3, "schools_per_district": 6, "teachers_per_school": 10},
        "programme": {"cohort_size": 12, "cohorts": 4},
    }
    return Scenario.from_dict(base).with_overrides(overrides)


def engine(scenario: Scenario | None = None, seed: int = 1, **overrides: Any) -> Batch:
    """A batch of one, built and started: its .state, .params and .streams are what mechanisms take."""
    scenario = scenario or small()
    return Batch([scenario.with_overrides(overrides) if overrides else scenario], [seed])


@st.composite
def scenarios(draw: st.DrawFn, behaviour: bool = True, max_years: int = 6) -> Scenario:
    """Random small scenarios: structure, careers, placement and (with behaviour) every behavioural rate."""
    classroom = draw(st.floats(0, 1))
    leader = draw(st.floats(0, 1 - classroom))
    rule = st.sampled_from(["random", "host_schools", "near_cluster", "most_disadvantaged"])
    data: dict[str, Any] = {
        "years": draw(st.integers(1, max_years)),
        "system": {
            "districts": draw(st.integers(1, 4)),
            "schools_per_district": draw(st.integers(1, 6)),
            "teachers_per_school": draw(st.floats(1, 15)),
            "school_size_spread": draw(st.floats(0, 1)),
            "grades": 6,
        },
        "programme": {
            "cohort_size": draw(st.integers(0, 15)),
            "cohorts": draw(st.integers(0, 5)),
            "commitment_years": draw(st.integers(1, 3)),
            "attrition": draw(st.floats(0, 1)),
        },
        "placement": {"clustering": draw(st.floats(0, 1)), "max_fellow_share": draw(st.floats(0.05, 1))},
        "alumni": {
            "mobility": draw(st.floats(0, 1)), "exit_rate": draw(st.floats(0, 0.3)),
            "stages": [{"after_years": 0, "roles": {"classroom": classroom, "school_leader": leader,
                                                    "outside": 1 - classroom - leader}}],
            "placement": {
                "classroom": {"rule": draw(rule), "share": draw(st.floats(0, 1))},
                "school_leader": {"rule": draw(rule), "share": draw(st.floats(0, 1))},
            },
        },
        "network": {"within_school_ties": draw(st.integers(0, 8)), "across_school_ties": draw(st.integers(0, 3)),
                    "alumni_ties": draw(st.integers(0, 5))},
        "contagion": {"enabled": draw(st.booleans())},
        "institutions": {"enabled": draw(st.booleans())},
        "careers": {"enabled": draw(st.booleans()), "turnover": draw(st.floats(0, 1))},
        "partners": {"initial": draw(st.integers(0, 3))},
    }
    if behaviour:
        data["contagion"].update({
            "adoption_probability": draw(st.floats(0, 1)), "lapse_rate": draw(st.floats(0, 1)),
            "spontaneous_adoption": draw(st.floats(0, 0.2)), "rounds_per_year": draw(st.integers(1, 4)),
            "strength_weight": draw(st.floats(0, 3)), "rootedness_weight": draw(st.floats(0, 3)),
        })
        data["teachers"] = {"adoption_threshold_mean": draw(st.floats(0, 1)),
                            "adoption_threshold_sd": draw(st.floats(0, 0.3)),
                            "novice_discount": draw(st.floats(0, 0.2))}
        data["support"] = {"leader": draw(st.floats(0, 0.3)), "district": draw(st.floats(0, 0.3))}
        data["students"] = {"persistence": draw(st.floats(0, 1))}
        data["institutions"].update({"district": {"pressure_needed": draw(st.floats(0, 1)),
                                                  "rate": draw(st.floats(0, 1))}})
    return Scenario.from_dict(data)


def cli(*args: str, cwd: Path | None = None) -> Any:
    """The command line, in this process (Typer's CliRunner): exit_code, stdout, stderr, as a user sees them."""
    import os

    from typer.testing import CliRunner

    from sim.cli import app

    runner = CliRunner()
    previous = Path.cwd()
    os.chdir(cwd or ROOT)
    try:
        return runner.invoke(app, [str(a) for a in args])
    finally:
        os.chdir(previous)


def _shares(draw: st.DrawFn, names: tuple[str, ...]) -> dict[str, float]:
    """Shares over names that sum to 1 (some of them 0)."""
    raw = [draw(st.sampled_from([0.0, 0.0, 0.2, 0.5, 1.0, 3.0])) for _ in names]
    if sum(raw) == 0:
        raw[-1] = 1.0
    total = sum(raw)
    return {n: r / total for n, r in zip(names, raw, strict=True)}


@st.composite
def wide_scenarios(draw: st.DrawFn, grades: int | None = None, max_years: int = 7) -> Scenario:
    """Random small scenarios varying every section: structure, placement modes, every alumni role and
    placement rule, partners, institutions' weights, student effects, index weights and the tipping rule.
    `grades` is drawn unless given (systems of one batch share it)."""
    f = st.floats
    grades = draw(st.integers(1, 12)) if grades is None else grades
    districts = draw(st.integers(1, 4))
    names = [f"N{i}" for i in range(districts)]
    some_names = st.lists(st.sampled_from(names), min_size=1, max_size=districts, unique=True)
    roles = ("classroom", "school_leader", "district_official", "ministry", "nonprofit", "outside")
    stages = [{"after_years": 0, "roles": _shares(draw, roles)}]
    if draw(st.booleans()):
        stages.append({"after_years": draw(st.integers(1, 3)), "roles": _shares(draw, roles)})

    def destination() -> dict[str, Any]:
        rule = draw(st.sampled_from(["random", "host_schools", "near_cluster", "most_disadvantaged", "named"]))
        out: dict[str, Any] = {"rule": rule, "share": draw(st.sampled_from([0.0, 0.5, 1.0]) | f(0, 1))}
        if rule == "named":
            out["district_names"] = draw(some_names)
        return out

    placement: dict[str, Any] = {
        "districts": draw(st.sampled_from(["all", "most_disadvantaged", "random", "named"])),
        "district_count": draw(st.integers(1, districts)),
        "school_priority": draw(st.sampled_from(["most_disadvantaged", "random"])),
        "max_fellow_share": draw(f(0.05, 1)),
    }
    if placement["districts"] == "named":
        placement["district_names"] = draw(some_names)
    way = draw(st.sampled_from(["clustering", "host_schools", "fellows_per_host", "none"]))
    if way == "clustering":
        placement["clustering"] = draw(f(0, 1))
    elif way == "host_schools":
        placement["host_schools"] = draw(st.integers(1, 8))
    elif way == "fellows_per_host":
        placement["fellows_per_host"] = draw(f(0.5, 6))
    scope = draw(st.sampled_from(["system", "programme_districts", "most_disadvantaged", "named"]))
    tipping: dict[str, Any] = {
        "metric": draw(st.sampled_from(["practising_share", "mean_achievement", "achievement_gap",
                                        "achievement_gain", "leadership_index", "district_support"])),
        "level": draw(f(-0.3, 0.6)), "sustained_years": draw(st.integers(1, 3)), "scope": scope,
        "district_count": draw(st.integers(1, districts)), "by_district": draw(st.booleans()),
        "district_share": draw(f(0.1, 1)),
    }
    if scope == "named":
        tipping["district_names"] = draw(some_names)
    cohorts = draw(st.sampled_from(["uniform", "listed"]))
    programme: dict[str, Any] = {
        "commitment_years": draw(st.integers(1, 3)), "attrition": draw(f(0, 0.5)),
        "practise_on_arrival": draw(f(0, 1)), "strength": draw(f(0, 1)), "orientation": draw(f(0.2, 1)),
        "rootedness": draw(f(0, 1)),
    }
    if cohorts == "uniform":
        programme.update(cohort_size=draw(st.integers(0, 14)), cohorts=draw(st.integers(0, 5)))
    else:
        programme["cohort_sizes"] = draw(st.lists(st.integers(0, 14), max_size=5))
    data: dict[str, Any] = {
        "years": draw(st.integers(1, max_years)),
        "system": {
            "districts": districts, "district_names": names,
            "schools_per_district": draw(st.integers(1, 5)),
            "teachers_per_school": draw(f(1, 12)), "school_size_spread": draw(st.sampled_from([0.0]) | f(0, 1)),
            "students_per_teacher": draw(f(5, 30)), "grades": grades,
            "disadvantage": {"mean": draw(f(0, 1)), "district_spread": draw(f(0, 0.3)),
                             "school_spread": draw(f(0, 0.3))},
            "district_office_staff": draw(st.integers(1, 6)), "ministry_staff": draw(st.integers(1, 6)),
        },
        "teachers": {
            "adoption_threshold_mean": draw(f(0, 0.8)), "adoption_threshold_sd": draw(f(0, 0.3)),
            "strength_mean": draw(st.sampled_from([0.0, 1.0]) | f(0, 1)), "orientation_mean": draw(f(0, 1)),
            "rootedness_mean": draw(f(0, 1)),
            "initial_practice": draw(st.sampled_from(["equilibrium"]) | f(0, 1)),
            "novice_years": draw(st.integers(0, 4)), "novice_discount": draw(f(0, 0.3)),
        },
        "careers": {"enabled": draw(st.booleans()), "turnover": draw(f(0, 0.5)),
                    "turnover_disadvantage": draw(f(0, 0.3)), "rootedness_retention": draw(f(0, 1))},
        "programme": programme,
        "placement": placement,
        "alumni": {
            "stages": stages, "mobility": draw(f(0, 1)), "stay_in_district": draw(f(0, 1)),
            "exit_rate": draw(f(0, 0.3)),
            "placement": {r: destination() for r in ("classroom", "school_leader", "district_official", "nonprofit")},
        },
        "network": {"within_school_ties": draw(st.integers(0, 8)), "across_school_ties": draw(st.integers(0, 3)),
                    "alumni_ties": draw(st.integers(0, 5))},
        "contagion": {
            "enabled": draw(st.booleans()), "rounds_per_year": draw(st.integers(1, 4)),
            "adoption_probability": draw(f(0, 1)), "lapse_rate": draw(f(0, 1)),
            "spontaneous_adoption": draw(f(0, 0.3)), "strength_weight": draw(f(0, 3)),
            "rootedness_weight": draw(f(0, 3)),
        },
        "support": {"leader": draw(f(0, 0.3)), "district": draw(f(0, 0.3)), "partner": draw(f(0, 0.3))},
        "institutions": {
            "enabled": draw(st.booleans()), "leader_staff_needed_mean": draw(f(0, 1)),
            "leader_staff_needed_sd": draw(f(0, 0.3)), "leader_district_pull": draw(f(0, 1)),
            "district": {"initial": draw(f(0, 1)), "pressure_needed": draw(f(0, 1)), "rate": draw(f(0, 1)),
                         "weight_staff": draw(f(0, 2)), "weight_leaders": draw(f(0, 2)),
                         "weight_ministry": draw(f(0, 2)), "weight_partners": draw(f(0, 2))},
            "ministry": {"initial": draw(f(0, 1)), "pressure_needed": draw(f(0, 1)), "rate": draw(f(0, 1)),
                         "weight_staff": draw(f(0, 2)), "weight_districts": draw(f(0, 2))},
        },
        "partners": {"enabled": draw(st.booleans()), "initial": draw(st.integers(0, 3)),
                     "schools_per_partner": draw(st.integers(1, 6)),
                     "founding_rate": draw(st.sampled_from([1.0, 0.0]) | f(0, 1))},
        "students": {
            "enabled": draw(st.booleans()), "programme_teacher_effect": draw(f(-0.2, 0.3)),
            "peer_practice_effect": draw(f(-0.1, 0.2)), "leader_effect": draw(f(-0.1, 0.1)),
            "district_effect": draw(f(-0.1, 0.1)), "turnover_penalty": draw(f(-0.1, 0.3)),
            "disadvantage_penalty": draw(f(-0.1, 0.2)), "entry_gap": draw(f(-1, 1)),
            "persistence": draw(st.sampled_from([0.0, 1.0]) | f(0, 1)), "noise_sd": draw(f(0, 0.1)),
            "gap_quantile": draw(f(0.05, 0.5)),
        },
        "leadership_index": {
            "scale_reference": draw(f(0.01, 1)), "network_min_ties": draw(st.integers(1, 3)),
            "weights": {d: draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])) for d in
                        ("roles", "strength", "orientation", "representation", "network", "scale")},
        },
        "tipping": tipping,
    }
    if sum(data["leadership_index"]["weights"].values()) == 0:
        data["leadership_index"]["weights"]["scale"] = 1.0
    return Scenario.from_dict(data)


def invoke(*args: object) -> Any:
    """`critical-mass ARGS` in this process, failing the test if an exception escaped the command (which a
    user would see as a traceback) or a traceback was printed."""
    result = cli(*(str(a) for a in args), cwd=Path.cwd())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"critical-mass {' '.join(map(str, args))} raised") from result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result


@contextlib.contextmanager
def ctrl_c_as_in_a_terminal() -> Iterator[None]:
    """Start commands inside this block as a terminal would, with Ctrl-C (SIGINT) handled: a test run started in
    the background by a shell (`make test &`) ignores SIGINT, and a process started from it inherits that and
    is, rightly, deaf to it."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
