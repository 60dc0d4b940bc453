"""Compile-time benchmark: the canonical spec, and a generated spec with 10^6 sequences.

Each case runs `mitspec compile --force` in a fresh process (what a user waits for,
imports included) and also times the in-process pipeline (parse, check, compile,
write) once warm. Peak RSS comes from the child process's rusage.

    python benchmarks/bench_compile.py [--sequences 1000000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LARGE = """benchmark "bench-1M" seed 7 length 100
background bg = iid(A=0.28, C=0.22, G=0.22, T=0.28)
motif minus35 = "TTGACA"
motif minus10 = "TATAAT"
motif up = iupac("AAAAAARNR")
motif strong35 = choice("TTGACA", "TTGACT", "TTGATA")
layout s {{ up at 15..24  minus35 at 30..36  ext10 at 50..53  minus10 at 53..59 }}
class C n={n} on bg {{ place minus35 at s.minus35  place minus10 at s.minus10 }}
class D n={n} from C {{ place "TGTAAT" at s.minus10 }}
class E n={n} from D {{ place up at s.up  place "TGT" at s.ext10 }}
class H n={n} from E {{ shuffle s.up  shuffle s.ext10 }}
class F n={n} from E independent {{ place strong35 at s.minus35 }}
contrast CSS = E > D paired
contrast SCR = E > H paired
"""


# the same size, using what issue 13 added: a PWM motif (sampled per instance, with a
# score threshold), a gap sweep (indels before the downstream element) and a random
# placement (a free start drawn per instance, recorded per row)
FEATURES = """benchmark "bench-1M-features" seed 7 length 100
background bg = iid(A=0.28, C=0.22, G=0.22, T=0.28)
motif gata = pwm("gata.jaspar", min_score=4)
motif minus35 = "TTGACA"
motif minus10 = "TATAAT"
class R n={n} on bg {{ place minus35 at 30  place gata at 70  place iupac("NNNNNN") at random(40..68) as site }}
class S n={n} on bg {{ place minus35 at 30  place minus10 at 53  place gata at 80
  sweep gap(minus35, minus10) over [15, 16, 17, 18] }}
"""
GATA = ">MA9999.1 GATA-like\nA [ 10 90  2 95  5 40 ]\nC [ 30  3  1  2 10 20 ]\nG [ 50  4 95  1  5 20 ]\nT [ 10  3  2  2 80 20 ]\n"


def child_run(args: list[str]) -> tuple[float, float]:
    """Run a command in a child process: (wall seconds, peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def in_process(spec: Path, out: Path, repeat: int) -> list[float]:
    from mitspec.plan.build import build

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        build(spec, out, force=True)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "mitspec", "compile", "--force", "-o"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        canonical = ROOT / "specs" / "mit_sigma70.mit"
        warm = in_process(canonical, tmp / "canonical", args.repeat)
        wall, rss = child_run([*cli, str(tmp / "canonical-cli"), str(canonical)])
        rows.append(("canonical (650 seq)", statistics.median(warm), min(warm), wall, rss, 0.5))

        per_class = args.sequences // 5
        large = tmp / "large.mit"
        large.write_text(LARGE.format(n=per_class))
        wall, rss = child_run([*cli, str(tmp / "large"), str(large)])
        size = sum(p.stat().st_size for p in (tmp / "large").iterdir()) / 1e6
        rows.append((f"generated ({5 * per_class:,} seq)", None, None, wall, rss, 60.0))

        features = tmp / "features.mit"
        (tmp / "gata.jaspar").write_text(GATA)
        features.write_text(FEATURES.format(n=per_class))
        wall, rss = child_run([*cli, str(tmp / "features"), str(features)])
        rows.append((f"pwm+gap+random ({5 * per_class:,})", None, None, wall, rss, 60.0))

    print(f"{'case':<28}{'warm median s':>14}{'warm min s':>12}{'CLI wall s':>12}{'peak RSS MB':>13}{'target s':>10}")
    for name, med, best, wall, rss, target in rows:
        med_s = f"{med:.3f}" if med is not None else "-"
        best_s = f"{best:.3f}" if best is not None else "-"
        print(f"{name:<28}{med_s:>14}{best_s:>12}{wall:>12.2f}{rss:>13.0f}{target:>10.1f}")
    print(f"large plan on disk: {size:.1f} MB")


if __name__ == "__main__":
    main()
