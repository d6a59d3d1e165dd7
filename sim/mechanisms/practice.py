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

from sim.contagion import exposure, neighbour_sum
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
    posts. Kept apart because adding them would copy the million-entry static matrix every year."""
    m = state.members
    alumni = classroom_alumni_ties(m.tie_a, m.tie_b, m.post, state.posts.size)
    return [state.static_ties, alumni] if alumni.nnz else [state.static_ties]


def spread_practice(state: SystemState, params: Section, streams: Streams) -> None:
    c, p = params.contagion, state.posts
    on = c.enabled[p.sys]
    if not on.any():
        return
    ties = yearly_ties(state)
    theta = effective_thresholds(state, params)
    weight = influence_weights(state, params)
    reach = neighbour_sum(ties, weight)
    practising = p.practising.copy()
    spontaneous = (c.spontaneous_adoption / c.rounds_per_year)[p.sys]
    adoption = c.adoption_probability[p.sys]
    for r in range(int(c.rounds_per_year.max())):  # a few rounds a year, not a loop over teachers
        turn = on & (r < c.rounds_per_year[p.sys])
        rows = np.flatnonzero(turn)
        counts = np.bincount(p.sys[rows], minlength=streams.size)
        exposed = exposure(ties, practising, weight, reach)[rows] >= theta[rows]
        ready = exposed & (streams.random(counts) < adoption[rows])
        ready |= streams.random(counts) < spontaneous[rows]
        practising[rows] |= ready
    # practice without enough reinforcement lapses, more often for those less committed to it
    rows = np.flatnonzero(on)
    unsupported = practising[rows] & (exposure(ties, practising, weight, reach)[rows] < theta[rows])
    lapse = unsupported & (streams.random(np.bincount(p.sys[rows], minlength=streams.size))
                           < c.lapse_rate[p.sys[rows]] * (1.0 - p.orientation[rows]))
    practising[rows[lapse]] = False
    p.practising[:] = practising
