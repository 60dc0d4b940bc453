"""HyenaDNA (Nguyen et al., 2023) in its Hugging Face format (`model_type` "hyenadna",
LongSafari/hyenadna-*-hf): a stack of Hyena blocks, each a gated long convolution whose
filter is implicit (a small sine-activated MLP of a positional encoding, decayed by an
exponential window), behind a depthwise short convolution; then an MLP.

The long convolution is causal and as long as the input: y = (k * v)[:L] + D v, done
with real FFTs of size 2L, which the dynamo exporter writes as ONNX DFT nodes, so the
sequence length stays dynamic. The FFTs run in float64: ONNX Runtime's DFT of a size that
is not a power of two (Bluestein's algorithm) loses up to 1e-3 in float32 logits at 300
tokens, where float64 keeps the graph within 1e-5 of upstream at every length. The filter for a sequence of length L is the first L
rows of the filter for the model's maximum length (the positional encoding is a fixed
table), exactly as upstream computes it.

Shapes: B batch, L tokens, D d_model, O hyena_order.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from . import NativeModel, native_model, read_weights, require, take

# the CharacterTokenizer every HyenaDNA checkpoint ships: specials 0-6, then bases
VOCAB = ["[CLS]", "[SEP]", "[BOS]", "[MASK]", "[PAD]", "[RESERVED]", "[UNK]", "A", "C", "G", "T", "N"]


class ImplicitFilter(nn.Module):
    """(L,) positions -> (L, D * (O - 1)) filter taps: MLP(sin) of the positional
    table z, times an exponential decay window in t."""

    def __init__(self, channels: int, emb_dim: int, order: int, inner: int, max_len: int):
        super().__init__()
        self.z = nn.Parameter(torch.zeros(1, max_len, emb_dim))
        self.register_buffer("t", torch.zeros(1, max_len, 1))
        self.register_buffer("deltas", torch.zeros(1, 1, channels))
        self.freq = nn.Parameter(torch.ones(1, order))
        widths = [emb_dim] + [order] * (inner + 1)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.out = nn.Linear(order, channels, bias=False)
        self.bias = nn.Parameter(torch.zeros(channels))  # D: the skip term of the convolution
        self.shift = 0.05

    def forward(self, length) -> torch.Tensor:
        h = self.z[0, :length]
        for linear in self.linears:
            h = torch.sin(self.freq[0] * linear(h))
        h = self.out(h)
        decay = torch.exp(-self.t[0, :length] * self.deltas[0].abs())
        return h * (decay + self.shift)


def causal_fft_conv(v: torch.Tensor, k: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
    """v (B, C, L), k (C, L), skip (C,) -> (B, C, L): sum_{j<=t} k[j] v[t-j] + skip v[t]."""
    length = v.shape[-1]
    n = 2 * length
    # in float64 whatever the model's precision (see the module docstring; torch has no
    # float16 FFT of every size)
    y = torch.fft.irfft(torch.fft.rfft(v.double(), n=n) * torch.fft.rfft(k.double(), n=n), n=n)[..., :length]
    return y.to(v.dtype) + v * skip[:, None]


class HyenaMixer(nn.Module):
    def __init__(self, d: int, order: int, short: int, emb_dim: int, filter_order: int, inner: int, max_len: int):
        super().__init__()
        self.d, self.order = d, order
        width = d * (order + 1)
        self.in_proj = nn.Linear(d, width)
        # upstream pads by 2 whatever the short filter's size, then keeps the first L outputs
        self.short_filter = nn.Conv1d(width, width, short, padding=2, groups=width)
        self.filter = ImplicitFilter(d * (order - 1), emb_dim, filter_order, inner, max_len)
        self.out_proj = nn.Linear(d, d)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        length = u.shape[1]
        z = self.short_filter(self.in_proj(u).transpose(1, 2))[..., :length]
        *gates, v = z.split(self.d, dim=1)
        taps = self.filter(length).transpose(0, 1).reshape(self.order - 1, self.d, length)
        skips = self.filter.bias.reshape(self.order - 1, self.d)
        for o, gate in enumerate(reversed(gates[1:])):
            v = causal_fft_conv(v * gate, taps[o], skips[o])
        return self.out_proj((v * gates[0]).transpose(1, 2))


class HyenaBlock(nn.Module):
    def __init__(self, d: int, d_inner: int, **mixer):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)  # upstream: default eps here
        self.mixer = HyenaMixer(d, **mixer)
        self.fc1, self.fc2 = nn.Linear(d, d_inner), nn.Linear(d_inner, d)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = h + self.mixer(self.norm1(h))
        return h + self.fc2(F.gelu(self.fc1(self.norm2(h)), approximate="tanh"))


class HyenaDNA(nn.Module):
    """input_ids (B, L) -> next-token logits (B, L, V padded)."""

    def __init__(self, config: dict, where: Path):
        super().__init__()
        d = require(config, "d_model", where)
        vocab = require(config, "vocab_size", where)
        multiple = config.get("pad_vocab_size_multiple", 8)
        self.vocab = vocab + (-vocab) % multiple
        self.max_len = require(config, "max_seq_len", where)
        mixer = dict(order=config.get("hyena_order", 2), short=config.get("short_filter_order", 3),
                     emb_dim=require(config, "emb_dim", where), filter_order=require(config, "filter_order", where),
                     inner=config.get("num_inner_mlps", 2), max_len=self.max_len)
        self.embed = nn.Embedding(self.vocab, d)
        self.blocks = nn.ModuleList(HyenaBlock(d, config.get("d_inner") or 4 * d, **mixer)
                                    for _ in range(require(config, "n_layer", where)))
        self.norm = nn.LayerNorm(d, eps=config.get("layer_norm_epsilon", 1e-5))
        self.head = nn.Linear(d, self.vocab, bias=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        h = self.embed(input_ids)
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))


def upstream_names(n_layer: int, inner: int, tied: bool) -> dict[str, str]:
    """Our parameter name -> the upstream (Hugging Face port) name."""
    names = {"embed.weight": "hyena.backbone.embeddings.word_embeddings.weight",
             "norm.weight": "hyena.backbone.ln_f.weight", "norm.bias": "hyena.backbone.ln_f.bias",
             "head.weight": "hyena.backbone.embeddings.word_embeddings.weight" if tied else "lm_head.weight"}
    for i in range(n_layer):
        ours, theirs = f"blocks.{i}", f"hyena.backbone.layers.{i}"
        for part in ("norm1", "norm2"):
            for p in ("weight", "bias"):
                names[f"{ours}.{part}.{p}"] = f"{theirs}.{part}.{p}"
        for part in ("fc1", "fc2"):
            for p in ("weight", "bias"):
                names[f"{ours}.{part}.{p}"] = f"{theirs}.mlp.{part}.{p}"
        for part in ("in_proj", "out_proj", "short_filter"):
            for p in ("weight", "bias"):
                names[f"{ours}.mixer.{part}.{p}"] = f"{theirs}.mixer.{part}.{p}"
        f_ours, f_theirs = f"{ours}.mixer.filter", f"{theirs}.mixer.filter_fn"
        names.update({f"{f_ours}.z": f"{f_theirs}.pos_emb.z", f"{f_ours}.t": f"{f_theirs}.pos_emb.t",
                      f"{f_ours}.deltas": f"{f_theirs}.modulation.deltas", f"{f_ours}.bias": f"{f_theirs}.bias",
                      f"{f_ours}.freq": f"{f_theirs}.implicit_filter.1.freq",
                      f"{f_ours}.out.weight": f"{f_theirs}.implicit_filter.{2 * (inner + 1)}.weight"})
        for j in range(inner + 1):  # Linear, Sin, Linear, Sin, ...: the linears sit at even indices
            for p in ("weight", "bias"):
                names[f"{f_ours}.linears.{j}.{p}"] = f"{f_theirs}.implicit_filter.{2 * j}.{p}"
    return names


def load(directory: Path, config: dict) -> NativeModel:
    model = HyenaDNA(config, directory)
    weights = read_weights(directory)
    tied = "lm_head.weight" not in weights
    names = upstream_names(len(model.blocks), config.get("num_inner_mlps", 2), tied)
    state = {}
    for ours, theirs in names.items():
        if theirs.endswith(".freq") and theirs not in weights:  # one shared Sin: safetensors keeps one copy
            theirs = next((k for k in weights if k.startswith(theirs.rsplit(".", 2)[0]) and k.endswith(".freq")), theirs)
        state[ours] = take(weights, theirs, directory)
    model.load_state_dict(state, strict=True)
    vocab = VOCAB + [f"<unused{i}>" for i in range(len(VOCAB), model.vocab)]
    # upstream's CharacterTokenizer appends [SEP] to every sequence (and no [CLS]), so a model
    # of max_seq_len tokens reads max_seq_len - 1 bases; the causal score never reads [SEP]
    return native_model(model, directory, "hyenadna", "causal", {"type": "char", "eos": "[SEP]"}, vocab,
                        model.max_len, len(vocab))
