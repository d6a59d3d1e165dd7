"""docs/validation.md is what the model gives: the generator runs end to end, a quick run reproduces the
committed numbers (deterministic ones exactly, stochastic ones within the intervals the document states),
and a planted change that breaks a pattern turns its row to fail."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sim.contagion import exposure
from sim.mechanisms import practice
from sim.validation import baseline, contagion, effects, run_validation, systems, write
from sim.validation.__main__ import main
from sim.validation.report import FAIL, PASS, REPORT, Committed, Family, disagreements
from tests.helpers import ROOT

DOCS = ROOT / "docs"
FIGURES = ("validation_contagion.png", "validation_effects.png", "validation_london.png")
REGENERATE = "docs/validation.md is stale: regenerate it with `python -m sim.validation --out docs/`"
PATTERNS = ("granovetter", "centola2010-lattice", "centola2010-random", "centola2018", "class-gain", "principal",
            "envelope", "cumulative", "fade-rule", "london-share", "london-heads", "london-policy", "london-founders",
            "london-leadership", "tfi-sector", "tfi-senior", "delhi-influence", "baseline")


@pytest.fixture(scope="module")
def committed() -> Committed:
    return Committed.parse((DOCS / "validation.md").read_text(encoding="utf-8"))


def test_a_quick_run_writes_the_document_and_reproduces_the_committed_one(tmp_path: Path,
                                                                          committed: Committed) -> None:
    """One test, so that one process makes the quick run (a few seconds, in this process)."""
    report = run_validation(quick=True, workers=1)
    write(report, tmp_path)
    # (a) end to end: the document, its figures, and numbers that read back exactly
    text = (tmp_path / "validation.md").read_text(encoding="utf-8")
    assert text.startswith("# Validation") and report.summary_table() in text
    assert sorted(p.name for p in tmp_path.glob("validation_*.png")) == sorted(FIGURES)
    for name in FIGURES:
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and f"]({name})" in text
    again = Committed.parse(text)
    assert again.quick and not disagreements(report.measures, True, again)
    rows = report.rows
    assert tuple(rows.id) == PATTERNS
    assert set(rows.status) <= {PASS, FAIL, REPORT}
    assert (rows[rows.status == FAIL].fix.str.len() > 40).all(), "every failure says what would fix it"
    # (b) the committed document is what the model gives now
    problems = disagreements(report.measures, True, committed)
    assert not problems, "\n".join(problems) + "\n" + REGENERATE
    verdicts = {r.id: r.status for r in committed.rows}
    for row in rows.itertuples():
        if row.uncertainty.startswith("deterministic") and row.id not in ("envelope", "baseline"):
            assert row.status == verdicts[row.id], row.id  # envelope and baseline also cover national


def test_the_committed_document_is_a_full_run_with_its_figures(committed: Committed) -> None:
    assert not committed.quick, "docs/validation.md was written by a --quick run; " + REGENERATE
    text = (DOCS / "validation.md").read_text(encoding="utf-8")
    for name in FIGURES:
        assert f"]({name})" in text and (DOCS / name).read_bytes().startswith(b"\x89PNG"), name
    assert tuple(r.id for r in committed.rows) == PATTERNS
    # a full run measures the national scenario, which a quick run cannot check
    assert any(m.full_only and ".national." in key for key, m in committed.measures.items())


def test_the_check_catches_a_changed_number(committed: Committed) -> None:
    quick_like = {k: dataclasses.replace(m, n=min(m.n, 3)) for k, m in committed.measures.items() if not m.full_only}
    assert not disagreements(quick_like, True, committed)
    exact = next(k for k, m in quick_like.items() if m.deterministic)
    noisy = next(k for k, m in quick_like.items() if not m.deterministic and m.sd > 0)
    low, high = committed.measures[noisy].check_interval(3)
    for key, value in ((exact, quick_like[exact].value + 1e-12), (noisy, high + (high - low) / 10)):
        changed = {**quick_like, key: dataclasses.replace(quick_like[key], value=value)}
        assert [p.split(":")[0] for p in disagreements(changed, True, committed)] == [key]
    missing = dict(quick_like)
    missing.pop(exact)
    assert disagreements(missing, True, committed) == [f"{exact}: in the document but no longer measured"]


def test_the_command_rejects_bad_arguments_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    for argv in (["--workers", "0"], ["--out", str(tmp_path / "file"), "--quick"], ["--nonsense"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


# --- (c) a planted change turns its row to fail -------------------------------------------------------

def test_a_contagion_rule_that_misses_exact_thresholds_fails_granovetter(monkeypatch: pytest.MonkeyPatch) -> None:
    family = Family("contagion")
    contagion.granovetter(family, contagion.granovetter_joined())
    assert family.rows[0].status == PASS

    def strictly_above(*args: object, **kwargs: object) -> np.ndarray:
        return exposure(*args, **kwargs) - 1e-9  # a share equal to the threshold no longer reaches it

    monkeypatch.setattr(practice, "exposure", strictly_above)
    family = Family("contagion")
    contagion.granovetter(family, contagion.granovetter_joined())
    assert family.rows[0].status == FAIL and family.rows[0].fix


def planted(monkeypatch: pytest.MonkeyPatch, overrides: dict[str, object]) -> None:
    shipped = systems.load
    monkeypatch.setattr(systems, "load", lambda name, more=None: shipped(name, {**overrides, **(more or {})}))


def test_a_larger_peer_effect_breaks_the_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    family = Family("effects")
    effects.envelope(family, {"ancash": effects.envelope_of("ancash")})
    assert family.rows[0].status == PASS
    planted(monkeypatch, {"students.peer_practice_effect": 0.2})
    family = Family("effects")
    effects.envelope(family, {"ancash": effects.envelope_of("ancash")})
    assert family.rows[0].id == "envelope" and family.rows[0].status == FAIL


def test_a_system_starting_past_its_thresholds_breaks_the_still_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    planted(monkeypatch, {"teachers.initial_practice": 0.7})
    family = Family("baseline")
    baseline.still(family, systems.QUICK, {("ancash", 0): baseline.drift("ancash", 0)})
    assert family.rows[0].status == FAIL and "ancash" in family.rows[0].fix
