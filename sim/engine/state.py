"""The state of a batch of school systems: plain NumPy arrays, one row per post, school, district, member.

A batch holds B independent systems laid out one after another: every row carries `sys`, the
system it belongs to, and every cross-reference (a post's school, a member's post...) is a row
index into the whole batch. A single system is a batch of one. Mesa agents (sim/agents.py) are
thin views onto these rows; mechanisms update them in whole-array operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

# Member status and role codes; role codes index sim.scenario.ROLES.
FUTURE, FELLOW, ALUMNUS, GONE = 0, 1, 2, 3  # GONE: left education for good
CLASSROOM, SCHOOL_LEADER, DISTRICT_OFFICIAL, MINISTRY, NONPROFIT, OUTSIDE = range(6)
NO_ROLE = -1


@dataclass
class Posts:
    """Teaching posts. A teacher who leaves is replaced in the same row by a newcomer."""

    sys: np.ndarray  # int32 system of the batch
    school: np.ndarray  # int64 row in schools
    district: np.ndarray  # int64 row in districts
    practising: np.ndarray  # bool: the person in post practises (members carry it when they move)
    adoption_threshold: np.ndarray  # float64: share of weighted colleagues practising needed, before support
    strength: np.ndarray  # float64 [0, 1]
    orientation: np.ndarray  # float64 [0, 1]
    rootedness: np.ndarray  # float64 [0, 1]
    experience: np.ndarray  # int16 years
    member: np.ndarray  # int64 programme member holding the post, -1 for none
    person: np.ndarray  # int64 id of the person in post within their system; changes at turnover

    @property
    def size(self) -> int:
        return self.school.size


@dataclass
class Schools:
    sys: np.ndarray  # int32
    district: np.ndarray  # int64
    first_post: np.ndarray  # int64 (schools + 1): posts of school s are first_post[s]:first_post[s + 1]
    teachers: np.ndarray  # int32
    enrolment: np.ndarray  # float64
    disadvantage: np.ndarray  # float64 [0, 1]
    leader_member: np.ndarray  # int64, -1 for a leader from outside the programme
    leader_staff_needed: np.ndarray  # float64: practising staff share (plus pull) the leader needs to align
    leader_aligned: np.ndarray  # bool
    partner_served: np.ndarray  # int32: active partner organisations serving the school
    hosted: np.ndarray  # bool: hosts or has hosted fellows
    cohorts: np.ndarray  # float64 (schools x grades): mean achievement of each grade, SD units
    excess: np.ndarray  # float64 (schools x grades): achievement above the no-programme path, SD units
    entry: np.ndarray  # float64: achievement of a cohort arriving, SD units
    baseline_gain: np.ndarray  # float64: a year's gain under the starting conditions (the no-programme path)
    leavers: np.ndarray  # int32: teachers who left this year

    @property
    def size(self) -> int:
        return self.district.size


@dataclass
class Districts:
    sys: np.ndarray  # int32
    names: list[str]
    first_school: np.ndarray  # int64 (districts + 1)
    first_post: np.ndarray  # int64 (districts + 1)
    disadvantage: np.ndarray  # float64 mean over its schools
    support: np.ndarray  # float64 [0, 1]
    programme: np.ndarray  # bool: holds host schools
    tipping_scope: np.ndarray  # bool: in the tipping rule's fixed scope (unused for scope programme_districts)

    @property
    def size(self) -> int:
        return len(self.names)


@dataclass
class Members:
    """Everyone the programme will ever recruit, allocated up front so rows never move."""

    sys: np.ndarray  # int32
    cohort: np.ndarray  # int32 index of the yearly cohort
    status: np.ndarray  # int8 FUTURE / FELLOW / ALUMNUS / GONE
    role: np.ndarray  # int8 role code, NO_ROLE before recruitment
    district: np.ndarray  # int64, -1 when the role has none (ministry, outside)
    school: np.ndarray  # int64, -1 unless in a classroom or leading a school
    post: np.ndarray  # int64 teaching post, -1 unless in a classroom
    years_in_programme: np.ndarray  # int16
    left_programme: np.ndarray  # int32 year the member became an alumnus, -1 before
    strength: np.ndarray  # float64
    orientation: np.ndarray  # float64
    rootedness: np.ndarray  # float64
    practising: np.ndarray  # bool: their own practice, kept while out of a classroom
    founded_partner: np.ndarray  # int64 partner row founded by the member, -1 for none
    tie_a: np.ndarray  # int64: alumni-network ties as member pairs (a, b), both of one system
    tie_b: np.ndarray  # int64

    @property
    def size(self) -> int:
        return self.cohort.size

    @property
    def aligned(self) -> np.ndarray:
        """A member acts for the shared purpose in a role of influence."""
        return self.orientation >= 0.5

    @property
    def active(self) -> np.ndarray:
        """Recruited and still inside the school system."""
        return ((self.status == FELLOW) | (self.status == ALUMNUS)) & (self.role != OUTSIDE)


@dataclass
class Partners:
    """Partner (backbone) organisations. Rows are allocated up front per system: those present at the
    start, then room for one founded by each member; `Systems.partner_count` rows of each are in use."""

    sys: np.ndarray  # int32
    district: np.ndarray  # int64
    founder: np.ndarray  # int64 member row, -1 for an organisation present at the start
    schools: np.ndarray  # int64 (rows x most schools per partner in the batch), -1 padding
    active: np.ndarray  # bool

    @property
    def size(self) -> int:
        return self.sys.size


@dataclass
class Systems:
    """One entry per system: where its rows start, and its system-wide state."""

    first_post: np.ndarray  # int64 (B + 1)
    first_school: np.ndarray
    first_district: np.ndarray
    first_member: np.ndarray
    first_partner: np.ndarray
    first_placement: np.ndarray  # int64 (B + 1) into placement_order
    placement_order: np.ndarray  # int64 schools in the order each system's programme fills them
    host_count: np.ndarray  # int64: the first host_count of a system's order receive fellows
    partner_count: np.ndarray  # int64 partner rows in use
    ministry_alignment: np.ndarray  # float64
    next_person: np.ndarray  # int64
    unplaced_fellows: np.ndarray  # int64, since the start
    unplaced_moves: np.ndarray  # int64, this year: alumni moves that found no position

    @property
    def size(self) -> int:
        return self.host_count.size


@dataclass
class SystemState:
    posts: Posts
    schools: Schools
    districts: Districts
    members: Members
    partners: Partners
    systems: Systems
    static_ties: sp.csr_matrix  # teacher network within and across schools (posts x posts), block diagonal
    year: int = 0

    @property
    def batch_size(self) -> int:
        return self.systems.size

    def host_schools(self, system: int = 0) -> np.ndarray:
        first = self.systems.first_placement[system]
        return self.systems.placement_order[first: first + self.systems.host_count[system]]

    def new_person_ids(self, sys_of_each: np.ndarray) -> np.ndarray:
        """Fresh person ids, numbered within each system, for people grouped by system."""
        counts = np.bincount(sys_of_each, minlength=self.batch_size)
        ids = self.systems.next_person[sys_of_each] + rank_in_groups(sys_of_each)
        self.systems.next_person += counts
        return ids


def rank_in_groups(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal values of a sorted group array."""
    if groups.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], groups[1:] != groups[:-1]]))
    lengths = np.diff(np.append(starts, groups.size))
    return np.arange(groups.size) - np.repeat(starts, lengths)
