"""Scenario discovery: which inputs decide a yes/no answer, as boxes (PRIM) and tree leaves (CART).

    boxes = prim_boxes(inputs, clustered_worse)        # inputs: one column per scenario key path
    box_sentence(boxes[0], "clustered is worse than dispersed", Uncertainty.RANGES)
    # 'clustered is worse than dispersed mostly where contagion.lapse_rate ≤ 0.1 and ... (coverage 0.8 ...'

Both methods come from the EMA Workbench (ema_workbench.analysis.prim and .cart), the implementation
researchers in exploratory modelling know (Bryant & Lempert 2010; Kwakkel 2017). Its import costs a
few seconds, so it is imported inside the functions, never at module import.

A box is a set of limits on a few inputs. Coverage: the share of all cases of interest that fall in
the box. Density: the share of cases in the box that are of interest. Mass: the share of all cases in
the box. PRIM peels thin slices off the input space to raise density, trading coverage away; the box
returned is the point on that peeling trajectory where coverage and density are best balanced (their
harmonic mean is highest) unless `min_density` asks for a purer box. Restrictions that do not raise
density beyond chance (Bryant & Lempert's quasi-p-value above `significance`) are then dropped, so a
box names only inputs that matter. Further boxes describe cases of interest not in earlier boxes.

When to trust it: with a few hundred cases or more and a base rate of cases of interest neither tiny
nor overwhelming; limits are data values, so their precision is the spacing of the design (a box
edge at 0.6 from 200 Latin-hypercube worlds is good to about one range/200 plus the noise in the
yes/no labels). A box describes the cases given; it says nothing of inputs that were held fixed.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.plain_words import Uncertainty, number, share, uncertainty
from sim.scenario.problems import Problem, ScenarioError


@dataclass(frozen=True)
class Restriction:
    parameter: str
    low: float | None  # None: not restricted from below (a numeric input)
    high: float | None
    categories: tuple[Any, ...] | None = None  # the values kept, for a non-numeric input
    quasi_p: float | None = None  # Bryant & Lempert's quasi-p-value (PRIM only): small = the limit matters

    def words(self, name: str | None = None) -> str:
        name = name or self.parameter
        if self.categories is not None:
            return f"{name} is {' or '.join(map(str, self.categories))}"
        if self.low is not None and self.high is not None:
            return f"{number(self.low)} ≤ {name} ≤ {number(self.high)}"
        if self.low is not None:
            return f"{name} ≥ {number(self.low)}"
        assert self.high is not None  # a restriction bounds at least one side
        return f"{name} ≤ {number(self.high)}"


@dataclass(frozen=True)
class Box:
    method: str  # "prim" or "cart"
    restrictions: tuple[Restriction, ...]
    coverage: float
    density: float
    mass: float
    cases: int  # cases in the box
    cases_of_interest: int  # of them, cases of interest
    base_rate: float  # share of cases of interest among all cases given

    def as_dict(self) -> dict:
        return asdict(self)


def prim_boxes(
    inputs: pd.DataFrame, outcome: Sequence[bool] | np.ndarray | pd.Series, *, max_boxes: int = 3,
    min_density: float | None = None, significance: float = 0.05, mass_min: float = 0.05,
    peel_alpha: float = 0.05, paste_alpha: float = 0.05, min_coverage: float = 0.1, source: str = "cases",
) -> list[Box]:
    """Up to max_boxes PRIM boxes for `outcome` (True = a case of interest) over `inputs`.

    inputs: one row per case (a world, a design point, a run), one column per input; numbers or
    categories. A further box is kept only if it holds at least min_coverage of all cases of interest
    and is denser than the cases left over.
    """
    prim = _workbench("prim")
    x, y = _prepare(inputs, outcome, source)
    with warnings.catch_warnings():
        # the Workbench's own use of drop(inplace=True), deprecated in pandas 3.1: not the caller's concern
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop")
        finder = prim.Prim(x, y.astype(int).copy(), mass_min=mass_min, peel_alpha=peel_alpha,
                           paste_alpha=paste_alpha)
    boxes: list[Box] = []
    while len(boxes) < max_boxes:
        found = finder.find_box()
        if found is None:
            break
        left = finder.yi_remaining  # the cases not in an earlier box
        _select(found, min_density)
        _drop_chance_restrictions(found, significance)
        if found.yi.size == left.size or not found.density > y[left].mean():
            break
        if boxes and found.coverage < min_coverage:
            break
        boxes.append(_prim_box(found, x, y))
    return boxes


def cart_boxes(
    inputs: pd.DataFrame, outcome: Sequence[bool] | np.ndarray | pd.Series, *, mass_min: float = 0.05,
    source: str = "cases",
) -> list[Box]:
    """The leaves of a classification tree (CART) where most cases are of interest, by coverage.

    Each leaf is a box; the tree grows until leaves are pure or hold mass_min of the cases (at least one
    case, so a sweep of fewer than 1 / mass_min runs still gets a tree), so with noisy labels it splits
    on noise (benchmarks/discovery_recovery.py: with 10% of labels flipped, the leaf with the most
    coverage restricted a noise input in 38 of 40 toys, PRIM's box in none). Prefer PRIM's boxes for the
    headline and CART as a check on clean, well-separated outcomes.
    """
    cart = _workbench("cart")
    x, y = _prepare(inputs, outcome, source)
    # the Workbench keeps int(mass_min * n) cases in a leaf, which is 0 below 1 / mass_min cases (20 at the
    # default) and sklearn refuses; a small sweep gets leaves of one case instead (its limits are only as
    # fine as the design anyway). The + 0.5 keeps the Workbench's int() from rounding the count down.
    leaf = max(1, int(mass_min * len(x)))
    tree = cart.CART(x, y.astype(int), mass_min=(leaf + 0.5) / len(x))
    # sklearn gives a leaf the feature -2 (none), which the Workbench (3.0) looks up among the input names
    # without using it: with one input (a one-parameter sweep) that lookup fails, so a name is added for it
    tree.feature_names = [*tree.feature_names, "(leaf)"]
    tree.build_tree()
    if tree.clf.tree_.node_count == 1:  # no input tells the cases apart; the Workbench fails on a lone root
        return []
    lows, highs = x.min(numeric_only=True), x.max(numeric_only=True)
    out = []
    with np.errstate(invalid="ignore"):  # the Workbench divides by zero for a leaf its limits leave empty
        leaves = list(zip(tree.boxes, tree.stats, strict=True))
    for limits, stats in leaves:
        if not stats["density"] >= 0.5:  # also skips those empty leaves (density nan)
            continue
        restrictions = []
        for column in x.columns:
            low, high = limits.loc[0, column], limits.loc[1, column]
            if isinstance(low, set):
                if low != set(x[column].unique()):
                    restrictions.append(Restriction(str(column), None, None, tuple(sorted(low, key=str))))
                continue
            restricted_low, restricted_high = low > lows[column], high < highs[column]
            if restricted_low or restricted_high:
                restrictions.append(Restriction(str(column), float(low) if restricted_low else None,
                                                float(high) if restricted_high else None))
        inside = _inside(x, restrictions)
        out.append(_box("cart", restrictions, inside, y))
    return sorted(out, key=lambda b: -b.coverage)


def _workbench(module: str) -> Any:
    """ema_workbench.analysis.<module>, imported on first use (seconds), without the Workbench's import-time
    warning that its optional ipyparallel back end is missing (irrelevant here)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
        return importlib.import_module(f"ema_workbench.analysis.{module}")


def _prepare(inputs: pd.DataFrame, outcome: Any, source: str) -> tuple[pd.DataFrame, np.ndarray]:
    y = np.asarray(outcome)
    problems = []
    if y.ndim != 1 or y.size != len(inputs):
        problems.append(Problem(source, None, "outcome", f"needs one yes/no per case ({len(inputs)})", y.shape))
    elif y.dtype != bool and (pd.isna(y).any() or not np.isin(y, [0, 1]).all()):
        problems.append(Problem(source, None, "outcome", "needs yes/no values (True/False or 1/0)"))
    if inputs.shape[1] == 0:
        problems.append(Problem(source, None, "", "needs at least one input column"))
    problems += [Problem(source, None, str(c), "has missing values", int(inputs[c].isna().sum()))
                 for c in inputs.columns if inputs[c].isna().any()]
    if problems:
        raise ScenarioError(problems)
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ScenarioError([Problem(source, None, "outcome", "needs both cases of interest and others to "
                                     "tell them apart", f"{int(y.sum())} of {y.size} are of interest")])
    x = pd.DataFrame(index=pd.RangeIndex(len(inputs)))
    for column in inputs.columns:
        values = inputs[column].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            x[str(column)] = values.astype(str).astype("category")  # the Workbench peels categories as sets
        else:
            # whole numbers too: the Workbench (3.0.0) pastes a float limit into an int64 column, which
            # pandas 3 refuses; as floats they peel the same way, at data values
            x[str(column)] = values.astype(np.float64)
    return x, y


def _select(found: Any, min_density: float | None) -> None:
    trajectory = found.peeling_trajectory
    coverage, density = trajectory["coverage"].to_numpy(float), trajectory["density"].to_numpy(float)
    if min_density is not None and (density >= min_density).any():
        candidates = np.flatnonzero(density >= min_density)
        choice = int(candidates[np.argmax(coverage[candidates])])
    else:
        balance = 2 * coverage * density / np.maximum(coverage + density, 1e-12)
        choice = int(np.argmax(balance))
    found.select(choice)


def _drop_chance_restrictions(found: Any, significance: float) -> None:
    """Relax, one at a time, the box edge whose quasi-p-value is worst while it is above significance.

    Each edge (the lower or upper limit of an input) has its own quasi-p-value; relaxing only that edge
    keeps a significant limit on the other side.
    """
    sdutil = _workbench("scenario_discovery_util")
    prim = found.prim
    while True:
        qp = found.p_values[found._cur_box]
        edges = {(dim, side): v for dim, values in qp.items() for side, v in enumerate(values) if v >= 0}
        if not edges:
            return
        (dim, side), worst = max(edges.items(), key=lambda item: item[1])
        if worst <= significance:
            return
        limits = found.box_lims[found._cur_box].copy()
        if isinstance(limits.loc[0, dim], set):  # a category has one quasi-p-value for its set
            limits[dim] = prim.box_init[dim]
        else:
            limits.loc[side, dim] = prim.box_init.loc[side, dim]
        inside = sdutil._in_box(prim.x.loc[prim.yi_remaining, :], limits)
        found.update(limits, prim.yi_remaining[inside])


def _prim_box(found: Any, x: pd.DataFrame, y: np.ndarray) -> Box:
    limits = found.box_lims[found._cur_box]
    initial = found.prim.box_init
    qp = found.p_values[found._cur_box]
    restrictions = []
    for column in x.columns:
        low, high = limits.loc[0, column], limits.loc[1, column]
        low0, high0 = initial.loc[0, column], initial.loc[1, column]
        if isinstance(low, set):
            if low != low0:
                restrictions.append(Restriction(column, None, None, tuple(sorted(low, key=str)), _qp(qp, column)))
            continue
        if low != low0 or high != high0:
            restrictions.append(Restriction(column, float(low) if low != low0 else None,
                                            float(high) if high != high0 else None, None, _qp(qp, column)))
    return _box("prim", restrictions, found.yi, y)


def _qp(qp: Mapping[str, list[float]], column: str) -> float | None:
    values = [v for v in qp.get(column, []) if v >= 0]
    return float(min(values)) if values else None


def _inside(x: pd.DataFrame, restrictions: Sequence[Restriction]) -> np.ndarray:
    mask = np.ones(len(x), dtype=bool)
    for r in restrictions:
        column = x[r.parameter]
        if r.categories is not None:
            mask &= column.astype(str).isin([str(c) for c in r.categories]).to_numpy()
            continue
        if r.low is not None:
            mask &= column.to_numpy(float) >= r.low
        if r.high is not None:
            mask &= column.to_numpy(float) <= r.high
    return np.flatnonzero(mask)


def _box(method: str, restrictions: Sequence[Restriction], inside: np.ndarray, y: np.ndarray) -> Box:
    """A box's statistics from the indices of the cases inside it."""
    interesting = int(y[inside].sum())
    return Box(method=method, restrictions=tuple(restrictions), coverage=interesting / int(y.sum()),
               density=interesting / max(inside.size, 1), mass=inside.size / y.size, cases=int(inside.size),
               cases_of_interest=interesting, base_rate=float(y.mean()))


def boxes_frame(boxes: Sequence[Box]) -> pd.DataFrame:
    """One row per restriction, with its box's number and statistics: a table for reports and Parquet."""
    rows = []
    for i, box in enumerate(boxes):
        stats = {k: v for k, v in box.as_dict().items() if k != "restrictions"}
        for r in box.restrictions or (Restriction("", None, None),):
            rows.append({"box": i, **stats, "parameter": r.parameter, "low": r.low, "high": r.high,
                         "categories": None if r.categories is None else list(r.categories), "quasi_p": r.quasi_p})
    return pd.DataFrame(rows)


def box_sentence(
    box: Box, subject: str, included: Uncertainty | str, *, names: Mapping[str, str] | None = None,
) -> str:
    """The box in plain words: "<subject> mostly where <limits> (coverage, density, mass; uncertainty)".

    subject: what the cases of interest are, as the start of a sentence ("clustered is worse than
    dispersed"); names: readable names for inputs (default: their key paths).
    """
    words = uncertainty(included)
    names = names or {}
    limits = " and ".join(r.words(names.get(r.parameter)) for r in box.restrictions)
    if not limits:
        where = "with no input narrowing it down"
    else:
        where = ("mostly where " if box.coverage >= 0.5 else "in part where ") + limits
    # the share in words is the two-decimal figure beside it, so the two never round apart (0.975: 0.97, 97%)
    coverage, density = float(f"{box.coverage:.2f}"), float(f"{box.density:.2f}")
    return (f"{subject} {where} (coverage {coverage:.2f}: the region holds {share(coverage)} of such "
            f"cases; density {density:.2f}: {share(density)} of the cases in it are such cases, against "
            f"{share(box.base_rate)} of all cases; mass {box.mass:.2f}; {words}).")

