"""Reference data for the native DNABERT-2 (tests/test_native.py), made once with the
upstream implementation: a tiny random checkpoint in the upstream format (config.json
with its auto_map, pytorch_model.bin with upstream parameter names, the published BPE
tokenizer.json) and the MLM logits the upstream code gives at two lengths; and a variant
whose hidden_act is relu (relu/), since upstream's MLM head follows hidden_act.

Upstream: the code published with zhihan1996/DNABERT-2-117M on the Hugging Face hub
(`bert_layers.py`, `bert_padding.py`, `configuration_bert.py`, `flash_attn_triton.py`,
`tokenizer.json`). The hub cannot be reached here; the files were read from the GitHub
repository ashal-ali/CS224N_DNABERT2, which carries the hub repository's history, at
commit d064dec (2024-03-18, the hub's last upstream commit). Without Triton, upstream runs
its PyTorch attention path, which is what this script runs. Needs einops. Run:

    for f in bert_layers.py bert_padding.py configuration_bert.py flash_attn_triton.py tokenizer.json; do
        git -C MIRROR show d064dec:$f > /tmp/dnabert2/$f; done
    python scripts/reference/make_dnabert2.py --upstream /tmp/dnabert2 --source ashal-ali/CS224N_DNABERT2@d064dec

The upstream code is imported from --upstream at run time; none of it is in this project.
"""
from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED, arguments, perturb, upstream_package, write_reference  # noqa: E402

FILES = ("bert_layers.py", "bert_padding.py", "configuration_bert.py", "flash_attn_triton.py")
# 3 heads: not a power of two, so the ALiBi slopes take their interleaved branch
CONFIG = dict(vocab_size=4096, hidden_size=24, num_hidden_layers=2, num_attention_heads=3, intermediate_size=32,
              max_position_embeddings=128, alibi_starting_size=512, hidden_act="gelu", layer_norm_eps=1e-12,
              initializer_range=0.02, is_decoder=False, classifier_dropout=None,
              hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, type_vocab_size=2, pad_token_id=3,
              auto_map={"AutoConfig": "configuration_bert.BertConfig", "AutoModel": "bert_layers.BertModel",
                        "AutoModelForMaskedLM": "bert_layers.BertForMaskedLM"})
LENGTHS = (23, 64)  # tokens, [CLS] and [SEP] included
# variant -> (config changes, lengths), written to --out/<variant>; "" is the published layout.
# relu: the MLM head's activation follows hidden_act upstream (the GLU's is always exact GELU)
VARIANTS = {"": ({}, LENGTHS), "relu": ({"hidden_act": "relu"}, (17, 41))}


def main() -> None:
    args = arguments(__doc__, "dnabert2")
    import torch
    from tokenizers import Tokenizer

    with upstream_package(args.upstream, FILES, "dnabert2_upstream") as upstream:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unable to import Triton": the PyTorch path is the one we want
            layers, configuration = upstream("bert_layers"), upstream("configuration_bert")
        for variant, (changes, lengths) in VARIANTS.items():
            config = {**CONFIG, **changes}
            out = args.out / variant if variant else args.out
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.manual_seed(SEED)
                model = layers.BertForMaskedLM(configuration.BertConfig(**config)).eval()
            perturb(model)
            out.mkdir(parents=True, exist_ok=True)
            model.config.auto_map = CONFIG["auto_map"]
            model.save_pretrained(out, safe_serialization=False)  # decoder tied to the embeddings, as upstream
            saved = json.loads((out / "config.json").read_text())
            saved.pop("model_type", None)  # the published config has none
            (out / "config.json").write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
            shutil.copy(args.upstream / "tokenizer.json", out / "tokenizer.json")
            vocab = Tokenizer.from_file(str(args.upstream / "tokenizer.json")).get_vocab()
            dna = sorted(i for t, i in vocab.items() if set(t) <= set("ACGT"))
            rng = np.random.default_rng(7)
            ids = {}
            for length in lengths:
                row = rng.choice(dna, size=(1, length))  # one row: 4,096 logits per token already weigh 1 MB
                row[:, 0], row[:, -1] = vocab["[CLS]"], vocab["[SEP]"]
                ids[length] = row
            write_reference(out, model, ids, args.source,
                            {n: args.upstream / n for n in (*FILES, "tokenizer.json")}, config, "make_dnabert2.py")

if __name__ == "__main__":
    main()
