"""Practice spreads between teachers as a threshold (complex) contagion.

A teacher adopts once the influence-weighted share of practising colleagues reaches their
adoption threshold, lowered by support (an aligned leader, district support, a partner programme)
and by being a novice (Jackson & Bruegmann 2009: spillovers are largest for less-experienced
teachers). Who is exposed enough is decided by `sim.contagion.exposure`, the same rule that
`sim.contagion.threshold_cascade` runs, so the classic results tested on one hold for the other.
Influence weights carry the strength and rootedness traits; lapses carry orientation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.contagion import add_to_neighbours, exposure, neighbour_sum
from sim.engine.params import Section
from sim.engine.state import SystemState
from sim.engine.streams import Streams
from sim.network import classroom_alumni_ties


def effective_thresholds(state: SystemState, params: Section) -> np.ndarray:
    p, s = state.posts, state.schools
    sup, t = params.support, params.teachers
    school_support = sup.leader[s.sys] * s.leader_aligned + sup.partner[s.sys] * (s.partner_served > 0)
    support = school_support[p.school] + sup.district[p.sys] * state.districts.support[p.district]
    novice = t.novice_discount[p.sys] * (p.experience < t.novice_years[p.sys])
    return np.clip(p.adoption_threshold - support - novice, 0.0, 1.0)


def influence_weights(state: SystemState, params: Section) -> np.ndarray:
    c, p = params.contagion, state.posts
    return 1.0 + c.strength_weight[p.sys] * p.strength + c.rootedness_weight[p.sys] * p.rootedness


def yearly_ties(state: SystemState) -> list[sp.csr_matrix]:
    """This year's network as parts to sum: static ties, and alumni ties between members holding
    posts who are not already tied statically. The parts are disjoint, so their sum is the set of ties
    (a colleague tied both ways counts once); kept apart because adding them would copy the
    million-entry static matrix every year."""
    m = state.members
    alumni = classroom_alumni_ties(m.tie_a, m.tie_b, m.post, state.posts.size, state.static_ties)
    return [state.static_ties, alumni] if alumni.nnz else [state.static_ties]


def spread_practice(state: SystemState, params: Section, streams: Streams) -> None:
    """A few rounds of adoption a year, then lapses, for the systems where contagion is on.

    In a round a teacher not yet practising adopts with probability adoption_probability if their
    exposure reaches their threshold, and spontaneously with probability spontaneous_adoption /
    rounds_per_year either way (one uniform draw a round gives both chances, independent as
    separate draws would be). A system's draws for the whole year are taken at once.
    """
    c, p = params.contagion, state.posts
    rows = np.flatnonzero(c.enabled[p.sys])
    if rows.size == 0:
        return
    sys = p.sys[rows]
    rounds = c.rounds_per_year[sys]
    per_system = np.bincount(sys, minlength=streams.size)
    counts = per_system * (c.rounds_per_year.astype(np.int64) + 1)
    # each system's block: round 0 for its teachers, round 1, ..., and the lapse draws last
    u = streams.random(counts)
    teachers = per_system[sys]
    # where each teacher's round-0 draw sits: its system's block, then its place among the system's teachers
    first = np.concatenate([[0], np.cumsum(counts)])[sys] + np.arange(rows.size) - np.concatenate(
        [[0], np.cumsum(per_system)])[sys]

    ties = yearly_ties(state)
    theta = effective_thresholds(state, params)[rows]
    weight = influence_weights(state, params)
    reach = neighbour_sum(ties, weight)
    practising = p.practising.copy()
    # the weight of each teacher's practising colleagues, kept current as teachers adopt
    adopted_weight = neighbour_sum(ties, np.where(practising, weight, 0.0))
    spontaneous = (c.spontaneous_adoption / c.rounds_per_year)[sys]
    adoption = c.adoption_probability[sys]
    when_exposed = adoption + spontaneous - adoption * spontaneous
    # the usual batch (every post's system spreads practice, all in as many rounds) needs no subsets
    every_round = rounds.min() == rounds.max()
    everyone = every_round and rows.size == p.size  # each round's teachers are all the posts, in order
    turn: slice | np.ndarray = slice(None)
    where = rows
    for r in range(int(rounds.max())):  # a few rounds a year, not a loop over teachers
        if not every_round:
            turn = np.flatnonzero(r < rounds)
            where = rows[turn]
        share = exposure(ties, practising, weight, reach, adopted_weight)
        exposed = (share if everyone else share[where]) >= theta[turn]
        draw = u[first[turn] + r * teachers[turn]]
        chance = np.where(exposed, when_exposed[turn], spontaneous[turn])
        idle = ~(practising if everyone else practising[where])
        adopting = where[idle & (draw < chance)]
        practising[adopting] = True
        add_to_neighbours(ties, adopted_weight, adopting, weight[adopting])
    # practice without enough reinforcement lapses, more often for those less committed to it
    unsupported = practising[rows] & (exposure(ties, practising, weight, reach, adopted_weight)[rows] < theta)
    draw = u[first + rounds * teachers]
    lapse = unsupported & (draw < c.lapse_rate[sys] * (1.0 - p.orientation[rows]))
    practising[rows[lapse]] = False
    p.practising[:] = practising
