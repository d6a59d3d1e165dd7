"""The model's state: plain NumPy arrays, one row per teaching post, school, district or programme member.

Mesa agents are thin views onto these rows (sim/agents.py); every mechanism reads and writes the
arrays in one vectorised operation, which is what lets a million-teacher system run in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

# Member status and role codes; role codes index sim.scenario.ROLES.
FUTURE, FELLOW, ALUMNUS = 0, 1, 2
CLASSROOM, SCHOOL_LEADER, DISTRICT_OFFICIAL, MINISTRY, NONPROFIT, OUTSIDE = range(6)
NO_ROLE = -1


@dataclass
class Posts:
    """Teaching posts. A teacher who leaves is replaced in the same row by a newcomer."""

    school: np.ndarray  # int32
    district: np.ndarray  # int32
    practising: np.ndarray  # bool
    threshold: np.ndarray  # float64, before support lowers it
    strength: np.ndarray  # float64 [0, 1]
    orientation: np.ndarray  # float64 [0, 1]
    rootedness: np.ndarray  # float64 [0, 1]
    experience: np.ndarray  # int16 years
    member: np.ndarray  # int32 programme member holding the post, -1 for none
    person: np.ndarray  # int64 id of the person in post; changes at turnover

    @property
    def size(self) -> int:
        return self.school.size


@dataclass
class Schools:
    district: np.ndarray  # int32
    first_post: np.ndarray  # int64: posts of school s are first_post[s]:first_post[s + 1]
    teachers: np.ndarray  # int32
    enrolment: np.ndarray  # float64
    disadvantage: np.ndarray  # float64 [0, 1]
    leader_member: np.ndarray  # int32, -1 for a leader from outside the programme
    leader_threshold: np.ndarray  # float64
    leader_aligned: np.ndarray  # bool
    partner_served: np.ndarray  # int32: active partner organisations serving the school
    cohorts: np.ndarray  # float64 (schools x grades): mean achievement of each grade, SD units
    entry: np.ndarray  # float64: achievement of a cohort arriving, SD units
    leavers: np.ndarray  # int32: teachers who left this year

    @property
    def size(self) -> int:
        return self.district.size


@dataclass
class Districts:
    names: list[str]
    first_school: np.ndarray  # int64: schools of district d are first_school[d]:first_school[d + 1]
    first_post: np.ndarray  # int64
    disadvantage: np.ndarray  # float64 mean over its schools
    support: np.ndarray  # float64 [0, 1]
    office_staff: int
    programme: np.ndarray  # bool: receives fellows

    @property
    def size(self) -> int:
        return len(self.names)


@dataclass
class Members:
    """Everyone the programme will ever recruit, allocated up front so rows never move."""

    cohort: np.ndarray  # int32 index of the yearly cohort
    status: np.ndarray  # int8 FUTURE / FELLOW / ALUMNUS
    role: np.ndarray  # int8 role code, NO_ROLE before recruitment
    district: np.ndarray  # int32, -1 when the role has none (ministry, outside)
    school: np.ndarray  # int32, -1 unless in a classroom or leading a school
    post: np.ndarray  # int64 teaching post, -1 unless in a classroom
    years_in_programme: np.ndarray  # int16
    left_programme: np.ndarray  # int32 year the member became an alumnus, -1 before
    strength: np.ndarray  # float64
    orientation: np.ndarray  # float64
    rootedness: np.ndarray  # float64
    founded_partner: np.ndarray  # int32 partner row founded by the member, -1 for none
    tie_a: np.ndarray  # int32: alumni-network ties as member pairs (a, b)
    tie_b: np.ndarray  # int32

    @property
    def size(self) -> int:
        return self.cohort.size

    @property
    def aligned(self) -> np.ndarray:
        """A member acts for the shared purpose in a role of influence (orientation dimension)."""
        return self.orientation >= 0.5

    @property
    def active(self) -> np.ndarray:
        """Recruited and still inside the school system."""
        return (self.status != FUTURE) & (self.role != OUTSIDE)


@dataclass
class Partners:
    """Partner (backbone) organisations, rows allocated up front: those present at the start, then
    room for one founded by each member. `count` rows are in use."""

    district: np.ndarray  # int32
    founder: np.ndarray  # int32 member row, -1 for an organisation present at the start
    schools: np.ndarray  # int64 (rows x schools_per_partner), -1 padding
    active: np.ndarray  # bool
    count: int = 0

    @property
    def size(self) -> int:
        return self.count


@dataclass
class SystemState:
    posts: Posts
    schools: Schools
    districts: Districts
    members: Members
    partners: Partners
    static_ties: sp.csr_matrix  # teacher network within and across schools (posts x posts)
    placement_order: np.ndarray  # int64 eligible schools in the order the programme fills them
    host_count: int  # the first host_count of them receive fellows; grows only when they are full
    ministry_alignment: float = 0.0
    next_person: int = 0
    year: int = 0
    unplaced_fellows: int = 0

    @property
    def host_schools(self) -> np.ndarray:
        return self.placement_order[: self.host_count]

    def new_person_ids(self, n: int) -> np.ndarray:
        ids = np.arange(self.next_person, self.next_person + n, dtype=np.int64)
        self.next_person += n
        return ids
