"""What a validation run found: measures (numbers with their seed noise), rows (one per pattern) and the
report that renders docs/validation.md and checks a new run against a committed one.

Every number the document shows is a `Measure`, so every number can be checked: a deterministic one
must be reproduced exactly; a stochastic one (a mean over replicates) must land in the interval the
document states for a run with fewer replicates (`Measure.check_interval`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

# a new run's mean must lie within this many standard errors of the difference from the committed
# mean: 3 keeps a fresh document passing its own check (p ~ 0.003 a number) while a change to the
# model that moves a number by a few of its standard errors is caught
CHECK_Z = 3.0
PASS, FAIL, REPORT = "pass", "fail", "reported"


@dataclass
class Measure:
    """One number: a deterministic value, or the mean of n replicates with their standard deviation."""

    key: str
    value: float
    deterministic: bool
    sd: float = 0.0  # standard deviation over replicates (not of the mean)
    n: int = 1
    resolution: float = 0.0  # the smallest step the quantity can take (a count: 1; a share of 20: 0.05)
    unit: str = ""
    digits: int = 3
    full_only: bool = False  # measured only in a full run (the national scenario, extra seeds)

    @classmethod
    def of(cls, key: str, values: Sequence[float] | np.ndarray, **kw: object) -> Measure:
        """The mean of replicate values, with their SD."""
        v = np.asarray(values, dtype=float)
        sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
        return cls(key, float(v.mean()), deterministic=False, sd=sd, n=int(v.size), **kw)  # type: ignore[arg-type]

    @classmethod
    def exact(cls, key: str, value: float, **kw: object) -> Measure:
        return cls(key, float(value), deterministic=True, **kw)  # type: ignore[arg-type]

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n > 0 else math.nan

    def ci95(self) -> tuple[float, float]:
        """95% interval of the mean from seed noise alone (Student t over the replicates)."""
        if self.deterministic or self.n < 2:
            return self.value, self.value
        half = float(stats.t.ppf(0.975, self.n - 1)) * self.se
        return self.value - half, self.value + half

    def check_interval(self, n_new: int) -> tuple[float, float]:
        """Where the mean of n_new other replicates must land to agree with this one."""
        if self.deterministic:
            return self.value, self.value
        spread = max(self.sd, self.resolution)
        half = CHECK_Z * spread * math.sqrt(1.0 / max(n_new, 1) + 1.0 / self.n)
        return self.value - half, self.value + half

    def fmt(self, value: float | None = None, digits: int | None = None, unit: bool = True) -> str:
        v = self.value if value is None else value
        d = self.digits if digits is None else digits
        if self.unit == "%":
            return f"{100 * v:.{max(d - 2, 0)}f}%"
        if self.unit == "count":
            return f"{v:,.{d}f}"
        return f"{v:.{d}f}" + (f" {self.unit}" if self.unit and unit else "")

    def text(self) -> str:
        """The value with its interval: '0.083 (0.079–0.087) SD' or, deterministic, '0.083 SD'."""
        if self.deterministic or self.n < 2:
            return self.fmt()
        low, high = self.ci95()
        if self.unit == "%":  # a share's interval stays within 0-100%
            low, high = max(low, 0.0), min(high, 1.0)
        plain = self.unit not in ("%", "count", "")
        interval = f"{self.fmt(unit=False)} ({self.fmt(low, unit=False)}–{self.fmt(high, unit=False)})"
        return interval + (f" {self.unit}" if plain else "")


@dataclass
class Row:
    """One pattern in the summary table."""

    id: str
    pattern: str
    source: str
    target: str
    settings: str
    measured: str
    uncertainty: str
    status: str  # PASS, FAIL or REPORT (a quantity the brief asks to report, with no published target)
    fix: str = ""  # for a failure: the mechanism or assumption that would have to change


@dataclass
class Family:
    """What one module measured: rows for the summary, measures, a details section, figures."""

    name: str
    rows: list[Row] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    details: str = ""
    figures: dict[str, object] = field(default_factory=dict)  # file name -> matplotlib Figure
    seconds: float = 0.0

    def add(self, measure: Measure) -> Measure:
        self.measures.append(measure)
        return measure


def uncertainty_text(measures: Iterable[Measure]) -> str:
    ms = list(measures)
    if all(m.deterministic for m in ms):
        return "deterministic (exact)"
    ns = sorted({m.n for m in ms if not m.deterministic})
    if ns == [1]:
        return "one replicate: no interval (seed noise not measured)"
    n = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
    return f"seed noise only: 95% interval of the mean over {n} replicates"


def status_of(ok: bool) -> str:
    return PASS if ok else FAIL


def markdown_table(frame: pd.DataFrame) -> str:
    """A plain GitHub table (pandas' to_markdown needs an extra package)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for values in frame.itertuples(index=False):
        cells = [str(v).replace("|", "\\|").replace("\n", " ") for v in values]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


SUMMARY_COLUMNS = {"pattern": "Pattern", "source": "Source (literature.md line, tag)", "target": "Target",
                   "settings": "Settings", "measured": "Model gives (measured)", "uncertainty": "Uncertainty",
                   "status": "Result", "fix": "What would fix a failure"}
DATA_START, DATA_END = "<!-- validation-data", "validation-data -->"


@dataclass
class ValidationReport:
    """Every family's results; `.rows` is the summary table, `.markdown()` the whole document."""

    families: list[Family]
    quick: bool
    replicates: dict[str, str]  # what ran how many times, for the document's header
    seconds: float = 0.0
    machine: str = ""
    job_seconds: dict[str, float] = field(default_factory=dict)  # model time by kind of job, summed over workers

    @property
    def rows(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for f in self.families for r in f.rows])

    @property
    def measures(self) -> dict[str, Measure]:
        return {m.key: m for f in self.families for m in f.measures}

    def counts(self) -> tuple[int, int, int]:
        rows = self.rows
        return (int((rows.status == PASS).sum()), int((rows.status == FAIL).sum()), int((rows.status == REPORT).sum()))

    def summary_table(self) -> str:
        rows = self.rows
        table = rows[list(SUMMARY_COLUMNS)].rename(columns=SUMMARY_COLUMNS).copy()
        table["Result"] = table["Result"].map({PASS: "**pass**", FAIL: "**FAIL**", REPORT: "reported"})
        return markdown_table(table)

    def data_block(self) -> str:
        """Every measure and row as JSON, one a line (floats written exactly), inside an HTML comment."""
        lines = [json.dumps({"quick": self.quick})]
        lines += [json.dumps({"measure": asdict(m)}, ensure_ascii=False) for m in self.measures.values()]
        lines += [json.dumps({"row": asdict(r)}, ensure_ascii=False) for f in self.families for r in f.rows]
        # a "-->" inside a string would end the comment: JSON may write its ">" as an escape
        return "\n".join([DATA_START, *(line.replace("-->", "--\\u003e") for line in lines), DATA_END])

    def markdown(self) -> str:
        from sim.validation.document import render

        return render(self)


@dataclass
class Committed:
    """The numbers and rows of a committed document, read back from its data block."""

    quick: bool
    measures: dict[str, Measure]
    rows: list[Row]

    @classmethod
    def parse(cls, text: str) -> Committed:
        if DATA_START not in text:
            raise ValueError("no validation data block in this document: generate it with python -m sim.validation")
        lines = [json.loads(line) for line in text.split(DATA_START, 1)[1].split(DATA_END, 1)[0].splitlines()
                 if line.strip()]
        measures = [Measure(**x["measure"]) for x in lines if "measure" in x]
        rows = [Row(**x["row"]) for x in lines if "row" in x]
        return cls(lines[0]["quick"], {m.key: m for m in measures}, rows)


def disagreements(new: dict[str, Measure], quick: bool, committed: Committed) -> list[str]:
    """Why a new run's measures do not reproduce a committed document: deterministic numbers that differ,
    stochastic means outside their check interval, numbers one side has and the other does not."""
    problems = []
    for key, m in new.items():
        old = committed.measures.get(key)
        if old is None:
            problems.append(f"{key}: measured now but not in the document")
            continue
        if old.deterministic != m.deterministic:
            problems.append(f"{key}: deterministic in one run and not in the other")
        elif m.deterministic:
            if m.value != old.value:
                problems.append(f"{key}: {m.value!r} now, {old.value!r} in the document (must be exact)")
        else:
            low, high = old.check_interval(m.n)
            if not low <= m.value <= high:
                problems.append(f"{key}: mean {m.value:.6g} over {m.n} replicates is outside the document's "
                                f"interval {low:.6g} to {high:.6g} for that many")
    for key, old in committed.measures.items():
        if key not in new and not (quick and old.full_only):
            problems.append(f"{key}: in the document but no longer measured")
    return problems
