"""A slow, literal, per-agent Mesa implementation of the model's yearly rules, for checking the engine.

Each teacher, school, district office and the ministry is a Mesa agent whose `step` applies the rule
docs/model.md states, one agent and one neighbour at a time, in plain Python floats. The oracle is
fed the same random draws as the engine: it draws the same arrays from the same generator at the
same points, then reads its own agent's entry.

Shared with the engine, on purpose: building the starting system (both start from the same state),
and the career moves of programme members (cohort placement and alumni moves are batch assignments
of people to free posts, not per-agent rules; the oracle checks everything they feed into).
"""

from __future__ import annotations

import copy

import mesa
import numpy as np
from sim.build import build_system
from sim.state import DISTRICT_OFFICIAL, MINISTRY, SystemState

from sim.draws import teacher_traits
from sim.mechanisms import careers, institutions, programme
from sim.mechanisms.practice import yearly_ties
from sim.scenario import Scenario


class OracleTeacher(mesa.Agent):
    def __init__(self, model: OracleModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def leave_or_stay(self, u: float) -> bool:
        s, c, i = self.model.state, self.model.config.careers, self.row
        if s.posts.member[i] >= 0:
            return False
        rate = c.turnover + c.turnover_disadvantage * s.schools.disadvantage[s.posts.school[i]]
        rate = rate * (1.0 - c.rootedness_retention * s.posts.rootedness[i])
        return u < rate

    def threshold(self) -> float:
        s, sc, i = self.model.state, self.model.config, self.row
        school, district = s.posts.school[i], s.posts.district[i]
        support = (sc.support.leader * float(s.schools.leader_aligned[school])
                   + sc.support.partner * float(s.schools.partner_served[school] > 0))
        support = support + sc.support.district * s.districts.support[district]
        novice = sc.teachers.novice_threshold_discount * float(s.posts.experience[i] < sc.teachers.novice_years)
        return min(max(s.posts.threshold[i] - support - novice, 0.0), 1.0)

    def weight(self) -> float:
        c, p, i = self.model.config.contagion, self.model.state.posts, self.row
        return 1.0 + c.strength_weight * p.strength[i] + c.rootedness_weight * p.rootedness[i]

    def exposure(self, practising: list[bool], weights: list[float]) -> float:
        numerator = reach = 0.0
        first = True
        for part in self.model.ties:  # the same summation order as the sparse product
            row = slice(part.indptr[self.row], part.indptr[self.row + 1])
            n = r = 0.0
            for j in part.indices[row]:
                n += weights[j] if practising[j] else 0.0
                r += weights[j]
            numerator, reach = (n, r) if first else (numerator + n, reach + r)
            first = False
        return numerator / reach if reach > 0 else 0.0


class OracleSchool(mesa.Agent):
    def __init__(self, model: OracleModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def practising_share(self) -> float:
        s = self.model.state
        lo, hi = s.schools.first_post[self.row], s.schools.first_post[self.row + 1]
        return sum(1.0 for i in range(lo, hi) if s.posts.practising[i]) / s.schools.teachers[self.row]

    def align_leader(self) -> None:
        s, cfg, k = self.model.state, self.model.config.institutions, self.row
        leader = s.schools.leader_member[k]
        if leader >= 0:
            s.schools.leader_aligned[k] = s.members.orientation[leader] >= 0.5
        elif cfg.enabled:
            pull = cfg.leader_district_pull * s.districts.support[s.schools.district[k]]
            s.schools.leader_aligned[k] = self.practising_share() + pull >= s.schools.leader_threshold[k]
        else:
            s.schools.leader_aligned[k] = False

    def teach(self, noise: float) -> None:
        s, st, k = self.model.state, self.model.config.students, self.row
        gain = (st.practice_effect * self.practising_share()
                + st.leader_effect * float(s.schools.leader_aligned[k])
                + st.district_effect * s.districts.support[s.schools.district[k]]
                - st.turnover_penalty * (s.schools.leavers[k] / s.schools.teachers[k])
                - st.disadvantage_penalty * s.schools.disadvantage[k]) + noise
        cohorts = s.schools.cohorts[k]
        for g in range(cohorts.size - 1, 0, -1):
            cohorts[g] = cohorts[g - 1]
        cohorts[0] = s.schools.entry[k]
        for g in range(cohorts.size):
            cohorts[g] += gain


class OracleDistrictOffice(mesa.Agent):
    def __init__(self, model: OracleModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def update(self) -> None:
        s, r, d = self.model.state, self.model.config.institutions.district, self.row
        m = s.members
        officials = sum(1 for i in range(m.size)
                        if m.role[i] == DISTRICT_OFFICIAL and m.orientation[i] >= 0.5 and m.district[i] == d)
        lo, hi = s.districts.first_school[d], s.districts.first_school[d + 1]
        leaders = sum(1.0 for k in range(lo, hi) if s.schools.leader_aligned[k]) / (hi - lo)
        served = sum(1.0 for k in range(lo, hi) if s.schools.partner_served[k] > 0) / (hi - lo)
        total = r.weight_staff + r.weight_leaders + r.weight_ministry + r.weight_partners
        pressure = (0 + r.weight_staff * min(officials / s.districts.office_staff, 1.0) + r.weight_leaders * leaders
                    + r.weight_ministry * s.ministry_alignment + r.weight_partners * served) / total
        level = s.districts.support[d]
        s.districts.support[d] = level + r.rate * ((1.0 if pressure >= r.threshold else 0.0) - level)


class OracleMinistry(mesa.Agent):
    def update(self) -> None:
        s, mr = self.model.state, self.model.config.institutions.ministry
        m = s.members
        staff = sum(1 for i in range(m.size) if m.role[i] == MINISTRY and m.orientation[i] >= 0.5)
        teachers = [s.districts.first_post[d + 1] - s.districts.first_post[d] for d in range(s.districts.size)]
        mean_support = sum(t * v for t, v in zip(teachers, s.districts.support, strict=True)) / sum(teachers)
        total = mr.weight_staff + mr.weight_districts
        pressure = (0 + mr.weight_staff * min(staff / self.model.config.system.ministry_staff, 1.0)
                    + mr.weight_districts * mean_support) / total
        level = s.ministry_alignment
        s.ministry_alignment = level + mr.rate * ((1.0 if pressure >= mr.threshold else 0.0) - level)


class OracleModel(mesa.Model):
    def __init__(self, scenario: Scenario, rng: int) -> None:
        super().__init__(rng=rng)
        self.config = scenario
        self.state: SystemState = build_system(scenario, self.rng)
        self.teachers = [OracleTeacher(self, i) for i in range(self.state.posts.size)]
        self.schools = [OracleSchool(self, k) for k in range(self.state.schools.size)]
        self.offices = [OracleDistrictOffice(self, d) for d in range(self.state.districts.size)]
        self.ministry = OracleMinistry(self)
        self.ties = []

    def prepare(self, engine_model: mesa.Model) -> None:
        """Take the engine's starting state and generator position, so both start identical."""
        self.state = copy.deepcopy(engine_model.state)
        self.rng.bit_generator.state = copy.deepcopy(engine_model.rng.bit_generator.state)

    def step(self) -> None:
        s, sc, rng = self.state, self.config, self.rng
        s.year = int(self.time)
        # teachers leave; newcomers take their posts (draws: one uniform per post, then traits)
        s.schools.leavers[:] = 0
        for i in range(s.posts.size):
            s.posts.experience[i] += 1
        if sc.careers.enabled:
            u = rng.random(s.posts.size)
            leaving = [t.row for t in self.teachers if t.leave_or_stay(u[t.row])]
            traits = teacher_traits(rng, sc.teachers, len(leaving))
            for n, i in enumerate(leaving):
                s.schools.leavers[s.posts.school[i]] += 1
                for name, values in traits.items():
                    getattr(s.posts, name)[i] = values[n]
                s.posts.practising[i] = False
                s.posts.experience[i] = 0
                s.posts.person[i] = s.new_person_ids(1)[0]
        careers.fellows_advance(s, sc, rng)
        careers.alumni_mobility(s, sc, rng)
        programme.recruit_cohort(s, sc, rng)
        institutions.update_partners(s, sc)
        for school in self.schools:
            school.align_leader()
        if sc.institutions.enabled:
            for office in self.offices:
                office.update()
            self.ministry.update()
        self._spread(rng)
        if sc.students.enabled:
            noise = rng.normal(0.0, sc.students.noise_sd, s.schools.size)
            for school in self.schools:
                school.teach(noise[school.row])

    def _spread(self, rng: np.random.Generator) -> None:
        s, c = self.state, self.config.contagion
        if not c.enabled:
            return
        self.ties = yearly_ties(s)
        thresholds = [t.threshold() for t in self.teachers]
        weights = [t.weight() for t in self.teachers]
        practising = [bool(x) for x in s.posts.practising]
        for _ in range(c.rounds_per_year):
            adopt_u = rng.random(s.posts.size)
            spont_u = rng.random(s.posts.size)
            before = list(practising)
            for t in self.teachers:
                i = t.row
                ready = t.exposure(before, weights) >= thresholds[i] and adopt_u[i] < c.adoption_probability
                practising[i] = before[i] or ready or spont_u[i] < c.spontaneous_adoption / c.rounds_per_year
        lapse_u = rng.random(s.posts.size)
        final = list(practising)
        for t in self.teachers:
            i = t.row
            if final[i] and t.exposure(final, weights) < thresholds[i]:
                practising[i] = not lapse_u[i] < c.lapse_rate * (1.0 - s.posts.orientation[i])
        s.posts.practising[:] = practising
