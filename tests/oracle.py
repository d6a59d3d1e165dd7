"""A slow, literal, per-agent Mesa implementation of the model's yearly rules, for checking the engine.

The engine (sim/engine, sim/mechanisms, sim/network, sim/contagion) runs a batch of systems in
whole-array operations. This oracle runs ONE system as Mesa agents -- a `Post` (a teaching post and
the person in it), a `School`, a `DistrictOffice`, the `Ministry`, a `Member` of the programme
(future fellow, fellow, alumnus) and a `Partner` organisation -- each applying the model's rules to
itself in plain Python loops over ints and floats, one agent and one neighbour at a time. It builds
its own system from the Scenario, runs its own careers, recruitment, partners, institutions,
contagion and students, and computes its own yearly indicators and tipping rule. tests/test_oracle.py
runs it in lockstep with the engine and compares every array of state and every indicator, every year.

Nothing of the engine is imported or called: not sim.engine (bar the status and role codes of
sim.engine.state, which are names for numbers), sim.mechanisms, sim.network, sim.contagion or
sim.draws. What the oracle shares, and why:

- **The Scenario** (sim.scenario): the validated input and its lists ROLES, DIMENSIONS and
  TIPPING_METRICS, which are the specification both sides implement, not engine code.
- **The random stream.** Both sides draw from a numpy Generator seeded the same way. The oracle
  makes the same calls (method, size, parameters, and the same shape of `high` for `integers`) in
  the same order, then lets each agent read its own entry, so both see the same numbers. Where the
  engine orders a draw's entries (posts in row order, movers in member order, free posts school by
  school) the oracle lists its agents in that order; this order is part of the rules.
- **The model's constants**, written here again: the Beta concentration 10 of people's traits and
  the quarter of teachers that counts as full reach (docs/model.md). If the engine's change, the
  comparison fails, which is right: the docs must change with them.
- **NumPy's elementary functions** (exp, log, log1p, power) on one-element arrays. On CPUs with
  AVX-512, NumPy's vectorised exp/log/power differ from Python's `math` in the last bit for a few
  percent of arguments; using NumPy's keeps floats identical. This is the floating-point library,
  not the model.
- **Summation order.** The oracle adds floats in the order the engine's reductions do, so sums
  agree bit for bit rather than within a tolerance: np.bincount, np.cumsum, CSR matrix-vector
  products and np.add.at add one term at a time in index order (a neighbour's columns sorted);
  a reduction over the last axis of fewer than 8 entries adds them in order from 0, and from 8 on
  in NumPy's pairwise blocks of eight (`numpy_sum`, used for a school's mean over its grades).
  Contagion keeps each teacher's weight of practising neighbours as a running total, added to as
  neighbours adopt (static ties first, then alumni ties, adopters in post order), as the engine
  does, instead of recomputing it.

Every rule below names the part of the model it implements; the engine's module docstrings state
the same rules (docs/model.md is being rewritten to match them). Where the engine does something
other than its docstrings say, the oracle does what the engine does, so that the comparison stays
exact, and a strict xfail test in tests/test_oracle.py states the documented rule: district roles
steered to `host_schools` draw from the planned hosts' districts; a colleague tied both statically
and through the alumni network counts twice in exposure; alumni ties are drawn with replacement;
members leaving a classroom are not counted among its leavers; a seated member keeps the post's
previous adoption threshold; a live change of students.gap_quantile is not read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from sim.engine.state import (
    ALUMNUS,
    CLASSROOM,
    DISTRICT_OFFICIAL,
    FELLOW,
    FUTURE,
    GONE,
    MINISTRY,
    NO_ROLE,
    NONPROFIT,
    OUTSIDE,
    SCHOOL_LEADER,
)
from sim.scenario import DIMENSIONS, ROLES, Scenario

CONCENTRATION = 10.0  # people's traits: Beta(m k, (1 - m) k)
ROLES_REFERENCE = 0.25  # a quarter of teachers within reach of leading members is full reach
ROLE_CODES = {"classroom": CLASSROOM, "school_leader": SCHOOL_LEADER, "district_official": DISTRICT_OFFICIAL,
              "nonprofit": NONPROFIT}


# --- floating point, as NumPy computes it ---------------------------------------------------------

def _np1(ufunc, *args: float) -> float:
    return float(ufunc(*(np.array([a], dtype=np.float64) for a in args))[0])


def np_exp(x: float) -> float:
    return _np1(np.exp, x)


def np_log(x: float) -> float:
    return _np1(np.log, x)


def np_log1p(x: float) -> float:
    return _np1(np.log1p, x)


def np_pow(x: float, y: float) -> float:
    return _np1(np.power, x, y)


def numpy_sum(values: Sequence[float]) -> float:
    """NumPy's sum of a row of fewer than 16 entries (a school has at most 15 grades): in order from 0 below 8
    entries; from 8, eight partial sums of one entry each added pairwise, then the rest in order."""
    if len(values) >= 16:
        raise ValueError("numpy_sum follows NumPy's pairwise summation only for rows of fewer than 16 entries")
    if len(values) < 8:
        total = 0.0
        for v in values:
            total += v
        return total
    r = values
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for v in values[8:]:
        total += v
    return total


def clip01(x: float) -> float:
    return min(max(x, 0.0), 1.0)


# --- agents -----------------------------------------------------------------------------------------

class Post(mesa.Agent):
    """A teaching post and the person in it: a teacher from outside the programme, or a member."""

    def __init__(self, model: OracleModel, row: int, school: School) -> None:
        super().__init__(model)
        self.row, self.school, self.district = row, school, school.district
        self.practising = False
        self.adoption_threshold = self.strength = self.orientation = self.rootedness = 0.0
        self.experience = 0
        self.member: Member | None = None
        self.person = row
        self.static_ties: list[Post] = []  # neighbours within and across schools, by row

    def leaving_rate(self) -> float:
        """Careers: the yearly chance a teacher from outside the programme leaves (the engine's turnover rule)."""
        c = self.model.sc.careers
        return (c.turnover + c.turnover_disadvantage * self.school.disadvantage) * (
            1.0 - c.rootedness_retention * self.rootedness)

    def take_newcomer(self, threshold: float, strength: float, orientation: float, rootedness: float) -> None:
        self.adoption_threshold, self.strength = threshold, strength
        self.orientation, self.rootedness = orientation, rootedness
        self.practising = False
        self.experience = 0
        self.member = None
        self.person = self.model.new_person()

    def effective_threshold(self) -> float:
        """Adoption threshold less support (aligned leader, partner, district) and the novice discount."""
        sc, school = self.model.sc, self.school
        support = sc.support.leader * float(school.leader_aligned) + sc.support.partner * float(
            school.partner_served > 0)
        support = support + sc.support.district * self.district.support
        novice = sc.teachers.novice_discount * float(self.experience < sc.teachers.novice_years)
        return clip01(self.adoption_threshold - support - novice)

    def influence(self) -> float:
        c = self.model.sc.contagion
        return 1.0 + c.strength_weight * self.strength + c.rootedness_weight * self.rootedness


class School(mesa.Agent):
    def __init__(self, model: OracleModel, row: int, district: DistrictOffice, disadvantage: float) -> None:
        super().__init__(model)
        self.row, self.district, self.disadvantage = row, district, disadvantage
        self.posts: list[Post] = []
        self.teachers = 0
        self.enrolment = 0.0
        self.leader: Member | None = None
        self.leader_staff_needed = 0.0
        self.leader_aligned = False
        self.partner_served = 0
        self.hosted = False
        self.cohorts: list[float] = []
        self.excess: list[float] = []
        self.entry = 0.0
        self.baseline_gain = 0.0
        self.leavers = 0

    def practising_count(self) -> int:
        return sum(1 for p in self.posts if p.practising)

    def members_in_posts(self) -> int:
        return sum(1 for p in self.posts if p.member is not None)

    def fellows_in_posts(self) -> int:
        return sum(1 for p in self.posts if p.member is not None and p.member.status == FELLOW)

    def align_leader(self) -> None:
        """A programme leader acts on their orientation; another follows staff practice plus district pull."""
        cfg = self.model.sc.institutions
        if self.leader is not None:
            self.leader_aligned = self.leader.aligned()
        else:
            pull = cfg.leader_district_pull * self.district.support
            share = self.practising_count() / self.teachers
            self.leader_aligned = bool(share + pull >= self.leader_staff_needed) and cfg.enabled

    def yearly_gain(self, leavers: float) -> float:
        st = self.model.sc.students
        by_members = sum(1 for p in self.posts if p.practising and p.member is not None) / self.teachers
        by_others = sum(1 for p in self.posts if p.practising and p.member is None) / self.teachers
        return (st.programme_teacher_effect * by_members + st.peer_practice_effect * by_others
                + st.leader_effect * float(self.leader_aligned)
                + st.district_effect * self.district.support
                - st.turnover_penalty * leavers / self.teachers
                - st.disadvantage_penalty * self.disadvantage)

    def expected_leavers(self) -> float:
        enabled = 1.0 if self.model.sc.careers.enabled else 0.0
        total = 0.0
        for p in self.posts:
            total += p.leaving_rate() * enabled * (1.0 if p.member is None else 0.0)
        return total

    def start_cohorts(self) -> None:
        """Every grade as if the starting conditions had always held: the school's no-programme path."""
        self.baseline_gain = self.yearly_gain(self.expected_leavers())
        grades = self.model.sc.system.grades
        self.cohorts = [self.entry + self.baseline_gain * g for g in range(1, grades + 1)]
        self.excess = [0.0] * grades

    def teach(self, noise: float) -> None:
        """The oldest grade leaves, a new one enters on the path, every grade gains; the lead over the path fades."""
        persistence = self.model.sc.students.persistence
        fade = 1.0 - persistence
        gain = self.yearly_gain(self.leavers) + noise
        cohorts = [self.entry, *self.cohorts[:-1]]
        excess = [0.0, *self.excess[:-1]]
        self.cohorts = [c + (gain - fade * e) for c, e in zip(cohorts, excess, strict=True)]
        self.excess = [(1.0 - fade) * e + (gain - self.baseline_gain) for e in excess]

    def achievement(self) -> float:
        return numpy_sum(self.cohorts) / len(self.cohorts)

    def gain(self) -> float:
        return numpy_sum(self.excess) / len(self.excess)


class DistrictOffice(mesa.Agent):
    def __init__(self, model: OracleModel, row: int, name: str) -> None:
        super().__init__(model)
        self.row, self.name = row, name
        self.schools: list[School] = []
        self.disadvantage = 0.0
        self.support = model.sc.institutions.district.initial
        self.programme = False
        self.tipping_scope = False
        self.streak = 0

    @property
    def teachers(self) -> int:
        return sum(s.teachers for s in self.schools)

    def update(self) -> None:
        """Support moves toward 1 while the pressure reaches what the office needs, else back to rest."""
        model, r = self.model, self.model.sc.institutions.district
        officials = sum(1 for m in model.members if m.role == DISTRICT_OFFICIAL and m.aligned()
                        and m.district is self and m.active())
        staff_share = min(officials / model.sc.system.district_office_staff, 1.0)
        leader_share = sum(1.0 for s in self.schools if s.leader_aligned) / len(self.schools)
        served_share = sum(1.0 for s in self.schools if s.partner_served > 0) / len(self.schools)
        pressure = weighted_mean([(r.weight_staff, staff_share), (r.weight_leaders, leader_share),
                                  (r.weight_ministry, model.ministry.alignment), (r.weight_partners, served_share)])
        target = 1.0 if pressure >= r.pressure_needed else r.initial
        self.support = self.support + r.rate * (target - self.support)


class Ministry(mesa.Agent):
    def __init__(self, model: OracleModel) -> None:
        super().__init__(model)
        self.alignment = model.sc.institutions.ministry.initial

    def update(self) -> None:
        model, r = self.model, self.model.sc.institutions.ministry
        staff = sum(1 for m in model.members if m.role == MINISTRY and m.aligned() and m.active())
        weighted = teachers = 0.0
        for d in model.districts:
            weighted += d.support * d.teachers
        for d in model.districts:
            teachers += d.teachers
        pressure = weighted_mean([(r.weight_staff, min(staff / model.sc.system.ministry_staff, 1.0)),
                                  (r.weight_districts, weighted / teachers)])
        target = 1.0 if pressure >= r.pressure_needed else r.initial
        self.alignment = self.alignment + r.rate * (target - self.alignment)


def weighted_mean(terms: list[tuple[float, float]]) -> float:
    total = weighted = 0.0
    for w, _ in terms:
        total += w
    for w, v in terms:
        weighted += w * v
    return weighted / total if total > 0 else 0.0


class Member(mesa.Agent):
    """Someone the programme recruits: a future fellow, a fellow, an alumnus, or gone for good."""

    def __init__(self, model: OracleModel, row: int, cohort: int) -> None:
        super().__init__(model)
        self.row, self.cohort = row, cohort
        self.status, self.role = FUTURE, NO_ROLE
        self.district: DistrictOffice | None = None
        self.school: School | None = None
        self.post: Post | None = None
        self.years_in_programme = 0
        self.left_programme = -1
        self.strength = self.orientation = self.rootedness = 0.0
        self.practising = False  # their own practice, carried while out of a classroom
        self.founded: Partner | None = None
        self.ties: list[Member] = []  # the members this one named

    def aligned(self) -> bool:
        return self.orientation >= 0.5

    def active(self) -> bool:
        return self.status in (FELLOW, ALUMNUS) and self.role != OUTSIDE

    def leads(self) -> bool:
        """In the system and practising (in a classroom: their post's practice)."""
        own = self.post.practising if self.post is not None else self.practising
        return self.active() and own

    def reach(self) -> float:
        model, sc = self.model, self.model.sc
        posts, schools = len(model.posts), len(model.schools)
        if self.role == CLASSROOM:
            return 1.0
        if self.role == SCHOOL_LEADER:
            return float(self.school.teachers)
        if self.role == DISTRICT_OFFICIAL:
            # a district official with no district (never the case) would read district 0, as the engine does
            district = self.district if self.district is not None else model.districts[0]
            return district.teachers / sc.system.district_office_staff
        if self.role == MINISTRY:
            return float(posts) / sc.system.ministry_staff
        if self.role == NONPROFIT:
            return sc.partners.schools_per_partner * float(posts) / schools
        return 0.0


class Partner(mesa.Agent):
    def __init__(self, model: OracleModel, row: int) -> None:
        super().__init__(model)
        self.row = row
        self.district: DistrictOffice | None = None
        self.founder: Member | None = None
        self.schools: list[School] = []
        self.active = False


# --- the model --------------------------------------------------------------------------------------

class OracleModel(mesa.Model):
    """One school system, agent by agent. `OracleModel(scenario, rng=seed)`; `step()` is one year."""

    def __init__(self, scenario: Scenario, rng: int) -> None:
        if not isinstance(rng, int | np.integer):
            raise TypeError("the oracle takes an integer seed (Mesa draws from a Generator it is given)")
        super().__init__(rng=int(rng))
        self.sc = scenario  # Mesa keeps its own `scenario`
        self.year = 0
        self.unplaced_fellows = 0
        self.unplaced_moves = 0
        self.yearly_rows: list[dict[str, float]] = []
        self.district_rows: list[list[dict[str, float]]] = []
        self.streak = 0
        self.tipped_year = -1
        self._build()
        self._start()
        self.observe()

    # --- drawing, as the engine's calls draw -------------------------------------------------------

    def uniforms(self, n: int) -> list[float]:
        return self.rng.random(n).tolist() if n else []

    def normals(self, n: int) -> list[float]:
        return self.rng.standard_normal(n).tolist() if n else []

    def clipped_normals(self, mean: float, sd: float, n: int) -> list[float]:
        return [clip01(mean + sd * z) for z in self.normals(n)]

    def betas(self, mean: float, n: int) -> list[float]:
        """Traits around a mean: Beta(m k, (1 - m) k); a mean of 0 or 1 is that value, undrawn."""
        if n == 0:
            return []
        if mean <= 0.0 or mean >= 1.0:
            return [clip01(mean)] * n
        return self.rng.beta(mean * CONCENTRATION, (1.0 - mean) * CONCENTRATION, n).tolist()

    def integers_below(self, low: int, highs: list[int]) -> list[int]:
        """One draw in [low, high) per entry, as Generator.integers with an array of highs."""
        return self.rng.integers(low, np.array(highs, dtype=np.int64)).tolist() if highs else []

    def new_person(self) -> int:
        self.next_person += 1
        return self.next_person - 1

    # --- building the system ----------------------------------------------------------------------------

    def _build(self) -> None:
        sc = self.sc
        sy, dis = sc.system, sc.system.disadvantage
        names = sc.district_names()
        self.districts = [DistrictOffice(self, d, names[d]) for d in range(sy.districts)]
        district_mean = [clip01(dis.mean + dis.district_spread * z) for z in self.normals(sy.districts)]
        n_schools = sy.districts * sy.schools_per_district
        z = self.normals(n_schools)
        self.schools: list[School] = []
        for k in range(n_schools):
            d = self.districts[k // sy.schools_per_district]
            school = School(self, k, d, clip01(district_mean[d.row] + dis.school_spread * z[k]))
            d.schools.append(school)
            self.schools.append(school)
        # school sizes: lognormal with the mean and coefficient of variation asked for
        cv = sy.school_size_spread
        if cv > 0:
            sigma2 = np_log1p(cv * cv)
            mu, sigma = np_log(sy.teachers_per_school) - sigma2 / 2, math.sqrt(sigma2)
            sizes = [max(1, round(np_exp(mu + sigma * z))) for z in self.normals(n_schools)]  # half to even, as np.rint
        else:
            sizes = [max(1, round(sy.teachers_per_school))] * n_schools
        self.posts: list[Post] = []
        for school, size in zip(self.schools, sizes, strict=True):
            school.teachers = size
            school.enrolment = size * sy.students_per_teacher
            for _ in range(size):
                post = Post(self, len(self.posts), school)
                school.posts.append(post)
                self.posts.append(post)
        n = len(self.posts)
        self.next_person = n
        t = sc.teachers
        thresholds = self.clipped_normals(t.adoption_threshold_mean, t.adoption_threshold_sd, n)
        traits = [self.betas(t.strength_mean, n), self.betas(t.orientation_mean, n), self.betas(t.rootedness_mean, n)]
        for i, post in enumerate(self.posts):
            post.adoption_threshold = thresholds[i]
            post.strength, post.orientation, post.rootedness = (x[i] for x in traits)
        # experience as if the expected turnover had always held
        enabled = 1.0 if sc.careers.enabled else 0.0
        rates = [p.leaving_rate() * enabled for p in self.posts]
        total = 0.0
        for r in rates:
            total += r
        mean_rate = min(max(total / max(n, 1), 0.02), 1.0)
        years = self.rng.geometric(mean_rate, n).tolist() if n else []
        for post, y in zip(self.posts, years, strict=True):
            post.experience = min(y - 1, 40)
        shares = [self._starting_practice(p, r) for p, r in zip(self.posts, rates, strict=True)]
        for post, u, share in zip(self.posts, self.uniforms(n), shares, strict=True):
            post.practising = u < share

        inst = sc.institutions
        needed = self.clipped_normals(inst.leader_staff_needed_mean, inst.leader_staff_needed_sd, n_schools)
        for school, x in zip(self.schools, needed, strict=True):
            school.leader_staff_needed = x
            school.entry = -sc.students.entry_gap * school.disadvantage
        for d in self.districts:
            total = 0.0
            for s in d.schools:
                total += s.disadvantage
            d.disadvantage = total / sy.schools_per_district
        self._tipping_scope()
        self._build_members()
        self._build_static_ties()
        self.partners = [Partner(self, r) for r in range(sc.partners.initial + len(self.members))]
        self.partner_count = 0
        self.ministry = Ministry(self)
        self._plan_placement()

    def _starting_practice(self, post: Post, turnover: float) -> float:
        """'equilibrium': the share that spontaneous uptake, unsupported lapses and turnover hold steady."""
        sc, c = self.sc, self.sc.contagion
        if sc.teachers.initial_practice != "equilibrium":
            return float(sc.teachers.initial_practice)
        if not c.enabled:
            return 0.0
        keep = np_pow(1.0 - c.spontaneous_adoption / c.rounds_per_year, float(c.rounds_per_year))
        stay = 1.0 - c.lapse_rate * (1.0 - post.orientation)
        denominator = 1.0 - stay * keep * (1.0 - turnover)
        return clip01(stay * (1.0 - keep) / denominator) if denominator > 0 else 0.0

    def _tipping_scope(self) -> None:
        tip = self.sc.tipping
        if tip.scope == "system":
            for d in self.districts:
                d.tipping_scope = True
        elif tip.scope == "most_disadvantaged":
            for d in self.most_disadvantaged_districts()[: tip.district_count]:
                d.tipping_scope = True
        elif tip.scope == "named":
            for d in self.districts:
                d.tipping_scope = d.name in tip.district_names

    def most_disadvantaged_districts(self) -> list[DistrictOffice]:
        return sorted(self.districts, key=lambda d: (-d.disadvantage, d.row))

    def _build_members(self) -> None:
        sc = self.sc
        sizes = sc.programme.sizes()
        self.members = [Member(self, 0, k) for k, size in enumerate(sizes) for _ in range(size)]
        for row, m in enumerate(self.members):
            m.row = row
        n = len(self.members)
        each = sc.network.alumni_ties if n >= 2 else 0
        named = self.integers_below(0, [n - 1] * (n * each))
        for k, b in enumerate(named):
            a = k // each
            self.members[a].ties.append(self.members[b + (b >= a)])
        prog = sc.programme
        traits = [self.betas(prog.strength, n), self.betas(prog.orientation, n), self.betas(prog.rootedness, n)]
        for i, m in enumerate(self.members):
            m.strength, m.orientation, m.rootedness = (x[i] for x in traits)

    def _build_static_ties(self) -> None:
        """Each teacher names colleagues at random offsets round their school, and a few across the district."""
        net = self.sc.network
        pairs: list[tuple[Post, Post]] = []
        owners, highs = [], []
        for post in self.posts:
            size = post.school.teachers
            for _ in range(max(min(net.within_school_ties, size - 1), 0)):
                owners.append(post)
                highs.append(max(size, 2))
        for post, offset in zip(owners, self.integers_below(1, highs), strict=True):
            school = post.school
            local = post.row - school.posts[0].row
            pairs.append((post, school.posts[(local + offset) % school.teachers]))
        owners = [post for post in self.posts for _ in range(net.across_school_ties)]
        for post, u in zip(owners, self.uniforms(len(owners)), strict=True):
            district_posts = [p for s in post.district.schools for p in s.posts]
            other = district_posts[min(int(u * len(district_posts)), len(district_posts) - 1)]
            if other.school is not post.school:
                pairs.append((post, other))
        neighbours: list[set[int]] = [set() for _ in self.posts]
        for a, b in pairs:
            if a is not b:
                neighbours[a.row].add(b.row)
                neighbours[b.row].add(a.row)
        for post in self.posts:
            post.static_ties = [self.posts[j] for j in sorted(neighbours[post.row])]

    def fellows_in_post(self) -> int:
        """The most fellows in post at once: cohorts overlap for the commitment."""
        sizes, years = self.sc.programme.sizes(), self.sc.programme.commitment_years
        return max((sum(sizes[max(0, y - years + 1): y + 1]) for y in range(len(sizes))), default=0)

    def _plan_placement(self) -> None:
        """Eligible schools in the order cohorts fill them: a few of each eligible district in turn (its
        most disadvantaged, or random, first), most disadvantaged districts first; and how many host."""
        rule = self.sc.placement
        if rule.districts == "all":
            eligible_districts = list(self.districts)
        elif rule.districts == "most_disadvantaged":
            eligible_districts = self.most_disadvantaged_districts()[: rule.district_count]
        elif rule.districts == "random":
            picked = self.rng.choice(len(self.districts), rule.district_count, replace=False).tolist()
            eligible_districts = [self.districts[i] for i in picked]
        else:
            eligible_districts = [d for d in self.districts if d.name in rule.district_names]
        chosen = {d.row for d in eligible_districts}
        eligible = [s for s in self.schools if s.district.row in chosen]
        if rule.school_priority == "random":
            key = dict(zip((s.row for s in eligible), self.uniforms(len(eligible)), strict=True))
        else:
            key = {s.row: -s.disadvantage for s in eligible}
        rank = {}
        for d in self.districts:
            mine = sorted((s for s in eligible if s.district is d), key=lambda s: (key[s.row], s.row))
            for r, s in enumerate(mine):
                rank[s.row] = r
        order = sorted(eligible, key=lambda s: (rank[s.row], -s.district.disadvantage, s.row))
        size = len(order)
        in_post = self.fellows_in_post()
        if rule.host_schools is not None:
            wanted = rule.host_schools
        elif rule.fellows_per_host is not None:
            wanted = math.ceil(in_post / rule.fellows_per_host)
        else:
            wanted = round(np_pow(float(size), 1.0 - (rule.clustering or 0.0)))
        # enough host schools to hold the fellows in post with none above its share
        needed, within = size + 1, 0
        for position, school in enumerate(order):
            within += math.floor(rule.max_fellow_share * school.teachers)
            if within >= in_post:
                needed = position + 1
                break
        self.placement_order = order
        self.host_count = max(1, min(size, max(wanted, needed)))
        for school in order[: self.host_count]:
            school.district.programme = True

    # --- the start: partners present, leaders aligned, grades on the no-programme path ------------------

    def _start(self) -> None:
        sc = self.sc
        n = sc.partners.initial if sc.partners.enabled else 0
        order = self.most_disadvantaged_districts()
        self.open_partners([(self.partners[k], order[k % len(order)], None) for k in range(n)])
        self.update_partners()
        for school in self.schools:
            school.align_leader()
        for school in self.schools:
            school.start_cohorts()

    # --- partners ---------------------------------------------------------------------------------------

    def open_partners(self, openings: list[tuple[Partner, DistrictOffice, Member | None]]) -> None:
        """Each new organisation serves the most disadvantaged schools of its district not yet served
        (least served first); those opening in one district choose one after another."""
        k = self.sc.partners.schools_per_partner
        served = {s.row: s.partner_served for s in self.schools}
        for partner, district, _founder in sorted(openings, key=lambda o: o[0].row):
            ranked = sorted(district.schools, key=lambda s: (served[s.row], -s.disadvantage, s.row))
            partner.schools = ranked[:k]
            for s in partner.schools:
                served[s.row] += 1
        for partner, district, founder in openings:
            partner.district, partner.founder, partner.active = district, founder, True
            if founder is not None:
                founder.founded = partner
            self.partner_count = max(self.partner_count, partner.row + 1)

    def update_partners(self) -> None:
        """Alumni in the nonprofit role found an organisation (once), which runs while they hold the role."""
        on = self.sc.partners.enabled
        founders = [m for m in self.members if on and m.role == NONPROFIT and m.founded is None
                    and m.district is not None]
        self.open_partners([(self.partners[self.partner_count + i], m.district, m) for i, m in enumerate(founders)])
        for partner in self.partners:
            if partner.founder is not None:
                partner.active = partner.founder.role == NONPROFIT and on
            if not on:
                partner.active = False
        for school in self.schools:
            school.partner_served = 0
        for partner in self.partners:
            if partner.active:
                for school in partner.schools:
                    school.partner_served += 1

    # --- a year -------------------------------------------------------------------------------------------

    def step(self) -> None:
        sc = self.sc
        self.year += 1
        self.unplaced_moves = 0
        self.teacher_turnover()
        self.alumni_leave()
        self.fellows_advance()
        self.alumni_mobility()
        self.recruit_cohort()
        self.update_partners()
        for school in self.schools:
            school.align_leader()
        if sc.institutions.enabled:
            for office in self.districts:
                office.update()
            self.ministry.update()
        if sc.contagion.enabled:
            self.spread_practice()
        if sc.students.enabled:
            noise = [0.0 + sc.students.noise_sd * z for z in self.normals(len(self.schools))]
            for school, e in zip(self.schools, noise, strict=True):
                school.teach(e)
        self.observe()

    # --- careers --------------------------------------------------------------------------------------------

    def refill(self, posts: list[Post]) -> None:
        """Newcomers from outside the programme take these posts (in this order); they do not yet practise."""
        t = self.sc.teachers
        n = len(posts)
        thresholds = self.clipped_normals(t.adoption_threshold_mean, t.adoption_threshold_sd, n)
        traits = [self.betas(t.strength_mean, n), self.betas(t.orientation_mean, n), self.betas(t.rootedness_mean, n)]
        for i, post in enumerate(posts):
            post.take_newcomer(thresholds[i], traits[0][i], traits[1][i], traits[2][i])

    def teacher_turnover(self) -> None:
        for school in self.schools:
            school.leavers = 0
        for post in self.posts:
            post.experience += 1
        if not self.sc.careers.enabled:
            return
        leaving = [p for p, u in zip(self.posts, self.uniforms(len(self.posts)), strict=True)
                   if u < p.leaving_rate() and p.member is None]
        for p in leaving:
            p.school.leavers += 1
        self.refill(leaving)

    def alumni_leave(self) -> None:
        sc = self.sc
        if not (sc.careers.enabled and sc.alumni.exit_rate > 0):
            return
        alumni = [m for m in self.members if m.status == ALUMNUS]
        gone = [m for m, u in zip(alumni, self.uniforms(len(alumni)), strict=True) if u < sc.alumni.exit_rate]
        self.vacate(gone)
        for m in gone:
            m.status, m.role, m.district = GONE, OUTSIDE, None

    def fellows_advance(self) -> None:
        sc = self.sc
        fellows = [m for m in self.members if m.status == FELLOW]
        if not fellows:
            return
        for m in fellows:
            m.years_in_programme += 1
        attrition = sc.programme.attrition * (1.0 if sc.careers.enabled else 0.0)
        finishing, leaving = [], []
        for m, u in zip(fellows, self.uniforms(len(fellows)), strict=True):
            if m.years_in_programme >= sc.programme.commitment_years:
                finishing.append(m)
            elif u < attrition:
                leaving.append(m)
        for m in finishing + leaving:
            m.status, m.left_programme = ALUMNUS, self.year
        self.move(leaving, [OUTSIDE] * len(leaving))
        roles = self.draw_roles(finishing, [0] * len(finishing))
        moving, new_roles = [], []
        for m, role in zip(finishing, roles, strict=True):
            if role == CLASSROOM:  # a classroom teacher who stays one keeps their post
                m.role = CLASSROOM
            else:
                moving.append(m)
                new_roles.append(role)
        self.move(moving, new_roles)

    def alumni_mobility(self) -> None:
        sc = self.sc
        if not sc.careers.enabled:
            return
        alumni = [m for m in self.members if m.status == ALUMNUS]
        movers = [m for m, u in zip(alumni, self.uniforms(len(alumni)), strict=True) if u < sc.alumni.mobility]
        roles = self.draw_roles(movers, [self.year - m.left_programme for m in movers])
        changed = [(m, r) for m, r in zip(movers, roles, strict=True) if r != m.role]
        self.move([m for m, _ in changed], [r for _, r in changed])

    def draw_roles(self, members: list[Member], years_out: list[int]) -> list[int]:
        """A role from the shares of each alumnus's career stage."""
        stages = self.sc.alumni.stages
        roles = []
        for years, u in zip(years_out, self.uniforms(len(members)), strict=True):
            stage = sum(1 for s in stages if s.after_years <= years) - 1
            cumulative, total = [], 0.0
            for share in stages[stage].roles.as_array():
                total += share
                cumulative.append(total)
            roles.append(min(sum(1 for c in cumulative if u >= c), len(ROLES) - 1))
        return roles

    # --- moving people between positions ------------------------------------------------------------

    def vacate(self, members: list[Member]) -> None:
        """Members leave their post or headship, keeping their practice; newcomers fill their posts."""
        held = [m for m in members if m.post is not None]
        for m in held:
            m.practising = m.post.practising
        self.refill([m.post for m in held])
        for m in members:
            m.post = None
            if m.role == SCHOOL_LEADER:
                m.school.leader = None
            m.school = None

    def seat(self, members: list[Member], posts: list[Post]) -> None:
        """Members take posts, bringing their traits and their own practice."""
        for m, post in zip(members, posts, strict=True):
            post.member = m
            post.strength, post.orientation, post.rootedness = m.strength, m.orientation, m.rootedness
            post.practising = m.practising
            post.experience = max(self.year - m.cohort - 1, 0)
            post.person = self.new_person()
            m.post, m.school, m.district = post, post.school, post.district

    def free_posts(self, requests: list[School]) -> list[Post | None]:
        """For each request (repeats allowed), a distinct random post of that school not held by a member."""
        if not requests:
            return []
        wanted = sorted({s.row for s in requests})
        draws = self.uniforms(sum(self.schools[k].teachers for k in wanted))
        free: dict[int, list[Post]] = {}
        i = 0
        for k in wanted:
            posts = self.schools[k].posts
            keys = [draws[i + j] + (1.0 if p.member is not None else 0.0) for j, p in enumerate(posts)]
            i += len(posts)
            order = sorted(range(len(posts)), key=lambda j: (keys[j], j))
            free[k] = [posts[j] for j in order if keys[j] < 1.0]
        taken: dict[int, int] = {}
        out: list[Post | None] = []
        for s in requests:
            r = taken.get(s.row, 0)
            taken[s.row] = r + 1
            out.append(free[s.row][r] if r < len(free[s.row]) else None)
        return out

    @staticmethod
    def random_school_in(district: DistrictOffice, u: float) -> School:
        n = len(district.schools)
        return district.schools[min(int(u * n), n - 1)]

    def move(self, movers: list[Member], roles: list[int]) -> None:
        """Members take new roles. The random route: their own district with probability stay_in_district,
        else one at random, a random school there. A role's placement rule steers a share of movers
        (alumni.placement). A move that finds no free post or vacant headship does not happen this year."""
        if not movers:
            return
        sc = self.sc
        n = len(movers)
        random_home = self.rng.integers(0, len(self.districts), n).tolist()
        stays = [u < sc.alumni.stay_in_district and m.district is not None
                 for m, u in zip(movers, self.uniforms(n), strict=True)]
        shares = [self._share(r) for r in roles]
        asked = [i for i in range(n) if shares[i] > 0]
        follow = [False] * n
        for i, u in zip(asked, self.uniforms(len(asked)), strict=True):
            follow[i] = u < shares[i]
        district = [movers[i].district if stays[i] else self.districts[random_home[i]] for i in range(n)]
        self._steer_districts(roles, follow, district)

        school: list[School | None] = [None] * n
        to_class = [i for i in range(n) if roles[i] == CLASSROOM]
        to_lead = [i for i in range(n) if roles[i] == SCHOOL_LEADER]
        for group in (to_class, to_lead):
            for i, u in zip(group, self.uniforms(len(group)), strict=True):
                school[i] = self.random_school_in(district[i], u)
        for name in ("classroom", "school_leader"):
            who = [i for i in range(n) if follow[i] and roles[i] == ROLE_CODES[name]]
            if who:
                places = self.take_places(getattr(sc.alumni.placement, name), len(who), name == "school_leader")
                for i, place in zip(who, places, strict=True):
                    if place is not None:
                        school[i] = place
        post: list[Post | None] = [None] * n
        for i, p in zip(to_class, self.free_posts([school[i] for i in to_class]), strict=True):
            post[i] = p
        placed = [True] * n
        for i in to_class:
            placed[i] = post[i] is not None
        seen: set[int] = set()
        for i in to_lead:  # one mover per school a year, and only into a school no member leads
            first = school[i].row not in seen
            seen.add(school[i].row)
            placed[i] = first and school[i].leader is None
        self.unplaced_moves += placed.count(False)

        keep = [i for i in range(n) if placed[i]]
        self.vacate([movers[i] for i in keep])
        for i in keep:
            m = movers[i]
            m.role = roles[i]
            m.district = school[i].district if school[i] is not None else district[i]
            if m.role in (OUTSIDE, MINISTRY):
                m.district = None
        seating = [i for i in keep if roles[i] == CLASSROOM]
        self.seat([movers[i] for i in seating], [post[i] for i in seating])
        for i in keep:
            if roles[i] == SCHOOL_LEADER:
                school[i].leader = movers[i]
                movers[i].school = school[i]

    def _share(self, role: int) -> float:
        for name, code in ROLE_CODES.items():
            if code == role:
                return getattr(self.sc.alumni.placement, name).share
        return 0.0

    def _rule_districts(self, rule: str, names: list[str]) -> list[DistrictOffice]:
        if rule == "named":
            return [d for d in self.districts if d.name in names]
        return [d for d in self.districts if d.programme]  # host_schools and near_cluster

    def _steer_districts(self, roles: list[int], follow: list[bool], district: list[DistrictOffice | None]) -> None:
        """District roles that follow their rule take its district (fallback: the random route's)."""
        for name in ("district_official", "nonprofit"):
            who = [i for i in range(len(roles)) if follow[i] and roles[i] == ROLE_CODES[name]]
            rule = getattr(self.sc.alumni.placement, name)
            if not who or rule.rule == "random":
                continue
            if rule.rule == "most_disadvantaged":
                for i in who:
                    district[i] = self.most_disadvantaged_districts()[0]
                continue
            pool = self._rule_districts(rule.rule, rule.district_names)  # never empty: hosts and names exist
            for i, u in zip(who, self.uniforms(len(who)), strict=True):
                district[i] = pool[min(int(u * len(pool)), len(pool) - 1)]

    def take_places(self, rule, requests: int, leaders: bool) -> list[School | None]:
        """Steered school roles take the rule's places in its order: most disadvantaged first, or at random
        (near_cluster: schools that never hosted fellows first); one place per free post or vacant headship."""
        def candidate(s: School) -> bool:
            return ((rule.rule == "host_schools" and s.hosted) or (rule.rule == "near_cluster" and s.district.programme)
                    or rule.rule == "most_disadvantaged" or (rule.rule == "named" and s.district.name in
                                                             rule.district_names))

        def capacity(s: School) -> int:
            return (1 if s.leader is None else 0) if leaders else s.teachers - s.members_in_posts()

        rows = [s for s in self.schools if candidate(s) and capacity(s) > 0]
        if rule.rule == "most_disadvantaged":
            key = [-s.disadvantage for s in rows]
        else:
            key = [u + (1.0 if rule.rule == "near_cluster" and s.hosted else 0.0)
                   for s, u in zip(rows, self.uniforms(len(rows)), strict=True)]
        order = [rows[j] for j in sorted(range(len(rows)), key=lambda j: (key[j], rows[j].row))]
        slots = [s for s in order for _ in range(capacity(s))]
        return [slots[k] if k < len(slots) else None for k in range(requests)]

    # --- recruitment ----------------------------------------------------------------------------------

    def recruit_cohort(self) -> None:
        """Cohort k arrives in year k + 1 and takes posts in the host schools."""
        sc = self.sc
        cohort = [m for m in self.members if m.cohort == self.year - 1 and m.status == FUTURE]
        if not cohort:
            return
        schools = self.allocate(len(cohort))
        taking = cohort[: len(schools)]
        posts = self.free_posts(schools)
        fellows = [m for m, p in zip(taking, posts, strict=True) if p is not None]
        seats = [p for p in posts if p is not None]
        self.unplaced_fellows += len(cohort) - len(fellows)
        for m, u in zip(fellows, self.uniforms(len(fellows)), strict=True):
            m.practising = u < sc.programme.practise_on_arrival
        self.seat(fellows, seats)
        for m, p in zip(fellows, seats, strict=True):
            m.status, m.role = FELLOW, CLASSROOM
            p.school.hosted = True

    def allocate(self, wanted: int) -> list[School]:
        """A host school per fellow: spread as evenly as room allows (no school above its share of fellows,
        none beyond its free posts), extending the hosts down the placement order when they are full;
        what an even spread leaves over goes one each to hosts with room, chosen at random."""
        share = self.sc.placement.max_fellow_share
        order = self.placement_order
        room = [max(min(math.floor(share * s.teachers) - s.fellows_in_posts(), s.teachers - s.members_in_posts()), 0)
                for s in order]
        host_room = 0.0
        for position, r in enumerate(room):
            host_room += r * float(position < self.host_count)
        if host_room < wanted:
            within, extended = 0, len(order)
            for position, r in enumerate(room):
                within += r
                if within >= wanted:
                    extended = position + 1
                    break
            self.host_count = extended
            for school in order[: self.host_count]:
                school.district.programme = True
        hosts, room = order[: self.host_count], room[: self.host_count]
        n = min(wanted, sum(room))
        level = 0
        for candidate in range(max(room) + 1):
            if sum(min(r, candidate) for r in room) <= n:
                level = candidate
        counts = [min(r, level) for r in room]
        left = n - sum(counts)
        if left:
            open_ = [j for j in range(len(hosts)) if counts[j] < room[j]]
            for j in self.rng.choice(np.array(open_, dtype=np.int64), left, replace=False).tolist():
                counts[j] += 1
        return [school for school, c in zip(hosts, counts, strict=True) for _ in range(c)]

    # --- practice -----------------------------------------------------------------------------------------

    def alumni_ties_between_posts(self) -> list[list[Post]]:
        """This year's alumni ties between teaching posts: both members in a classroom, both ways, once."""
        neighbours: list[set[int]] = [set() for _ in self.posts]
        for a in self.members:
            for b in a.ties:
                if a.post is not None and b.post is not None and a.post is not b.post:
                    neighbours[a.post.row].add(b.post.row)
                    neighbours[b.post.row].add(a.post.row)
        return [[self.posts[j] for j in sorted(n)] for n in neighbours]

    def spread_practice(self) -> None:
        """Rounds of threshold contagion (one uniform per teacher and round gives both the exposed and the
        spontaneous chance), then unsupported practice lapses. The network is the static ties plus the
        alumni ties between classrooms; a pair tied both ways counts in each."""
        c = self.sc.contagion
        posts, n, rounds = self.posts, len(self.posts), c.rounds_per_year
        draws = self.uniforms(n * (rounds + 1))
        alumni = self.alumni_ties_between_posts()
        parts = [[p.static_ties for p in posts]]
        if any(alumni):
            parts.append(alumni)
        theta = [p.effective_threshold() for p in posts]
        weight = [p.influence() for p in posts]
        practising = [p.practising for p in posts]
        reach, adopted = [0.0] * n, [0.0] * n
        for part in parts:
            for i in range(n):
                r = a = 0.0
                for q in part[i]:
                    r += weight[q.row]
                    a += weight[q.row] if practising[q.row] else 0.0
                reach[i] += r
                adopted[i] += a

        def exposure(i: int) -> float:
            return adopted[i] / reach[i] if reach[i] > 0 else 0.0

        spontaneous = c.spontaneous_adoption / c.rounds_per_year
        when_exposed = c.adoption_probability + spontaneous - c.adoption_probability * spontaneous
        for r in range(rounds):
            exposed = [exposure(i) >= theta[i] for i in range(n)]
            adopting = [i for i in range(n) if not practising[i]
                        and draws[r * n + i] < (when_exposed if exposed[i] else spontaneous)]
            for i in adopting:
                practising[i] = True
            for part in parts:  # neighbours' running totals, static ties first, adopters in order
                for i in adopting:
                    for q in part[i]:
                        adopted[q.row] += weight[i]
        unsupported = [practising[i] and exposure(i) < theta[i] for i in range(n)]
        for i, post in enumerate(posts):
            lapses = unsupported[i] and draws[rounds * n + i] < c.lapse_rate * (1.0 - post.orientation)
            post.practising = practising[i] and not lapses

    # --- indicators -------------------------------------------------------------------------------------

    def observe(self) -> None:
        """This year's indicators: the system, each district, the tipping scope; then the tipping rule."""
        values = self._member_values()
        sums = self._district_sums(values)
        national = self._national_sums(values)
        system = self._indicators(self._add([sums[d.row] for d in self.districts], national), self.schools)
        districts = [self._indicators(sums[d.row], d.schools) for d in self.districts]
        in_scope = [d.programme if self.sc.tipping.scope == "programme_districts" else d.tipping_scope
                    for d in self.districts]
        scope_schools = [s for s in self.schools if in_scope[s.district.row]]
        scoped = self._indicators(self._add([sums[d.row] for d in self.districts if in_scope[d.row]], None),
                                  scope_schools)

        tip = self.sc.tipping
        metric = scoped[tip.metric]
        self.streak = self.streak + 1 if self._reached(metric) else 0
        tipped_count = scope_size = 0.0
        for d, ind in zip(self.districts, districts, strict=True):
            d.streak = d.streak + 1 if self._reached(ind[tip.metric]) else 0
            ind["tipped"] = d.streak >= tip.sustained_years
            ind["programme"], ind["in_scope"] = d.programme, in_scope[d.row]
            tipped_count += float(ind["tipped"] and in_scope[d.row])
            scope_size += float(in_scope[d.row])
        if tip.by_district:
            tipped = scope_size > 0 and tipped_count >= math.ceil(tip.district_share * scope_size - 1e-9)
        else:
            tipped = self.streak >= tip.sustained_years
        if tipped and self.tipped_year < 0:
            self.tipped_year = self.year - tip.sustained_years + 1

        row = {k: system[k] for k in ("practising_share", "mean_achievement", "achievement_gap", "achievement_gain",
                                      "leadership_index", *(f"dim_{d}" for d in DIMENSIONS), "district_support")}
        alumni = [m for m in self.members if m.status == ALUMNUS]
        row.update({
            "ministry_alignment": self.ministry.alignment,
            "fellows": sum(1 for m in self.members if m.status == FELLOW),
            "partners_active": sum(1 for p in self.partners if p.active),
            "host_schools": sum(1 for s in self.schools if s.hosted),
            "unplaced_fellows": self.unplaced_fellows, "unplaced_moves": self.unplaced_moves,
            **{f"alumni_{r}": sum(1 for m in alumni if m.role == code) for code, r in enumerate(ROLES)},
            "alumni_gone": sum(1 for m in self.members if m.status == GONE),
            "tipping_metric": metric, "districts_tipped": tipped_count, "districts_in_scope": scope_size,
            "tipped": tipped, "tipped_year": self.tipped_year if self.tipped_year >= 0 else None,
        })
        self.yearly_rows.append(row)
        self.district_rows.append(districts)

    def _reached(self, value: float) -> bool:
        tip = self.sc.tipping  # NaN (a group without teachers) compares False either way
        return value <= tip.level if tip.metric == "achievement_gap" else value >= tip.level

    SUMMED = ("teachers", "practising", "enrolment", "achievement", "gain", "support", "members", "reach",
              "strength", "orientation", "rootedness", "networked", "leading")

    def _member_values(self) -> list[dict[str, float]]:
        """What each member adds to the index sums; a tie is live when both ends lead."""
        leading = [m.leads() for m in self.members]
        degree = [0] * len(self.members)
        for a in self.members:
            for b in a.ties:
                if leading[a.row] and leading[b.row]:
                    degree[a.row] += 1
                    degree[b.row] += 1
        min_ties = self.sc.leadership_index.network_min_ties
        values = []
        for m in self.members:
            lead = 1.0 if leading[m.row] else 0.0
            values.append({
                "members": 1.0, "reach": m.reach() * lead, "strength": m.strength * lead,
                "orientation": m.orientation * lead, "rootedness": m.rootedness * lead,
                "networked": 1.0 if leading[m.row] and degree[m.row] >= min_ties else 0.0, "leading": lead,
            })
        return values

    def _district_sums(self, member_values: list[dict[str, float]]) -> list[dict[str, float]]:
        out = []
        for d in self.districts:
            t = dict.fromkeys(self.SUMMED, 0.0)
            for s in d.schools:
                t["teachers"] += float(s.teachers)
                t["enrolment"] += s.enrolment
                t["achievement"] += s.enrolment * s.achievement()
                t["gain"] += s.enrolment * s.gain()
                for p in s.posts:
                    t["practising"] += 1.0 if p.practising else 0.0
            t["support"] = d.support * d.teachers
            out.append(t)
        for m, values in zip(self.members, member_values, strict=True):
            if m.active() and m.district is not None:
                for k, v in values.items():
                    out[m.district.row][k] += v
        return out

    def _national_sums(self, member_values: list[dict[str, float]]) -> dict[str, float]:
        t = dict.fromkeys(self.SUMMED, 0.0)
        for m, values in zip(self.members, member_values, strict=True):
            if m.active() and m.role == MINISTRY:
                for k, v in values.items():
                    t[k] += v
        return t

    def _add(self, parts: list[dict[str, float]], national: dict[str, float] | None) -> dict[str, float]:
        total = dict.fromkeys(self.SUMMED, 0.0)
        for part in parts:
            for k in self.SUMMED:
                total[k] += part[k]
        if national is not None:
            for k in ("members", "reach", "strength", "orientation", "rootedness", "networked", "leading"):
                total[k] = total[k] + national[k]
        return total

    def _indicators(self, t: dict[str, float], schools: list[School]) -> dict[str, float]:
        cfg = self.sc.leadership_index
        teachers, members = t["teachers"], max(t["members"], 1.0)
        safe = max(teachers, 1.0)

        def ratio(a: float, b: float) -> float:
            return a / b if b != 0 else (math.nan if a == 0 else math.copysign(math.inf, a))

        out = {
            "teachers": teachers,
            "practising_share": ratio(t["practising"], teachers),
            "mean_achievement": ratio(t["achievement"], t["enrolment"]),
            "achievement_gain": ratio(t["gain"], t["enrolment"]),
            "district_support": ratio(t["support"], teachers),
            "achievement_gap": self._gap(schools),
        }
        components = {
            "roles": min(t["reach"] / safe / ROLES_REFERENCE, 1.0),
            "strength": t["strength"] / members,
            "orientation": t["orientation"] / members,
            "representation": t["rootedness"] / members,
            "network": t["networked"] / members,
            "scale": min(t["leading"] / safe / cfg.scale_reference, 1.0),
        }
        total = weight_sum = 0.0
        for k in DIMENSIONS:
            w = cfg.weights[k]
            if w > 0:  # a positive component is floored at 1e-300 before its log (an index near 0 either way)
                total += w * (np_log(max(components[k], 1e-300)) if components[k] > 0 else -math.inf)
            else:
                total += 0.0
        for k in DIMENSIONS:
            weight_sum += cfg.weights[k]
        out["leadership_index"] = np_exp(total / weight_sum)
        out.update({f"dim_{k}": v for k, v in components.items()})
        return out

    def _gap(self, schools: list[School]) -> float:
        """Enrolment-weighted achievement of the least disadvantaged quantile less that of the most."""
        q = self.sc.students.gap_quantile
        if not schools:
            return math.nan
        values = sorted(s.disadvantage for s in schools)

        def quantile(p: float) -> float:
            position = p * max(len(values) - 1, 0)
            below = math.floor(position)
            last = len(values) - 1
            lo, hi = values[min(below, last)], values[min(below + 1, last)]
            return lo + (position - below) * (hi - lo)

        low, high = quantile(q), quantile(1.0 - q)
        top = top_w = bottom = bottom_w = 0.0
        for s in schools:
            a = s.enrolment * s.achievement()
            least, most = s.disadvantage <= low, s.disadvantage >= high
            top += a * float(least)
            top_w += s.enrolment * float(least)
            bottom += a * float(most)
            bottom_w += s.enrolment * float(most)
        return top / top_w - bottom / bottom_w

    # --- the state as the engine lays it out (one system) ---------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of state, named as the engine's `SystemState` fields, with rows of this system."""
        def row(x) -> int:
            return -1 if x is None else x.row

        P, S, D, M, R = self.posts, self.schools, self.districts, self.members, self.partners
        width = self.sc.partners.schools_per_partner
        first_post = [0]
        for s in S:
            first_post.append(first_post[-1] + s.teachers)
        first_school = [0]
        for d in D:
            first_school.append(first_school[-1] + len(d.schools))
        out = {
            "posts.school": [p.school.row for p in P], "posts.district": [p.district.row for p in P],
            "posts.practising": [p.practising for p in P],
            "posts.adoption_threshold": [p.adoption_threshold for p in P],
            "posts.strength": [p.strength for p in P], "posts.orientation": [p.orientation for p in P],
            "posts.rootedness": [p.rootedness for p in P], "posts.experience": [p.experience for p in P],
            "posts.member": [row(p.member) for p in P], "posts.person": [p.person for p in P],
            "schools.district": [s.district.row for s in S], "schools.first_post": first_post,
            "schools.teachers": [s.teachers for s in S], "schools.enrolment": [s.enrolment for s in S],
            "schools.disadvantage": [s.disadvantage for s in S], "schools.leader_member": [row(s.leader) for s in S],
            "schools.leader_staff_needed": [s.leader_staff_needed for s in S],
            "schools.leader_aligned": [s.leader_aligned for s in S],
            "schools.partner_served": [s.partner_served for s in S], "schools.hosted": [s.hosted for s in S],
            "schools.cohorts": [s.cohorts for s in S], "schools.excess": [s.excess for s in S],
            "schools.entry": [s.entry for s in S], "schools.baseline_gain": [s.baseline_gain for s in S],
            "schools.leavers": [s.leavers for s in S],
            "districts.names": [d.name for d in D], "districts.first_school": first_school,
            "districts.first_post": [first_post[k] for k in first_school],
            "districts.disadvantage": [d.disadvantage for d in D], "districts.support": [d.support for d in D],
            "districts.programme": [d.programme for d in D], "districts.tipping_scope": [d.tipping_scope for d in D],
            "members.cohort": [m.cohort for m in M], "members.status": [m.status for m in M],
            "members.role": [m.role for m in M], "members.district": [row(m.district) for m in M],
            "members.school": [row(m.school) for m in M], "members.post": [row(m.post) for m in M],
            "members.years_in_programme": [m.years_in_programme for m in M],
            "members.left_programme": [m.left_programme for m in M],
            "members.strength": [m.strength for m in M], "members.orientation": [m.orientation for m in M],
            "members.rootedness": [m.rootedness for m in M], "members.practising": [m.practising for m in M],
            "members.founded_partner": [row(m.founded) for m in M],
            "members.tie_a": [m.row for m in M for _ in m.ties], "members.tie_b": [b.row for m in M for b in m.ties],
            "partners.district": [row(p.district) for p in R], "partners.founder": [row(p.founder) for p in R],
            "partners.schools": [[s.row for s in p.schools] + [-1] * (width - len(p.schools)) for p in R],
            "partners.active": [p.active for p in R],
            "systems.placement_order": [s.row for s in self.placement_order],
            "systems.host_count": [self.host_count], "systems.partner_count": [self.partner_count],
            "systems.ministry_alignment": [self.ministry.alignment], "systems.next_person": [self.next_person],
            "systems.unplaced_fellows": [self.unplaced_fellows], "systems.unplaced_moves": [self.unplaced_moves],
            "year": [self.year],
        }
        arrays = {k: np.array(v) for k, v in out.items()}
        arrays["partners.schools"] = arrays["partners.schools"].reshape(len(R), width)
        return arrays

    def static_neighbours(self) -> list[list[int]]:
        return [[q.row for q in p.static_ties] for p in self.posts]
