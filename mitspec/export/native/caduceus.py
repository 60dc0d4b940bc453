"""Caduceus (Schiff et al., 2024; `model_type` "caduceus", kuleshov-group/caduceus-ps_* and
-ph_*): bidirectional Mamba (a forward and a reverse Mamba over the sequence, summed, in-
and out-projections shared) in pre-norm residual blocks with RMSNorm, and, for the "ps"
models, reverse-complement parameter sharing (RCPS): the hidden state carries a forward
half and a reverse-complement half, run through the same weights.

Mamba's selective scan, s_t = exp(delta_t A) s_(t-1) + delta_t B_t x_t, runs as an ONNX
Scan over the positions (exported by the dynamo exporter), so the length stays dynamic;
upstream's CUDA kernel computes the same recurrence.

Upstream's fused add+norm kernel (the path of every published checkpoint) hands the
mixer its two RCPS halves in the opposite order from its unfused path; `fused_add_norm`
in config.json selects which, as upstream does.

Shapes: B batch, L tokens, D d_model, E = expand x D, N d_state, R dt_rank.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import ModelError
from . import NativeModel, native_model, read_weights, require, take
from .hyenadna import VOCAB  # Caduceus ships the same character tokenizer

MAX_LENGTH = 131072  # the longest published checkpoints' training length


def linear_scan(decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """s_t = decay_t * s_(t-1) + drive_t along dim 1 of (B, L, E, N), s_(-1) = 0.

    torch's scan operator, which the dynamo exporter writes as one ONNX Scan over the
    positions: O(L) work at any length. (A log-depth Hillis-Steele form with plain tensor
    ops was 3.3x slower under onnxruntime: it makes log2(L) passes over (B, L, E, N).)"""
    from torch._higher_order_ops.scan import scan

    def step(state, inputs):
        a, b = inputs
        state = a * state + b
        return state, state.clone()

    # a contiguous initial state: scan checks that it has the carry's strides, and zeros_like of
    # drive[:, 0] keeps drive's batch stride, which differs from the carry's at batch size 1
    start = torch.zeros_like(drive[:, 0], memory_format=torch.contiguous_format)
    _, states = scan(step, start, (decay.movedim(1, 0), drive.movedim(1, 0)))
    return states.movedim(0, 1)


class Mamba(nn.Module):
    """(B, L, D) -> (B, L, D): mamba_ssm's Mamba block (v1), causal along L."""

    def __init__(self, d: int, state: int, conv: int, expand: int, rank: int, conv_bias: bool, bias: bool):
        super().__init__()
        inner = expand * d
        self.inner, self.state, self.rank = inner, state, rank
        self.in_proj = nn.Linear(d, 2 * inner, bias=bias)
        self.conv1d = nn.Conv1d(inner, inner, conv, groups=inner, padding=conv - 1, bias=conv_bias)
        self.x_proj = nn.Linear(inner, rank + 2 * state, bias=False)
        self.dt_proj = nn.Linear(rank, inner)
        self.A_log = nn.Parameter(torch.zeros(inner, state))
        self.D = nn.Parameter(torch.zeros(inner))
        self.out_proj = nn.Linear(inner, d, bias=bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        x, z = self.in_proj(h).split(self.inner, dim=-1)
        x = F.silu(self.conv1d(x.transpose(1, 2))[..., :h.shape[1]]).transpose(1, 2)  # causal: drop the tail
        dt, b, c = self.x_proj(x).split([self.rank, self.state, self.state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))  # (B, L, E)
        decay = torch.exp(delta.unsqueeze(-1) * -torch.exp(self.A_log))  # (B, L, E, N)
        drive = (delta * x).unsqueeze(-1) * b.unsqueeze(2)
        states = linear_scan(decay, drive)
        y = (states * c.unsqueeze(2)).sum(-1) + x * self.D
        return self.out_proj(y * F.silu(z))


class BiMamba(nn.Module):
    def __init__(self, **options):
        super().__init__()
        self.mamba_fwd, self.mamba_rev = Mamba(**options), Mamba(**options)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.mamba_fwd(h) + self.mamba_rev(h.flip(1)).flip(1)


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * (1 / torch.sqrt(x.square().mean(-1, keepdim=True) + self.eps)) * self.weight


def rc(x: torch.Tensor) -> torch.Tensor:
    """Reverse-complement a hidden state: flip positions and channels."""
    return x.flip(-2, -1)


class Layer(nn.Module):
    def __init__(self, d: int, eps: float, rcps: bool, swap: bool, mixer: dict):
        super().__init__()
        self.d, self.rcps, self.swap = d, rcps, swap
        self.norm = RMSNorm(d, eps)
        self.mixer = BiMamba(**mixer)

    def forward(self, h: torch.Tensor, residual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.rcps:
            residual = h + residual
            return self.mixer(self.norm(residual)), residual
        h, residual = add_norm_rcps(h, residual, self.norm, self.d, self.swap)
        return torch.cat([self.mixer(h[..., :self.d]), rc(self.mixer(rc(h[..., self.d:])))], dim=-1), residual


def add_norm_rcps(h: torch.Tensor, residual: torch.Tensor, norm: nn.Module, d: int, swap: bool):
    """RCPS add+norm: the forward half as is, the reverse-complement half normed in its
    own frame; `swap` takes the forward half from the second d channels (fused path)."""
    first, second = (slice(d, None), slice(None, d)) if swap else (slice(None, d), slice(d, None))
    forward = h[..., first] + residual[..., first]
    backward = rc(h[..., second]) + rc(residual[..., second])
    return torch.cat([norm(forward), rc(norm(backward))], dim=-1), torch.cat([forward, rc(backward)], dim=-1)


class Caduceus(nn.Module):
    """input_ids (B, L) -> MLM logits (B, L, V)."""

    def __init__(self, config: dict, where: Path):
        super().__init__()
        d = require(config, "d_model", where)
        vocab = require(config, "vocab_size", where)
        multiple = config.get("pad_vocab_size_multiple", 8)
        vocab += -vocab % multiple  # upstream pads the vocabulary
        unsupported = {k: v for k, v in (("rms_norm", config.get("rms_norm", True)),
                                         ("bidirectional", config.get("bidirectional", True)),
                                         ("bidirectional_strategy", config.get("bidirectional_strategy", "add")))
                       if v != {"rms_norm": True, "bidirectional": True, "bidirectional_strategy": "add"}[k]}
        if unsupported:
            raise ModelError(f"{where}/config.json: Caduceus with {unsupported} is not implemented natively; the "
                             "published checkpoints (RMSNorm, bidirectional, strategy add) are")
        ssm = config.get("ssm_cfg") or {}
        rank = ssm.get("dt_rank", "auto")
        self.rcps, self.d = bool(config.get("rcps", False)), d
        mixer = dict(d=d, state=ssm.get("d_state", 16), conv=ssm.get("d_conv", 4), expand=ssm.get("expand", 2),
                     rank=math.ceil(d / 16) if rank == "auto" else rank, conv_bias=ssm.get("conv_bias", True),
                     bias=ssm.get("bias", False))
        eps = config.get("norm_epsilon", 1e-5)
        self.embedding = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(Layer(d, eps, self.rcps, bool(config.get("fused_add_norm", True)), mixer)
                                    for _ in range(require(config, "n_layer", where)))
        self.norm_f = RMSNorm(d, eps)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        complement = config.get("complement_map") or {}
        if self.rcps and not complement:
            raise ModelError(f"{where}/config.json: an RCPS Caduceus needs its complement_map")
        table = [complement.get(str(i), i) for i in range(vocab)]
        self.register_buffer("complement", torch.tensor(table, dtype=torch.long), persistent=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        h = self.embedding(input_ids)
        if self.rcps:
            h = torch.cat([h, rc(self.embedding(self.complement[input_ids.flip(1)]))], dim=-1)
        residual = torch.zeros_like(h)
        for layer in self.layers:
            h, residual = layer(h, residual)
        if not self.rcps:
            return self.lm_head(self.norm_f(h + residual))
        h = add_norm_rcps(h, residual, self.norm_f, self.d, swap=False)[0]
        return self.lm_head(h[..., :self.d]) + F.linear(h[..., self.d:].flip(-1), self.lm_head.weight[self.complement])


def upstream_names(model: Caduceus) -> dict[str, list[str]]:
    """Our parameter name -> upstream's candidates, first present wins (a tied tensor may be
    saved under one name only)."""
    backbone = "caduceus.backbone."
    norm = ".submodule" if model.rcps and not model.layers[0].swap else ""  # unfused RCPS wraps its norms
    mixer = "mixer.submodule." if model.rcps else "mixer."
    names = {"embedding.weight": [backbone + ("embeddings.word_embeddings.embedding.weight" if model.rcps
                                              else "embeddings.word_embeddings.weight")],
             "norm_f.weight": [f"{backbone}norm_f{norm}.weight"]}
    head = "lm_head.lm_head.weight" if model.rcps else "lm_head.weight"
    names["lm_head.weight"] = [head, *names["embedding.weight"]]  # tied to the embedding
    names["embedding.weight"].append(head)
    for i in range(len(model.layers)):
        names[f"layers.{i}.norm.weight"] = [f"{backbone}layers.{i}.norm{norm}.weight"]
        for param, _ in model.layers[i].mixer.mamba_fwd.named_parameters():
            fwd = f"{backbone}layers.{i}.{mixer}mamba_fwd.{param}"
            rev = fwd.replace("mamba_fwd", "mamba_rev")
            shared = param.startswith(("in_proj.", "out_proj."))  # bidirectional_weight_tie
            names[f"layers.{i}.mixer.mamba_fwd.{param}"] = [fwd] + [rev] * shared
            names[f"layers.{i}.mixer.mamba_rev.{param}"] = [rev] + [fwd] * shared
    return names


def load(directory: Path, config: dict) -> NativeModel:
    model = Caduceus(config, directory)
    weights = read_weights(directory)
    state = {ours: take(weights, next((n for n in theirs if n in weights), theirs[0]), directory)
             for ours, theirs in upstream_names(model).items()}
    model.load_state_dict(state, strict=True)
    vocab = VOCAB + [f"<unused{i}>" for i in range(len(VOCAB), model.lm_head.out_features)]
    return native_model(model, directory, "caduceus", "masked", {"type": "char", "eos": "[SEP]"}, vocab,
                        MAX_LENGTH, len(vocab), mask_token="[MASK]")
