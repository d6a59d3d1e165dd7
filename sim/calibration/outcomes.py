"""What a calibration target measures: an outcome of the model at a year, read from a batch of systems.

An outcome is written as text in the calibration file:

    alumni_school_leader                      a column of the yearly frame (sim.engine.observe.SYSTEM_COLUMNS)
    districts.practising_share[Huari]         a column of the districts frame, for one district by name
    roles.alumni[nonprofit]                   the roles frame: alumni in one role
    alumni_district_official + alumni_ministry    a sum of any of these (or of derived outcomes)

and the derived outcomes below, which the frames do not hold (docs/calibration.md defines each):

    alumni_in_education_share                 alumni in any role but `outside`, over all alumni ever (gone included)
    member_teacher_share[host_schools]        share of teaching posts held by fellows or alumni, in the schools
    member_teacher_share[all]                 that host or have hosted fellows / all schools / the most
    member_teacher_share[most_disadvantaged:0.33]    disadvantaged share of each system's schools
    founders                                  members who have founded an organisation (cumulative)
    fellow_class_effect                       a year's gain of a fellow's class over the classes of teachers
                                              from outside the programme in the same schools, SD

Every outcome is measured for every system of a batch at once (an array with one value per system),
from the batch's recorded frames or, for derived outcomes, from its state at the end of the year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sim.engine.observe import DISTRICT_COLUMNS, SYSTEM_COLUMNS
from sim.scenario import ROLES
from sim.scenario.problems import closest

DERIVED = ("alumni_in_education_share", "member_teacher_share", "founders", "fellow_class_effect")
MEMBER_SCOPES = ("host_schools", "all", "most_disadvantaged:<share>")
_TERM = re.compile(r"^(?:(?P<frame>districts|roles)\.)?(?P<name>[a-z_]+)(?:\[(?P<arg>[^\]]+)\])?$")


class OutcomeError(ValueError):
    """An outcome that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Term:
    frame: str  # "yearly", "districts", "roles" or "derived"
    name: str
    arg: str | None = None

    def __str__(self) -> str:
        prefix = "" if self.frame in ("yearly", "derived") else f"{self.frame}."
        return f"{prefix}{self.name}" + (f"[{self.arg}]" if self.arg is not None else "")

    @property
    def needs_state(self) -> bool:
        return self.frame == "derived"


@dataclass(frozen=True)
class Outcome:
    """A sum of one or more terms."""

    terms: tuple[Term, ...]

    def __str__(self) -> str:
        return " + ".join(str(t) for t in self.terms)

    @property
    def needs_state(self) -> bool:
        return any(t.needs_state for t in self.terms)


def parse_outcome(text: str) -> Outcome:
    """Read an outcome's text; raise OutcomeError saying what is wrong and what was probably meant."""
    parts = [p.strip() for p in str(text).split("+")]
    if not all(parts):
        raise OutcomeError(f"{text!r} has an empty term; write terms joined by ' + '")
    return Outcome(tuple(_term(p) for p in parts))


def _term(text: str) -> Term:
    match = _TERM.match(text)
    if not match:
        raise OutcomeError(f"cannot read {text!r}; expected e.g. alumni_school_leader, "
                           "districts.practising_share[NAME], roles.alumni[ROLE] or a derived outcome")
    frame, name, arg = match["frame"], match["name"], match["arg"]
    arg = arg.strip() if arg is not None else None
    if frame == "districts":
        if name not in DISTRICT_COLUMNS:
            raise OutcomeError(_unknown(name, DISTRICT_COLUMNS, "districts frame column"))
        if not arg:
            raise OutcomeError(f"districts.{name} needs a district name in brackets, e.g. districts.{name}[D1]")
        return Term("districts", name, arg)
    if frame == "roles":
        if name != "alumni":
            raise OutcomeError(f"the roles frame has one value, alumni: write roles.alumni[ROLE], not roles.{name}")
        if arg not in ROLES:
            raise OutcomeError(f"roles.alumni[{arg}]: the role must be one of {', '.join(ROLES)}")
        return Term("roles", name, arg)
    if name in DERIVED:
        if name == "member_teacher_share":
            if arg is None:
                raise OutcomeError(f"member_teacher_share needs a scope in brackets: {', '.join(MEMBER_SCOPES)}")
            _member_scope(arg)
        elif arg is not None:
            raise OutcomeError(f"{name} takes no brackets")
        return Term("derived", name, arg)
    if name in SYSTEM_COLUMNS:
        if arg is not None:
            raise OutcomeError(f"{name} is a column of the yearly frame and takes no brackets")
        return Term("yearly", name)
    raise OutcomeError(_unknown(name, (*SYSTEM_COLUMNS, *DERIVED), "outcome"))


def _unknown(name: str, known: tuple[str, ...], what: str) -> str:
    hint = closest(name, known)
    return f"unknown {what} {name!r}" + (f" (did you mean {hint!r}?)" if hint else "") + \
        f"; known: {', '.join(known)}"


def _member_scope(arg: str) -> float | str:
    """'host_schools', 'all', or the share q of 'most_disadvantaged:q'."""
    if arg in ("host_schools", "all"):
        return arg
    if arg.startswith("most_disadvantaged:"):
        try:
            share = float(arg.split(":", 1)[1])
        except ValueError:
            share = -1.0
        if 0 < share <= 1:
            return share
        raise OutcomeError(f"most_disadvantaged:<share> needs a share above 0 and at most 1, got {arg!r}")
    raise OutcomeError(f"member_teacher_share[{arg}]: the scope must be one of {', '.join(MEMBER_SCOPES)}")


def district_names_used(outcome: Outcome) -> list[str]:
    return [t.arg for t in outcome.terms if t.frame == "districts" and t.arg is not None]


# --- measuring ----------------------------------------------------------------------------------------


def measure_state(term: Term, state: object, params: object) -> np.ndarray:
    """A derived outcome from the state of a batch at the end of a year: one value per system."""
    from sim.engine.state import ALUMNUS, FELLOW, GONE, OUTSIDE

    m, p = state.members, state.posts  # type: ignore[attr-defined]
    b = state.batch_size  # type: ignore[attr-defined]
    if term.name == "alumni_in_education_share":
        alumni = (m.status == ALUMNUS) | (m.status == GONE)
        staying = (m.status == ALUMNUS) & (m.role != OUTSIDE)
        return _ratio(np.bincount(m.sys[staying], minlength=b), np.bincount(m.sys[alumni], minlength=b))
    if term.name == "founders":
        return np.bincount(m.sys[m.founded_partner >= 0], minlength=b).astype(np.float64)
    if term.name == "member_teacher_share":
        in_scope = _schools_in_scope(_member_scope(term.arg or ""), state)
        posts = in_scope[p.school]
        held = posts & (p.member >= 0)
        return _ratio(np.bincount(p.sys[held], minlength=b), np.bincount(p.sys[posts], minlength=b))
    if term.name == "fellow_class_effect":
        return _fellow_class_effect(state, params, FELLOW)
    raise AssertionError(f"not a derived outcome: {term}")


def _schools_in_scope(scope: float | str, state: object) -> np.ndarray:
    s = state.schools  # type: ignore[attr-defined]
    if scope == "host_schools":
        return s.hosted.copy()
    if scope == "all":
        return np.ones(s.size, dtype=bool)
    # each system's most disadvantaged share of schools, by rank (ties broken by position, as a sort does)
    order = np.lexsort((-s.disadvantage, s.sys))
    counts = np.bincount(s.sys, minlength=state.batch_size)  # type: ignore[attr-defined]
    first = np.concatenate([[0], np.cumsum(counts)])
    rank = np.empty(s.size, dtype=np.int64)
    rank[order] = np.arange(s.size) - first[s.sys[order]]
    return rank < np.ceil(float(scope) * counts[s.sys] - 1e-9)


def _fellow_class_effect(state: object, params: object, fellow_code: int) -> np.ndarray:
    """How much more a fellow's class gained this year than the classes of teachers from outside the
    programme in the same school, averaged over fellows (SD).

    A school's yearly gain in the model is the mean of its teachers' own terms (a practising programme
    member adds students.programme_teacher_effect, another practising teacher peer_practice_effect)
    plus terms every class of the school shares (leader, district, turnover, disadvantage, noise). A
    within-school comparison of classes, as in the studies (Clark et al. 2013), keeps the teachers'
    terms and cancels the shared ones, so this is the difference a study in the model's schools would
    estimate, without its sampling error. Systems with no fellow in a school that also has other
    teachers give NaN.
    """
    p, s, m = state.posts, state.schools, state.members  # type: ignore[attr-defined]
    st = params.students  # type: ignore[attr-defined]
    b = state.batch_size  # type: ignore[attr-defined]
    held = p.member >= 0
    member = np.where(held, p.member, 0)
    fellow = held & (m.status[member] == fellow_code)
    other = ~held
    own = np.where(fellow, st.programme_teacher_effect[p.sys], st.peer_practice_effect[p.sys]) * p.practising
    fellows_at = np.bincount(p.school, weights=fellow, minlength=s.size)
    others_at = np.bincount(p.school, weights=other, minlength=s.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        fellow_mean = np.bincount(p.school, weights=own * fellow, minlength=s.size) / fellows_at
        other_mean = np.bincount(p.school, weights=own * other, minlength=s.size) / others_at
    compared = (fellows_at > 0) & (others_at > 0)
    weight = np.where(compared, fellows_at, 0.0)
    difference = np.where(compared, fellow_mean - other_mean, 0.0)
    return _ratio(np.bincount(s.sys, weights=weight * difference, minlength=b),
                  np.bincount(s.sys, weights=weight, minlength=b))


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)


def measure_frames(term: Term, year: int, yearly: object, districts: object) -> np.ndarray:
    """An outcome read from a batch's yearly or districts frame at `year`: one value per system."""
    import pandas as pd

    if term.frame in ("yearly", "roles"):
        column = term.name if term.frame == "yearly" else f"alumni_{term.arg}"
        frame: pd.DataFrame = yearly
        rows = frame[frame["year"] == year].sort_values("system")
        return rows[column].to_numpy(dtype=np.float64)
    frame = districts
    rows = frame[(frame["year"] == year) & (frame["district"] == term.arg)].sort_values("system")
    return rows[term.name].to_numpy(dtype=np.float64)
