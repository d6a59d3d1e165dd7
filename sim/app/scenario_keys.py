"""Every scenario key the app reads or writes, and every setting a facilitator can move: one table.

The model's names change as it is developed; when a key is renamed, change it here (the adapter,
`sim.app.workshop_model`, reads and writes scenarios only through these paths). A new setting is
one line of SETTINGS: the panel shows it, Reset applies it, the pending list and the report name it.

`live` settings act from the next simulated year without a Reset (each change is drawn on the
charts as an event); the others are structural: they show as pending until Reset. `apply` says how
the adapter writes a setting when it is not a plain scenario value (see workshop_model.LIVE_WRITERS).
A number gets a slider; a setting with `choices` gets a drop-down, and `choice_values` (when given)
are what each choice writes at `key` (`alumni_heads`, where alumni head teachers go, is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# scenario values the app reads (descriptions, the tipping rule, the side-by-side placements)
KEYS = {
    "name": "name",
    "description": "description",
    "years": "years",
    "districts": "system.districts",
    "schools_per_district": "system.schools_per_district",
    "teachers_per_school": "system.teachers_per_school",
    "cohort_size": "programme.cohort_size",
    "cohorts": "programme.cohorts",
    "cohort_sizes": "programme.cohort_sizes",
    "placement": "placement",
    "placement_districts": "placement.districts",
    "placement_district_count": "placement.district_count",
    "placement_district_names": "placement.district_names",
    "clustering": "placement.clustering",
    "host_schools": "placement.host_schools",
    "fellows_per_host": "placement.fellows_per_host",
    "alumni_stages": "alumni.stages",
    "stage_roles": "alumni.stages.{stage}.roles",
    "school_leader": "school_leader",  # a role's name inside a stage's roles
    "outside": "outside",  # the role that pays for more school leaders
    "school_leader_placement": "alumni.placement.school_leader",
    "threshold_mean": "teachers.adoption_threshold_mean",
    "district_support": "support.district",
    "ministry_start": "institutions.ministry.initial",
    "tipping_metric": "tipping.metric",
    "tipping_level": "tipping.level",
    "tipping_years": "tipping.sustained_years",
    "tipping_scope": "tipping.scope",
    "tipping_district_count": "tipping.district_count",
    "tipping_district_names": "tipping.district_names",
    "tipping_by_district": "tipping.by_district",
    "tipping_district_share": "tipping.district_share",
}

# The side by side: the same settings placed as the shipped dispersed and clustered scenarios place them
# (the pair differs in the number of host schools only; every way of placing is copied, unset ones as null).
COMPARE_PRESETS = ("dispersed", "clustered")
PLACEMENT_KEYS = ("placement_districts", "placement_district_count", "placement_district_names", "clustering",
                  "host_schools", "fellows_per_host")
# the ways of placing fellows, of which a scenario gives at most one (the host-schools setting writes its own)
PLACEMENT_WAYS = ("clustering", "host_schools", "fellows_per_host")

# where alumni who become head teachers go (alumni.placement.school_leader): a rule followed by all of them
ANYWHERE = {"rule": "random", "share": 0.0}
HOST_SCHOOLS = {"rule": "host_schools", "share": 1.0}  # back to the schools that host or hosted fellows
NEAR_CLUSTER = {"rule": "near_cluster", "share": 1.0}  # the programme's districts, schools without fellows first


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    unit: str  # shown after the value ("40 fellows a year")
    live: bool  # acts from the next year; otherwise on Reset
    key: str  # the scenario key path it reads and writes ("" when it is not a scenario value)
    low: float
    high: float | None  # None: four times the preset's value (at least 60), for counts; host schools: all there are
    step: float
    integer: bool = False
    percent: bool = False  # shown as a percentage of something
    apply: str = "key"  # how it is written: see workshop_model
    help: str = ""
    choices: tuple[str, ...] = ()  # a setting with named values: a drop-down instead of a slider
    choice_values: tuple[Any, ...] = ()  # what each choice writes at `key` (default: the choice itself)


SETTINGS: tuple[Setting, ...] = (
    Setting("cohort_size", "Fellows per year", "fellows a year", False, KEYS["cohort_size"], 0, None, 1,
            integer=True, apply="cohort", help="Every cohort the scenario recruits, at this size."),
    Setting("host_schools", "Host schools", "schools hosting fellows", False, KEYS["host_schools"], 1, None, 1,
            integer=True, apply="host_schools",
            help="How many schools of the programme's districts receive fellows: few (clustered) or every one "
                 "(dispersed). A preset that places by clustering shows the number it makes."),
    Setting("alumni_heads", "Alumni head teachers go", "", False, KEYS["school_leader_placement"], 0, 0, 0,
            choices=("anywhere", "back to host schools", "to the cluster's other schools"),
            choice_values=(ANYWHERE, HOST_SCHOOLS, NEAR_CLUSTER),
            help="Where alumni who become head teachers lead: wherever their careers take them, back to the "
                 "schools that host fellows, or to the programme's schools without fellows."),
    Setting("seed", "Seed", "", False, "", 0, 99, 1, integer=True, apply="seed",
            help="The run's luck: the same settings and seed give the same run."),
    Setting("district_support", "District support", "off every threshold at full backing", True,
            KEYS["district_support"], 0, 1, 0.01,
            help="How far a fully supportive district office lowers its teachers' adoption thresholds."),
    Setting("ministry_alignment", "Ministry alignment", "(0 to 1)", True, KEYS["ministry_start"], 0, 1, 0.01,
            apply="ministry_push",
            help="Sets the ministry's alignment, and the level it rests at, from the next year; pressure from "
                 "aligned alumni and district offices can still raise it."),
    Setting("threshold_mean", "Teachers' adoption threshold", "of colleagues needed", True, KEYS["threshold_mean"],
            0, 1, 0.01, percent=True, apply="threshold_push",
            help="A support push: every teacher's threshold moves by the change from the next year; "
                 "new teachers are drawn around the new value."),
    Setting("school_leaders", "Alumni leading schools", "of alumni in later career", True, "", 0, 1, 0.01,
            percent=True, apply="school_leaders",
            help="The share of alumni who become school leaders in their later career stage, taken from "
                 "(or given back to) those who leave education; the other roles shrink if too few do."),
)
BY_NAME = {s.name: s for s in SETTINGS}

# labels for scenario keys a tipping table may be swept over (sim.app.tipping_curve)
KEY_LABELS = {
    KEYS["clustering"]: "clustering of fellows",
    KEYS["host_schools"]: "host schools",
    KEYS["cohort_size"]: "fellows per year",
    KEYS["district_support"]: "district support",
    KEYS["threshold_mean"]: "teachers' adoption threshold",
}
