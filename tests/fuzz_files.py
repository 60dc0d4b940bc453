"""Fuzzing the files mitspec reads besides specs: what someone else's score file or edited
plan may look like.

- Score files fed to `mitspec metrics`: JSON of every type and nesting (numbers too large
  for a float, NaN, strings with control characters, lists, objects, 100,000 brackets),
  CSV and TSV with stray quotes, NUL bytes and missing cells.
- plan.json edited at random places (values of the wrong type, NaN, 2^62, deep nesting,
  deleted and unknown keys, and names that become file names and Markdown:
  `X[../../PWNED]`, raw HTML, mathtext), with plan_hash recomputed as a careful tamperer
  would, then `show`, `run -m at_content -m oracle` and `report`.

Each case runs through the CLI in a forkserver child with tests/fuzz_specs.py's limits
(2 GiB of address space, a time limit). Acceptable: exit 0, or exit 2 with one sentence.
After a run, nothing may have been written outside the output directory and report.md,
rendered as CommonMark, must hold no raw HTML from the plan.

    python benchmarks/fuzz_files.py --cases 10000 [--seed 0]    # counts per outcome
"""
from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

from mitspec.errors import MitspecError

from .fuzz_specs import outcome

PLAN_SPEC = """benchmark "fuzzed" seed 5 length 40
background bg = iid(at=0.5)
motif box = "TATAAT"
class C "with the box" n=6 on bg { place box at 10 }
class D n=6 from C { mutate box.start + 1 -> "G" }
class P n=4 on bg { place box at 5 as e  sweep e over [5, 20] }
contrast CD = C > D paired
contrast MES = cohens_d(C, D)
contrast PROF = profile(P, reference=5)
"""
IDS = ([f"{c}_{i:03d}" for c in "CD" for i in range(6)] + [f"P[{level}]_{i:03d}" for level in (5, 20) for i in range(4)])
HOSTILE_NAMES = ("X[../../PWNED]", "X[a) <img src=x onerror=alert(1)> (b]", "a\n\n<img src=x onerror=alert(1)>\n\n",
                 "$\\frac{$", "\x1b[2J", "a\rb", "../PWNED", "/tmp/PWNED", "", "x" * 5000, "C", "P[5]")
JUNK = (None, True, 0, -1, 2 ** 62, 10 ** 400, 1e308, float("nan"), float("inf"), "", "abc", "1.5", [], {},
        [[[[[]]]]], {"a": {"b": 1}}, *HOSTILE_NAMES)


def _value(rnd: random.Random, depth: int = 0):
    """A random JSON-ish value: junk scalars, hostile strings, lists and objects."""
    roll = rnd.random()
    if depth > 3 or roll < 0.6:
        return rnd.choice(JUNK)
    if roll < 0.8:
        return [_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    return {rnd.choice(("id", "score", "model", "sequence", "x")): _value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))}


def _dumps(value) -> str:
    return json.dumps(value, allow_nan=True)


def score_case(seed: int) -> tuple[str, bytes]:
    """(file name, content) of a score file that may be anything but right."""
    rnd = random.Random(seed)
    roll = rnd.random()
    if roll < 0.15:  # CSV or TSV
        sep = rnd.choice((",", "\t"))
        header = rnd.choice((["id", "score"], ["id", "score", "model"], ["id", "score", "sequence"], ["id", "value"],
                             ["score", "id", "id"], []))
        cells = ("1.0", "-2", "nan", "inf", "", '"', "a,b", "\0", "1e999", "9" * 400, "x", "C_000", "D_001", '"1"')
        rows = [[rnd.choice(IDS) if k == 0 else rnd.choice(cells) for k in range(len(header) or 2)]
                for _ in range(rnd.randint(0, 14))]
        text = "\n".join(sep.join(r) for r in ([header] if header else []) + rows)
        return ("s.tsv" if sep == "\t" else "s.csv"), text.encode("utf-8", "surrogatepass")
    if roll < 0.2:
        return "s.json", rnd.choice((b"[" * 100_000, b"\xff\xfe{}", b"", b"{", b"NaN", b"{\"C_000\": 1}" * 3))
    complete = rnd.random() < 0.6  # every id of the plan, a few of them spoiled: past the id checks
    ids = IDS if complete else [rnd.choice(IDS + ["nope"]) for _ in range(rnd.randint(0, 14))]
    spoiled = set(rnd.sample(range(len(ids)), min(len(ids), rnd.randint(0, 2))))
    if roll < 0.55:  # {id: score}
        data = {i: _value(rnd) if k in spoiled else rnd.uniform(-5, 5) for k, i in enumerate(ids)}
    elif roll < 0.9:  # [{id, score, ...}]
        data = []
        for k, i in enumerate(ids):
            record = {"id": i, "score": rnd.uniform(-5, 5)}
            if k in spoiled:
                record[rnd.choice(("id", "score", "model", "sequence", "colour"))] = _value(rnd)
            data.append(record)
    else:
        data = _value(rnd)
    return "s.json", _dumps(data).encode()


def _paths(value, here=()):
    """Every (path) to a value inside a JSON tree."""
    yield here
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*here, key))
    elif isinstance(value, list):
        for k, child in enumerate(value):
            yield from _paths(child, (*here, k))


def plan_case(seed: int, meta: dict) -> str:
    """plan.json text: `meta` with a name renamed, the spec path replaced and/or 0-2 random
    edits, its plan_hash recomputed when it can be."""
    from mitspec.plan.store import plan_hash

    rnd = random.Random(seed)
    if rnd.random() < 0.3:  # a name renamed everywhere it is used, as a careful tamperer would
        old = rnd.choice(["C", "D", "P", "CD", "MES", "PROF", "fuzzed", "box"])
        new = rnd.choice(HOSTILE_NAMES)
        meta = json.loads(json.dumps(meta).replace(json.dumps(old), json.dumps(new))
                          .replace(json.dumps(old)[:-1] + "[", json.dumps(new)[:-1] + "["))
    else:
        meta = json.loads(json.dumps(meta))
    if rnd.random() < 0.2:
        meta["spec"]["path"] = rnd.choice(HOSTILE_NAMES)  # not covered by the plan hash
    for _ in range(rnd.randint(0, 2)):
        paths = [p for p in _paths(meta) if p]
        path = rnd.choice(paths)
        parent = meta
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        roll = rnd.random()
        if isinstance(parent, dict) and roll < 0.15:
            del parent[key]
        elif isinstance(parent, dict) and roll < 0.25:
            parent[rnd.choice(("colour", "__proto__", "x" * 50))] = _value(rnd)
        elif roll < 0.55 and isinstance(parent[key], str):
            parent[key] = rnd.choice(HOSTILE_NAMES)
        else:
            parent[key] = _value(rnd)
    try:
        meta["plan_hash"] = plan_hash(meta)
    except Exception:  # noqa: BLE001 - a plan too broken to hash keeps its old hash (and is refused for it)
        pass
    return _dumps(meta)


def _cli(args: list[str]) -> None:
    """One CLI command in this process: exit 0 returns, exit 2 (a sentence) raises
    MitspecError, anything else re-raises what escaped."""
    from click.testing import CliRunner

    from mitspec.cli import main

    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if result.exit_code == 2:
        assert "Traceback" not in result.output and result.output.strip(), result.output
        raise MitspecError(result.output)
    if result.exit_code != 0:
        raise RuntimeError(f"exit code {result.exit_code}: {result.output[-300:]}")


def base_plan(root: Path) -> Path:
    """The plan every case starts from, compiled once under `root`."""
    plan = root / "plan"
    if not (plan / "plan.json").exists():
        (root / "fuzzed.mit").write_text(PLAN_SPEC)
        _cli(["compile", str(root / "fuzzed.mit"), "-o", str(plan)])
    return plan


def run_score_file(case: tuple[str, bytes, str]) -> None:
    """In the child: the score file beside a copy of the plan, through `mitspec metrics`."""
    name, content, plan = case
    work = Path(tempfile.mkdtemp(prefix="fuzz-scores-"))
    try:
        (work / name).write_bytes(content)
        _cli(["metrics", "--plan", plan, "--scores", str(work / name), "--resamples", "50", "-o",
              str(work / "metrics.json")])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_plan_file(case: tuple[str, str]) -> None:
    """In the child: an edited copy of the plan through show, run and report; then the
    checks that no file left the output directory and no raw HTML reached report.md."""
    text, plan = case
    work = Path(tempfile.mkdtemp(prefix="fuzz-plan-"))
    try:
        copy = work / "a" / "b" / "plan"
        shutil.copytree(plan, copy)
        (copy / "plan.json").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            _cli(["show", str(copy)])
            _cli(["run", str(copy), "-m", "at_content", "-m", "oracle", "--no-cache"])
            _cli(["report", str(copy), "--stats", "paper"])
        finally:
            escaped = [p for p in work.rglob("*PWNED*")] + [p for p in (work / "a").iterdir() if p.name != "b"]
            assert not escaped, f"written outside the plan directory: {escaped}"
        report = copy / "report.md"
        if report.exists():
            from markdown_it import MarkdownIt

            rendered = MarkdownIt("commonmark").render(report.read_text(encoding="utf-8"))
            assert "<img src=x" not in rendered, "raw HTML from the plan reached report.md"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def score_outcome(seed: int, plan: Path) -> str:
    name, content = score_case(seed)
    return outcome((name, content, str(plan)), run=run_score_file, time_limit=30)


def plan_outcome(seed: int, plan: Path) -> str:
    meta = json.loads((plan / "plan.json").read_text())
    return outcome((plan_case(seed, meta), str(plan)), run=run_plan_file, time_limit=60)


def main() -> None:
    import argparse
    import time
    from collections import Counter

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fuzz-files-"))
    plan = base_plan(root)
    counts: dict[str, Counter] = {"score file": Counter(), "plan.json": Counter()}
    first: dict[str, int] = {}
    started = time.perf_counter()
    for k in range(args.cases):
        seed = args.seed * 1_000_003 + k
        kind, result = (("score file", score_outcome(seed, plan)) if k % 2 == 0 else
                        ("plan.json", plan_outcome(seed, plan)))
        counts[kind]["ok" if result == "ok" else "refused" if result == "spec-error" else
                     result if result in ("hang", "bomb") else "exception"] += 1
        first.setdefault(f"{kind}: {result}", seed)
    print(f"{args.cases} cases in {time.perf_counter() - started:.0f} s (seed {args.seed}):")
    for kind, c in counts.items():
        print(f"  {kind:<11}" + "  ".join(f"{o} {c[o]}" for o in ("ok", "refused", "exception", "hang", "bomb")))
    for result, seed in first.items():
        if not result.endswith((": ok", ": spec-error")):
            print(f"\n{result}\n  first seed: {seed}")
    shutil.rmtree(root, ignore_errors=True)
