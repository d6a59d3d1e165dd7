"""Fuzz the validation of scenario and experiment files: no traceback, no slow answer, every error located.

    .venv/bin/python benchmarks/fuzz_inputs.py                   # 10,000 cases, a few minutes
    .venv/bin/python benchmarks/fuzz_inputs.py --cases 500 --seed 3
    .venv/bin/python benchmarks/fuzz_inputs.py --only 4711       # one case again, with its file kept

Cases are made from the shipped scenario and experiment files by seeded mutators (MUTATORS): a
value replaced by one of the wrong type, a huge, tiny or non-finite number, random unicode or rich
markup; keys added (markup, dots, unicode) or removed; text cut, flipped, re-indented or salted with
YAML syntax; nested aliases ("billion laughs"), self-referencing aliases, deep nesting, files over
the size limit, binary garbage, bad UTF-8, several documents, unsafe tags; and for experiments,
hostile ranges, plans of up to 10^12 runs, hostile key paths and base-scenario paths. Case i is a
pure function of (seed, i), so any case can be replayed alone with --only.

Each case is written to a temporary folder and checked in this process with Typer's CliRunner
running `critical-mass validate FILE`, timed (after validating every shipped file once, untimed, so
that one-time imports are not charged to whichever case comes first). It passes if no exception
escapes (exit 0 or 2 only, no "Traceback" anywhere), the answer takes under 2 s, and, on exit 2,
every problem line starts with a file's name (the case's, or its base scenario's) and, where the problem is in the file,
its line. tests/test_fuzz_inputs.py runs a few hundred of the same cases.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))
SLOW_SECONDS = 2.0
GIVE_UP_SECONDS = 20.0  # a case still running then is stopped and reported as slow


@dataclass
class Case:
    index: int
    kind: str  # "scenario" or "experiment"
    mutator: str
    content: bytes


@dataclass
class Outcome:
    case: Case
    exit_code: int | None
    seconds: float
    failure: str | None  # why the case failed, None if it passed
    stderr: str


# --- hostile values and keys ------------------------------------------------------------------------

MARKUP = ["[bold]x[/]", "[/]", "[red", "[link=http://x]y[/link]", "[[x]]", "\\[x]", "[bold red]error:[/]"]


def random_unicode(rng: random.Random, n: int | None = None) -> str:
    n = n if n is not None else rng.randint(0, 40)
    pools = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x600, 0x6FF), (0x900, 0x97F),
             (0x3040, 0x30FF), (0x4E00, 0x4FFF), (0x1F300, 0x1F64F), (0x200B, 0x200F), (0x202A, 0x202E)]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(pools)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def hostile_value(rng: random.Random) -> Any:
    choices: list[Callable[[], Any]] = [
        lambda: None, lambda: True, lambda: False, lambda: "", lambda: "x" * rng.choice([1, 100, 10_000, 200_000]),
        lambda: -1, lambda: 0, lambda: rng.choice([2**31, 2**63, 2**64, 10**18, 10**29]),
        lambda: -(10 ** rng.randint(10, 29)), lambda: 10 ** rng.randint(30, 60),
        lambda: rng.choice([1e308, -1e308, 5e-324, 1e-300, 1.7976931348623157e308]),
        lambda: float("nan"), lambda: float("inf"), lambda: float("-inf"),
        lambda: [], lambda: {}, lambda: [1, 2, 3], lambda: {"a": 1}, lambda: [[[[]]]],
        lambda: random_unicode(rng), lambda: rng.choice(MARKUP), lambda: "../../escaped", lambda: "/etc/passwd",
        lambda: "\ud800", lambda: "a\x00b", lambda: "1e999", lambda: "0x" + "f" * rng.randint(1, 80),
        lambda: rng.random(), lambda: rng.randint(-1000, 1000), lambda: list(range(rng.randint(0, 5000))),
    ]
    return rng.choice(choices)()


def hostile_key(rng: random.Random) -> Any:
    return rng.choice([
        rng.choice(MARKUP), random_unicode(rng, rng.randint(1, 20)), "a.b.c", "", " ", "..", "../x", "0", 0, 1.5,
        True, None, "x" * 5000, "name\nnewline", "<script>", "%s%s%n", "${HOME}", rng.choice(["years", "system"]),
    ])


# --- walking a document --------------------------------------------------------------------------------


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _paths(v, (*prefix, i))
    return found


def _get(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def _set(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def _load(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # the shipped files: trusted


def dump(data: Any, rng: random.Random) -> str:
    options = {"allow_unicode": rng.random() < 0.5, "default_flow_style": rng.random() < 0.2, "sort_keys": False,
               "width": rng.choice([80, 10_000])}
    try:
        return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **options)
    except UnicodeEncodeError:  # libyaml cannot write a lone surrogate; the Python dumper escapes it
        return yaml.dump(data, Dumper=yaml.SafeDumper, **options)


# --- mutators: each takes the rng and a shipped file's text, returns the new content -------------------


def replace_value(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    path = rng.choice(_paths(data)[1:])
    return dump(_set(data, path, hostile_value(rng)), rng)


def replace_many(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    for _ in range(rng.randint(2, 6)):
        paths = _paths(data)[1:]
        if not paths:
            break
        data = _set(data, rng.choice(paths), hostile_value(rng))
    return dump(data, rng)


def add_key(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    mappings = [p for p in _paths(data) if isinstance(_get(data, p), dict)]
    target = _get(data, rng.choice(mappings))
    target[hostile_key(rng)] = hostile_value(rng) if rng.random() < 0.5 else 1
    return dump(data, rng)


def remove_key(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    keyed = [p for p in _paths(data)[1:] if isinstance(_get(data, p[:-1]), dict)]
    path = rng.choice(keyed)
    del _get(data, path[:-1])[path[-1]]
    return dump(data, rng)


def wrong_type_section(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    sections = [p for p in _paths(data)[1:] if isinstance(_get(data, p), dict | list)]
    if not sections:
        return replace_value(rng, text, kind)
    return dump(_set(data, rng.choice(sections), rng.choice([1, "x", None, True, [1], 2.5])), rng)


def nest_deeply(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    path = rng.choice(_paths(data)[1:])
    value: Any = _get(data, path)
    for _ in range(rng.choice([5, 40, 60, 200, 999, 3000])):
        value = [value] if rng.random() < 0.5 else {"k": value}
    try:
        return dump(_set(data, path, value), rng)
    except RecursionError:  # the dumper's own limit: write the nesting as flow text instead
        depth = rng.randint(100, 5000)
        return text + f"\nextra: {'[' * depth}1{']' * depth}\n"


def flip_characters(rng: random.Random, text: str, kind: str) -> str:
    chars = list(text)
    salt = [*"&*:[]{}\"'|>!%@`#-?,\t\x00\x07\x1b\\\n ", random_unicode(rng, 1)]
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.4 and chars:
            chars[min(i, len(chars) - 1)] = rng.choice(salt)
        elif action < 0.7:
            chars.insert(i, rng.choice(salt))
        elif chars:
            del chars[min(i, len(chars) - 1)]
    return "".join(chars)


def cut_short(rng: random.Random, text: str, kind: str) -> str:
    return text[: rng.randrange(len(text))]


def shuffle_lines(rng: random.Random, text: str, kind: str) -> str:
    lines = text.splitlines()
    action = rng.random()
    if action < 0.3:
        rng.shuffle(lines)
    elif action < 0.6:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[rng.randrange(len(lines))])
    else:
        i = rng.randrange(len(lines))
        lines[i] = " " * rng.choice([1, 3, 7, 40]) + lines[i]
    return "\n".join(lines) + "\n"


def yaml_tags(rng: random.Random, text: str, kind: str) -> str:
    tag = rng.choice([
        "!!python/object/apply:os.system ['echo owned']", "!!python/name:os.system", "!!binary aGVsbG8=",
        "!!set {a, b}", "!!timestamp 2001-12-14", "!!omap [a: 1]", "!custom 3", "!!float nan", "!!int 1e3",
        "!!str 5", "!!null ''", "!!bool maybe", "!<tag:yaml.org,2002:int> 99999999999999999999999999999999999",
    ])
    lines = text.splitlines()
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w.]+:\s*\S", line) and "#" not in line]
    if not keyed:
        return text + f"\nyears: {tag}\n"
    i = rng.choice(keyed)
    lines[i] = lines[i].split(":", 1)[0] + ": " + tag
    return "\n".join(lines) + "\n"


def alias_bomb(rng: random.Random, text: str, kind: str) -> str:
    levels, fan = rng.randint(3, 12), rng.randint(2, 12)
    rows = [f"l0: &l0 [{', '.join(['lol'] * fan)}]"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]" for i in range(1, levels)]
    body = "\n".join("  " + r for r in rows)
    where = rng.choice(["bomb", "system", "description", "set", "parameters"])
    return text + f"\n{where}:\n{body}\n"


def alias_tricks(rng: random.Random, text: str, kind: str) -> str:
    return text + "\n" + rng.choice([
        "loop: &a [*a]", "loop: &a {k: *a}", "undefined: *nothing", "twice: &a 1\nagain: &a 2",
        "base: &b {districts: 3}\nsystem: {<<: *b, schools_per_district: 4}",
        "m: &m {a: 1}\nm2: &m2 {<<: *m}\nm3: {<<: [*m, *m2, *m2, *m]}",
        "k: &k [1, 2]\n? *k\n: 3", "? [a, b]\n: 1", "? {a: 1}\n: 2",
    ]) + "\n"


def deep_text(rng: random.Random, text: str, kind: str) -> str:
    depth = rng.choice([51, 100, 999, 1001, 5000, 100_000])
    if rng.random() < 0.5:
        return f"years: {'[' * depth}{']' * depth}\n"
    lines = [f"{'  ' * i}k{i}:" for i in range(min(depth, 400))]
    return "\n".join(lines) + " 1\n"


def huge_file(rng: random.Random, text: str, kind: str) -> str:
    filler = rng.choice(["# " + "x" * 1000 + "\n", "- 1\n", "k: v\n"])
    return text + "\nfiller: |\n" + "  " + filler * (4_100_000 // len(filler) + 1)


def many_values(rng: random.Random, text: str, kind: str) -> str:
    n = rng.choice([1000, 100_000, 300_000])
    return text + f"\nmany: [{', '.join(['1'] * n)}]\n"


def big_numbers(rng: random.Random, text: str, kind: str) -> str:
    number = rng.choice([
        "9" * rng.randint(31, 100_000), "-" + "9" * rng.randint(20, 40), "1e999", "-1e999", ".nan", ".inf", "-.inf",
        "0x" + "f" * rng.randint(10, 60), "0o" + "7" * 40, "1_000_000_000_000_000_000_000_000_000_000",
        "1" + "0" * 4300, "12:30:45", "2024-13-45", "+.5e-400",
    ])
    data_lines = text.splitlines()
    numeric = [i for i, line in enumerate(data_lines) if re.match(r"^\s*[\w.]+:\s*-?[\d.]+\s*(#.*)?$", line)]
    if not numeric:
        return text + f"\nyears: {number}\n"
    i = rng.choice(numeric)
    data_lines[i] = data_lines[i].split(":", 1)[0] + ": " + number
    return "\n".join(data_lines) + "\n"


def garbage(rng: random.Random, text: str, kind: str) -> bytes:
    choice = rng.random()
    if choice < 0.3:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
    if choice < 0.5:
        raw = bytearray(text.encode())
        for _ in range(rng.randint(1, 5)):
            raw.insert(rng.randrange(len(raw) + 1), rng.choice([0xFF, 0xC0, 0x80, 0xED, 0xFE]))
        return bytes(raw)
    if choice < 0.7:
        return text.encode("utf-16")
    if choice < 0.85:
        return random_unicode(rng, rng.randint(1, 4000)).encode("utf-8", "surrogatepass")
    return b""


def documents(rng: random.Random, text: str, kind: str) -> str:
    return rng.choice([text + "\n---\n" + text, "---\n" + text + "\n...\n", "%YAML 1.1\n---\n" + text,
                       "%TAG ! tag:evil.com,2000:\n---\n" + text, "--- !!map\n" + text])


def name_attack(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    data["name"] = rng.choice(["../../escaped", "/tmp/abs", "..", "", "x" * 5000, "a/b\\c", rng.choice(MARKUP),
                               "\x1b[31mred", random_unicode(rng), "\ud800", "con", "nul\x00"])
    return dump(data, rng)


# --- experiment-only mutators ------------------------------------------------------------------------------


def hostile_range(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    params = data.setdefault("parameters", [{"key": "placement.clustering"}])
    p = params[rng.randrange(len(params))]
    for k in ("values", "between", "range"):
        p.pop(k, None)
    bounds = [float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 0, 1, -5, 1e-300, 10**40, "x", None, [1]]
    p["range"] = {"start": rng.choice(bounds), "stop": rng.choice(bounds), "step": rng.choice([*bounds, 0, -0.1])}
    return dump(data, rng)


def huge_plan(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    data["parameters"] = [
        {"key": "placement.clustering", "range": {"start": 0, "stop": 1, "step": rng.choice([1e-4, 1e-3, 0.1])}},
        {"key": "programme.cohort_size", "range": {"start": 0, "stop": rng.choice([10_000, 1000, 10]), "step": 1}},
    ]
    if rng.random() < 0.5:
        data["parameters"].append({"key": "placement.max_fellow_share",
                                   "range": {"start": 0.01, "stop": 1, "step": 0.0001}})
    data["design"] = "grid"
    data.pop("samples", None)
    data["replicates"] = rng.choice([1000, 100_000, 10**6, 10**12])
    return dump(data, rng)


def hostile_sampled(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    data["design"] = rng.choice(["sobol", "latin_hypercube", "random", None, 3])
    data["samples"] = rng.choice([0, -1, 3, 2**20, 2**40, 10**6, float("nan"), "many", 1024])
    for p in data.get("parameters", []):
        p.pop("values", None)
        p.pop("range", None)
        p["between"] = rng.choice([[0, 1], [1, 0], [float("nan"), 1], [0, float("inf")], [0], [0, 1, 2], "x"])
    return dump(data, rng)


def hostile_key_path(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    params = data.setdefault("parameters", [{"key": "x", "values": [1]}])
    params[rng.randrange(len(params))]["key"] = rng.choice([
        "", ".", "a..b", "years.", ".years", "alumni.stages.99.roles.classroom", "alumni.stages.-1.after_years",
        "system.districts.x", "alumni.stages.99999999999999999999.after_years", rng.choice(MARKUP),
        random_unicode(rng), "name", "years", "alumni.stages.²", "programme.cohort_sizes.0", "0", "0.0",
    ])
    if rng.random() < 0.5:
        data["set"] = {rng.choice(["years.0", "a..b", "", "[bold]", "system", "programme.cohort_sizes.5"]):
                       hostile_value(rng)}
    return dump(data, rng)


def hostile_base_path(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    data["scenario"] = rng.choice([
        "/dev/zero", "/dev/urandom", "/etc/passwd", "/etc/shadow", "../../../../etc/hostname", "", ".", "..",
        "/", "missing.yaml", "x" * 5000, "nul\x00.yaml", "case.yaml", 5, None, ["a"], "../experiments",
        "/proc/self/status",
    ])
    return dump(data, rng)


def hostile_outcomes(rng: random.Random, text: str, kind: str) -> str:
    data = _load(text)
    data["outcomes"] = rng.choice([[], ["tipped"], ["practising_share"] * 2, ["nope"], [rng.choice(MARKUP)], "all",
                                   [1, 2], None])
    return dump(data, rng)


MUTATORS: dict[str, tuple[Callable[..., str | bytes], float, tuple[str, ...]]] = {
    # name: (function, weight, kinds it applies to)
    "replace_value": (replace_value, 14, ("scenario", "experiment")),
    "replace_many": (replace_many, 6, ("scenario", "experiment")),
    "add_key": (add_key, 6, ("scenario", "experiment")),
    "remove_key": (remove_key, 3, ("scenario", "experiment")),
    "wrong_type_section": (wrong_type_section, 4, ("scenario", "experiment")),
    "nest_deeply": (nest_deeply, 3, ("scenario", "experiment")),
    "flip_characters": (flip_characters, 10, ("scenario", "experiment")),
    "cut_short": (cut_short, 4, ("scenario", "experiment")),
    "shuffle_lines": (shuffle_lines, 4, ("scenario", "experiment")),
    "yaml_tags": (yaml_tags, 3, ("scenario", "experiment")),
    "alias_bomb": (alias_bomb, 3, ("scenario", "experiment")),
    "alias_tricks": (alias_tricks, 3, ("scenario", "experiment")),
    "deep_text": (deep_text, 2, ("scenario", "experiment")),
    "huge_file": (huge_file, 0.2, ("scenario", "experiment")),
    "many_values": (many_values, 1, ("scenario", "experiment")),
    "big_numbers": (big_numbers, 5, ("scenario", "experiment")),
    "garbage": (garbage, 3, ("scenario", "experiment")),
    "documents": (documents, 1, ("scenario", "experiment")),
    "name_attack": (name_attack, 3, ("scenario", "experiment")),
    "hostile_range": (hostile_range, 5, ("experiment",)),
    "huge_plan": (huge_plan, 2, ("experiment",)),
    "hostile_sampled": (hostile_sampled, 3, ("experiment",)),
    "hostile_key_path": (hostile_key_path, 5, ("experiment",)),
    "hostile_base_path": (hostile_base_path, 3, ("experiment",)),
    "hostile_outcomes": (hostile_outcomes, 2, ("experiment",)),
}


def make_case(seed: int, index: int) -> Case:
    """Case `index` of the run seeded `seed`: a pure function of the two."""
    rng = random.Random(f"{seed}:{index}")
    kind = "experiment" if rng.random() < 0.4 else "scenario"
    source = rng.choice(EXPERIMENTS if kind == "experiment" else SCENARIOS)
    names = [n for n, (_, _, kinds) in MUTATORS.items() if kind in kinds]
    name = rng.choices(names, weights=[MUTATORS[n][1] for n in names])[0]
    content = MUTATORS[name][0](rng, source.read_text(encoding="utf-8"), kind)
    raw = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    return Case(index, kind, name, raw)


# --- checking ----------------------------------------------------------------------------------------------


class _GaveUp(Exception):
    pass


def _give_up(signum: int, frame: object) -> None:
    raise _GaveUp


def workspace() -> Path:
    """A folder laid out like the repository, so the shipped experiments' `../scenarios/` paths work."""
    folder = Path(tempfile.mkdtemp(prefix="critical-mass-fuzz-"))
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    (folder / "experiments").mkdir()
    return folder


def check(case: Case, folder: Path, slow_seconds: float | None = SLOW_SECONDS) -> Outcome:
    """Validate the case's file in this process through the command line; judge the answer."""
    from typer.testing import CliRunner

    from sim.cli import app

    path = folder / ("experiments" if case.kind == "experiment" else "cases") / "case.yaml"
    if not (folder / "scenarios").exists():
        shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.content)
    runner = CliRunner()
    previous = signal.signal(signal.SIGALRM, _give_up)
    signal.setitimer(signal.ITIMER_REAL, GIVE_UP_SECONDS)
    started = time.perf_counter()
    try:
        result = runner.invoke(app, ["validate", str(path)], catch_exceptions=True)
    except _GaveUp:
        return Outcome(case, None, time.perf_counter() - started, f"no answer within {GIVE_UP_SECONDS:.0f} s", "")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - started
    return Outcome(case, result.exit_code, seconds, _judge(result, path, seconds, slow_seconds), result.stderr)


_PROBLEM_LINE = re.compile(r"^  (?P<source>.+?)(?::(?P<line>\d+))?: ")


def _judge(result: Any, path: Path, seconds: float, slow_seconds: float | None) -> str | None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {type(result.exception).__name__}: {str(result.exception)[:200]}"
    if "Traceback" in result.stdout + result.stderr:
        return "printed a traceback"
    if slow_seconds is not None and seconds > slow_seconds:
        return f"took {seconds:.2f} s"
    if result.exit_code not in (0, 2):
        return f"exit code {result.exit_code}"
    if result.exit_code == 2:
        problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
        if not problems:
            return "exit 2 without a problem line"
        for line in problems:
            match = _PROBLEM_LINE.match(line)
            source = match["source"] if match else ""
            if line.startswith("  ... and "):
                continue  # the count of problems not shown
            if not (source == str(path) or source.startswith(str(path.parent.parent)) or Path(source).exists()):
                return f"a problem line that names no file: {line[:160]!r}"
    return None


def warm_up(folder: Path) -> None:
    """Validate every shipped file once, untimed: the first use of each part of the package imports it
    (SciPy's samplers for a sampled design take a second or two), a cost a process pays once."""
    for path in (*SCENARIOS, *EXPERIMENTS):
        kind = "experiment" if path in EXPERIMENTS else "scenario"
        check(Case(-1, kind, "shipped", path.read_bytes()), folder, slow_seconds=None)


def run(cases: int, seed: int, keep: bool = False, only: int | None = None, quiet: bool = False) -> list[Outcome]:
    folder = workspace()
    outcomes = []
    warm_up(folder)
    try:
        for index in ([only] if only is not None else range(cases)):
            outcome = check(make_case(seed, index), folder)
            outcomes.append(outcome)
            if not quiet and outcome.failure:
                print(f"case {index} ({outcome.case.kind}, {outcome.case.mutator}): {outcome.failure}", flush=True)
            if not quiet and index % 1000 == 999:
                print(f"... {index + 1} cases", flush=True)
    finally:
        if keep:
            print(f"files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    slowest = max(outcomes, key=lambda o: o.seconds)
    return {
        "cases": len(outcomes),
        "scenario_cases": sum(o.case.kind == "scenario" for o in outcomes),
        "experiment_cases": sum(o.case.kind == "experiment" for o in outcomes),
        "exit_2": sum(o.exit_code == 2 for o in outcomes),
        "exit_0": sum(o.exit_code == 0 for o in outcomes),
        "failures": sum(o.failure is not None for o in outcomes),
        "tracebacks": sum(o.failure is not None and ("raised" in o.failure or "traceback" in o.failure)
                          for o in outcomes),
        "slower_than_2s": sum(o.seconds > SLOW_SECONDS for o in outcomes),
        "slowest_seconds": round(slowest.seconds, 3),
        "slowest_case": f"{slowest.case.index} ({slowest.case.kind}, {slowest.case.mutator})",
        "median_ms": round(1000 * sorted(o.seconds for o in outcomes)[len(outcomes) // 2], 1),
        "by_mutator": dict(Counter(o.case.mutator for o in outcomes).most_common()),
        "valid_by_mutator": dict(Counter(o.case.mutator for o in outcomes if o.exit_code == 0).most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", type=int, help="run this one case, show its answer and keep its file")
    args = parser.parse_args()
    outcomes = run(args.cases, args.seed, keep=args.only is not None, only=args.only)
    if args.only is not None:
        o = outcomes[0]
        print(f"exit {o.exit_code} in {o.seconds:.3f} s; {o.failure or 'passed'}\n{o.stderr[:3000]}")
    print(json.dumps(summary(outcomes), indent=2))
    sys.exit(1 if any(o.failure for o in outcomes) else 0)


if __name__ == "__main__":
    main()
