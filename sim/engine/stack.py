"""Stack single systems into one batch: rows one system after another, every row index offset.

The teacher network becomes block diagonal with each system's CSR arrays copied as they are, so a
sparse product sums each row's entries in the same order as for the system alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from sim.engine.state import Districts, Members, Partners, Posts, Schools, Systems, SystemState


def _shift(values: np.ndarray, offset: int) -> np.ndarray:
    """Add offset to row references, leaving -1 ("none") as it is."""
    return np.where(values >= 0, values + offset, values)


def _offsets(sizes: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def stack(states: Sequence[SystemState]) -> SystemState:
    if len(states) == 1:
        return states[0]
    post0 = _offsets([s.posts.size for s in states])
    school0 = _offsets([s.schools.size for s in states])
    district0 = _offsets([s.districts.size for s in states])
    member0 = _offsets([s.members.size for s in states])
    partner0 = _offsets([s.partners.size for s in states])
    order0 = _offsets([s.systems.placement_order.size for s in states])
    sys_of = [np.int32(b) for b in range(len(states))]

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts)

    posts = Posts(
        sys=cat([np.full(s.posts.size, b, dtype=np.int32) for b, s in zip(sys_of, states, strict=True)]),
        school=cat([s.posts.school + school0[b] for b, s in enumerate(states)]),
        district=cat([s.posts.district + district0[b] for b, s in enumerate(states)]),
        member=cat([_shift(s.posts.member, int(member0[b])) for b, s in enumerate(states)]),
        **{name: cat([getattr(s.posts, name) for s in states])
           for name in ("practising", "adoption_threshold", "strength", "orientation", "rootedness",
                        "experience", "person")},
    )
    grades = {s.schools.cohorts.shape[1] for s in states}
    if len(grades) > 1:
        raise ValueError(f"systems in one batch must have the same number of grades, got {sorted(grades)}")
    schools = Schools(
        sys=cat([np.full(s.schools.size, b, dtype=np.int32) for b, s in enumerate(states)]),
        district=cat([s.schools.district + district0[b] for b, s in enumerate(states)]),
        first_post=cat([s.schools.first_post[:-1] + post0[b] for b, s in enumerate(states)] + [post0[-1:]]),
        leader_member=cat([_shift(s.schools.leader_member, int(member0[b])) for b, s in enumerate(states)]),
        **{name: cat([getattr(s.schools, name) for s in states])
           for name in ("teachers", "enrolment", "disadvantage", "leader_staff_needed", "leader_aligned",
                        "partner_served", "hosted", "cohorts", "excess", "entry", "baseline_gain", "leavers")},
    )
    districts = Districts(
        sys=cat([np.full(s.districts.size, b, dtype=np.int32) for b, s in enumerate(states)]),
        names=[name for s in states for name in s.districts.names],
        first_school=cat([s.districts.first_school[:-1] + school0[b] for b, s in enumerate(states)] + [school0[-1:]]),
        first_post=cat([s.districts.first_post[:-1] + post0[b] for b, s in enumerate(states)] + [post0[-1:]]),
        **{name: cat([getattr(s.districts, name) for s in states])
           for name in ("disadvantage", "support", "programme", "tipping_scope")},
    )
    members = Members(
        sys=cat([np.full(s.members.size, b, dtype=np.int32) for b, s in enumerate(states)]),
        district=cat([_shift(s.members.district, int(district0[b])) for b, s in enumerate(states)]),
        school=cat([_shift(s.members.school, int(school0[b])) for b, s in enumerate(states)]),
        post=cat([_shift(s.members.post, int(post0[b])) for b, s in enumerate(states)]),
        founded_partner=cat([_shift(s.members.founded_partner, int(partner0[b])) for b, s in enumerate(states)]),
        tie_a=cat([s.members.tie_a + member0[b] for b, s in enumerate(states)]),
        tie_b=cat([s.members.tie_b + member0[b] for b, s in enumerate(states)]),
        **{name: cat([getattr(s.members, name) for s in states])
           for name in ("cohort", "status", "role", "years_in_programme", "left_programme", "strength",
                        "orientation", "rootedness", "practising")},
    )
    width = max(s.partners.schools.shape[1] for s in states)
    partners = Partners(
        sys=cat([np.full(s.partners.size, b, dtype=np.int32) for b, s in enumerate(states)]),
        district=cat([_shift(s.partners.district, int(district0[b])) for b, s in enumerate(states)]),
        founder=cat([_shift(s.partners.founder, int(member0[b])) for b, s in enumerate(states)]),
        schools=cat([_pad(_shift(s.partners.schools, int(school0[b])), width) for b, s in enumerate(states)]),
        active=cat([s.partners.active for s in states]),
    )
    systems = Systems(
        first_post=post0, first_school=school0, first_district=district0, first_member=member0,
        first_partner=partner0, first_placement=order0,
        placement_order=cat([s.systems.placement_order + school0[b] for b, s in enumerate(states)]),
        **{name: cat([getattr(s.systems, name) for s in states])
           for name in ("host_count", "partner_count", "ministry_alignment", "next_person", "unplaced_fellows",
                        "unplaced_moves")},
    )
    return SystemState(posts=posts, schools=schools, districts=districts, members=members, partners=partners,
                       systems=systems, static_ties=_block_diagonal([s.static_ties for s in states], post0),
                       year=states[0].year)


def _pad(table: np.ndarray, width: int) -> np.ndarray:
    if table.shape[1] == width:
        return table
    return np.hstack([table, np.full((table.shape[0], width - table.shape[1]), -1, dtype=table.dtype)])


def _block_diagonal(blocks: list[sp.csr_matrix], offsets: np.ndarray) -> sp.csr_matrix:
    indptr = [np.zeros(1, dtype=np.int64)]
    entries = 0
    for block in blocks:
        indptr.append(block.indptr[1:].astype(np.int64) + entries)
        entries += block.nnz
    indices = np.concatenate([b.indices.astype(np.int64) + offsets[k] for k, b in enumerate(blocks)])
    data = np.concatenate([b.data for b in blocks])
    n = int(offsets[-1])
    index_type = np.int32 if max(n, entries) < 2**31 else np.int64
    return sp.csr_matrix((data, indices.astype(index_type), np.concatenate(indptr).astype(index_type)), shape=(n, n))
