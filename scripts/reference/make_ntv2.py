"""Reference data for the native Nucleotide Transformer v2 (tests/test_native.py), made once
with the upstream implementation: a tiny random checkpoint in the Hugging Face hub format
of InstaDeepAI/nucleotide-transformer-v2-* (config.json with `add_bias_fnn` and the hub
code's auto_map, model.safetensors with EsmForMaskedLM parameter names, vocab.txt for
EsmTokenizer) and the MLM logits the upstream model gives at two lengths.

Upstream: the Nucleotide Transformer's own JAX/Haiku implementation, in which NT-v2 was
trained and from which the hub weights were converted (instadeepai/nucleotide-transformer,
`nucleotide_transformer/{model,layers,types,utils,tokenizers,constants}.py` at commit 2dc37b8),
configured as its `get_pretrained_model` configures the v2 models: rotary embeddings, no
learned positions, SwiGLU feed-forward ("swish", use_glu_in_ffn) without biases, pre-LN,
RoBERTa LM head. The hub's PyTorch port (`modeling_esm.py`) is not on GitHub to run; this
script writes the Haiku parameters under the port's names: Haiku Linear `w` is (in, out),
torch's weight (out, in), so each is transposed; the `fc1` of the GLU keeps its halves in
order (gate first). The vocabulary is upstream's `compute_tokens_to_ids_v2(6)`; the
tokenizer emits <cls> then the tokens, as upstream's does (no end token).

Needs jax, dm-haiku, jmp, typing_extensions, numpy and safetensors (not torch). Run:

    mkdir -p /tmp/ntup && git -C MIRROR archive 2dc37b8 nucleotide_transformer | tar -x -C /tmp/ntup
    python scripts/reference/make_ntv2.py --upstream /tmp/ntup --source instadeepai/nucleotide-transformer@2dc37b8

The upstream code is imported from --upstream at run time; none of it is in this project.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED, arguments, write_reference  # noqa: E402

FILES = tuple(f"nucleotide_transformer/{name}.py" for name in ("model", "layers", "types", "utils", "tokenizers", "constants"))
D, HEADS, FFN, LAYERS = 16, 2, 24, 2
EPS = 1e-5  # Haiku's LayerNorm default, which upstream's layers use
LENGTHS = (11, 33)  # tokens, <cls> included
PREFIX = "nt"  # the Haiku module name, which prefixes every parameter


def hub_config(vocab_size: int) -> dict:
    """config.json as the hub's NT-v2 checkpoints write it, at this tiny size."""
    return {"add_bias_fnn": False, "architectures": ["EsmForMaskedLM"],
            "auto_map": {"AutoConfig": "esm_config.EsmConfig", "AutoModelForMaskedLM": "modeling_esm.EsmForMaskedLM"},
            "emb_layer_norm_before": False, "hidden_size": D, "intermediate_size": FFN, "layer_norm_eps": EPS,
            "mask_token_id": 2, "max_position_embeddings": 2050, "model_type": "esm", "num_attention_heads": HEADS,
            "num_hidden_layers": LAYERS, "pad_token_id": 1, "position_embedding_type": "rotary",
            "tie_word_embeddings": False, "token_dropout": False, "vocab_size": vocab_size}


def hub_weights(params: dict) -> dict[str, np.ndarray]:
    """Haiku parameters -> the hub port's names and layouts."""
    def linear(module: str, name: str, bias: bool = True) -> dict:
        out = {f"{name}.weight": np.asarray(params[module]["w"]).T}
        if bias:
            out[f"{name}.bias"] = np.asarray(params[module]["b"])
        return out

    def norm(module: str, name: str) -> dict:
        return {f"{name}.weight": np.asarray(params[module]["scale"]), f"{name}.bias": np.asarray(params[module]["offset"])}

    head = f"{PREFIX}/~/roberta_lm_head/~/"
    weights = {"esm.embeddings.word_embeddings.weight": np.asarray(params[f"{PREFIX}/~/embed"]["embeddings"])}
    for i in range(LAYERS):
        ours, theirs = f"{PREFIX}/attention_layer_{i}/~/", f"esm.encoder.layer.{i}."
        weights.update(norm(ours + "self_attention_layer_norm", theirs + "attention.LayerNorm"))
        for part in ("query", "key", "value"):
            weights.update(linear(f"{ours}self_attention/{part}", f"{theirs}attention.self.{part}"))
        weights.update(linear(ours + "self_attention/mha_output", theirs + "attention.output.dense"))
        weights.update(norm(ours + "final_layer_norm", theirs + "LayerNorm"))
        weights.update(linear(ours + "fc1", theirs + "intermediate.dense", bias=False))
        weights.update(linear(ours + "fc2", theirs + "output.dense", bias=False))
    weights.update(norm(head + "emb_layer_norm_after", "esm.encoder.emb_layer_norm_after"))
    weights.update(linear(head + "lm_head_fc_1", "lm_head.dense"))
    weights.update(norm(head + "lm_head_layer_norm", "lm_head.layer_norm"))
    weights["lm_head.decoder.weight"] = np.asarray(params[head + "lm_final_fc"]["w"]).T
    weights["lm_head.bias"] = np.asarray(params[head + "lm_final_fc"]["b"])
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in weights.items()}


def main() -> None:
    args = arguments(__doc__, "ntv2")
    sys.path.insert(0, str(args.upstream))
    import haiku as hk
    import jax
    import jax.numpy as jnp
    from safetensors.numpy import save_file

    from nucleotide_transformer.model import NucleotideTransformerConfig, build_nucleotide_transformer_fn
    from nucleotide_transformer.tokenizers import compute_tokens_to_ids_v2

    tokens_to_ids, _ = compute_tokens_to_ids_v2(k_mers=6)
    vocab = sorted(tokens_to_ids, key=tokens_to_ids.get)
    config = NucleotideTransformerConfig(
        alphabet_size=len(vocab), pad_token_id=tokens_to_ids["<pad>"], mask_token_id=tokens_to_ids["<mask>"],
        max_positions=2048, attention_heads=HEADS, embed_dim=D, ffn_embed_dim=FFN, num_layers=LAYERS,
        positional_embedding=None, add_bias_ffn=False, use_glu_in_ffn=True, ffn_activation_name="swish",
        use_rotary_embedding=True, layer_norm_eps=EPS, token_dropout=False)
    forward = hk.transform(build_nucleotide_transformer_fn(config, model_name=PREFIX))
    params = forward.init(jax.random.PRNGKey(SEED), jnp.zeros((1, 8), jnp.int32))
    # Haiku initialises biases and LayerNorm offsets to 0 and scales to 1; move every one
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.PRNGKey(SEED + 1), len(leaves))
    params = jax.tree_util.tree_unflatten(tree, [leaf + 0.1 * jax.random.normal(key, leaf.shape)
                                                 for leaf, key in zip(leaves, keys)])
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(hub_weights(params), str(args.out / "model.safetensors"))
    (args.out / "config.json").write_text(json.dumps(hub_config(len(vocab)), indent=2, sort_keys=True) + "\n")
    (args.out / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (args.out / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "EsmTokenizer", "cls_token": "<cls>", "eos_token": None, "mask_token": "<mask>",
         "pad_token": "<pad>", "unk_token": "<unk>", "model_max_length": 2048}, indent=2) + "\n")

    rng = np.random.default_rng(7)
    dna = [tokens_to_ids[t] for t in vocab if set(t) <= set("ACGT")]  # 6-mers and single bases
    ids = {}
    for length in LENGTHS:
        row = rng.choice(dna, size=(1, length))
        row[:, 0] = tokens_to_ids["<cls>"]
        row[:, length // 2] = tokens_to_ids["<mask>"]  # a masked position, as PLL feeds
        ids[length] = row

    def logits(row: np.ndarray) -> np.ndarray:
        return np.asarray(forward.apply(params, None, jnp.asarray(row, dtype=jnp.int32))["logits"])

    write_reference(args.out, logits, ids, args.source, {n: args.upstream / n for n in FILES},
                    {"embed_dim": D, "attention_heads": HEADS, "ffn_embed_dim": FFN, "num_layers": LAYERS,
                     "layer_norm_eps": EPS, "use_glu_in_ffn": True, "ffn_activation_name": "swish",
                     "add_bias_ffn": False, "use_rotary_embedding": True, "positional_embedding": None},
                    "make_ntv2.py", versions={"jax": jax.__version__, "haiku": hk.__version__})


if __name__ == "__main__":
    main()
