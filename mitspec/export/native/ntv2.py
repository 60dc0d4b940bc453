"""Nucleotide Transformer v2 (Dalla-Torre et al., 2024; InstaDeepAI/nucleotide-transformer-v2-*):
an ESM-2-style encoder, pre-LN, rotary position embeddings, and a bias-free SwiGLU
feed-forward (the hub's `modeling_esm.py`, flagged in config.json by `add_bias_fnn`),
then ESM's MLM head (final LayerNorm, dense, exact GELU, LayerNorm, decoder).

transformers' own ESM class has a GELU feed-forward with biases, so these checkpoints load
only with their custom code; this implementation reads their parameter names directly.
Every NT-v2 checkpoint uses rotary positions without token dropout, which is what is
implemented (and verified); other settings are refused. The tokenizer is the
checkpoint's own (vocab.txt, read by `mitspec export` like any Hugging Face tokenizer).

Shapes: B batch, T tokens, D hidden, H heads, K = D / H.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import ModelError
from . import NativeModel, native_model, read_weights, require, take

ROTARY_BASE = 10000.0


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """ESM's rotary embedding: dimension i turns with dimension i + K/2."""
    first, second = x.chunk(2, dim=-1)
    return x * cos + torch.cat((-second, first), dim=-1) * sin


class Layer(nn.Module):
    def __init__(self, d: int, heads: int, inner: int, eps: float, ffn_bias: bool):
        super().__init__()
        self.heads, self.inner = heads, inner
        self.attn_norm = nn.LayerNorm(d, eps=eps)
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.attn_out = nn.Linear(d, d)
        self.ffn_norm = nn.LayerNorm(d, eps=eps)
        self.ffn_in = nn.Linear(d, 2 * inner, bias=ffn_bias)
        self.ffn_out = nn.Linear(inner, d, bias=ffn_bias)

    def forward(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = self.attn_norm(h)
        q, k, v = (proj(x).unflatten(-1, (self.heads, -1)).transpose(1, 2) for proj in (self.query, self.key, self.value))
        q = rotate(q * q.shape[-1] ** -0.5, cos, sin)  # ESM scales the query, then rotates it
        k = rotate(k, cos, sin)
        mixed = ((q @ k.transpose(-1, -2)).softmax(-1) @ v).transpose(1, 2).flatten(2)
        h = h + self.attn_out(mixed)
        gate, value = self.ffn_in(self.ffn_norm(h)).split(self.inner, dim=-1)
        return h + self.ffn_out(F.silu(gate) * value)


class NucleotideTransformer(nn.Module):
    """input_ids (B, T) -> MLM logits (B, T, V)."""

    def __init__(self, config: dict, where: Path):
        super().__init__()
        d = require(config, "hidden_size", where)
        vocab = require(config, "vocab_size", where)
        heads = require(config, "num_attention_heads", where)
        eps = config.get("layer_norm_eps", 1e-12)
        positions = config.get("position_embedding_type", "absolute")
        if positions != "rotary" or config.get("token_dropout", False):
            raise ModelError(f"{where}/config.json: an ESM with add_bias_fnn, {positions} positions and token_dropout "
                             f"{config.get('token_dropout', False)} is not NT-v2 as published (rotary, no token "
                             "dropout); only that is implemented natively")
        self.word = nn.Embedding(vocab, d)
        self.embed_norm = nn.LayerNorm(d, eps=eps) if config.get("emb_layer_norm_before") else None
        self.layers = nn.ModuleList(
            Layer(d, heads, require(config, "intermediate_size", where), eps, bool(config.get("add_bias_fnn", True)))
            for _ in range(require(config, "num_hidden_layers", where)))
        self.final_norm = nn.LayerNorm(d, eps=eps)
        self.transform = nn.Linear(d, d)
        self.transform_norm = nn.LayerNorm(d, eps=eps)
        self.decoder = nn.Linear(d, vocab, bias=False)
        self.decoder_bias = nn.Parameter(torch.zeros(vocab))
        half = d // heads
        self.register_buffer("inv_freq", 1.0 / ROTARY_BASE ** (torch.arange(0, half, 2).float() / half),
                             persistent=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        h = self.word(input_ids)
        if self.embed_norm is not None:
            h = self.embed_norm(h)
        steps = torch.arange(input_ids.shape[1], device=input_ids.device).to(self.inv_freq.dtype)
        angles = steps[:, None] * self.inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)  # (T, K)
        cos, sin = angles.cos().to(h.dtype), angles.sin().to(h.dtype)  # angles float32 in a float16 model
        for layer in self.layers:
            h = layer(h, cos, sin)
        h = self.transform_norm(F.gelu(self.transform(self.final_norm(h))))
        return self.decoder(h) + self.decoder_bias


def upstream_names(model: NucleotideTransformer) -> dict[str, str]:
    """Our parameter name -> the hub checkpoint's (EsmForMaskedLM's names)."""
    modules = {"word": "esm.embeddings.word_embeddings", "embed_norm": "esm.embeddings.layer_norm", "final_norm": "esm.encoder.emb_layer_norm_after",
               "transform": "lm_head.dense", "transform_norm": "lm_head.layer_norm", "decoder": "lm_head.decoder"}
    parts = {"attn_norm": "attention.LayerNorm", "query": "attention.self.query", "key": "attention.self.key",
             "value": "attention.self.value", "attn_out": "attention.output.dense", "ffn_norm": "LayerNorm",
             "ffn_in": "intermediate.dense", "ffn_out": "output.dense"}
    for i in range(len(model.layers)):
        modules.update({f"layers.{i}.{ours}": f"esm.encoder.layer.{i}.{theirs}" for ours, theirs in parts.items()})
    names = {"decoder_bias": "lm_head.bias"}
    for name, _ in model.named_parameters():
        if name != "decoder_bias":
            module, param = name.rsplit(".", 1)
            names[name] = f"{modules[module]}.{param}"
    return names


def load(directory: Path, config: dict) -> NativeModel:
    model = NucleotideTransformer(config, directory)
    weights = read_weights(directory)
    if "lm_head.decoder.weight" not in weights:  # tied to the word embeddings
        weights = {**weights, "lm_head.decoder.weight": take(weights, "esm.embeddings.word_embeddings.weight",
                                                             directory)}
    model.load_state_dict({ours: take(weights, theirs, directory) for ours, theirs in upstream_names(model).items()},
                          strict=True)
    # tokenizer None: `mitspec export` reads the checkpoint's own (vocab.txt, EsmTokenizer)
    return native_model(model, directory, "esm (nucleotide transformer v2)", "masked", None, [],
                        config.get("max_position_embeddings") or 1 << 16, model.decoder_bias.shape[0])
