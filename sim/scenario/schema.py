"""What a scenario may say, with a default for everything left out.

Every default here is listed with its source in docs/model.md; change one, change the other.
Models forbid unknown keys so that a misspelt key is an error, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ROLES = (
    "classroom",
    "school_leader",
    "district_official",
    "ministry",
    "nonprofit",
    "outside",
)
DIMENSIONS = ("roles", "strength", "orientation", "representation", "network", "scale")


# Whole numbers that size arrays are bounded so that no sum or product of them overflows the
# model's 32- and 64-bit indices; whether a valid system fits in memory is sim.memory's question.
MAX_PEOPLE = 10_000_000
MAX_YEARS = 500


class _Section(BaseModel):
    # NaN and infinity are refused everywhere: no setting means either, and NaN passes every bound
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Disadvantage(_Section):
    mean: float = Field(0.5, ge=0, le=1, description="mean disadvantage of a school, 0 (none) to 1")
    district_spread: float = Field(0.15, ge=0, le=0.5, description="SD of district means")
    school_spread: float = Field(0.10, ge=0, le=0.5, description="SD of schools around their district")


class SystemSection(_Section):
    districts: int = Field(10, ge=1, le=100_000)
    district_names: list[str] = Field(default_factory=list, max_length=100_000)
    schools_per_district: int = Field(30, ge=1, le=100_000)
    teachers_per_school: float = Field(20.0, ge=1, le=500)
    school_size_spread: float = Field(0.3, ge=0, le=2, description="coefficient of variation")
    students_per_teacher: float = Field(20.0, gt=0, le=200)
    grades: int = Field(6, ge=1, le=15)
    disadvantage: Disadvantage = Disadvantage()
    district_office_staff: int = Field(20, ge=1, le=MAX_PEOPLE)
    ministry_staff: int = Field(100, ge=1, le=MAX_PEOPLE)

    @model_validator(mode="after")
    def _names_match(self) -> SystemSection:
        if self.district_names and len(self.district_names) != self.districts:
            raise ValueError(
                f"district_names lists {len(self.district_names)} names but districts is "
                f"{self.districts}; give one name per district or none"
            )
        if len(set(self.district_names)) != len(self.district_names):
            raise ValueError("district_names must be unique")
        return self


class TeachersSection(_Section):
    threshold_mean: float = Field(0.45, ge=0, le=1)
    threshold_sd: float = Field(0.10, ge=0, le=1)
    strength_mean: float = Field(0.30, ge=0, le=1)
    orientation_mean: float = Field(0.40, ge=0, le=1)
    rootedness_mean: float = Field(0.50, ge=0, le=1)
    initial_practice: float = Field(0.05, ge=0, le=1)
    novice_years: int = Field(3, ge=0, le=MAX_YEARS)
    novice_threshold_discount: float = Field(0.05, ge=0, le=1)


class CareersSection(_Section):
    enabled: bool = True
    turnover: float = Field(0.12, ge=0, le=1, description="yearly leaving rate, least disadvantaged school")
    turnover_disadvantage: float = Field(0.08, ge=0, le=1, description="extra in the most disadvantaged")
    rootedness_retention: float = Field(0.5, ge=0, le=1)


class ProgrammeSection(_Section):
    cohort_size: int = Field(60, ge=0, le=MAX_PEOPLE)
    cohorts: int = Field(8, ge=0, le=MAX_YEARS, description="number of yearly cohorts")
    cohort_sizes: list[int] | None = Field(
        None, max_length=MAX_YEARS, description="explicit sizes per year; overrides the two above"
    )
    commitment_years: int = Field(2, ge=1, le=10)
    attrition: float = Field(0.08, ge=0, le=1)
    practise_on_arrival: float = Field(0.9, ge=0, le=1)
    strength: float = Field(0.6, ge=0, le=1)
    orientation: float = Field(0.7, ge=0, le=1)
    representation: float = Field(0.3, ge=0, le=1)

    @field_validator("cohort_sizes")
    @classmethod
    def _non_negative(cls, sizes: list[int] | None) -> list[int] | None:
        if sizes is not None and any(s < 0 or s > MAX_PEOPLE for s in sizes):
            raise ValueError(f"cohort sizes must be from 0 to {MAX_PEOPLE:,}")
        return sizes

    def sizes(self) -> list[int]:
        return list(self.cohort_sizes) if self.cohort_sizes is not None else [self.cohort_size] * self.cohorts


class PlacementSection(_Section):
    districts: Literal["all", "most_disadvantaged", "random", "named"] = "all"
    district_count: int = Field(1, ge=1, le=100_000)
    district_names: list[str] = Field(default_factory=list, max_length=100_000)
    clustering: float = Field(0.0, ge=0, le=1, description="0 spreads over every eligible school, 1 packs the fewest")
    school_priority: Literal["most_disadvantaged", "random"] = "most_disadvantaged"
    max_fellow_share: float = Field(0.5, gt=0, le=1, description="most of a school's posts fellows may hold")

    @model_validator(mode="after")
    def _named_needs_names(self) -> PlacementSection:
        if self.districts == "named" and not self.district_names:
            raise ValueError("districts is 'named' but district_names is empty")
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
    def _sum_to_one(self) -> RoleShares:
        total = sum(getattr(self, r) for r in ROLES)
        if abs(total - 1.0) > 1e-6:
            given = ", ".join(f"{r}={getattr(self, r):g}" for r in ROLES if getattr(self, r))
            raise ValueError(f"role shares must sum to 1, these sum to {total:.4g} ({given})")
        return self

    def as_array(self) -> list[float]:
        return [getattr(self, r) for r in ROLES]


class CareerStage(_Section):
    after_years: int = Field(0, ge=0, le=MAX_YEARS, description="years since leaving the programme")
    roles: RoleShares


def _default_stages() -> list[CareerStage]:
    return [
        CareerStage(
            after_years=0,
            roles=RoleShares(
                classroom=0.60, district_official=0.02, ministry=0.01, nonprofit=0.05, outside=0.32,
            ),
        ),
        CareerStage(
            after_years=4,
            roles=RoleShares(
                classroom=0.40, school_leader=0.10, district_official=0.04,
                ministry=0.02, nonprofit=0.06, outside=0.38,
            ),
        ),
    ]


class AlumniSection(_Section):
    stages: list[CareerStage] = Field(default_factory=_default_stages, min_length=1, max_length=100)
    mobility: float = Field(0.25, ge=0, le=1, description="yearly chance an alumnus re-draws a role")
    stay_in_district: float = Field(0.8, ge=0, le=1)

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
    rounds_per_year: int = Field(3, ge=1, le=52)
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
    initial: float = Field(0.1, ge=0, le=1)
    threshold: float = Field(0.2, ge=0, le=1)
    rate: float = Field(0.3, ge=0, le=1)
    weight_staff: float = Field(0.3, ge=0)
    weight_leaders: float = Field(0.5, ge=0)
    weight_ministry: float = Field(0.1, ge=0)
    weight_partners: float = Field(0.1, ge=0)


class MinistryRule(_Section):
    initial: float = Field(0.1, ge=0, le=1)
    threshold: float = Field(0.3, ge=0, le=1)
    rate: float = Field(0.2, ge=0, le=1)
    weight_staff: float = Field(0.5, ge=0)
    weight_districts: float = Field(0.5, ge=0)


class InstitutionsSection(_Section):
    enabled: bool = True
    leader_threshold_mean: float = Field(0.5, ge=0, le=1)
    leader_threshold_sd: float = Field(0.1, ge=0, le=1)
    leader_district_pull: float = Field(0.2, ge=0, le=1)
    district: DistrictRule = DistrictRule()
    ministry: MinistryRule = MinistryRule()


class PartnersSection(_Section):
    enabled: bool = True
    initial: int = Field(0, ge=0, le=1_000_000, description="backbone organisations present at the start")
    schools_per_partner: int = Field(5, ge=1, le=10_000)


class StudentsSection(_Section):
    enabled: bool = True
    practice_effect: float = Field(0.08, description="SD a year, all of a school's teachers practising")
    leader_effect: float = Field(0.05, description="SD a year, aligned school leader")
    district_effect: float = Field(0.02, description="SD a year, full district support")
    turnover_penalty: float = Field(0.08, description="SD a year, the whole staff replaced")
    disadvantage_penalty: float = Field(0.05, description="SD a year lost, fully disadvantaged school")
    entry_gap: float = Field(0.5, description="SD below average on entry, fully disadvantaged school")
    noise_sd: float = Field(0.02, ge=0)
    gap_quantile: float = Field(0.25, gt=0, le=0.5)


class LeadershipIndexSection(_Section):
    scale_reference: float = Field(1 / 14, gt=0, le=1, description="member share counted as full scale")
    network_min_ties: int = Field(2, ge=1, le=10_000)
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
    metric: Literal["practising_share", "mean_achievement", "leadership_index", "district_support"] = (
        "practising_share"
    )
    threshold: float = 0.5
    sustained_years: int = Field(2, ge=1, le=MAX_YEARS)
    scope: Literal["system", "programme_districts"] = "system"


class Scenario(_Section):
    """A validated scenario: the system, the programme and every mechanism's settings."""

    name: str = "scenario"
    description: str = ""
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
    def _placement_fits_system(self) -> Scenario:
        names = self.district_names()
        unknown = [n for n in self.placement.district_names if n not in names]
        if unknown:
            raise ValueError(
                f"placement.district_names {unknown} are not districts of the system "
                f"(known: {names[:10]}{'...' if len(names) > 10 else ''})"
            )
        if self.placement.districts in ("most_disadvantaged", "random") and (
            self.placement.district_count > self.system.districts
        ):
            raise ValueError(
                f"placement.district_count {self.placement.district_count} exceeds "
                f"system.districts {self.system.districts}"
            )
        return self

    def district_names(self) -> list[str]:
        s = self.system
        return list(s.district_names) or [f"D{i + 1}" for i in range(s.districts)]
