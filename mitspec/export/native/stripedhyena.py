"""StripedHyena 1 (Evo 1: Nguyen et al., 2024; togethercomputer/evo-1-*, `model_type`
stripedhyena): hyena blocks with rotary multi-head attention blocks between them, each
pre-norm (StripedHyena's RMSNorm: x / (rms(x) + eps), scaled) with a gated MLP.

A hyena block projects to (x2, x1, v), runs a depthwise causal FIR of length 3 over them,
convolves x1 * v with a long filter whose taps are a sum of damped complex exponentials,
h_t = sum_n Re(r_n p_n^t) (poles p and residues r, a modal IIR filter), adds D x1 v and
gates with x2. Upstream convolves with FFTs of size 2L; here the same convolution runs as
the recurrence the filter is, s_t = p s_(t-1) + u_t, y_t = sum_n Re(r_n s_t), in real
arithmetic (ONNX has no complex type), as an ONNX Scan: the length stays dynamic, the
work is O(L) per pole, and no FFT size limits precision (onnxruntime's DFT at sizes that
are not powers of two was off by up to 1.4e-3 on logits of ~20, measured).

Evo 1 reads bytes: token id = the base's byte value, no special tokens.

Shapes: B batch, L tokens, D hidden, H heads, K = D / H, S pole-residue pairs per filter.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import ModelError
from . import NativeModel, native_model, read_weights, require, take


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.float()  # a float16 model's sum of squares overflows past |x| ~ 6 at width 2048
        return self.scale * (y / (y.norm(2, dim=-1, keepdim=True) * y.shape[-1] ** -0.5 + self.eps)).to(x.dtype)


class GatedMLP(nn.Module):
    def __init__(self, d: int, inner: int, activation: str):
        super().__init__()
        self.act = {"gelu": F.gelu, "silu": F.silu, "identity": nn.Identity()}[activation]
        self.l1, self.l2 = nn.Linear(d, inner, bias=False), nn.Linear(d, inner, bias=False)
        self.l3 = nn.Linear(inner, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l3(self.act(self.l1(x)) * self.l2(x))


def modal_filter(u: torch.Tensor, poles: torch.Tensor, residues: torch.Tensor) -> torch.Tensor:
    """Causal convolution of u (B, D, L) with h_t = sum_n Re(r_n p_n^t), as the recurrence it
    is: s_t = p s_(t-1) + u_t per pole, y_t = sum_n Re(r_n s_t). poles, residues: (D, S, 2)
    (real, imaginary). torch's scan operator; the dynamo exporter writes an ONNX Scan."""
    from torch._higher_order_ops.scan import scan

    # (D, S) each; cloned, since the scan operator refuses closed-over views of one tensor
    a, b, c, d = (x[..., i].clone() for x in (poles, residues) for i in (0, 1))

    def step(state, u_t):  # state (B, D, 2S): real parts, then imaginary; u_t (B, D, 1)
        real, imag = state.chunk(2, dim=-1)
        state = torch.cat([a * real - b * imag + u_t, a * imag + b * real], dim=-1)
        return state, state.clone()  # (the exporter takes per-step outputs shaped like the state)

    inputs = u.permute(2, 0, 1).unsqueeze(-1)  # (L, B, D, 1)
    _, states = scan(step, torch.zeros_like(inputs[0] * torch.cat([a, b], dim=-1)), inputs)
    real, imag = states.chunk(2, dim=-1)  # (L, B, D, S)
    y = (c * real - d * imag).sum(-1)
    return y.permute(1, 2, 0)


class HyenaFilter(nn.Module):
    def __init__(self, d: int, heads: int, fir: int, states: int, groups: int, column_split: bool):
        super().__init__()
        self.d, self.heads, self.fir, self.column_split = d, heads, fir, column_split
        systems = d // groups
        self.repeat = d // groups if groups > 1 else 1  # upstream repeats each of its d / groups filters so
        self.D = nn.Parameter(torch.zeros(d))
        self.short_filter_weight = nn.Parameter(torch.zeros(3 * d, 1, fir))
        self.short_filter_bias = nn.Parameter(torch.zeros(3 * d))
        self.poles = nn.Parameter(torch.zeros(systems, states, 1, 2))
        self.residues = nn.Parameter(torch.zeros(systems, states, 1, 2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, L, 3D) projections -> (B, L, D)."""
        length = z.shape[1]
        z = F.conv1d(z.transpose(1, 2), self.short_filter_weight, padding=self.fir - 1, groups=3 * self.d)[..., :length]
        z = z + self.short_filter_bias[None, :, None]  # upstream adds the bias after the convolution
        if self.column_split:  # (x2, x1, v) interleaved per head
            parts = z.unflatten(1, (self.heads, 3, self.d // self.heads))
            x2, x1, v = (parts[:, :, i].flatten(1, 2) for i in range(3))
        else:
            x2, x1, v = z.split(self.d, dim=1)
        x1v = x1 * v  # (B, D, L)
        poles, residues = (p[:, :, 0].repeat_interleave(self.repeat, dim=0) for p in (self.poles, self.residues))
        return ((modal_filter(x1v, poles, residues) + x1v * self.D[:, None]) * x2).transpose(1, 2)


class HyenaBlock(nn.Module):
    """Pre-norm block around a hyena operator `filter`: (B, L, 3D) projections -> (B, L, D)."""

    def __init__(self, d: int, eps: float, mlp: GatedMLP, filter: nn.Module, projection_bias: bool = True,
                 out_bias: bool = True):
        super().__init__()
        self.pre_norm, self.post_norm = RMSNorm(d, eps), RMSNorm(d, eps)
        self.projections = nn.Linear(d, 3 * d, bias=projection_bias)
        self.filter = filter
        self.out_filter_dense = nn.Linear(d, d, bias=out_bias)
        self.mlp = mlp

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        z = self.out_filter_dense(self.filter(self.projections(self.pre_norm(u)))) + u
        return self.mlp(self.post_norm(z)) + z


def rotary_frequencies(base: float, head_dim: int) -> torch.Tensor:
    return 1.0 / base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)


class Attention(nn.Module):
    """Causal multi-head attention with rotary positions (GPT-NeoX halves), as flash-attn's MHA."""

    def __init__(self, d: int, heads: int, base: float, position_scale: float, qkv_bias: bool, out_bias: bool):
        super().__init__()
        self.heads, self.position_scale = heads, position_scale
        self.base, self.head_dim = base, d // heads
        self.Wqkv = nn.Linear(d, 3 * d, bias=qkv_bias)
        self.out_proj = nn.Linear(d, d, bias=out_bias)
        self.register_buffer("inv_freq", rotary_frequencies(base, self.head_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length = x.shape[1]
        q, k, v = self.Wqkv(x).unflatten(-1, (3, self.heads, -1)).unbind(2)  # (B, L, H, K) each
        t = torch.arange(length, device=x.device).to(torch.float32) / self.position_scale
        angles = t[:, None] * self.inv_freq[None, :]
        cos, sin = (torch.cat([f(angles)] * 2, -1)[:, None, :].to(x.dtype) for f in (torch.cos, torch.sin))

        def rotate(x):
            first, second = x.chunk(2, dim=-1)
            return x * cos + torch.cat([-second, first], dim=-1) * sin

        q, k, v = rotate(q).transpose(1, 2), rotate(k).transpose(1, 2), v.transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        causal = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        mixed = (scores.masked_fill(causal, float("-inf")).softmax(-1) @ v).transpose(1, 2).flatten(2)
        return self.out_proj(mixed)


class AttentionBlock(nn.Module):
    def __init__(self, d: int, eps: float, mlp: GatedMLP, **attention_options):
        super().__init__()
        self.pre_norm, self.post_norm = RMSNorm(d, eps), RMSNorm(d, eps)
        self.inner_mha_cls = Attention(d, **attention_options)
        self.mlp = mlp

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        u = self.inner_mha_cls(self.pre_norm(u)) + u
        return self.mlp(self.post_norm(u)) + u


def mlp_width(config: dict) -> int:
    """ParallelGatedMLP's inner size: inner_mlp_size, else 8/3 d rounded up to inner_size_multiple_of."""
    if config.get("inner_mlp_size") is not None:
        return config["inner_mlp_size"]
    multiple = config.get("inner_size_multiple_of", 64) * config.get("model_parallel_size", 1)
    inner = int(2 * config["hidden_size"] * 4 / 3)
    return multiple * ((inner + multiple - 1) // multiple)


class StripedHyena(nn.Module):
    """input_ids (B, L) -> next-token logits (B, L, V): embedding, `blocks`, RMSNorm, and the
    embedding (tied) or an `unembed` table as the output layer."""

    def __init__(self, vocab: int, d: int, eps: float, blocks: list[nn.Module], final_norm: bool, tied: bool):
        super().__init__()
        self.embedding_layer = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(blocks)
        self.norm = RMSNorm(d, eps) if final_norm else None
        self.unembed = None if tied else nn.Embedding(vocab, d)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding_layer(input_ids)
        for block in self.blocks:
            x = block(x)
        if self.norm is not None:
            x = self.norm(x)
        return x @ (self.embedding_layer if self.unembed is None else self.unembed).weight.T


def evo1(config: dict, where: Path) -> StripedHyena:
    """StripedHyena 1 as its Hugging Face config.json describes it."""
    d = require(config, "hidden_size", where)
    heads = require(config, "num_attention_heads", where)
    eps = config.get("eps", 1e-5)
    if config.get("proj_groups", 1) != 1 or config.get("num_filters", d) != d:
        raise ModelError(f"{where}/config.json: StripedHyena with grouped-query attention or fewer filters than "
                         "channels is not implemented natively (Evo 1 has neither)")
    attention = set(require(config, "attn_layer_idxs", where))
    blocks = []
    for i in range(require(config, "num_layers", where)):
        mlp = GatedMLP(d, mlp_width(config), config.get("mlp_activation", "silu"))
        if i in attention:
            blocks.append(AttentionBlock(d, eps, mlp, **attention_options(config, 10000)))
        else:
            blocks.append(HyenaBlock(d, eps, mlp, HyenaFilter(
                d, heads=heads, fir=config.get("short_filter_length", 3), states=require(config, "state_size", where),
                groups=config.get("hyena_filter_groups", d), column_split=config.get("column_split_hyena", True))))
    return StripedHyena(require(config, "vocab_size", where), d, eps, blocks, config.get("final_norm", True),
                        config.get("tie_embeddings", True))


def attention_options(config: dict, default_base: float) -> dict:
    """Attention's settings from a StripedHyena config (upstream's default rotary base differs by version)."""
    scale = config.get("rotary_emb_scaling_factor", 1.0) if config.get("use_interpolated_rotary_pos_emb") else 1.0
    return dict(heads=config["num_attention_heads"], base=config.get("rotary_emb_base", default_base),
                position_scale=scale, qkv_bias=config.get("qkv_proj_bias", True),
                out_bias=config.get("mha_out_proj_bias", True))


def assign_weights(model: StripedHyena, weights: dict, prefix: str, where: Path) -> None:
    """Load `weights` (upstream names, `prefix` before ours) into a model built on the meta
    device, taking the checkpoint's own tensors (no copy); rotary frequencies from the
    checkpoint when it saved them, else the formula's."""
    state = {name: take(weights, prefix + name, where) for name, _ in model.named_parameters()}
    for name, module in model.named_modules():
        if isinstance(module, Attention):
            state[f"{name}.inv_freq"] = weights.get(f"{prefix}{name}.rotary_emb.inv_freq",
                                                    rotary_frequencies(module.base, module.head_dim))
    model.load_state_dict(state, strict=True, assign=True)


def byte_vocab(size: int) -> list[str]:
    """Evo's byte tokenizer as a vocabulary: id = byte value; the bases by their letters."""
    return [chr(i) if chr(i) in "ACGTN" else f"<byte{i}>" for i in range(size)]


def load(directory: Path, config: dict) -> NativeModel:
    with torch.device("meta"):  # no memory until the checkpoint's own tensors are assigned (a 1B model is 4 GB)
        model = evo1(config, directory)
    assign_weights(model, read_weights(directory), "backbone.", directory)
    vocab = byte_vocab(model.embedding_layer.num_embeddings)
    return native_model(model, directory, "stripedhyena", "causal", {"type": "char"}, vocab,
                        config.get("max_seqlen") or 8192, len(vocab))
