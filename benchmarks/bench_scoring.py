"""Scoring benchmark: PLL / LL throughput on ONNX Runtime (CPU), speed-up over the naive
one-position-per-forward loop, and achieved GFLOP/s against a measured SGEMM roofline.

Models are random-weight transformers built by tests/onnx_models.py (needs `onnx`):
  micro  d=32,  no transformer layers: embedding + LM head (~20k parameters);
         compute is negligible, so it shows what batching saves in per-call overhead
  tiny   d=32,  2 layers, 2 heads, ffn 64   (~34k parameters)
  small  d=256, 6 layers, 8 heads, ffn 1024 (~4.9M parameters)
FLOPs count the matrix products a forward pass must do (projections, attention scores
and mixing, FFN, LM head: 2 FLOPs per multiply-add), for the useful rows only.
The roofline is the best of a large float32 MatMul on ONNX Runtime (the same MLAS kernels
the models use) and numpy's BLAS, on the same threads.

    python benchmarks/bench_scoring.py [--length 100] [--threads N]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' model builders

from mitspec.models.manifest import read_manifest  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM  # noqa: E402
from mitspec.models.runtime import cpu_threads, session_options  # noqa: E402
from tests.onnx_models import ToyConfig, naive_pll, write_toy_model  # noqa: E402

CONFIGS = {
    "micro": dict(d_model=32, layers=0, heads=2, ffn=64),
    "tiny": dict(d_model=32, layers=2, heads=2, ffn=64),
    "small": dict(d_model=256, layers=6, heads=8, ffn=1024),
}


def forward_flops(cfg: ToyConfig, tokens: int) -> float:
    d, f, v, t = cfg.d_model, cfg.ffn, len(cfg.vocab), tokens
    per_layer = 8 * t * d * d + 4 * t * d * f + 4 * t * t * d
    return cfg.layers * per_layer + 2 * t * d * v


def sgemm_roofline(threads: int, n: int = 2048, repeat: int = 5) -> tuple[float, float]:
    """(ORT GFLOP/s, numpy GFLOP/s) for an n x n x n float32 matmul."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "mm",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n]),
                               helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    sess = ort.InferenceSession(model.SerializeToString(), session_options(threads), providers=["CPUExecutionProvider"])
    flops = 2.0 * n ** 3

    def best(fn):
        fn()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return flops / min(times) / 1e9

    del onnx
    return best(lambda: sess.run(None, {"a": a, "b": a})), best(lambda: a @ a)


def random_dna(n: int, length: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


def timed(fn, min_seconds: float = 2.0):
    """Run fn until min_seconds have passed (at least twice); return (best seconds, result)."""
    result, times = fn(), []
    start = time.perf_counter()
    while len(times) < 2 or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=100, help="sequence length (bp)")
    parser.add_argument("--threads", type=int, default=cpu_threads())
    args = parser.parse_args()
    L = args.length
    ort_peak, np_peak = sgemm_roofline(args.threads)
    roof = max(ort_peak, np_peak)
    print(f"threads {args.threads}; SGEMM 2048^3: onnxruntime {ort_peak:.1f} GFLOP/s, numpy {np_peak:.1f} GFLOP/s "
          f"-> roofline {roof:.1f} GFLOP/s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size, dims in CONFIGS.items():
            for kind in ("masked", "causal"):
                cfg = ToyConfig(kind=kind, **dims)
                lm = OnnxLM(read_manifest(write_toy_model(Path(tmp) / f"{size}_{kind}", cfg)), threads=args.threads)
                tokens = L + (2 if kind == "masked" else 0)
                if kind == "masked":
                    n = 6 if size == "small" else 64
                    seqs = random_dna(n, L)
                    seconds, _ = timed(lambda: lm.score(seqs))
                    rows_per_s = n * L / seconds  # masked inputs per second
                    flops = n * L * forward_flops(cfg, tokens)
                    naive_n = 1 if size == "small" else 4
                    naive_s, _ = timed(lambda: [naive_pll(lm, s) for s in seqs[:naive_n]], min_seconds=1.0)
                    speedup = (naive_s / (naive_n * L)) / (seconds / (n * L))
                    unit = "masked inputs/s"
                else:
                    n = 256 if size == "small" else 4096
                    seqs = random_dna(n, L)
                    seconds, _ = timed(lambda: lm.score(seqs))
                    rows_per_s = n / seconds
                    flops = n * forward_flops(cfg, tokens)
                    speedup = None
                    unit = "sequences/s"
                gflops = flops / seconds / 1e9
                rows.append((size, kind, cfg.params, f"{rows_per_s:,.0f} {unit}", f"{n * L / seconds:,.0f}",
                             f"{speedup:.0f}x" if speedup else "-", f"{gflops:.1f}", f"{gflops / roof:.2f}"))
    header = ("model", "mode", "params", "throughput", "bases/s", "vs naive", "GFLOP/s", "of roofline")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
