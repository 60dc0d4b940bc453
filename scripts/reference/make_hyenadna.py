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

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED, arguments, perturb, upstream_package, write_reference  # noqa: E402

FILES = ("modeling_hyena.py", "configuration_hyena.py")
CONFIG = dict(vocab_size=12, d_model=16, d_inner=32, n_layer=2, max_seq_len=302, emb_dim=5, filter_order=16,
              num_inner_mlps=2, hyena_order=2, short_filter_order=3, activation_freq=10, train_freq=True,
              pad_vocab_size_multiple=8, embed_dropout=0.0)
# tokens: odd lengths and powers of two up to the maximum (302: 301 bases + [SEP]), since
# an FFT graph can be exact at powers of two only; 100 is the canonical plan's length
LENGTHS = (17, 37, 100, 128, 201, 255, 256, 299, 302)


def main() -> None:
    args = arguments(__doc__, "hyenadna")
    import torch

    with upstream_package(args.upstream, FILES, "hyena_upstream") as upstream:
        modeling, configuration = upstream("modeling_hyena"), upstream("configuration_hyena")
        torch.manual_seed(SEED)
        model = modeling.HyenaDNAForCausalLM(configuration.HyenaConfig(**CONFIG)).eval()
        perturb(model)
        args.out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(args.out, safe_serialization=False)  # tied and shared tensors, as upstream saves them
        rng = np.random.default_rng(7)
        ids = {length: rng.integers(7, 12, size=(2, length)) for length in LENGTHS}  # A, C, G, T, N
        write_reference(args.out, model, ids, args.source, {n: args.upstream / n for n in FILES}, CONFIG,
                        "make_hyenadna.py")


if __name__ == "__main__":
    main()
