"""DNABERT-2 (Zhou et al., 2024; zhihan1996/DNABERT-2-117M): a MosaicBERT. Post-LN BERT
layers with a fused QKV projection, ALiBi attention biases instead of position
embeddings, and a GEGLU feed-forward; BPE tokens; the MLM head is BERT's (dense, GELU,
LayerNorm, decoder tied to the word embeddings).

Upstream unpads the batch before every layer and reads the padded length back into
Python (`.item()`), which freezes the length when traced. With every token real (mitspec
never pads: it groups sequences by token length), unpadding is the identity, so this
implementation runs the padded form directly and builds the ALiBi bias from the length
inside the graph: bias[h, i, j] = -slope_h |i - j|.

Shapes: B batch, T tokens, D hidden, H heads.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import ModelError
from . import NativeModel, activation, native_model, read_weights, require, take


def alibi_slopes(heads: int) -> list[float]:
    """ALiBi's geometric slopes (Press et al., 2022): 2^(-8/n), its powers, and for a head
    count that is not a power of two, the odd-indexed slopes of the next power."""
    def powers(n: int) -> list[float]:
        start = 2 ** (-8 / n)
        return [start ** (i + 1) for i in range(n)]

    if math.log2(heads).is_integer():
        return powers(heads)
    base = 2 ** math.floor(math.log2(heads))
    return powers(base) + alibi_slopes(2 * base)[0::2][:heads - base]


class Layer(nn.Module):
    def __init__(self, d: int, heads: int, inner: int, eps: float):
        super().__init__()
        self.heads, self.inner, self.head_dim = heads, inner, d // heads
        self.root = math.sqrt(d // heads)
        self.qkv = nn.Linear(d, 3 * d)
        self.attn_out = nn.Linear(d, d)
        self.attn_norm = nn.LayerNorm(d, eps=eps)
        self.gated = nn.Linear(d, 2 * inner, bias=False)
        self.ffn_out = nn.Linear(inner, d)
        self.ffn_norm = nn.LayerNorm(d, eps=eps)

    def forward(self, h: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(h).unflatten(-1, (3, self.heads, self.head_dim)).permute(2, 0, 3, 1, 4).unbind(0)
        scores = q @ k.transpose(-1, -2) / self.root + bias
        mixed = (scores.softmax(-1) @ v).transpose(1, 2).flatten(2)
        h = self.attn_norm(self.attn_out(mixed) + h)
        gate, value = self.gated(h).split(self.inner, dim=-1)
        return self.ffn_norm(self.ffn_out(F.gelu(gate) * value) + h)


class DNABERT2(nn.Module):
    """input_ids (B, T) -> MLM logits (B, T, V)."""

    def __init__(self, config: dict, where: Path):
        super().__init__()
        d = require(config, "hidden_size", where)
        vocab = require(config, "vocab_size", where)
        heads = require(config, "num_attention_heads", where)
        eps = config.get("layer_norm_eps", 1e-12)
        self.word = nn.Embedding(vocab, d)
        self.token_type = nn.Parameter(torch.zeros(d))  # type 0's embedding: every token is type 0
        self.embed_norm = nn.LayerNorm(d, eps=eps)
        self.layers = nn.ModuleList(Layer(d, heads, require(config, "intermediate_size", where), eps)
                                    for _ in range(require(config, "num_hidden_layers", where)))
        self.register_buffer("slopes", torch.tensor(alibi_slopes(heads)), persistent=False)
        self.transform = nn.Linear(d, d)
        self.transform_norm = nn.LayerNorm(d, eps=1e-12)  # upstream fixes this one's eps
        self.head_act = activation(config, "hidden_act", where)  # upstream: the GLU's is always exact GELU
        self.decoder_bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        distance = (positions[None, :] - positions[:, None]).abs().to(self.slopes.dtype)
        bias = -self.slopes[:, None, None] * distance  # (H, T, T)
        h = self.embed_norm(self.word(input_ids) + self.token_type)
        for layer in self.layers:
            h = layer(h, bias)
        h = self.transform_norm(self.head_act(self.transform(h)))
        return h @ self.word.weight.T + self.decoder_bias


def upstream_names(layers: int) -> dict[str, str]:
    """Our parameter name -> upstream's (bert_layers.BertForMaskedLM)."""
    names = {"word.weight": "bert.embeddings.word_embeddings.weight",
             "embed_norm.weight": "bert.embeddings.LayerNorm.weight", "embed_norm.bias": "bert.embeddings.LayerNorm.bias",
             "transform.weight": "cls.predictions.transform.dense.weight",
             "transform.bias": "cls.predictions.transform.dense.bias",
             "transform_norm.weight": "cls.predictions.transform.LayerNorm.weight",
             "transform_norm.bias": "cls.predictions.transform.LayerNorm.bias",
             "decoder_bias": "cls.predictions.decoder.bias"}
    parts = {"qkv": "attention.self.Wqkv", "attn_out": "attention.output.dense",
             "attn_norm": "attention.output.LayerNorm", "ffn_out": "mlp.wo", "ffn_norm": "mlp.layernorm"}
    for i in range(layers):
        for ours, theirs in parts.items():
            for p in ("weight", "bias"):
                names[f"layers.{i}.{ours}.{p}"] = f"bert.encoder.layer.{i}.{theirs}.{p}"
        names[f"layers.{i}.gated.weight"] = f"bert.encoder.layer.{i}.mlp.gated_layers.weight"
    return names


def load(directory: Path, config: dict) -> NativeModel:
    model = DNABERT2(config, directory)
    weights = read_weights(directory)
    state = {ours: take(weights, theirs, directory) for ours, theirs in upstream_names(len(model.layers)).items()}
    if "cls.predictions.decoder.bias" not in weights and "cls.predictions.bias" in weights:
        state["decoder_bias"] = weights["cls.predictions.bias"]
    state["token_type"] = take(weights, "bert.embeddings.token_type_embeddings.weight", directory)[0]
    model.load_state_dict(state, strict=True)
    tokenizer = Path(directory) / "tokenizer.json"
    if not tokenizer.is_file():
        raise ModelError(f"{directory} has no tokenizer.json; DNABERT-2 checkpoints ship their BPE tokenizer as one")
    vocab = tokenizer_vocab(tokenizer, require(config, "vocab_size", directory))
    return native_model(model, directory, "dnabert2", "masked", {"type": "hf", "file": "tokenizer.json"}, vocab,
                        config.get("max_position_embeddings") or 512, len(vocab), mask_token="[MASK]",
                        files={"tokenizer.json": tokenizer})


def tokenizer_vocab(path: Path, size: int) -> list[str]:
    """The tokenizer's tokens in id order, padded with <unusedN> to the model's vocab size."""
    from tokenizers import Tokenizer

    by_id = {i: token for token, i in Tokenizer.from_file(str(path)).get_vocab(with_added_tokens=True).items()}
    return [by_id.get(i, f"<unused{i}>") for i in range(size)]
