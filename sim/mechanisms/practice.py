"""Practice spreads between teachers as a threshold (complex) contagion.

A teacher adopts once the influence-weighted share of practising colleagues reaches their
threshold, lowered by support (an aligned leader, district support, a partner programme) and by
being a novice (Jackson & Bruegmann 2009: spillovers are largest for less-experienced teachers).
Influence weights carry the strength and representation dimensions; lapses carry orientation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.network import classroom_alumni_ties
from sim.scenario import Scenario
from sim.state import SystemState


def effective_thresholds(state: SystemState, scenario: Scenario) -> np.ndarray:
    p, s = state.posts, state.schools
    sup, t = scenario.support, scenario.teachers
    school_support = sup.leader * s.leader_aligned + sup.partner * (s.partner_served > 0)
    support = school_support[p.school] + sup.district * state.districts.support[p.district]
    novice = t.novice_threshold_discount * (p.experience < t.novice_years)
    return np.clip(p.threshold - support - novice, 0.0, 1.0)


def influence_weights(state: SystemState, scenario: Scenario) -> np.ndarray:
    c, p = scenario.contagion, state.posts
    return 1.0 + c.strength_weight * p.strength + c.rootedness_weight * p.rootedness


def yearly_ties(state: SystemState) -> list[sp.csr_matrix]:
    """This year's network as parts to sum: static ties, and alumni ties between members holding
    posts. Kept apart because adding them would copy the million-entry static matrix every year."""
    m = state.members
    alumni = classroom_alumni_ties(m.tie_a, m.tie_b, m.post, state.posts.size)
    return [state.static_ties, alumni] if alumni.nnz else [state.static_ties]


def _neighbour_sum(parts: list[sp.csr_matrix], values: np.ndarray) -> np.ndarray:
    total = parts[0] @ values
    for part in parts[1:]:
        total += part @ values
    return total


def spread_practice(state: SystemState, scenario: Scenario, rng: np.random.Generator) -> None:
    c, p = scenario.contagion, state.posts
    if not c.enabled:
        return
    ties = yearly_ties(state)
    theta = effective_thresholds(state, scenario)
    weight = influence_weights(state, scenario)
    reach = _neighbour_sum(ties, weight)
    has_ties = reach > 0
    safe_reach = np.where(has_ties, reach, 1.0)
    practising = p.practising
    spontaneous = c.spontaneous_adoption / c.rounds_per_year
    for _ in range(c.rounds_per_year):  # a few rounds a year, not a loop over teachers
        exposure = np.where(has_ties, _neighbour_sum(ties, practising * weight) / safe_reach, 0.0)
        ready = (exposure >= theta) & (rng.random(p.size) < c.adoption_probability)
        ready |= rng.random(p.size) < spontaneous
        practising = practising | ready
    # practice without enough reinforcement lapses, more often for those less committed to it
    exposure = np.where(has_ties, _neighbour_sum(ties, practising * weight) / safe_reach, 0.0)
    unsupported = practising & (exposure < theta)
    lapse = unsupported & (rng.random(p.size) < c.lapse_rate * (1.0 - p.orientation))
    p.practising[:] = practising & ~lapse
