"""Every scenario key the app reads or writes, and every setting a facilitator can move: one table.

The model's names change as it is developed; when a key is renamed, change it here (the adapter,
`sim.app.workshop_model`, reads and writes scenarios only through these paths). A new setting is
one line of SETTINGS: the panel shows it, Reset applies it, the pending list and the report name it.

`live` settings act from the next simulated year without a Reset (each change is drawn on the
charts as an event); the others are structural: they show as pending until Reset. `apply` says how
the adapter writes a setting when it is not a plain scenario value (see workshop_model.LIVE_WRITERS).
A number gets a slider; a setting with `choices` gets a drop-down. For example, a structural choice
of where alumni leaders go, once the model has it, would be the one line

    Setting("alumni_placement", "Alumni leaders", "", False, "alumni.placement", 0, 0, 0,
            choices=("anywhere", "back to the cluster")),
"""

from __future__ import annotations

from dataclasses import dataclass

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
    "alumni_stages": "alumni.stages",
    "stage_roles": "alumni.stages.{stage}.roles",
    "school_leader": "school_leader",  # a role's name inside a stage's roles
    "outside": "outside",  # the role that pays for more school leaders
    "threshold_mean": "teachers.threshold_mean",
    "district_support": "support.district",
    "ministry_start": "institutions.ministry.initial",
    "tipping_metric": "tipping.metric",
    "tipping_level": "tipping.threshold",
    "tipping_years": "tipping.sustained_years",
    "tipping_scope": "tipping.scope",
}

# The side by side: the same settings placed as the shipped dispersed and clustered scenarios place them.
COMPARE_PRESETS = ("dispersed", "clustered")
PLACEMENT_KEYS = ("placement_districts", "placement_district_count", "placement_district_names", "clustering")


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    unit: str  # shown after the value ("40 fellows a year")
    live: bool  # acts from the next year; otherwise on Reset
    key: str  # the scenario key path it reads and writes ("" when it is not a scenario value)
    low: float
    high: float | None  # None: four times the preset's value (at least 60), for counts
    step: float
    integer: bool = False
    percent: bool = False  # shown as a percentage of something
    apply: str = "key"  # how it is written: see workshop_model
    help: str = ""
    choices: tuple[str, ...] = ()  # a setting with named values: a drop-down instead of a slider


SETTINGS: tuple[Setting, ...] = (
    Setting("cohort_size", "Fellows per year", "fellows a year", False, KEYS["cohort_size"], 0, None, 1,
            integer=True, apply="cohort", help="Every cohort the scenario recruits, at this size."),
    Setting("clustering", "Clustering", "(0 every school, 1 fewest schools)", False, KEYS["clustering"], 0, 1, 0.01,
            help="How tightly fellows are packed into the programme's districts."),
    Setting("seed", "Seed", "", False, "", 0, 99, 1, integer=True, apply="seed",
            help="The run's luck: the same settings and seed give the same run."),
    Setting("district_support", "District support", "off every threshold at full backing", True,
            KEYS["district_support"], 0, 1, 0.01,
            help="How far a fully supportive district office lowers its teachers' adoption thresholds."),
    Setting("ministry_alignment", "Ministry alignment", "(0 to 1)", True, KEYS["ministry_start"], 0, 1, 0.01,
            apply="ministry_push",
            help="Sets the ministry's alignment from the next year; then the model moves it as it would."),
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
    KEYS["cohort_size"]: "fellows per year",
    KEYS["district_support"]: "district support",
    KEYS["threshold_mean"]: "teachers' adoption threshold",
}
