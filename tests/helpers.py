"""What many tests share: small scenarios, random scenarios for hypothesis, the engine's parts, the CLI in-process."""

from __future__ import annotations

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
