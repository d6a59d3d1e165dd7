"""Plausible worlds and robust comparisons: samplers, shares with intervals, flips, and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import paired_difference, proportion_difference, wilson
from sim.analysis.plain_words import Uncertainty
from sim.scenario.problems import ScenarioError
from sim.uncertainty import compare_over_worlds, from_posterior, latin_hypercube, robust_sentence, summaries_frame
from sim.uncertainty.robust import BETTER, WITHIN, WORSE, _looks_binary, _majority

RANGES = {"contagion.lapse_rate": (0.0, 0.2), "teachers.threshold_mean": (0.3, 0.6), "programme.cohort_size": (5, 40)}


def runs_in(worlds: pd.DataFrame, effect: np.ndarray, *, replicates: int = 8, seed: int = 0) -> pd.DataFrame:
    """A and B in every world on matched seeds: B - A is `effect` (per world) plus a little unshared noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for world, delta in zip(worlds.index, effect, strict=True):
        shared = rng.normal(0.0, 0.05, replicates)  # the luck A and B share on a seed
        a = shared
        b = shared + delta + rng.normal(0.0, 0.01, replicates)
        tipped_a, tipped_b = rng.random(replicates) < 0.5, rng.random(replicates) < 0.5
        rows += [{"world": world, "replicate": r, "strategy": "A", "achievement": a[r], "gap": -a[r],
                  "tipped": tipped_a[r]} for r in range(replicates)]
        rows += [{"world": world, "replicate": r, "strategy": "B", "achievement": b[r], "gap": -b[r],
                  "tipped": tipped_b[r]} for r in range(replicates)]
    return pd.DataFrame(rows)


def test_latin_hypercube_is_seeded_within_range_and_one_world_per_slice() -> None:
    worlds = latin_hypercube(RANGES, 50, seed=3, integers={"programme.cohort_size"})
    assert worlds.equals(latin_hypercube(RANGES, 50, seed=3, integers={"programme.cohort_size"}))
    assert not worlds.equals(latin_hypercube(RANGES, 50, seed=4, integers={"programme.cohort_size"}))
    assert list(worlds.columns) == list(RANGES) and worlds.index.name == "world" and len(worlds) == 50
    lapse = worlds["contagion.lapse_rate"].to_numpy()
    assert ((lapse >= 0.0) & (lapse < 0.2)).all()
    assert sorted(np.floor(lapse / 0.2 * 50).astype(int)) == list(range(50))  # a Latin hypercube's promise
    cohort = worlds["programme.cohort_size"]
    assert cohort.dtype.kind == "i" and cohort.min() >= 5 and cohort.max() <= 40
    counts = latin_hypercube({"k": (1, 4)}, 400, seed=1, integers={"k"})["k"].value_counts()
    assert sorted(counts.index) == [1, 2, 3, 4] and counts.min() == counts.max() == 100  # whole numbers evenly


def test_posterior_draws_follow_the_weights_and_are_seeded() -> None:
    posterior = pd.DataFrame({"contagion.lapse_rate": [0.05, 0.10, 0.15], "weight": [0.7, 0.2, 0.1]})
    worlds = from_posterior(posterior, 2000, seed=2, keys=RANGES)
    assert worlds.equals(from_posterior(posterior, 2000, seed=2, keys=RANGES))
    assert list(worlds.columns) == ["contagion.lapse_rate"] and worlds.index.name == "world"
    shares = worlds["contagion.lapse_rate"].value_counts(normalize=True)
    assert shares[0.05] == pytest.approx(0.7, abs=0.035) and shares[0.15] == pytest.approx(0.1, abs=0.02)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: latin_hypercube(RANGES, 9, seed=0), "worlds: needs a whole number of at least 10"),
    (lambda: latin_hypercube({"a.b": (0.3, 0.3)}, 20, seed=0), "a.b: needs a range with low < high"),
    (lambda: latin_hypercube({"a.b": (0.5, 0.1)}, 20, seed=0), "a.b: needs a range with low < high"),
    (lambda: latin_hypercube({"a.b": (0.0, np.inf)}, 20, seed=0), "a.b: needs finite bounds"),
    (lambda: latin_hypercube({"a.b": "wide"}, 20, seed=0), "needs a range"),
    (lambda: latin_hypercube({"a.b": (0, 1)}, 20, seed=0, integers={"a.c"}), "did you mean 'a.b'"),
    (lambda: from_posterior(pd.DataFrame({"contagion.lapse_rat": [0.1], "weight": [1.0]}), 20, 0, keys=RANGES),
     "contagion.lapse_rat: is not a scenario key.*did you mean 'contagion.lapse_rate'"),
    (lambda: from_posterior(pd.DataFrame({"a": [0.1, 0.2], "weight": [1.2, -0.2]}), 20, 0), "must not be negative"),
    (lambda: from_posterior(pd.DataFrame({"a": [0.1, 0.2], "weight": [0.5, 0.4]}), 20, 0), "must sum to 1"),
    (lambda: from_posterior(pd.DataFrame({"a": [0.1, 0.2], "weights": [0.5, 0.5]}), 20, 0), "needs a weight column"),
    (lambda: from_posterior(pd.DataFrame({"a": [0.1, None], "weight": [0.5, 0.5]}), 20, 0), "has missing values"),
    (lambda: from_posterior(pd.DataFrame({"a": [0.1], "weight": [1.0]}), 5, 0), "at least 10"),
])
def test_bad_worlds_get_a_clear_error(call, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        call()


def test_the_share_of_worlds_where_b_wins_is_right_within_its_interval() -> None:
    # B beats A exactly where the lapse rate is above 0.12, by far more than the seed noise; elsewhere it
    # loses. Over the range (0, 0.2) that is 40% of worlds.
    worlds = latin_hypercube(RANGES, 120, seed=5)
    above = worlds["contagion.lapse_rate"].to_numpy() > 0.12
    result = compare_over_worlds(runs_in(worlds, np.where(above, 0.1, -0.1)), {"achievement": True, "gap": False},
                                 baseline="A")
    achievement, gap = result.summaries
    assert achievement.better_ci[0] <= 0.4 <= achievement.better_ci[1]
    assert achievement.better == above.sum() and achievement.worse == (~above).sum() and achievement.within == 0
    assert achievement.majority == WORSE and set(achievement.flips) == set(worlds.index[above])
    # lower is better on the gap, which moves the other way: the same verdicts
    assert (gap.better, gap.worse, gap.majority) == (achievement.better, achievement.worse, achievement.majority)
    q = achievement.difference_quantiles
    assert q[0.05] == pytest.approx(-0.1, abs=0.02) and q[0.95] == pytest.approx(0.1, abs=0.02)


def test_each_world_uses_compares_paired_rule() -> None:
    worlds = latin_hypercube(RANGES, 10, seed=1)
    runs = runs_in(worlds, np.zeros(10), seed=2)
    result = compare_over_worlds(runs, {"achievement": True, "tipped": True})
    per_world = result.per_world.set_index(["outcome", "world"])
    for world in (0, 7):
        a = runs[(runs.world == world) & (runs.strategy == "A")].sort_values("replicate")
        b = runs[(runs.world == world) & (runs.strategy == "B")].sort_values("replicate")
        mean, low, high = paired_difference(a["achievement"].to_numpy(), b["achievement"].to_numpy())
        row = per_world.loc[("achievement", world)]
        assert (row.difference, row.ci_low, row.ci_high) == pytest.approx((mean, low, high))
        d, low, high = proportion_difference(a["tipped"].to_numpy(float), b["tipped"].to_numpy(float))
        row = per_world.loc[("tipped", world)]
        assert (row.difference, row.ci_low, row.ci_high) == pytest.approx((d, low, high))
    assert set(result.per_world["verdict"]) <= {BETTER, WORSE, WITHIN}


def test_equal_strategies_are_mostly_within_the_noise_and_the_sentence_says_so() -> None:
    worlds = latin_hypercube(RANGES, 60, seed=8)
    result = compare_over_worlds(runs_in(worlds, np.zeros(60), seed=9), {"achievement": True})
    summary = result.summaries[0]
    assert summary.within_share >= 0.85  # about 95% at a 95% rule, seed noise being all there is
    text = robust_sentence(summary, Uncertainty.RANGES, strategy="clustered", baseline="dispersed",
                           outcome="mean achievement", unit=" SD")
    assert text.startswith("Against dispersed, clustered is better on mean achievement beyond the seed noise in ")
    assert "of 60 plausible worlds" in text and "seed noise and the assumptions' plausible ranges" in text
    assert "not told apart" in text
    posterior = robust_sentence(summary, Uncertainty.POSTERIOR)
    assert "worlds drawn from a calibrated posterior" in posterior and "a calibrated posterior)" not in posterior


def test_missing_outcomes_drop_out_and_too_few_pairs_give_no_verdict() -> None:
    worlds = latin_hypercube(RANGES, 10, seed=1)
    runs = runs_in(worlds, np.full(10, 0.2), replicates=3)
    runs.loc[(runs.world == 4) & (runs.replicate > 0), "achievement"] = np.nan
    result = compare_over_worlds(runs, {"achievement": True})
    row = result.per_world.set_index("world").loc[4]
    assert row.pairs == 1 and row.verdict == "too few runs"
    assert result.summaries[0].worlds == 9 and result.summaries[0].better == 9
    frame = summaries_frame(result.summaries)
    assert frame.loc[0, "difference_quantiles"]["q50"] == pytest.approx(0.2, abs=0.02)


@pytest.mark.parametrize(("change", "directions", "kwargs", "message"), [
    (lambda r: r.drop(columns="replicate"), {"achievement": True}, {}, "replicate: missing column"),
    (lambda r: r, {"achievment": True}, {}, "achievment: no such outcome column.*did you mean 'achievement'"),
    (lambda r: r, {"achievement": "up"}, {}, "needs True"),
    (lambda r: r, {"achievement": True}, {"baseline": "C"}, "the baseline 'C' has no runs"),
    (lambda r: r[r.strategy == "A"], {"achievement": True}, {}, "at least two strategies"),
    (lambda r: pd.concat([r, r.head(1)]), {"achievement": True}, {}, "exactly one run"),
    (lambda r: r.assign(achievement="high"), {"achievement": True}, {}, "achievement: needs numbers"),
])
def test_bad_run_tables_get_a_clear_error(change, directions, kwargs, message: str) -> None:
    runs = change(runs_in(latin_hypercube(RANGES, 10, seed=1), np.zeros(10), replicates=2))
    with pytest.raises(ScenarioError, match=message):
        compare_over_worlds(runs, directions, source="worlds.parquet", **kwargs)


def test_tipping_over_worlds_finds_where_the_system_tips_with_no_programme() -> None:
    from sim.tipping.over_worlds import WITHIN as TIPS_INSIDE
    from sim.tipping.over_worlds import WITHOUT, analyse_tipping_worlds
    from sim.uncertainty.run_worlds import DEFAULTS, TippingWorldRuns

    # 60 worlds: where the threshold mean is below 0.4 the system tips by itself; elsewhere it tips at a
    # programme size that grows with the threshold mean, so every other world has a point inside the grid
    worlds = latin_hypercube({"teachers.adoption_threshold_mean": (0.3, 0.6), "contagion.lapse_rate": (0.0, 0.2)},
                             60, seed=4)
    grid, replicates = [0.0, 10.0, 20.0, 30.0, 40.0], 8
    rng = np.random.default_rng(1)
    runs, without = [], []
    for world, threshold in zip([DEFAULTS, *worlds.index], [0.5, *worlds["teachers.adoption_threshold_mean"]],
                                strict=True):
        point = 20 + 60 * (threshold - 0.45)
        for value in grid:
            p = 1 / (1 + np.exp(-(value - point) / 3))
            runs += [{"world": world, "value": value, "replicate": r, "tipped": int(rng.random() < p)}
                     for r in range(replicates)]
        without += [{"world": world, "replicate": r, "tipped": int(threshold < 0.4)} for r in range(replicates)]
    ran = TippingWorldRuns("toy", "programme.cohort_size", grid, worlds, pd.DataFrame(runs), pd.DataFrame(without),
                           [], replicates, 0, "test", False)
    result = analyse_tipping_worlds(ran)
    drawn = result.per_world[result.per_world["world"] != DEFAULTS].set_index("world")
    alone = worlds["teachers.adoption_threshold_mean"] < 0.4
    assert set(drawn.index[drawn["status"] == WITHOUT]) == set(worlds.index[alone])
    assert (drawn.loc[~alone, "status"] == TIPS_INSIDE).mean() > 0.9
    box = result.without_box
    assert box is not None and [r.parameter for r in box.restrictions] == ["teachers.adoption_threshold_mean"]
    assert box.restrictions[0].high == pytest.approx(0.4, abs=0.03)
    assert any(s.startswith("It tips with no programme at all mostly where teachers.adoption_threshold_mean ≤")
               for s in result.sentences())


def test_the_majority_goes_by_the_count_of_worlds_and_a_tie_by_the_median_difference() -> None:
    """More worlds better than worse is BETTER even when the median difference is below zero (many small
    losses within the noise, a few clear wins); only a tie falls back to the median, read in the
    outcome's direction."""
    assert _majority(3, 1, np.array([-0.2, -0.1, -0.05, 0.3, 0.4]), higher_is_better=True) == BETTER
    assert _majority(1, 3, np.array([0.2, 0.1, 0.05, -0.3, -0.4]), higher_is_better=True) == WORSE
    tie = np.array([-0.1, 0.2, 0.3])  # median 0.2: the strategy's outcome is higher
    assert _majority(2, 2, tie, higher_is_better=True) == BETTER
    assert _majority(2, 2, tie, higher_is_better=False) == WORSE
    assert _majority(2, 2, -tie, higher_is_better=False) == BETTER
    assert _majority(0, 0, tie, higher_is_better=True) is None  # no world beyond the noise
    assert _majority(1, 1, np.array([-0.1, 0.0, 0.1]), higher_is_better=True) is None  # a median of 0


def test_a_numeric_column_of_zeros_and_ones_is_compared_as_a_proportion() -> None:
    """A 0/1 outcome read back from CSV or Parquet as numbers (not bool) still gets Newcombe's interval."""
    assert _looks_binary(pd.Series([0, 1, 1, 0]))
    assert _looks_binary(pd.Series([0.0, 1.0, np.nan]))  # a missing value is no evidence either way
    assert _looks_binary(pd.Series([True, False]))
    assert not _looks_binary(pd.Series([0, 1, 2]))
    assert not _looks_binary(pd.Series([0.0, 0.5]))
    assert not _looks_binary(pd.Series([np.nan, np.nan]))
    worlds = latin_hypercube(RANGES, 10, seed=1)
    runs = runs_in(worlds, np.zeros(10), seed=2).astype({"tipped": int})
    per_world = compare_over_worlds(runs, {"tipped": True}).per_world.set_index("world")
    a = runs[(runs.world == 3) & (runs.strategy == "A")].sort_values("replicate")["tipped"].to_numpy(float)
    b = runs[(runs.world == 3) & (runs.strategy == "B")].sort_values("replicate")["tipped"].to_numpy(float)
    assert (per_world.loc[3, "ci_low"], per_world.loc[3, "ci_high"]) == pytest.approx(proportion_difference(a, b)[1:])

def test_worlds_that_never_tip_in_the_grid_sort_above_every_located_one_and_late_tipping_has_a_box() -> None:
    """40 worlds whose tipping point grows with the threshold mean, the three with the highest threshold
    beyond the grid: one where no run tips, two where a few tip at the highest value only (a fit puts
    their point past the grid's end). Those sort above every located world, so the 95% quantile is
    'beyond' and the 5% one is the earliest located point; with too few beyond worlds for a box of their
    own, the box is of the worlds that tip later than the median, which is where the threshold is high."""
    from sim.tipping.over_worlds import BEYOND, WITHIN, analyse_tipping_worlds
    from sim.uncertainty.run_worlds import DEFAULTS, TippingWorldRuns

    worlds = latin_hypercube({"teachers.adoption_threshold_mean": (0.3, 0.6), "contagion.lapse_rate": (0.0, 0.2)},
                             40, seed=4)
    threshold = worlds["teachers.adoption_threshold_mean"]
    never, few = threshold.nlargest(3).index[0], list(threshold.nlargest(3).index[1:])
    grid, replicates = [0.0, 10.0, 20.0, 30.0, 40.0], 8
    runs = []
    for world, t in zip([DEFAULTS, *worlds.index], [0.45, *threshold], strict=True):
        point = 5 + 100 * (t - 0.3)  # 5 to 35: inside the grid
        for value in grid:
            if world == never:
                tipped = 0
            elif world in few:
                tipped = few.index(world) + 1 if value == grid[-1] else 0  # 1 or 2 of 8, at 40 only
            else:  # P(tipped) by hand, with no sampling noise
                tipped = round(replicates / (1 + np.exp(-(value - point) / 4)))
            runs += [{"world": world, "value": value, "replicate": r, "tipped": int(r < tipped)}
                     for r in range(replicates)]
    without = pd.DataFrame({"world": [DEFAULTS, *worlds.index], "replicate": 0, "tipped": 0})
    ran = TippingWorldRuns("toy", "programme.cohort_size", grid, worlds, pd.DataFrame(runs), without, [],
                           replicates, 0, "test", False)
    result = analyse_tipping_worlds(ran)
    status = result.per_world.set_index("world")["status"]
    assert status[never] == BEYOND and (status[few] == BEYOND).all()
    assert (status.drop([never, *few]) == WITHIN).all()
    assert result.quantiles[0.95] == (BEYOND, grid[-1])
    assert result.quantiles[0.05][0] == result.quantiles[0.5][0] == WITHIN
    assert result.quantiles[0.05][1] < result.quantiles[0.5][1]
    assert result.box is not None and result.box_subject.startswith("It tips later than the median world")
    restriction = next(r for r in result.box.restrictions if r.parameter == "teachers.adoption_threshold_mean")
    assert restriction.high is None and restriction.low == pytest.approx(threshold.median(), abs=0.05)


def test_worlds_drawn_from_a_posterior_count_for_no_more_than_the_posterior_is_worth() -> None:
    from sim.uncertainty.posterior import Posterior
    from sim.uncertainty.priors import load_priors

    table = pd.DataFrame({"contagion.lapse_rate": np.linspace(0.05, 0.15, 100), "weight": np.full(100, 0.01)})
    equal = Posterior(table, load_priors(), "p")
    assert equal.effective_size() == pytest.approx(100) and equal.worth_of_a_draw(100) == pytest.approx(0.5)
    # however many worlds are drawn, they are worth less than the table's 100 draws
    assert 10_000 * equal.worth_of_a_draw(10_000) < 100
    skewed = Posterior(table.assign(weight=np.r_[0.505, np.full(99, 0.005)]), load_priors(), "p")
    assert skewed.effective_size() < 4 and skewed.worth_of_a_draw(100) < 0.04
    # the shares' intervals widen by exactly that worth
    worlds = latin_hypercube(RANGES, 40, seed=3)
    runs = runs_in(worlds, np.full(40, 0.05), seed=4)
    plain = compare_over_worlds(runs, {"achievement": True}).summaries[0]
    worth = compare_over_worlds(runs, {"achievement": True}, worth=0.25).summaries[0]
    assert (worth.better, worth.worlds) == (plain.better, plain.worlds)
    assert worth.better_ci == pytest.approx(wilson(plain.better / 4, plain.worlds / 4))
    assert worth.better_ci[1] - worth.better_ci[0] > plain.better_ci[1] - plain.better_ci[0]


def test_a_tipping_point_over_posterior_worlds_widens_its_shares_by_what_the_draws_are_worth() -> None:
    from sim.tipping.over_worlds import WITHIN, WITHOUT, TippingOverWorlds
    from sim.uncertainty.run_worlds import DEFAULTS, TippingWorldRuns

    statuses = [WITHIN] * 6 + ["beyond the grid"] * 3 + [WITHOUT]
    per_world = pd.DataFrame({"world": [DEFAULTS, *range(10)], "status": [WITHIN, *statuses]})

    def shares(worth: float) -> tuple:
        ran = TippingWorldRuns("s", "programme.cohort_size", [0.0, 10.0], pd.DataFrame(index=range(10)),
                               pd.DataFrame(), pd.DataFrame(), [], 2, 0, "p", True, [], worth)
        over = TippingOverWorlds(ran, per_world, {}, None, "", 0.95)
        return over.within_share(), over.without_share()

    (k, n, ci), (w, drawn, wci) = shares(0.5)
    assert (k, n, w, drawn) == (6, 9, 1, 10)
    assert ci == pytest.approx(wilson(3, 4.5)) and wci == pytest.approx(wilson(0.5, 5))
    assert shares(1.0)[0][2] == pytest.approx(wilson(6, 9))


def test_a_worlds_interval_that_runs_into_the_grids_end_says_so() -> None:
    """4 of 6 runs tip only at the grid's last value: the interval's top is where the grid ends, not a bound
    the runs give, and the sentence says 'or beyond'."""
    from sim.tipping.over_worlds import WITHIN, _interval, _locate

    grid = [5.0, 20.0, 40.0, 60.0]
    runs = pd.DataFrame([{"value": v, "tipped": v == 60.0 and r < 4} for v in grid for r in range(6)])
    row = _locate(runs, grid, 0.95)
    assert row["status"] == WITHIN and row["ci_open_high"] and not row["ci_open_low"] and row["ci_high"] == 60.0
    assert _interval(row).endswith("or beyond: the grid ends there")
    closed = pd.DataFrame([{"value": v, "tipped": (v >= 40.0) == (r < 5)} for v in grid for r in range(6)])
    assert "or beyond" not in _interval(_locate(closed, grid, 0.95))
