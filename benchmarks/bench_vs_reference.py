"""mitspec's PLL against the published method, on one model and the same threads.

The MIT paper's seed code scores a masked gLM the way the Hugging Face examples do: the
model in PyTorch, one masked copy of the sequence per forward pass. This script builds a
random-weight ESM the size of the Nucleotide Transformer v2-50M (12 layers, d 512, 16
heads, rotary positions, 6-mer vocabulary of 4,107 tokens; its SwiGLU FFN of 2,048 is
matched in parameters and FLOPs by a GELU FFN of 3,072, which transformers' built-in ESM
has), exports it with `mitspec export`, and scores the first --n sequences of the
canonical plan both ways in one process, both on --threads threads: the seed's loop in
PyTorch, and mitspec's batched PLL on ONNX Runtime (`score_cached`, no cache). It prints
both times, the ratio, and the largest |PLL difference| (must be <= 1e-4 nats).

    python benchmarks/bench_vs_reference.py [--n 100] [--threads 2]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def canonical_sequences(n: int) -> list[str]:
    from mitspec.plan.build import build
    from mitspec.plan.store import load_plan

    with tempfile.TemporaryDirectory() as tmp:
        plan = load_plan(build(ROOT / "specs" / "mit_sigma70.mit", Path(tmp) / "plan").out_dir)
        return plan.sequences["sequence"].to_list()[:n]


def nt50m_like(directory: Path):
    """A random ESM checkpoint of NT-v2-50M's size with its 6-mer tokenizer, in `directory`."""
    import torch
    import transformers

    specials = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
    vocab = specials + ["".join(p) for p in itertools.product("ACGT", repeat=6)] + list("ACGTN")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = transformers.EsmTokenizer(str(directory / "vocab.txt"))
    torch.manual_seed(0)
    model = transformers.EsmForMaskedLM(transformers.EsmConfig(
        vocab_size=len(vocab), hidden_size=512, num_hidden_layers=12, num_attention_heads=16, intermediate_size=3072,
        max_position_embeddings=2050, pad_token_id=1, mask_token_id=2, position_embedding_type="rotary",
        token_dropout=False, emb_layer_norm_before=False)).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return model, tokenizer


def seed_method(model, tokenizer, sequences: list[str]) -> list[float]:
    """PLL as the seed code computes it: per sequence, per token, one masked forward pass."""
    import torch

    out = []
    with torch.inference_mode():
        for seq in sequences:
            ids = tokenizer(seq, return_tensors="pt")["input_ids"]
            special = set(tokenizer.all_special_ids)
            total = 0.0
            for t in range(ids.shape[1]):
                if int(ids[0, t]) in special:
                    continue
                masked = ids.clone()
                masked[0, t] = tokenizer.mask_token_id
                logits = model(input_ids=masked).logits[0, t].double()
                total += float(torch.log_softmax(logits, -1)[ids[0, t]])
            out.append(total)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    from mitspec.export.onnx import export
    from mitspec.models.onnx_lm import OnnxLM
    from mitspec.scores.cache import NoCache
    from mitspec.scores.engine import score_cached

    torch.set_num_threads(args.threads)
    sequences = canonical_sequences(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer = nt50m_like(Path(tmp) / "checkpoint")
        params = sum(p.numel() for p in model.parameters())
        t0 = time.perf_counter()
        report = export(str(Path(tmp) / "checkpoint"), Path(tmp) / "nt50m_like")
        export_s = time.perf_counter() - t0
        lm = OnnxLM(report.manifest, threads=args.threads)
        t0 = time.perf_counter()
        ours = score_cached(lm, sequences, NoCache()).score
        ours_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs = seed_method(model, tokenizer, sequences)
        seed_s = time.perf_counter() - t0
    diff = float(np.abs(np.asarray(ours) - np.asarray(theirs)).max())
    special = set(tokenizer.all_special_ids)
    passes = sum(sum(1 for i in tokenizer(s)["input_ids"] if i not in special) for s in sequences)
    print(f"model: random ESM of NT-v2-50M size, {params / 1e6:.1f}M parameters; {len(sequences)} canonical sequences "
          f"of {len(sequences[0])} bp = {passes} masked copies; {args.threads} threads; exported in {export_s:.1f} s "
          f"({report.exporter})")
    print(f"seed method (PyTorch, one masked copy per forward pass): {seed_s:8.1f} s")
    print(f"mitspec score (ONNX Runtime, batched masked copies):     {ours_s:8.1f} s")
    print(f"ratio: {seed_s / ours_s:.1f}x; max |PLL difference| {diff:.2e} nats")
    if diff > 1e-4:
        raise SystemExit(f"the two PLLs differ by {diff:.3g} > 1e-4")


if __name__ == "__main__":
    main()
