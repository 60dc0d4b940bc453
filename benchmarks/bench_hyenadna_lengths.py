"""HyenaDNA's exported graph at lengths that are and are not powers of two: time per batch
on ONNX Runtime (CPU) and max |logit difference| from the same module in float64.

The long convolution runs as FFTs of size 2L in float64 (native/hyenadna.py): onnxruntime's
DFT of a size that is not a power of two is slower (Bluestein) and, in float32, was up to
1e-3 off; this measures both at once. The checkpoint is the upstream-format reference in
tests/data/upstream/hyenadna (max_seq_len 302). Needs the `export` extra.

    python benchmarks/bench_hyenadna_lengths.py [--batch 32] [--repeats 5]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import onnxruntime as ort
    import torch

    from mitspec.export.onnx import export
    from mitspec.export.native import load_native

    checkpoint = ROOT / "tests" / "data" / "upstream" / "hyenadna"
    with tempfile.TemporaryDirectory() as tmp:
        report = export(str(checkpoint), Path(tmp) / "hyenadna")
        session = ort.InferenceSession(str(report.manifest.onnx_path), providers=["CPUExecutionProvider"])
        exact = load_native(checkpoint).module.double()
        rng = np.random.default_rng(0)
        print(f"{'tokens':>6}  {'ms / batch of ' + str(args.batch):>18}  {'max |logit - float64|':>22}")
        for length in (100, 127, 128, 255, 256, 299, 302):
            ids = rng.integers(7, 11, size=(args.batch, length))
            session.run(None, {"input_ids": ids})  # warm up
            start = time.perf_counter()
            for _ in range(args.repeats):
                got = session.run(None, {"input_ids": ids})[0]
            ms = (time.perf_counter() - start) / args.repeats * 1000
            with torch.no_grad():
                reference = exact(torch.from_numpy(ids)).numpy()
            print(f"{length:>6}  {ms:>18.1f}  {np.abs(got - reference).max():>22.2e}")


if __name__ == "__main__":
    main()
