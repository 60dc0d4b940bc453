"""GPN (Benegas et al., 2023; the `gpn` package's `GPNForMaskedLM`, `model_type` "GPN") with
its convolutional encoder: one-hot bases widened to the hidden size, then pre-LN residual
blocks of a dilated convolution (GELU, linear) and an MLP, a final LayerNorm and the MLM
head (linear, GELU, LayerNorm, decoder).

Upstream pads its convolutions with `padding="same"`, which onnxruntime rejects for dilated
convolutions; here the same zero padding is explicit (left = dilation (k - 1) // 2, the rest
on the right, as torch splits it), so the graph is plain Pad + Conv.

Shapes: B batch, L bases, D hidden.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import ModelError
from . import NativeModel, native_model, read_weights, require, take

# the tokenizer GPN's checkpoints use (songlab/tokenizer-dna-mlm): specials, then bases
# (lower-case there; mitspec upper-cases every sequence, so they are named upper-case here)
VOCAB = ["[PAD]", "[MASK]", "[UNK]", "A", "C", "G", "T"]


def dilations(config: dict) -> list[int]:
    """GPN's schedule: base^((i mod cycle) // double_every), capped at dilation_max."""
    base, cycle = config.get("dilation_base", 2), config.get("dilation_cycle", 8)
    every, cap = config.get("dilation_double_every", 1), config.get("dilation_max", 9999)
    return [min(cap, base ** ((i % cycle) // every)) for i in range(config["num_hidden_layers"])]


class ConvBlock(nn.Module):
    def __init__(self, d: int, inner: int, kernel: int, dilation: int, groups: int, bias: bool):
        super().__init__()
        total = dilation * (kernel - 1)
        self.pad = (total // 2, total - total // 2)
        self.conv_norm = nn.LayerNorm(d, bias=bias)
        self.conv = nn.Conv1d(d, d, kernel, dilation=dilation, groups=groups, bias=bias)
        self.conv_out = nn.Linear(d, d, bias=bias)
        self.ffn_norm = nn.LayerNorm(d, bias=bias)
        self.ffn_in, self.ffn_out = nn.Linear(d, inner, bias=bias), nn.Linear(inner, d, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = F.pad(self.conv_norm(x).transpose(1, 2), self.pad)
        x = x + self.conv_out(F.gelu(self.conv(c).transpose(1, 2)))
        return x + self.ffn_out(F.gelu(self.ffn_in(self.ffn_norm(x))))


class GPN(nn.Module):
    """input_ids (B, L) -> MLM logits (B, L, V)."""

    def __init__(self, config: dict, where: Path):
        super().__init__()
        d, self.vocab = require(config, "hidden_size", where), require(config, "vocab_size", where)
        bias = config.get("bias", False)
        self.one_hot = config.get("embedding", "one_hot") == "one_hot"
        self.embed = None if self.one_hot else nn.Embedding(self.vocab, d)
        self.d = d
        kernels = [config.get("first_kernel_size", 9)] + [config.get("rest_kernel_size", 5)] * (config["num_hidden_layers"] - 1)
        self.blocks = nn.ModuleList(
            ConvBlock(d, require(config, "intermediate_size", where), k, dil,
                      1 if (not config.get("depthwise", False) or i == 0) else d, bias)
            for i, (k, dil) in enumerate(zip(kernels, dilations(config))))
        self.norm = nn.LayerNorm(d, bias=bias)
        self.transform = nn.Linear(d, d, bias=bias) if config.get("mlm_head_transform", True) else None
        self.transform_norm = nn.LayerNorm(d, bias=bias) if self.transform is not None else None
        self.decoder = nn.Linear(d, self.vocab, bias=bias)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = F.one_hot(input_ids, self.d).to(self.norm.weight.dtype) if self.one_hot else self.embed(input_ids)
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        if self.transform is not None:
            x = self.transform_norm(F.gelu(self.transform(x)))
        return self.decoder(x)


def upstream_names(model: GPN) -> dict[str, str]:
    """Our parameter name -> upstream's (gpn.model.GPNForMaskedLM), for the ones that exist."""
    parts = {"conv_norm": "conv.0", "conv": "conv.2", "conv_out": "conv.5", "ffn_norm": "ffn.0", "ffn_in": "ffn.1",
             "ffn_out": "ffn.3"}
    names = {"norm": "model.ln_f", "transform": "cls.transform.0", "transform_norm": "cls.transform.2",
             "decoder": "cls.decoder", "embed": "model.embeddings.word_embeddings"}
    for i in range(len(model.blocks)):
        names.update({f"blocks.{i}.{ours}": f"model.encoder.layer.{i}.{theirs}" for ours, theirs in parts.items()})
    out = {}
    for name, _ in model.named_parameters():
        module, param = name.rsplit(".", 1)
        out[name] = f"{names[module]}.{param}"
    return out


def load(directory: Path, config: dict) -> NativeModel:
    encoder = config.get("encoder", "convnet")
    if encoder != "convnet":
        raise ModelError(f"{directory}: GPN with the {encoder!r} encoder is not implemented natively (only the "
                         "convolutional one is); try `mitspec export --import gpn.model` with the gpn package")
    model = GPN(config, directory)
    weights = read_weights(directory)
    model.load_state_dict({ours: take(weights, theirs, directory) for ours, theirs in upstream_names(model).items()},
                          strict=True)
    vocab = VOCAB + [f"<unused{i}>" for i in range(len(VOCAB), model.vocab)]
    return native_model(model, directory, "GPN", "masked", {"type": "char"}, vocab,
                        config.get("max_position_embeddings") or 1 << 16, len(vocab), mask_token="[MASK]")
