"""What a scenario may say, with a default for everything left out.

Every default here is listed with its source in docs/model.md; change one, change the other.
Models forbid unknown keys so that a misspelt key is an error, not a silently ignored setting.

Words kept apart on purpose: a teacher's **adoption threshold** (the share of practising colleagues
they need), a leader's **staff needed** (the share of practising staff before they align), an
office's **pressure needed**, and the tipping rule's **level**. A person's **rootedness** (local,
representing the community) is a trait; **representation** is the index dimension built from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

ROLES = (
    "classroom",
    "school_leader",
    "district_official",
    "ministry",
    "nonprofit",
    "outside",
)
PLACED_ROLES = ("classroom", "school_leader", "district_official", "nonprofit")
DIMENSIONS = ("roles", "strength", "orientation", "representation", "network", "scale")
TIPPING_METRICS = (
    "practising_share", "mean_achievement", "achievement_gap", "achievement_gain", "leadership_index",
    "district_support",
)
# metrics where lower is better: the rule tips when the metric is at or below the level
TIPS_DOWNWARD = ("achievement_gap",)


MAX_YEARS = 500  # the longest run: `years`, and the command line's --years


def _is_number(annotation: Any) -> bool:
    """Whether a field holds a number (int or float, or one of them or None), not a true/false."""
    if annotation in (int, float):
        return True
    return any(arg in (int, float) for arg in get_args(annotation)) and bool not in get_args(annotation)


_NUMBER_FIELDS: dict[tuple[type, str], bool] = {}  # (section, field) -> _is_number of its annotation


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_false_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads true as 1 where a number is expected, and YAML reads yes, no, on and off as true/false:
        # `years: yes` would be a one-year run
        if isinstance(value, bool) and info.field_name and _number_field(cls, info.field_name):
            raise ValueError("expected a number, not true/false (YAML reads yes, no, on and off as true/false)")
        return value


def _number_field(section: type[BaseModel], name: str) -> bool:
    # asked for every true/false in every scenario a sweep checks: worked out once per field
    known = _NUMBER_FIELDS.get((section, name))
    if known is None:
        known = _NUMBER_FIELDS[(section, name)] = _is_number(section.model_fields[name].annotation)
    return known


class Disadvantage(_Section):
    mean: float = Field(0.5, ge=0, le=1, description="mean disadvantage of a school, 0 (none) to 1")
    district_spread: float = Field(0.15, ge=0, le=0.5, description="SD of district means")
    school_spread: float = Field(0.10, ge=0, le=0.5, description="SD of schools around their district")


class SystemSection(_Section):
    districts: int = Field(10, ge=1, le=100_000)
    district_names: list[str] = Field(default_factory=list)
    schools_per_district: int = Field(30, ge=1, le=100_000)
    teachers_per_school: float = Field(20.0, ge=1, le=500)
    school_size_spread: float = Field(0.3, ge=0, le=2, description="coefficient of variation")
    students_per_teacher: float = Field(20.0, gt=0, le=200)
    grades: int = Field(6, ge=1, le=15)
    disadvantage: Disadvantage = Disadvantage()
    district_office_staff: int = Field(20, ge=1, le=1_000_000)
    ministry_staff: int = Field(100, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _names_match(self) -> Self:
        if self.district_names and len(self.district_names) != self.districts:
            raise ValueError(
                f"district_names lists {len(self.district_names)} names but districts is "
                f"{self.districts}; give one name per district or none"
            )
        if len(set(self.district_names)) != len(self.district_names):
            raise ValueError("district_names must be unique")
        return self


class TeachersSection(_Section):
    adoption_threshold_mean: float = Field(
        0.45, ge=0, le=1, description="share of (influence-weighted) colleagues practising a teacher needs to adopt"
    )
    adoption_threshold_sd: float = Field(0.10, ge=0, le=1)
    strength_mean: float = Field(0.30, ge=0, le=1)
    orientation_mean: float = Field(0.40, ge=0, le=1)
    rootedness_mean: float = Field(0.50, ge=0, le=1)
    initial_practice: float | Literal["equilibrium"] = Field(
        "equilibrium",
        description="share practising at the start; 'equilibrium' starts each teacher at the share that "
        "spontaneous adoption, lapses and turnover hold steady without the programme",
    )
    novice_years: int = Field(3, ge=0, le=50)
    novice_discount: float = Field(0.05, ge=0, le=1, description="lower adoption threshold in the first years")

    @field_validator("initial_practice")
    @classmethod
    def _share(cls, value: float | str) -> float | str:
        if isinstance(value, float | int) and not 0 <= value <= 1:
            raise ValueError("initial_practice must be a share between 0 and 1, or 'equilibrium'")
        return value


class CareersSection(_Section):
    enabled: bool = True
    turnover: float = Field(0.16, ge=0, le=1, description="yearly leaving rate, least disadvantaged school")
    turnover_disadvantage: float = Field(0.08, ge=0, le=1, description="extra in the most disadvantaged")
    rootedness_retention: float = Field(0.5, ge=0, le=1)


class ProgrammeSection(_Section):
    cohort_size: int = Field(60, ge=0, le=1_000_000)
    cohorts: int = Field(8, ge=0, le=500, description="number of yearly cohorts")
    cohort_sizes: list[int] | None = Field(None, description="explicit sizes per year; overrides the two above")
    commitment_years: int = Field(2, ge=1, le=10)
    attrition: float = Field(0.08, ge=0, le=1)
    practise_on_arrival: float = Field(0.9, ge=0, le=1)
    strength: float = Field(0.6, ge=0, le=1)
    orientation: float = Field(0.7, ge=0, le=1)
    rootedness: float = Field(0.3, ge=0, le=1, description="mean rootedness of fellows (representation)")

    @field_validator("cohort_sizes")
    @classmethod
    def _non_negative(cls, sizes: list[int] | None) -> list[int] | None:
        if sizes is not None and any(not 0 <= s <= 1_000_000 for s in sizes):
            raise ValueError("cohort sizes must be between 0 and 1,000,000")
        if sizes is not None and len(sizes) > 500:
            raise ValueError("at most 500 cohorts")
        return sizes

    def sizes(self) -> list[int]:
        return list(self.cohort_sizes) if self.cohort_sizes is not None else [self.cohort_size] * self.cohorts


class PlacementSection(_Section):
    districts: Literal["all", "most_disadvantaged", "random", "named"] = "all"
    district_count: int = Field(1, ge=1, le=100_000)
    district_names: list[str] = Field(default_factory=list)
    clustering: float | None = Field(
        None, ge=0, le=1,
        description="0 spreads over every eligible school, 1 packs the fewest (0 when no way is given)",
    )
    host_schools: int | None = Field(
        None, ge=1, le=10_000_000_000, description="exact number of host schools (instead of clustering)"
    )
    fellows_per_host: float | None = Field(
        None, gt=0, description="fellows in post per host school (instead of clustering)"
    )
    school_priority: Literal["most_disadvantaged", "random"] = "most_disadvantaged"
    max_fellow_share: float = Field(0.5, gt=0, le=1, description="most of a school's posts fellows may hold")

    @model_validator(mode="after")
    def _one_way_to_place(self) -> Self:
        if self.districts == "named" and not self.district_names:
            raise ValueError("districts is 'named' but district_names is empty")
        given = [k for k in ("clustering", "host_schools", "fellows_per_host") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(
                f"give one of clustering, host_schools or fellows_per_host, not {' and '.join(given)} "
                f"(set the others to null, e.g. --set placement.{given[0]}=null)"
            )
        return self


class RoleShares(_Section):
    """Shares of alumni in each role; a role left out is 0, so a stage lists only the roles it uses."""

    classroom: float = Field(0.0, ge=0, le=1)
    school_leader: float = Field(0.0, ge=0, le=1)
    district_official: float = Field(0.0, ge=0, le=1)
    ministry: float = Field(0.0, ge=0, le=1)
    nonprofit: float = Field(0.0, ge=0, le=1)
    outside: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        total = sum(getattr(self, r) for r in ROLES)
        if abs(total - 1.0) > 1e-6:
            given = ", ".join(f"{r}={getattr(self, r):g}" for r in ROLES if getattr(self, r))
            raise ValueError(f"role shares must sum to 1, these sum to {total:.4g} ({given})")
        return self

    def as_array(self) -> list[float]:
        return [getattr(self, r) for r in ROLES]


class CareerStage(_Section):
    after_years: int = Field(0, ge=0, le=500, description="years since leaving the programme")
    roles: RoleShares


def _default_stages() -> list[CareerStage]:
    return [
        CareerStage(
            after_years=0,
            roles=RoleShares(
                classroom=0.60, district_official=0.02, ministry=0.01, nonprofit=0.02, outside=0.35,
            ),
        ),
        CareerStage(
            after_years=4,
            roles=RoleShares(
                classroom=0.45, school_leader=0.05, district_official=0.04,
                ministry=0.02, nonprofit=0.03, outside=0.41,
            ),
        ),
    ]


class Destination(_Section):
    """Where alumni taking one role go: a rule followed by a share of them; the rest go at random."""

    rule: Literal["random", "host_schools", "near_cluster", "most_disadvantaged", "named"] = "random"
    share: float = Field(0.0, ge=0, le=1, description="share of moves that follow the rule")
    district_names: list[str] = Field(default_factory=list, description="for rule: named")

    @model_validator(mode="after")
    def _named_needs_names(self) -> Self:
        if self.rule == "named" and not self.district_names:
            raise ValueError("rule is 'named' but district_names is empty")
        if self.rule != "named" and self.district_names:
            raise ValueError(f"district_names is only for rule 'named' (rule is {self.rule!r})")
        return self


class AlumniPlacement(_Section):
    classroom: Destination = Destination()
    school_leader: Destination = Destination()
    district_official: Destination = Destination()
    nonprofit: Destination = Destination()


class AlumniSection(_Section):
    stages: list[CareerStage] = Field(default_factory=_default_stages, min_length=1, max_length=50)
    mobility: float = Field(0.25, ge=0, le=1, description="yearly chance an alumnus re-draws a role")
    stay_in_district: float = Field(0.8, ge=0, le=1)
    exit_rate: float = Field(0.04, ge=0, le=1, description="yearly chance an alumnus leaves education for good")
    placement: AlumniPlacement = AlumniPlacement()

    @field_validator("stages")
    @classmethod
    def _ordered(cls, stages: list[CareerStage]) -> list[CareerStage]:
        years = [s.after_years for s in stages]
        if years[0] != 0:
            raise ValueError("the first stage must start at after_years: 0")
        if years != sorted(set(years)):
            raise ValueError(f"stages must have strictly increasing after_years, got {years}")
        return stages


class NetworkSection(_Section):
    within_school_ties: int = Field(6, ge=0, le=200)
    across_school_ties: int = Field(1, ge=0, le=50)
    alumni_ties: int = Field(4, ge=0, le=100)


class ContagionSection(_Section):
    enabled: bool = True
    rounds_per_year: int = Field(3, ge=1, le=1000)
    adoption_probability: float = Field(0.5, ge=0, le=1)
    lapse_rate: float = Field(0.3, ge=0, le=1)
    spontaneous_adoption: float = Field(0.005, ge=0, le=1)
    strength_weight: float = Field(1.0, ge=0, le=10)
    rootedness_weight: float = Field(0.5, ge=0, le=10)


class SupportSection(_Section):
    leader: float = Field(0.10, ge=0, le=1)
    district: float = Field(0.10, ge=0, le=1)
    partner: float = Field(0.05, ge=0, le=1)


class DistrictRule(_Section):
    initial: float = Field(0.1, ge=0, le=1, description="support at the start, and the level it rests at")
    pressure_needed: float = Field(0.2, ge=0, le=1)
    rate: float = Field(0.3, ge=0, le=1)
    weight_staff: float = Field(0.3, ge=0, le=1000)
    weight_leaders: float = Field(0.5, ge=0, le=1000)
    weight_ministry: float = Field(0.1, ge=0, le=1000)
    weight_partners: float = Field(0.1, ge=0, le=1000)


class MinistryRule(_Section):
    initial: float = Field(0.1, ge=0, le=1, description="alignment at the start, and the level it rests at")
    pressure_needed: float = Field(0.3, ge=0, le=1)
    rate: float = Field(0.2, ge=0, le=1)
    weight_staff: float = Field(0.5, ge=0, le=1000)
    weight_districts: float = Field(0.5, ge=0, le=1000)


class InstitutionsSection(_Section):
    enabled: bool = True
    leader_staff_needed_mean: float = Field(
        0.5, ge=0, le=1, description="share of staff practising (plus district pull) a leader needs to align"
    )
    leader_staff_needed_sd: float = Field(0.1, ge=0, le=1)
    leader_district_pull: float = Field(0.2, ge=0, le=1)
    district: DistrictRule = DistrictRule()
    ministry: MinistryRule = MinistryRule()


class PartnersSection(_Section):
    enabled: bool = True
    initial: int = Field(0, ge=0, le=100_000, description="backbone organisations present at the start")
    schools_per_partner: int = Field(5, ge=1, le=1000)
    founding_rate: float = Field(
        1.0, ge=0, le=1,
        description="yearly chance that an alumnus working in a nonprofit who has not founded one founds an "
                    "organisation (1: every one, in their first year there)",
    )


class StudentsSection(_Section):
    enabled: bool = True
    programme_teacher_effect: float = Field(
        0.09, ge=-1, le=1, description="SD a year for the class of a practising fellow or alumnus"
    )
    peer_practice_effect: float = Field(
        0.03, ge=-1, le=1, description="SD a year for the class of a teacher who took up the practice from colleagues"
    )
    leader_effect: float = Field(0.025, ge=-1, le=1, description="SD a year, aligned school leader")
    district_effect: float = Field(0.01, ge=-1, le=1, description="SD a year, full district support")
    turnover_penalty: float = Field(0.08, ge=-1, le=1, description="SD a year, the whole staff replaced")
    disadvantage_penalty: float = Field(0.05, ge=-1, le=1, description="SD a year lost, fully disadvantaged school")
    entry_gap: float = Field(0.5, ge=-5, le=5, description="SD below average on entry, fully disadvantaged school")
    persistence: float = Field(
        0.2, ge=0, le=1, description="share of a year's gain above the no-programme path still there a year later"
    )
    noise_sd: float = Field(0.02, ge=0, le=1)
    gap_quantile: float = Field(0.25, gt=0, le=0.5)


class LeadershipIndexSection(_Section):
    scale_reference: float = Field(1 / 14, gt=0, le=1, description="share of teachers leading counted as full scale")
    network_min_ties: int = Field(2, ge=1, le=100)
    weights: dict[Literal[DIMENSIONS], float] = Field(  # type: ignore[valid-type]
        default_factory=lambda: dict.fromkeys(DIMENSIONS, 1.0)
    )

    @field_validator("weights")
    @classmethod
    def _positive(cls, w: dict[str, float]) -> dict[str, float]:
        if any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
            raise ValueError("weights must be zero or more and not all zero")
        return {d: w.get(d, 0.0) for d in DIMENSIONS}


class TippingSection(_Section):
    metric: Literal[TIPPING_METRICS] = "practising_share"  # type: ignore[valid-type]
    level: float = Field(0.5, ge=-100, le=100, description="achievement_gap tips at or below it, the rest at or above")
    sustained_years: int = Field(2, ge=1, le=500)
    scope: Literal["system", "programme_districts", "most_disadvantaged", "named"] = "system"
    district_count: int = Field(1, ge=1, le=100_000, description="for scope: most_disadvantaged")
    district_names: list[str] = Field(default_factory=list, description="for scope: named")
    by_district: bool = Field(False, description="tip only when district_share of the scope's districts each tip")
    district_share: float = Field(1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _scope_needs(self) -> Self:
        if self.scope == "named" and not self.district_names:
            raise ValueError("scope is 'named' but district_names is empty")
        return self

    @property
    def downward(self) -> bool:
        return self.metric in TIPS_DOWNWARD


class Scenario(_Section):
    """A validated scenario: the system, the programme and every mechanism's settings."""

    name: str = Field("scenario", max_length=200)
    description: str = Field("", max_length=100_000)
    years: int = Field(15, ge=1, le=MAX_YEARS)
    system: SystemSection = SystemSection()
    teachers: TeachersSection = TeachersSection()
    careers: CareersSection = CareersSection()
    programme: ProgrammeSection = ProgrammeSection()
    placement: PlacementSection = PlacementSection()
    alumni: AlumniSection = AlumniSection()
    network: NetworkSection = NetworkSection()
    contagion: ContagionSection = ContagionSection()
    support: SupportSection = SupportSection()
    institutions: InstitutionsSection = InstitutionsSection()
    partners: PartnersSection = PartnersSection()
    students: StudentsSection = StudentsSection()
    leadership_index: LeadershipIndexSection = LeadershipIndexSection()
    tipping: TippingSection = TippingSection()

    @model_validator(mode="after")
    def _districts_exist(self) -> Self:
        names = self.district_names()
        named = [("placement.district_names", self.placement.district_names),
                 ("tipping.district_names", self.tipping.district_names)]
        named += [(f"alumni.placement.{role}.district_names", getattr(self.alumni.placement, role).district_names)
                  for role in PLACED_ROLES]
        for where, listed in named:
            unknown = [n for n in listed if n not in names]
            if unknown:
                raise ValueError(
                    f"{where} {unknown} are not districts of the system "
                    f"(known: {names[:10]}{'...' if len(names) > 10 else ''})"
                )
        counts = [("placement.district_count", self.placement.district_count,
                   self.placement.districts in ("most_disadvantaged", "random")),
                  ("tipping.district_count", self.tipping.district_count, self.tipping.scope == "most_disadvantaged")]
        for where, count, used in counts:
            if used and count > self.system.districts:
                raise ValueError(f"{where} {count} exceeds system.districts {self.system.districts}")
        return self

    def district_names(self) -> list[str]:
        s = self.system
        return list(s.district_names) or [f"D{i + 1}" for i in range(s.districts)]

    # --- reading and changing scenarios (sim.scenario.loading does the work; the schema holds no file code) ---

    @classmethod
    def load(cls, path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
        """Read, override and validate a scenario file; raise ScenarioError listing every problem."""
        from sim.scenario.loading import load_scenario

        return load_scenario(path, overrides)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], overrides: dict[str, Any] | None = None, source: str = "<dict>"
    ) -> Scenario:
        """Validate plain data (as in a file), after applying dotted-key overrides."""
        from sim.scenario.loading import scenario_from_dict

        return scenario_from_dict(data, overrides, source)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new Scenario with values replaced by dotted key path, validated again."""
        if not overrides:
            return self
        return Scenario.from_dict(self.model_dump(mode="python"), overrides, source=self.name)
