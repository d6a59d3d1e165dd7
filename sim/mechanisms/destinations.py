"""Where steered alumni go (alumni.placement): a rule per role, followed by a share of the moves.

A mover whose role has a rule with share > 0 follows it with that probability; everyone else goes
where the random route takes them (their own district with probability alumni.stay_in_district,
else a random one; a random school there). Rules:

- `host_schools`: schools that host or have hosted fellows (their districts, for district roles);
- `near_cluster`: the host schools' districts, schools without fellows first;
- `most_disadvantaged`: the most disadvantaged school with a free place (district, for district roles);
- `named`: the districts listed (a school of them, for school roles).

School roles take places in the rule's order, one mover per free post or vacant headship. A steered
mover the rule cannot place this year falls back to the random destination drawn for them. With
share 0 no draw is made, so results are exactly those of the random route.
"""

from __future__ import annotations

import numpy as np

from sim.engine.params import Section
from sim.engine.state import CLASSROOM, DISTRICT_OFFICIAL, NONPROFIT, SCHOOL_LEADER, SystemState, rank_in_groups
from sim.engine.streams import Streams

RULES = ("random", "host_schools", "near_cluster", "most_disadvantaged", "named")
ROLE_CODES = {"classroom": CLASSROOM, "school_leader": SCHOOL_LEADER, "district_official": DISTRICT_OFFICIAL,
              "nonprofit": NONPROFIT}


def compile_destinations(params: Section, state: SystemState) -> None:
    """Per role: share and rule code per system, and each district's membership of the named list."""
    names = np.array(state.districts.names, dtype=object)
    for role in ROLE_CODES:
        section = getattr(params.alumni.placement, role)
        section.rule_code = np.array([RULES.index(r) for r in section.rule])
        named = np.zeros(state.districts.size, dtype=bool)
        for b, listed in enumerate(section.district_names):
            if listed:
                lo, hi = state.systems.first_district[b], state.systems.first_district[b + 1]
                named[lo:hi] = np.isin(names[lo:hi], listed)
        section.named_district = named


def steered(params: Section, streams: Streams, msys: np.ndarray, roles: np.ndarray) -> np.ndarray:
    """Which movers follow their role's rule (a draw only for roles whose share is above 0)."""
    share = np.zeros(msys.size)
    for role, code in ROLE_CODES.items():
        mine = roles == code
        share[mine] = getattr(params.alumni.placement, role).share[msys[mine]]
    asked = np.flatnonzero(share > 0)
    out = np.zeros(msys.size, dtype=bool)
    if asked.size:
        out[asked] = streams.random(streams.counts(msys[asked])) < share[asked]
    return out


def steer_districts(state: SystemState, params: Section, streams: Streams, msys: np.ndarray, roles: np.ndarray,
                    follow: np.ndarray, district: np.ndarray) -> np.ndarray:
    """District roles that follow a rule get its district; the rest keep the random route's."""
    district = district.copy()
    d = state.districts
    for role in ("district_official", "nonprofit"):
        section = getattr(params.alumni.placement, role)
        who = np.flatnonzero(follow & (roles == ROLE_CODES[role]))
        if who.size == 0:
            continue
        code = section.rule_code[msys[who]]
        most = np.flatnonzero(code == RULES.index("most_disadvantaged"))
        district[who[most]] = _most_disadvantaged_district(state)[msys[who[most]]]
        pools = (("host_schools", d.programme), ("near_cluster", d.programme), ("named", section.named_district))
        for rule, pool in pools:
            some = who[code == RULES.index(rule)]
            district[some] = _random_member(state, streams, msys[some], pool, district[some])
    return district


def _most_disadvantaged_district(state: SystemState) -> np.ndarray:
    d = state.districts
    order = np.lexsort((-d.disadvantage, d.sys))
    return order[state.systems.first_district[:-1]]


def _random_member(state: SystemState, streams: Streams, msys: np.ndarray, pool: np.ndarray,
                   fallback: np.ndarray) -> np.ndarray:
    """A district drawn at random from each mover's system's part of pool (fallback where it has none)."""
    if msys.size == 0:
        return fallback
    members = np.flatnonzero(pool)
    first = np.searchsorted(state.districts.sys[members], np.arange(streams.size + 1))
    size = np.diff(first)[msys]
    u = streams.random(streams.counts(msys))
    pick = first[msys] + np.minimum((u * size).astype(np.int64), np.maximum(size - 1, 0))
    return np.where(size > 0, members[np.minimum(pick, members.size - 1)] if members.size else fallback, fallback)


def steer_schools(state: SystemState, params: Section, streams: Streams, msys: np.ndarray, roles: np.ndarray,
                  follow: np.ndarray, school: np.ndarray) -> np.ndarray:
    """School roles that follow a rule take its places in order; the rest (and any it cannot place) keep
    the random route's school."""
    school = school.copy()
    for role in ("classroom", "school_leader"):
        who = np.flatnonzero(follow & (roles == ROLE_CODES[role]))
        if who.size == 0:
            continue
        section = getattr(params.alumni.placement, role)
        placed = _take_places(state, streams, section, msys[who], leaders=role == "school_leader")
        school[who] = np.where(placed >= 0, placed, school[who])
    return school


def _take_places(state: SystemState, streams: Streams, section: Section, req_sys: np.ndarray,
                 leaders: bool) -> np.ndarray:
    """For requests grouped by system: the school whose place each takes, in the rule's order, or -1."""
    s = state.schools
    code = section.rule_code[s.sys]
    asked = np.bincount(req_sys, minlength=streams.size) > 0
    in_programme = state.districts.programme[s.district]
    candidate = asked[s.sys] & (
        ((code == RULES.index("host_schools")) & s.hosted)
        | ((code == RULES.index("near_cluster")) & in_programme)
        | (code == RULES.index("most_disadvantaged"))
        | ((code == RULES.index("named")) & section.named_district[s.district])
    )
    if leaders:
        capacity = (s.leader_member < 0).astype(np.int64)
    else:
        held = np.bincount(state.posts.school[state.posts.member >= 0], minlength=s.size)
        capacity = s.teachers.astype(np.int64) - held
    rows = np.flatnonzero(candidate & (capacity > 0))
    # the rule's order: most disadvantaged first, or at random (schools without fellows first, near the cluster)
    ranked = code[rows] == RULES.index("most_disadvantaged")
    key = np.where(ranked, -s.disadvantage[rows], 0.0)
    shuffled = rows[~ranked]
    key[~ranked] = streams.random(streams.counts(s.sys[shuffled])) + (
        (code[shuffled] == RULES.index("near_cluster")) & s.hosted[shuffled])
    order = rows[np.lexsort((key, s.sys[rows]))]
    cap = capacity[order]
    total = np.cumsum(cap)
    before = np.concatenate([[0], total])  # places in the slots before each
    first_slot = np.searchsorted(s.sys[order], np.arange(streams.size + 1))
    wanted = before[first_slot[req_sys]] + rank_in_groups(req_sys)
    slot = np.searchsorted(total, wanted, side="right")
    ok = slot < first_slot[req_sys + 1]
    return np.where(ok, order[np.minimum(slot, max(order.size - 1, 0))] if order.size else -1, -1)
