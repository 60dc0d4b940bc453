"""Scale-out benchmark: rows/s of the local engine and of the Ray executor with 1 and 2
workers, for a causal and a masked bundled gLM; then the measured FLOP rate behind the
the sizing table in docs/scoring.md (Scaling out).

Part 1 scores the canonical plan's sequences (no cache) with `ecoli_gpt2_small` (causal
LL) and `ecoli_esm` (masked PLL, the first --masked-n sequences) four ways: the local
engine (one process, every core as intra-op threads) and a local Ray cluster with 1
worker x 1 thread, 2 workers x 1 thread and 1 worker x 2 threads. Worker start-up (Ray,
model shipping and loading) is timed apart from scoring; every executor's scores are
checked equal to the local engine's.

Part 2 measures the FLOP rate our ONNX Runtime path reaches on a transformer of the
Nucleotide Transformer v2-500M's width (d 1024, FFN 4096, 16 heads, 36 tokens: a 200 bp
sequence in 6-mers), as a fraction of this machine's SGEMM roofline, and prints the
sizing table: FLOPs per 200 bp sequence (counted from the published configs), what this
machine does at the measured rate, and an H100 at --utilisation of its datasheet peak
(stated, not measured: no GPU was lent to measure one; where onnxruntime has CUDA, part 2
measures the GPU's own rate instead and the table uses it).

    python benchmarks/bench_scale.py [--masked-n 40] [--utilisation 0.4] [--skip-executors] [--skip-sizing]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from mitspec.models.registry import locate, resolve  # noqa: E402
from mitspec.models.runtime import cpu_threads  # noqa: E402
from mitspec.scores.cache import NoCache  # noqa: E402
from mitspec.scores.engine import score_cached  # noqa: E402

SEQUENCES = 1_000_000  # the sizing table's plan: 10^6 sequences of 200 bp, in one hour
LENGTH = 200
# H100 SXM5 dense peaks from NVIDIA's datasheet, TFLOP/s
H100_PEAK = {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4}


# ---- FLOPs per sequence, from the published configs (2 FLOPs per multiply-add) -----------
def nt_v2_500m_pll_flops(length: int = LENGTH) -> tuple[float, int, int]:
    """(FLOPs, tokens, forward passes) for the PLL of one sequence with NT-v2-500M: 29
    layers, d 1024, SwiGLU FFN of 4096 (d -> 2x4096 -> gate -> d, no bias), vocabulary
    4107, 6-mer tokens plus single-base tail plus CLS; one forward pass per token."""
    layers, d, f, vocab = 29, 1024, 4096, 4107
    tokens = 1 + length // 6 + length % 6
    per_token = layers * (2 * (4 * d * d + 3 * d * f) + 4 * tokens * d) + 2 * d * vocab
    passes = tokens - 1  # every sequence token is masked once; CLS is not scored
    return float(per_token * tokens * passes), tokens, passes


def evo2_7b_ll_flops(length: int = LENGTH) -> tuple[float, int, int]:
    """(FLOPs, tokens, forward passes) for the LL of one sequence with Evo 2 7B: one byte
    token per base, one causal pass. Dense projections dominate at 200 bp: 2 FLOPs per
    parameter per token (6.5e9 parameters, Evo 2 paper); the Hyena convolutions add
    < 1% at this length and are left out."""
    params = 6.5e9
    return 2 * params * length, length, 1


# ---- part 1: executors ---------------------------------------------------------------------
def canonical_sequences() -> list[str]:
    from mitspec.plan.build import build
    from mitspec.plan.store import load_plan

    with tempfile.TemporaryDirectory() as tmp:
        plan = load_plan(build(ROOT / "specs" / "mit_sigma70.mit", Path(tmp) / "plan").out_dir)
        return plan.sequences["sequence"].to_list()


def run_executors(masked_n: int) -> None:
    from mitspec.scores.raycluster import RayCluster, RayOptions

    sequences = canonical_sequences()
    cases = [("ecoli_gpt2_small", sequences), ("ecoli_esm", sequences[:masked_n])]
    rows = []
    for name, seqs in cases:
        local = resolve(name, device="cpu")
        t0 = time.perf_counter()
        expected = score_cached(local, seqs, NoCache())
        base = len(seqs) / (time.perf_counter() - t0)
        rows.append((name, local.kind, len(seqs), f"local ({local.session.get_session_options().intra_op_num_threads} threads)",
                     "-", f"{base:,.1f}", "1.00"))
        for workers, threads in ((1, 1), (2, 1), (1, 2)):
            with RayCluster(RayOptions(workers=workers, threads=threads), device="cpu") as cluster:
                scorer = cluster.scorer(locate(name))
                t0 = time.perf_counter()
                scorer.identity  # starts the workers: ships and loads the model
                start = time.perf_counter() - t0
                t0 = time.perf_counter()
                got = score_cached(scorer, seqs, NoCache())
                rate = len(seqs) / (time.perf_counter() - t0)
            assert np.array_equal(got.score, expected.score), f"{name}: Ray scores differ from the local engine's"
            rows.append((name, local.kind, len(seqs), f"ray {workers} worker(s) x {threads} thread(s)",
                         f"{start:.1f}", f"{rate:,.1f}", f"{rate / base:.2f}"))
    table(("model", "mode", "sequences", "executor", "start s", "rows/s", "vs local"), rows)


# ---- part 2: the measured FLOP rate and the sizing table ------------------------------------
def measured_rate(threads: int) -> tuple[float, float | None, str]:
    """(achieved GFLOP/s of masked scoring at NT-v2-500M width, this CPU's SGEMM roofline
    GFLOP/s or None on a GPU, the provider that ran it)."""
    from bench_scoring import forward_flops, sgemm_roofline, timed
    from mitspec.models.manifest import read_manifest
    from mitspec.models.onnx_lm import OnnxLM
    from tests.onnx_models import ToyConfig, write_toy_model

    cfg = ToyConfig(kind="masked", d_model=1024, layers=2, heads=16, ffn=4096, max_len=64)
    with tempfile.TemporaryDirectory() as tmp:
        lm = OnnxLM(read_manifest(write_toy_model(Path(tmp) / "nt_width", cfg)), threads=threads)
        bases = 34  # + bos/eos: 36 tokens, the token count of a 200 bp sequence in NT's 6-mers
        rng = np.random.default_rng(0)
        seqs = ["".join(rng.choice(list("ACGT"), size=bases)) for _ in range(12 if lm.provider == "cpu" else 2000)]
        seconds, _ = timed(lambda: lm.score(seqs), min_seconds=3.0)
    flops = len(seqs) * bases * forward_flops(cfg, bases + 2)
    roof = max(sgemm_roofline(threads)) if lm.provider == "cpu" else None
    return flops / seconds / 1e9, roof, lm.provider


def run_sizing(utilisation: float) -> None:
    threads = cpu_threads()
    achieved, roof, provider = measured_rate(threads)
    if provider == "cpu":
        print(f"\nmeasured: masked scoring at NT-v2-500M width reaches {achieved:.1f} GFLOP/s on {threads} CPU threads, "
              f"{achieved / roof:.0%} of this machine's SGEMM roofline ({roof:.1f} GFLOP/s)")
        gpu = {p: H100_PEAK[p] * 1e12 * utilisation for p in H100_PEAK}
        gpu_note = f"H100 at a stated {utilisation:.0%} of its datasheet dense peak"
    else:
        print(f"\nmeasured on the GPU: masked scoring at NT-v2-500M width reaches {achieved:.1f} GFLOP/s (fp32 graph)")
        gpu = {"fp32": achieved * 1e9}  # the exported graph as it runs here; other precisions not measured
        gpu_note = "this GPU at its measured rate (the fp32 graph; tf32/bf16 not measured)"
    rows = []
    for label, (flops, tokens, passes) in (("NT-v2-500M PLL", nt_v2_500m_pll_flops()),
                                           ("Evo2-7B-class LL", evo2_7b_ll_flops())):
        here = achieved * 1e9 / flops
        cells = [label, f"{tokens} x {passes}", f"{flops / 1e12:.2f}", f"{here:.3f}", f"{SEQUENCES / here / 3600:,.0f}"]
        for precision in ("fp32", "tf32", "bf16"):
            rate = gpu[precision] / flops if precision in gpu else None
            cells.append(f"{rate:,.0f} / {math.ceil(SEQUENCES / rate / 3600)}" if rate else "-")
        rows.append(cells)
    table(("model", "tokens x passes", "TFLOP/seq", "seq/s here", "hours here",
           "H100 fp32: seq/s / GPUs", "H100 tf32", "H100 bf16"), rows)
    print(f"({gpu_note}: fp32 {H100_PEAK['fp32']}, tf32 {H100_PEAK['tf32']}, bf16 {H100_PEAK['bf16']} TFLOP/s; "
          f"GPUs = those needed for {SEQUENCES:,} sequences of {LENGTH} bp in one hour)")


def table(header, rows) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masked-n", type=int, default=40, help="sequences for the masked model (PLL is ~100x the work)")
    parser.add_argument("--utilisation", type=float, default=0.4,
                        help="share of an H100's datasheet peak assumed when no GPU is here to measure")
    parser.add_argument("--skip-executors", action="store_true")
    parser.add_argument("--skip-sizing", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    print(f"{os.cpu_count()} CPUs; onnxruntime CPU provider")
    if not args.skip_executors:
        run_executors(args.masked_n)
    if not args.skip_sizing:
        run_sizing(args.utilisation)


if __name__ == "__main__":
    main()
