"""Mesa agents: thin views onto rows of the model's arrays.

Reading an attribute reads the array; mechanisms never loop over agents. A Teacher is a teaching
post: when its teacher leaves, the newcomer takes the same row (see `person`).
"""

from __future__ import annotations

import mesa

from sim.engine.state import FELLOW, GONE
from sim.scenario import ROLES


class _RowView(mesa.Agent):
    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def state(self):
        return self.model.state


class Teacher(_RowView):
    school = property(lambda self: int(self.state.posts.school[self.row]))
    district = property(lambda self: int(self.state.posts.district[self.row]))
    practising = property(lambda self: bool(self.state.posts.practising[self.row]))
    experience = property(lambda self: int(self.state.posts.experience[self.row]))
    strength = property(lambda self: float(self.state.posts.strength[self.row]))
    orientation = property(lambda self: float(self.state.posts.orientation[self.row]))
    rootedness = property(lambda self: float(self.state.posts.rootedness[self.row]))
    adoption_threshold = property(lambda self: float(self.state.posts.adoption_threshold[self.row]))
    person = property(lambda self: int(self.state.posts.person[self.row]))
    member = property(lambda self: int(self.state.posts.member[self.row]))


class _MemberView(_RowView):
    cohort = property(lambda self: int(self.state.members.cohort[self.row]))
    district = property(lambda self: int(self.state.members.district[self.row]))
    school = property(lambda self: int(self.state.members.school[self.row]))
    post = property(lambda self: int(self.state.members.post[self.row]))
    strength = property(lambda self: float(self.state.members.strength[self.row]))
    orientation = property(lambda self: float(self.state.members.orientation[self.row]))
    rootedness = property(lambda self: float(self.state.members.rootedness[self.row]))
    aligned = property(lambda self: bool(self.state.members.aligned[self.row]))

    @property
    def practising(self) -> bool:
        """Their own practice: the post's while in a classroom, the one they carry otherwise."""
        m = self.state.members
        post = int(m.post[self.row])
        return bool(self.state.posts.practising[post] if post >= 0 else m.practising[self.row])


class Fellow(_MemberView):
    """A teacher in the programme for its commitment."""

    years_in_programme = property(lambda self: int(self.state.members.years_in_programme[self.row]))

    @property
    def is_fellow(self) -> bool:
        return int(self.state.members.status[self.row]) == FELLOW


class Alumnus(_MemberView):
    """A former fellow in a role; roles change as the scenario's alumni placement says."""

    @property
    def role(self) -> str:
        return ROLES[int(self.state.members.role[self.row])]

    @property
    def gone(self) -> bool:
        """Left education for good."""
        return int(self.state.members.status[self.row]) == GONE


class School(_RowView):
    district = property(lambda self: int(self.state.schools.district[self.row]))
    enrolment = property(lambda self: float(self.state.schools.enrolment[self.row]))
    disadvantage = property(lambda self: float(self.state.schools.disadvantage[self.row]))
    leader_aligned = property(lambda self: bool(self.state.schools.leader_aligned[self.row]))
    mean_achievement = property(lambda self: float(self.state.schools.cohorts[self.row].mean()))


class DistrictOffice(_RowView):
    name = property(lambda self: self.state.districts.names[self.row])
    support = property(lambda self: float(self.state.districts.support[self.row]))


class Ministry(mesa.Agent):
    @property
    def alignment(self) -> float:
        return float(self.model.state.ministry_alignment)


class PartnerOrganisation(_RowView):
    """A backbone organisation convening and sharing knowledge across the schools it serves."""

    district = property(lambda self: int(self.state.partners.district[self.row]))
    active = property(lambda self: bool(self.state.partners.active[self.row]))

    @property
    def schools(self) -> list[int]:
        row = self.state.partners.schools[self.row]
        return [int(x) for x in row[row >= 0]]
