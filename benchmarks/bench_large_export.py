"""Peak memory and time of exporting and scoring a large gLM, a random checkpoint of about a
billion parameters in its upstream format, exported by `mitspec export` (weights past 1 GiB
go to an external-data file) and scored by `mitspec score`, each in its own process,
measured with GNU time (maximum resident set size):

- evo1: StripedHyena 1 (config.json + sharded pytorch_model-*.bin with the hub's
  `backbone.` names), of --hidden and --layers;
- evo2: Evo 2 1B exactly as arcinstitute/evo2_1b_base publishes it (config.json naming
  evo2_1b_base.pt, whose architecture is then the published one: 1.1B parameters).

    python benchmarks/bench_large_export.py [--family evo1 --hidden 2048 --layers 20] [--work DIR]

Needs the export extra and about 3x the model's fp32 size in free disk (checkpoint,
ONNX data, copies during export).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def checkpoint(directory: Path, hidden: int, layers: int) -> int:
    """Write a random checkpoint in Evo 1's format; returns its parameter count."""
    import torch

    from mitspec.export.native.stripedhyena import evo1

    config = {"model_type": "stripedhyena", "vocab_size": 512, "hidden_size": hidden, "num_filters": hidden,
              "num_layers": layers, "attn_layer_idxs": list(range(layers // 4, layers, layers // 4)),
              "hyena_layer_idxs": [], "num_attention_heads": hidden // 128, "short_filter_length": 3,
              "state_size": 8, "eps": 1e-6, "tie_embeddings": True, "column_split_hyena": False,
              "hyena_filter_groups": 1, "mlp_activation": "gelu", "inner_mlp_size": None,
              "inner_size_multiple_of": 16, "max_seqlen": 8192}
    config["hyena_layer_idxs"] = [i for i in range(layers) if i not in config["attn_layer_idxs"]]
    torch.manual_seed(0)
    model = evo1(config, directory)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("poles"):  # inside the unit circle, as trained poles are
                p.copy_(torch.stack([torch.full(p.shape[:-1], 0.9), torch.zeros(p.shape[:-1])], -1))
            else:
                p.normal_(0, 0.02)
    state = {f"backbone.{k.replace('inner_mha_cls.inv_freq', 'inner_mha_cls.rotary_emb.inv_freq')}": v
             for k, v in model.state_dict().items()}
    names = sorted(state)
    shards = {f"pytorch_model-0000{i + 1}-of-00002.bin": names[i::2] for i in range(2)}
    directory.mkdir(parents=True, exist_ok=True)
    for shard, members in shards.items():
        torch.save({n: state[n] for n in members}, directory / shard)
    (directory / "pytorch_model.bin.index.json").write_text(json.dumps(
        {"weight_map": {n: shard for shard, members in shards.items() for n in members}}))
    (directory / "config.json").write_text(json.dumps(config))
    return sum(p.numel() for p in model.parameters())


def evo2_checkpoint(directory: Path) -> int:
    """Write a random Evo 2 1B in its published format; returns its parameter count."""
    import torch

    from mitspec.export.native.evo2 import PUBLISHED, evo2

    torch.manual_seed(0)
    model = evo2(PUBLISHED["evo2_1b_base"], directory)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("log_poles"):  # decaying modes, as trained ones are
                p.copy_(-torch.rand(p.shape))
            elif name.endswith(".h"):
                p.normal_(0, 1 / p.shape[-1])
            else:
                p.normal_(0, 0.02)
    directory.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), directory / "evo2_1b_base.pt")
    (directory / "config.json").write_text(json.dumps({"name": "Evo 2 1B base (random weights)",
                                                       "architecture": ["StripedHyena2"],
                                                       "_name_or_path": "evo2_1b_base.pt"}))
    return sum(p.numel() for p in model.parameters())


def measured(command: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in GB, output) of a command run under GNU time."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return seconds, peak_kb / 1e6, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=("evo1", "evo2"), default="evo1")
    parser.add_argument("--hidden", type=int, default=2048)
    parser.add_argument("--layers", type=int, default=20)
    parser.add_argument("--sequences", type=int, default=20)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mitspec-large-"))
    try:
        started = time.perf_counter()
        params = checkpoint(work / "checkpoint", args.hidden, args.layers) if args.family == "evo1" \
            else evo2_checkpoint(work / "checkpoint")
        print(f"checkpoint: {params / 1e9:.3f}B parameters, {params * 4 / 2**30:.2f} GiB fp32, written in "
              f"{time.perf_counter() - started:.0f} s")
        seconds, peak, _ = measured([sys.executable, "-m", "mitspec", "export", str(work / "checkpoint"),
                                     "-o", str(work / "onnx")])
        files = {p.name: p.stat().st_size / 2**30 for p in (work / "onnx").iterdir()}
        print(f"export: {seconds:.0f} s, peak RSS {peak:.1f} GB; files: "
              + ", ".join(f"{n} {s:.2f} GiB" for n, s in sorted(files.items())))
        fasta = work / "seqs.fa"
        import numpy as np

        rng = np.random.default_rng(0)
        fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 200))}\n" for i in range(args.sequences)))
        seconds, peak, _ = measured([sys.executable, "-m", "mitspec", "score", "--fasta", str(fasta), "-m",
                                     str(work / "onnx"), "-o", str(work / "scores.csv"), "--no-cache"])
        print(f"score {args.sequences} x 200 bp: {seconds:.0f} s with start-up, peak RSS {peak:.1f} GB")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
