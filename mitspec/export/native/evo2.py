"""StripedHyena 2 (Evo 2: Brixi et al., 2025; arcinstitute/evo2_*): StripedHyena's pre-norm
blocks with three hyena operators instead of one, and rotary attention blocks between.

Every hyena block projects to 3D channels, runs a depthwise FIR of length 3 over them,
optionally regroups them (`interleave`: channel 3c+i -> i*D + c) and splits them into
(x2, x1, v) (`column_split_hyena`: per head instead); then, with u = x1 * v:
- hcs, short explicit: y = FIR_h(u), h of length 7 shared by each group of channels;
- hcm, medium regularised: y = h * u + D u, h of length 128;
  as upstream, an explicit filter's length decides its arithmetic, whatever the layer:
  from FFT_TAPS (128) taps on, a true convolution plus D u; below, a cross-correlation
  without D (as the short filter);
- hcl, long implicit: y = h * u + D u, h_t = sum_n r_n exp(lambda_n t) with real
  log-poles lambda, one filter per channel; upstream convolves with FFTs of size 2L, here
  the recurrence s_t = exp(lambda) s_(t-1) + u_t, y_t = sum_n r_n s_t runs as an ONNX Scan
  (dynamic length, exact; see stripedhyena.modal_filter for why not onnxruntime's DFT);
and the block's output is x2 * y. The MLP of every layer but the first is linear
(`evo2_style_activations`). Attention packs q, k, v per head in the checkpoint
(`column_split`); upstream regroups them after loading, and so does `load`.

Checkpoints: the state dict upstream's `torch.save` wrote (`<name>.pt`, vortex's parameter
names; Transformer Engine's fp8 `_extra_state` entries are skipped) and vortex's YAML
config beside it, or, as the hub repositories publish them, a config.json naming the .pt,
whose architecture is then the published one of that name (`PUBLISHED`).

Shapes: B batch, L tokens, D hidden, S poles per channel.
"""
from __future__ import annotations

import io
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import ModelError
from . import NativeModel, is_vortex_config, native_model, require
from .stripedhyena import (
    AttentionBlock,
    GatedMLP,
    HyenaBlock,
    StripedHyena,
    assign_weights,
    attention_options,
    byte_vocab,
    mlp_width,
)

# What every published Evo 2 shares (vortex's configs/evo2-*.yml at cb229ae), then each
# published checkpoint's own settings, by the name of its .pt.
_EVO2 = dict(vocab_size=512, short_filter_length=3, short_filter_bias=False, hcs_filter_length=7,
             hcm_filter_length=128, state_size=16, eps=1e-6, column_split=True, column_split_hyena=False,
             interleave=True, evo2_style_activations=True, hyena_flip_x1x2=False, qkv_proj_bias=False,
             mha_out_proj_bias=True, hyena_out_proj_bias=True, tie_embeddings=True, final_norm=True,
             mlp_activation="gelu", proj_groups=1, rotary_emb_base=10000)
_SEVEN = dict(hidden_size=4096, num_layers=32, num_attention_heads=32, hcm_filter_groups=256, hcs_filter_groups=256,
              attn_layer_idxs=[3, 10, 17, 24, 31], hcl_layer_idxs=[2, 6, 9, 13, 16, 20, 23, 27, 30],
              hcm_layer_idxs=[1, 5, 8, 12, 15, 19, 22, 26, 29], hcs_layer_idxs=[0, 4, 7, 11, 14, 18, 21, 25, 28])
_FORTY = dict(hidden_size=8192, num_layers=50, num_attention_heads=64, hcm_filter_groups=512, hcs_filter_groups=512,
              rotary_emb_base=1000000, attn_layer_idxs=[3, 10, 17, 24, 31, 35, 42, 49],
              hcl_layer_idxs=[2, 6, 9, 13, 16, 20, 23, 27, 30, 34, 38, 41, 45, 48],
              hcm_layer_idxs=[1, 5, 8, 12, 15, 19, 22, 26, 29, 33, 37, 40, 44, 47],
              hcs_layer_idxs=[0, 4, 7, 11, 14, 18, 21, 25, 28, 32, 36, 39, 43, 46])
_LONG = dict(use_interpolated_rotary_pos_emb=True, rotary_emb_scaling_factor=128, max_seqlen=1048576)
PUBLISHED = {
    "evo2_1b_base": {**_EVO2, "hidden_size": 1920, "num_layers": 25, "num_attention_heads": 15,
                     "hcm_filter_groups": 128, "hcs_filter_groups": 128, "inner_mlp_size": 5120, "max_seqlen": 8192,
                     "attn_layer_idxs": [3, 10, 17, 24], "hcl_layer_idxs": [2, 6, 9, 13, 16, 20, 23],
                     "hcm_layer_idxs": [1, 5, 8, 12, 15, 19, 22], "hcs_layer_idxs": [0, 4, 7, 11, 14, 18, 21]},
    "evo2_7b_base": {**_EVO2, **_SEVEN, "inner_mlp_size": 11008, "max_seqlen": 32768},
    "evo2_7b": {**_EVO2, **_SEVEN, **_LONG, "inner_mlp_size": 11264},
    "evo2_40b_base": {**_EVO2, **_FORTY, "inner_mlp_size": 21888, "max_seqlen": 8192},
    "evo2_40b": {**_EVO2, **_FORTY, **_LONG, "inner_mlp_size": 22528},
}


def decay_filter(u: torch.Tensor, decay: torch.Tensor, residues: torch.Tensor) -> torch.Tensor:
    """Causal convolution of u (B, D, L) with h_t = sum_n r_n a_n^t (decay a, residues r:
    (D, S)), as the recurrence s_t = a s_(t-1) + u_t, y_t = sum_n r_n s_t. torch's scan
    operator; the dynamo exporter writes an ONNX Scan."""
    from torch._higher_order_ops.scan import scan

    a = decay.clone()  # the scan operator refuses closed-over views of parameters

    def step(state, u_t):  # state (B, D, S); u_t (B, D, 1)
        state = a * state + u_t
        return state, state.clone()  # (the exporter takes per-step outputs shaped like the state)

    inputs = u.permute(2, 0, 1).unsqueeze(-1).to(a.dtype)  # (L, B, D, 1)
    _, states = scan(step, torch.zeros_like(inputs[0] * a), inputs)  # (L, B, D, S)
    return (states * residues).sum(-1).permute(1, 2, 0).to(u.dtype)


FFT_TAPS = 128  # explicit filters this long or longer convolve (with D); shorter ones correlate


class Cascade(nn.Module):
    """One StripedHyena 2 operator, `kind` short (hcs), medium (hcm) or long (hcl):
    projections z (B, L, 3D) -> (B, L, D)."""

    def __init__(self, kind: str, d: int, heads: int, short: int, short_bias: bool, groups: int, length: int,
                 states: int, column_split: bool, interleave: bool, flip: bool):
        super().__init__()
        self.kind, self.d, self.heads, self.short = kind, d, heads, short
        self.column_split, self.interleave, self.flip = column_split, interleave, flip
        self.short_filter_weight = nn.Parameter(torch.zeros(3 * d, 1, short))
        self.short_filter_bias = nn.Parameter(torch.zeros(3 * d)) if short_bias else None
        self.convolves = kind == "long" or length >= FFT_TAPS
        if kind in ("short", "medium"):
            self.h = nn.Parameter(torch.zeros(groups, 1, length))
            self.repeat = d // groups  # each group's filter serves d / groups consecutive channels
        if self.convolves:
            self.D = nn.Parameter(torch.zeros(d))
        if kind == "long":
            self.log_poles = nn.Parameter(torch.zeros(d, states, 1))
            self.residues = nn.Parameter(torch.zeros(d, states))

    def gates(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, 3D, L) -> x2, x1, v, each (B, D, L)."""
        if self.interleave:
            z = z.unflatten(1, (self.d, 3)).transpose(1, 2).flatten(1, 2)
        if self.column_split:
            parts = z.unflatten(1, (self.heads, 3, self.d // self.heads))
            x2, x1, v = (parts[:, :, i].flatten(1, 2) for i in range(3))
        else:
            x2, x1, v = z.split(self.d, dim=1)
        return (x1, x2, v) if self.flip else (x2, x1, v)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        length = z.shape[1]
        z = F.conv1d(z.transpose(1, 2), self.short_filter_weight, padding=self.short - 1, groups=3 * self.d)
        z = z[..., :length]
        if self.short_filter_bias is not None:
            z = z + self.short_filter_bias[None, :, None]
        x2, x1, v = self.gates(z)
        u = x1 * v
        if self.kind == "long":
            # in float32 whatever the model's precision, as upstream keeps its poles and residues
            poles, residues = self.log_poles[..., 0].float(), self.residues.float()
            y = decay_filter(u, poles.exp(), residues) + u * self.D[:, None]
        else:
            h = self.h.repeat_interleave(self.repeat, dim=0)  # (D, 1, K)
            taps = h.shape[-1]
            if self.convolves:
                h = h.flip(-1)  # upstream convolves (FFT), where conv1d correlates
            y = F.conv1d(u, h, padding=taps - 1, groups=self.d)[..., :length]
            if self.convolves:
                y = y + u * self.D[:, None]
        return (y * x2).transpose(1, 2)


def evo2(config: dict, where: Path) -> StripedHyena:
    """StripedHyena 2 as vortex's config describes it."""
    d = require(config, "hidden_size", where)
    heads = require(config, "num_attention_heads", where)
    eps = config.get("eps", 1e-6)
    if config.get("proj_groups", 1) != 1 or config.get("num_filters", d) != d:
        raise ModelError(f"{where}: StripedHyena 2 with grouped-query attention or fewer filters than channels is "
                         "not implemented natively (no published Evo 2 has either)")
    kinds = {}
    for key, kind in (("attn_layer_idxs", "attention"), ("hcs_layer_idxs", "short"), ("hcm_layer_idxs", "medium"),
                      ("hcl_layer_idxs", "long")):
        for i in require(config, key, where):
            if i in kinds:
                raise ModelError(f"{where}: layer {i} is both {kinds[i]} and {kind} in the config")
            kinds[i] = kind
    layers = require(config, "num_layers", where)
    if sorted(kinds) != list(range(layers)):
        raise ModelError(f"{where}: the config's layer lists do not cover layers 0..{layers - 1} exactly once")
    activation = config.get("mlp_activation", "gelu")
    blocks = []
    for i in range(layers):
        mlp = GatedMLP(d, mlp_width(config), "identity" if i > 0 and config.get("evo2_style_activations") else activation)
        if kinds[i] == "attention":
            blocks.append(AttentionBlock(d, eps, mlp, **attention_options(config, 1000000)))
            continue
        prefix = {"short": "hcs", "medium": "hcm", "long": "hcl"}[kinds[i]]
        cascade = Cascade(kinds[i], d, heads, short=config.get("short_filter_length", 3),
                          short_bias=bool(config.get("short_filter_bias", False)),
                          groups=config.get(f"{prefix}_filter_groups", d), length=config.get(f"{prefix}_filter_length", 0),
                          states=config.get("state_size", 16), column_split=config.get("column_split_hyena", False),
                          interleave=config.get("interleave", True), flip=config.get("hyena_flip_x1x2", False))
        blocks.append(HyenaBlock(d, eps, mlp, cascade, projection_bias=config.get("qkv_proj_bias", False),
                                 out_bias=config.get("hyena_out_proj_bias", True)))
    return StripedHyena(require(config, "vocab_size", where), d, eps, blocks, config.get("final_norm", True),
                        config.get("tie_embeddings", True))


def read_config(directory: Path, hub_config: dict) -> tuple[dict, Path, Path]:
    """(architecture, where it came from, checkpoint file): a vortex YAML in the directory,
    else the published architecture of the checkpoint that config.json names."""
    import yaml

    configs = [p for p in sorted(directory.glob("*.y*ml")) if is_vortex_config(p)]
    if len(configs) > 1:
        raise ModelError(f"{directory} has several vortex configs ({', '.join(p.name for p in configs)}); keep one")
    named = hub_config.get("_name_or_path")
    checkpoints = [directory / Path(named).name] if named else sorted(directory.glob("*.pt"))
    if len(checkpoints) != 1 or not checkpoints[0].is_file():
        parts = sorted(directory.glob("*.pt.part*"))
        if parts:
            whole = parts[0].name.split(".part")[0]
            raise ModelError(f"{directory}: the checkpoint is published in parts; join them first, as the evo2 "
                             f"package does: cat {directory}/{whole}.part* > {directory}/{whole}")
        raise ModelError(f"{directory} needs exactly one Evo 2 checkpoint (.pt){f' named {named}' if named else ''}")
    checkpoint = checkpoints[0]
    if configs:
        try:
            config = yaml.safe_load(configs[0].read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ModelError(f"{configs[0]} is not valid YAML: {exc}") from None
        if not isinstance(config, dict):
            raise ModelError(f"{configs[0]} is not a vortex config (a mapping of settings)")
        return config, configs[0], checkpoint
    if checkpoint.stem in PUBLISHED:
        return PUBLISHED[checkpoint.stem], checkpoint, checkpoint
    raise ModelError(f"{directory}: no vortex config (.yml) beside {checkpoint.name}, and it is not one of the "
                     f"published Evo 2 checkpoints ({', '.join(PUBLISHED)}); put its configs/*.yml from the "
                     "evo2 package or Zymrael/vortex in the directory")


def read_checkpoint(path: Path) -> dict:
    """Upstream's torch.save'd state dict, memory-mapped; fp8 metadata dropped."""
    try:
        with torch.serialization.safe_globals([io.BytesIO]):  # Transformer Engine's _extra_state
            weights = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a file that is not a checkpoint
        raise ModelError(f"{path} is not a readable torch checkpoint: {str(exc).splitlines()[0]}") from None
    if not isinstance(weights, dict):
        raise ModelError(f"{path} holds no state dict")
    return {k: v for k, v in weights.items() if not k.endswith("._extra_state")}


def packed_per_head(weights: dict, model: StripedHyena, heads: int) -> dict:
    """Attention's q, k, v rows regrouped from per head (the checkpoint) to q, k, v (as upstream
    does after loading a `column_split` checkpoint)."""
    weights = dict(weights)
    for i, block in enumerate(model.blocks):
        if isinstance(block, AttentionBlock):
            for name in (f"blocks.{i}.inner_mha_cls.Wqkv.weight", f"blocks.{i}.inner_mha_cls.Wqkv.bias"):
                if name in weights:
                    rows = weights[name]
                    weights[name] = rows.unflatten(0, (heads, 3, rows.shape[0] // (3 * heads))).transpose(0, 1) \
                        .flatten(0, 2).contiguous()
    return weights


def load(directory: Path, hub_config: dict) -> NativeModel:
    config, source, checkpoint = read_config(directory, hub_config)
    with torch.device("meta"):  # no memory until the checkpoint's own tensors are assigned
        model = evo2(config, source)
    weights = read_checkpoint(checkpoint)
    if config.get("column_split", True):
        weights = packed_per_head(weights, model, config["num_attention_heads"])
    assign_weights(model, weights, "", checkpoint)
    del weights
    vocab = byte_vocab(model.embedding_layer.num_embeddings)
    return native_model(model, directory, "evo2", "causal", {"type": "char"}, vocab, config.get("max_seqlen") or 8192,
                        len(vocab))
