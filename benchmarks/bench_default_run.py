"""The default run: `mitspec run SPEC` with no --model (every bundled gLM and every
baseline), as a user would type it, cold (empty score cache) and warm (cached).

Each run is a fresh process with its own $MITSPEC_CACHE in a temporary directory and its
own output directory, so nothing from earlier runs is reused. Per-model scoring times
come from scoring each model alone, cold, in-process.

    python benchmarks/bench_default_run.py [--spec specs/mit_sigma70.mit] [--per-model]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_run(spec: Path, out: Path, cache: Path) -> float:
    env = {**os.environ, "MITSPEC_CACHE": str(cache)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mitspec.cli", "run", str(spec), "-o", str(out)], check=True, env=env,
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def per_model(spec: Path) -> list[tuple[str, int | None, float]]:
    from mitspec.models.registry import available, resolve
    from mitspec.plan.build import build
    from mitspec.plan.store import load_plan
    from mitspec.scores.cache import NoCache
    from mitspec.scores.run import bound_parts, score_frame

    with tempfile.TemporaryDirectory() as tmp:
        plan = load_plan(build(spec, Path(tmp) / "plan").out_dir)
    sequences = plan.sequences["sequence"].to_list()
    ids = plan.sequences.select("id", "class")
    rows = []
    for entry in available():
        scorer = resolve(entry.name)
        if scorer.unmet(plan.view) or scorer.too_long(sequences):  # what `run` skips
            continue
        start = time.perf_counter()
        bound = scorer.for_plan(plan.view)  # bound and scored as `run` does (scores/run.py)
        score_frame(plan.plan_hash, ids, bound, bound_parts(bound, ids, sequences, plan.view), NoCache())
        rows.append((entry.name, entry.params, time.perf_counter() - start))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "specs" / "mit_sigma70.mit")
    parser.add_argument("--per-model", action="store_true", help="also time each model alone (cold, in-process)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cold = timed_run(args.spec, tmp / "out", tmp / "cache.sqlite")
        warm = timed_run(args.spec, tmp / "out2", tmp / "cache.sqlite")
    print(f"{args.spec.name}: default run cold {cold:.1f} s, warm {warm:.1f} s ({os.cpu_count()} cores)")
    if args.per_model:
        for name, params, seconds in per_model(args.spec):
            print(f"  {name:22s} {params if params is not None else '-':>10} params  {seconds:7.2f} s cold")


if __name__ == "__main__":
    main()
