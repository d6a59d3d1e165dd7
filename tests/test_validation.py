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
from sim.validation.report import FAIL, PASS, Committed, Family, ValidationReport, disagreements
from tests.helpers import ROOT

DOCS = ROOT / "docs"
REGENERATE = "docs/validation.md is stale: regenerate it with `python -m sim.validation --out docs/`"


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValidationReport, Path]:
    """One quick run in this process (a few seconds), written out as the command does."""
    report = run_validation(quick=True, workers=1)
    out = tmp_path_factory.mktemp("validation")
    write(report, out)
    return report, out


@pytest.fixture(scope="module")
def committed() -> Committed:
    return Committed.parse((DOCS / "validation.md").read_text(encoding="utf-8"))


# --- (a) end to end -----------------------------------------------------------------------------------

def test_the_generator_writes_the_document_and_its_figures(quick: tuple[ValidationReport, Path]) -> None:
    report, out = quick
    text = (out / "validation.md").read_text(encoding="utf-8")
    assert text.startswith("# Validation")
    assert report.summary_table() in text
    figures = sorted(p.name for p in out.glob("validation_*.png"))
    assert figures == ["validation_contagion.png", "validation_effects.png", "validation_london.png"]
    for name in figures:
        assert (out / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert f"]({name})" in text
    # what it wrote reads back as the same numbers
    again = Committed.parse(text)
    assert again.quick and set(again.measures) == set(report.measures)
    assert not disagreements(report, again)


def test_every_pattern_the_brief_asks_for_has_a_row(quick: tuple[ValidationReport, Path]) -> None:
    rows = quick[0].rows
    assert set(rows.status) <= {PASS, FAIL, "reported"}
    for rid in ("granovetter", "centola2010-lattice", "centola2010-random", "centola2018", "class-gain", "principal",
                "envelope", "cumulative", "london-heads", "london-share", "london-policy", "london-founders",
                "london-leadership", "tfi-sector", "baseline"):
        assert rid in set(rows.id), rid
    # every failure says what would fix it
    assert (rows[rows.status == FAIL].fix.str.len() > 40).all()


def test_the_command_rejects_bad_arguments_with_exit_2(tmp_path: Path) -> None:
    for argv in (["--workers", "0"], ["--out", str(tmp_path / "file"), "--quick"], ["--nonsense"]):
        (tmp_path / "file").write_text("not a directory")
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


# --- (b) the committed document is current ------------------------------------------------------------

def test_the_committed_document_is_a_full_run_with_its_figures(committed: Committed) -> None:
    assert not committed.quick, "docs/validation.md was written by a --quick run; " + REGENERATE
    text = (DOCS / "validation.md").read_text(encoding="utf-8")
    for name in ("validation_contagion.png", "validation_effects.png", "validation_london.png"):
        assert f"]({name})" in text and (DOCS / name).is_file(), name
    # the national scenario is in it (a full run measures it; a quick run cannot check it)
    assert any(m.full_only and "national" in key for key, m in committed.measures.items())


def test_a_quick_run_reproduces_the_committed_numbers(quick: tuple[ValidationReport, Path],
                                                      committed: Committed) -> None:
    problems = disagreements(quick[0], committed)
    assert not problems, "\n".join(problems) + "\n" + REGENERATE
    # and the rows whose numbers are exact give the same verdict
    statuses = {r.id: r.status for r in committed.rows}
    for row in quick[0].rows.itertuples():
        if row.uncertainty.startswith("deterministic") and row.id not in ("envelope", "baseline", "cumulative"):
            assert row.status == statuses[row.id], row.id


def test_the_check_catches_a_changed_number(committed: Committed, quick: tuple[ValidationReport, Path]) -> None:
    report = quick[0]
    exact = next(k for k, m in report.measures.items() if m.deterministic)
    noisy = next(k for k, m in report.measures.items() if not m.deterministic and committed.measures[k].sd > 0)
    for key, shift in ((exact, 1e-12), (noisy, None)):
        m = committed.measures[key]
        low, high = m.check_interval(report.measures[key].n)
        moved = m.value + shift if shift is not None else m.value + 2 * (high - low)
        changed = Committed(committed.quick, {**committed.measures, key: dataclasses.replace(m, value=moved)},
                            committed.rows)
        assert any(p.startswith(key) for p in disagreements(report, changed)), key


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
    planted(monkeypatch, {"students.peer_practice_effect": 0.2})
    family = Family("effects")
    effects.envelope(family, {"ancash": effects.envelope_of("ancash")})
    assert next(r for r in family.rows if r.id == "envelope").status == FAIL


def test_a_system_starting_past_its_thresholds_breaks_the_still_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    planted(monkeypatch, {"teachers.initial_practice": 0.7})
    family = Family("baseline")
    baseline.still(family, systems.QUICK, {("ancash", 0): baseline.drift("ancash", 0)})
    assert family.rows[0].status == FAIL and "ancash" in family.rows[0].fix
