"""Reference data for the native HyenaDNA (tests/test_native.py), made once with the
upstream implementation: a tiny random checkpoint in the upstream Hugging Face format and
the logits the upstream code gives on fixed token sequences at two lengths.

Upstream: HyenaDNA's Hugging Face port (`modeling_hyena.py`, `configuration_hyena.py`, as
published with the LongSafari/hyenadna-*-hf checkpoints). The hub cannot be reached here;
the two files were read from the GitHub repository shubhamtkr/checkpoint-62500 at commit
22f96459d32d1b300fc75b225c53495e7a96ec2b, a checkpoint published with that code. Run:

    git -C MIRROR show 22f9645:modeling_hyena.py > /tmp/up/modeling_hyena.py
    git -C MIRROR show 22f9645:configuration_hyena.py > /tmp/up/configuration_hyena.py
    python scripts/reference/make_hyenadna.py --upstream /tmp/up \
        --source shubhamtkr/checkpoint-62500@22f96459d32d1b300fc75b225c53495e7a96ec2b

The upstream code is imported from --upstream at run time; none of it is in this project.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "upstream" / "hyenadna"
CONFIG = dict(vocab_size=12, d_model=16, d_inner=32, n_layer=2, max_seq_len=160, emb_dim=5, filter_order=16,
              num_inner_mlps=2, hyena_order=2, short_filter_order=3, activation_freq=10, train_freq=True,
              pad_vocab_size_multiple=8, embed_dropout=0.0)
LENGTHS = (37, 100)  # tokens: an odd length and the canonical plan's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, type=Path, help="directory with modeling_hyena.py and configuration_hyena.py")
    parser.add_argument("--source", required=True, help="owner/repo@commit the two files came from")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    import torch
    import transformers

    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "hyena_upstream"
        package.mkdir()
        (package / "__init__.py").write_text("")
        files = {}
        for name in ("modeling_hyena.py", "configuration_hyena.py"):
            shutil.copy(args.upstream / name, package / name)
            files[name] = hashlib.sha256((args.upstream / name).read_bytes()).hexdigest()
        sys.path.insert(0, tmp)
        modeling = importlib.import_module("hyena_upstream.modeling_hyena")
        configuration = importlib.import_module("hyena_upstream.configuration_hyena")

        torch.manual_seed(20261126)
        model = modeling.HyenaDNAForCausalLM(configuration.HyenaConfig(**CONFIG)).eval()
        with torch.no_grad():  # move every parameter off its initial value, so each one matters
            for param in model.parameters():
                param.add_(0.1 * torch.randn_like(param))
        args.out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(args.out, safe_serialization=False)  # tied and shared tensors, as upstream saves them
        rng = np.random.default_rng(7)
        reference = {}
        for length in LENGTHS:
            ids = rng.integers(7, 12, size=(2, length))  # A, C, G, T, N
            with torch.no_grad():
                logits = model(input_ids=torch.from_numpy(ids)).logits.numpy()
            reference[f"ids_{length}"], reference[f"logits_{length}"] = ids, logits
        np.savez_compressed(args.out / "reference.npz", **reference)
    (args.out / "REFERENCE.json").write_text(json.dumps({
        "upstream": args.source, "files_sha256": files, "config": CONFIG, "lengths": LENGTHS, "seed": 20261126,
        "torch": torch.__version__, "transformers": transformers.__version__,
        "made_by": "scripts/reference/make_hyenadna.py"}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
