"""Seconds per canonical-sized plan (650 sequences of 101 bases) of the ONNX graph `mitspec
export` writes for Evo 2 1B, on onnxruntime's CPU provider at each thread count given:
what a CPU node does with it. Random weights at the published architecture (no checkpoint
is fetched); the graph is exported in-process by the dynamo exporter, weights past 1 GiB in
an external-data file, and run memory-mapped as `mitspec score` runs it. `--sequences`
below 650 times part of the plan and scales up.

    python benchmarks/bench_onnx_cpu_evo2.py [--threads 16 8] [--sequences 130]

Needs the export extra.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gpu_evo2 import random_model  # noqa: E402

PLAN = 650


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[16, 8])
    parser.add_argument("--sequences", type=int, default=130)
    parser.add_argument("--length", type=int, default=101)
    parser.add_argument("--batch", type=int, default=130)
    args = parser.parse_args()
    import torch

    from mitspec.export.onnx import _dynamo_export
    from mitspec.models.runtime import create_session

    torch.set_num_threads(max(args.threads))
    model = random_model("evo2_1b_base", "cpu")
    params = sum(p.numel() for p in model.parameters())
    rng = np.random.default_rng(0)
    ids = rng.choice(np.frombuffer(b"ACGT", np.uint8), (args.sequences, args.length)).astype(np.int64)
    results = {"params": params, "sequences_timed": args.sequences, "length": args.length}
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "model.onnx"
        started = time.perf_counter()
        _dynamo_export(model, graph, 512)
        results["export_seconds"] = time.perf_counter() - started
        with torch.no_grad():
            expected = model(torch.from_numpy(ids[:2, :32])).numpy()
        del model
        for threads in args.threads:
            session, _ = create_session(graph, "cpu", threads=threads, mapped_weights=True)
            got = session.run(["logits"], {"input_ids": ids[:2, :32]})[0]  # warm-up, and the graph is the model
            results["max_abs_logit_diff"] = float(np.abs(got - expected).max())
            started = time.perf_counter()
            for i in range(0, args.sequences, args.batch):
                session.run(["logits"], {"input_ids": ids[i:i + args.batch]})
            seconds = time.perf_counter() - started
            results[f"threads_{threads}"] = {
                "seconds_timed": seconds, "seconds_per_plan": seconds * PLAN / args.sequences,
                "gflops": 2 * params * args.sequences * args.length / seconds / 1e9}
            print(json.dumps({threads: results[f"threads_{threads}"]}), flush=True)
            del session
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
