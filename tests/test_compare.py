"""What-if comparisons and reports: matched seeds, honest intervals, a report that carries the numbers."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import compare, paired_difference, proportion_difference
from tests.conftest import SCENARIOS
from tests.test_cli import cli


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        for key in ("href", "src"):
            if values.get(key) and tag != "img":
                self.links.append(values[key])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector


def test_paired_interval_is_zero_width_only_for_identical_differences() -> None:
    assert paired_difference(np.ones(5), np.ones(5)) == (0.0, 0.0, 0.0)
    mean, low, high = paired_difference(np.zeros(8), np.arange(8.0))
    assert low < mean == 3.5 < high


def test_tipping_probability_interval_stays_honest_at_the_extremes() -> None:
    d, low, high = proportion_difference(np.zeros(10), np.ones(10))
    assert d == 1.0 and 0.5 < low < 0.7 and high == pytest.approx(1.0)
    d, low, high = proportion_difference(np.zeros(10), np.zeros(10))
    assert d == 0.0 and low < 0 < high


def test_run_writes_a_self_contained_report_with_the_run_numbers(tmp_path: Path) -> None:
    result = cli("run", str(SCENARIOS / "ancash.yaml"), "--replicates", "3", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    report = tmp_path / "report.html"
    page = parse(report)
    assert page.tags[:2] == ["html", "head"] and "body" in page.tags
    assert len(page.images) == 5 and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert not page.links, "nothing outside the file: it must open offline and survive email"
    assert len(list((tmp_path / "figures").glob("*.png"))) == 5
    summary = json.loads((tmp_path / "summary.json").read_text())
    text = " ".join(page.text)
    for outcome in summary["outcomes"]:
        assert f"{outcome['end_mean']:.3f}" in text


def test_a_scenario_compared_with_itself_shows_no_difference(tmp_path: Path) -> None:
    path = str(SCENARIOS / "ancash.yaml")
    result = cli("compare", path, path, "--replicates", "4", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    differences = pd.read_parquet(tmp_path / "differences.parquet")
    assert differences["within_noise"].all()
    assert "yes" not in result.stdout.split("Significant?")[1].split("- ")[0]
    assert (tmp_path / "report.html").exists()


def test_clustered_differs_from_dispersed_beyond_the_noise(tmp_path: Path) -> None:
    result = cli("compare", str(SCENARIOS / "dispersed.yaml"), str(SCENARIOS / "clustered.yaml"),
                 "--replicates", "8", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    d = pd.read_parquet(tmp_path / "differences.parquet").set_index("outcome")
    assert not d.loc["achievement_gap", "within_noise"] and d.loc["achievement_gap", "ci_high"] < 0
    assert not d.loc["tipped_by_horizon", "within_noise"]
    page = parse(tmp_path / "report.html")
    text = " ".join(page.text)
    assert "placement.clustering" in text, "the report shows the settings that differ"
    assert "clustered is better than dispersed" in text


def test_compare_matches_seeds_across_scenarios() -> None:
    from sim.runner import run_replicates
    from tests.conftest import small

    a = run_replicates(small(), 3, seed=9, workers=1)["yearly"]
    b = run_replicates(small(**{"placement.clustering": 0.5}), 3, seed=9, workers=1)["yearly"]
    assert a.groupby("replicate")["seed"].first().equals(b.groupby("replicate")["seed"].first())
    result = {d.outcome: d for d in compare({"a": a, "b": b})}
    assert result["practising_share"].pairs == 3


def test_compare_needs_two_scenarios_and_good_files(tmp_path: Path) -> None:
    one = cli("compare", str(SCENARIOS / "ancash.yaml"))
    assert one.returncode == 2 and "at least two" in one.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("placement: {clustring: 1}\n")
    result = cli("compare", str(SCENARIOS / "ancash.yaml"), str(bad))
    assert result.returncode == 2 and "did you mean 'clustering'" in result.stderr
