"""Evo 2 on one GPU: seconds per canonical-sized plan (650 sequences of 101 bases) and the
logit and log-likelihood change of float16 and bfloat16 from float32, with mitspec's
native StripedHyena 2 in PyTorch on CUDA at the published 1B and 7B architectures, random
weights (std 0.02, decaying long filters: no checkpoint can be fetched here). float16 is
made as `mitspec export --fp16` makes its graph (`half_precision`: rotary frequencies and
the long filters' recurrence in float32). Also says which providers onnxruntime offers.

    python benchmarks/bench_gpu_evo2.py [--sizes 1b 7b] [--out results.json]

Needs torch with CUDA; writes one JSON object.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

SIZES = {"1b": "evo2_1b_base", "7b": "evo2_7b_base"}


def random_model(name: str, device: str):
    import torch

    from mitspec.export.native.evo2 import PUBLISHED, evo2

    torch.manual_seed(0)
    with torch.device(device):
        model = evo2(PUBLISHED[name], Path(name))
    with torch.no_grad():
        for param_name, p in model.named_parameters():
            if param_name.endswith("log_poles"):
                p.copy_(-torch.rand(p.shape, device=device))
            elif param_name.endswith(".h"):
                p.normal_(0, 1 / p.shape[-1])
            elif param_name.endswith("scale"):
                p.fill_(1.0)
            else:
                p.normal_(0, 0.02)
    return model.eval()


def log_likelihoods(logits, ids):
    """Per-sequence causal LL (nats) of ids (B, L) from logits (B, L, V)."""
    import torch

    logp = torch.log_softmax(logits[:, :-1].float(), -1)
    return logp.gather(-1, ids[:, 1:, None])[..., 0].sum(-1)


def timed(model, batches) -> tuple[float, list]:
    import torch

    with torch.no_grad():
        model(batches[0][:2])  # warm-up: kernels, allocator
        torch.cuda.synchronize()
        started = time.perf_counter()
        outputs = [model(ids) for ids in batches]
        torch.cuda.synchronize()
    return time.perf_counter() - started, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--sequences", type=int, default=650)
    parser.add_argument("--length", type=int, default=101)
    parser.add_argument("--batch", type=int, default=130)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    import torch

    from mitspec.export.onnx import half_precision

    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "sequences": args.sequences, "length": args.length, "weights": "random"}
    try:
        import onnxruntime as ort

        results["onnxruntime"] = {"version": ort.__version__, "providers": ort.get_available_providers()}
    except ImportError:
        results["onnxruntime"] = None
    rng = np.random.default_rng(0)
    ids = torch.from_numpy(rng.choice(np.frombuffer(b"ACGT", np.uint8), (args.sequences, args.length)).astype(np.int64))
    batches = [ids[i:i + args.batch].cuda() for i in range(0, args.sequences, args.batch)]
    for size in args.sizes:
        model = random_model(SIZES[size], "cuda")
        params = sum(p.numel() for p in model.parameters())
        row = {"params": params}
        seconds, out32 = timed(model, batches)
        ll32 = torch.cat([log_likelihoods(o, b) for o, b in zip(out32, batches)])
        row["float32"] = {"seconds": seconds}
        del out32
        for precision, dtype in (("float16", torch.float16), ("bfloat16", torch.bfloat16)):
            reduced = half_precision(model, dtype)  # bfloat16: the same float32 islands
            seconds, outs = timed(reduced, batches)
            with torch.no_grad():
                reference = [model(b) for b in batches[:1]]
            ll = torch.cat([log_likelihoods(o, b) for o, b in zip(outs, batches)])
            row[precision] = {"seconds": seconds,
                              "max_abs_logit_change": float((outs[0].float() - reference[0]).abs().max()),
                              "max_abs_ll_change_nats": float((ll - ll32).abs().max()),
                              "ll_std_across_sequences_nats": float(ll32.std()),
                              "ll_spearman_vs_float32": spearman(ll32.cpu().numpy(), ll.cpu().numpy())}
            del reduced, outs
            torch.cuda.empty_cache()
        tokens = args.sequences * args.length
        row["float32"]["tflops"] = 2 * params * tokens / row["float32"]["seconds"] / 1e12
        for precision in ("float16", "bfloat16"):
            row[precision]["tflops"] = 2 * params * tokens / row[precision]["seconds"] / 1e12
        row["peak_gpu_gb"] = torch.cuda.max_memory_allocated() / 1e9
        results[size] = row
        print(json.dumps({size: row}, indent=1), flush=True)
        del model
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    text = json.dumps(results, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ranks = [np.argsort(np.argsort(x)).astype(float) for x in (a, b)]
    return float(np.corrcoef(*ranks)[0, 1])


if __name__ == "__main__":
    main()
