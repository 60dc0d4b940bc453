"""Reference data for the native StripedHyena 2 (Evo 2; tests/test_native.py), made once with
the upstream implementation: tiny random checkpoints in Evo 2's published format (a
`torch.save`d state dict, `<name>.pt`, with vortex's parameter names, beside the vortex
YAML config; the arcinstitute/evo2_* hub repositories add a config.json naming the
architecture and the .pt) and the logits the upstream code gives at two lengths, for three
variants:

- evo2: Evo 2's layout and switches (hcs, hcm, hcl and attention blocks in turn,
  `interleave`, `column_split`, Evo 2 style activations, tied embeddings, no projection
  biases), its files as the hub has them: config.json + evo2_tiny.pt, and config.yml,
  and an fp8 `_extra_state` entry beside an input projection as Transformer Engine saves
  one;
- other: the other code paths a config can select (`hyena_flip_x1x2`, projections split
  by heads, no interleave, a short-filter bias, projection biases, linearly interpolated
  rotary positions as the 1M-context models have, an untied unembedding), YAML only;
- filter_lengths: Evo 2's layout with a short (hcs) filter of 128 taps and a medium (hcm)
  one of 64: upstream convolves with a D term from 128 taps on, whatever the layer.

Lengths 17 and 150: the medium filter (128 taps) is cut short at one and whole at the other.

Upstream: Zymrael/vortex at cb229ae (`vortex/`, the inference code the `evo2` package
runs). Its attention uses flash-attn's packed CUDA kernels when `use_flash_attn` is set
and its own PyTorch attention (`SelfAttention`, scaled_dot_product_attention) when not:
the references use the latter. Its rotary embedding applies a Triton kernel; here the
PyTorch reference in the same file (`apply_rotary_emb_torch`) does the same rotation
(Triton and the flash-attn CUDA module are stubbed only so the modules import, `rich`
only for logging, and `torch.cuda.device`, which upstream enters even for the CPU, is a
no-op). The fp8 input projections need Transformer Engine and CUDA: off, as
the upstream fallback runs them (a plain linear). Everything runs in float32 (upstream
casts most weights to bfloat16 for its GPUs). Needs einops. Run:

    mkdir -p /tmp/evo2up
    git -C VORTEX_MIRROR archive cb229ae vortex | tar -x -C /tmp/evo2up
    python scripts/reference/make_evo2.py --upstream /tmp/evo2up \\
        --source Zymrael/vortex@cb229ae50581aa072972c33a81e23eb43a1330ab

The upstream code is imported from --upstream at run time; none of it is in this project.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED, arguments, byte_ids, first_output, perturb, stub_triton, torch_rotary_qkv, \
    write_reference  # noqa: E402

FILES = tuple(f"vortex/model/{n}.py" for n in ("model", "engine", "layers", "attention", "rotary", "utils",
                                                 "positional_embeddings"))
BASE = dict(vocab_size=512, hidden_size=16, num_filters=16, num_layers=6, num_attention_heads=2,
            hcs_layer_idxs=[0, 4], hcm_layer_idxs=[1], hcl_layer_idxs=[2, 5], attn_layer_idxs=[3],
            hcs_filter_length=7, hcs_filter_groups=4, hcm_filter_length=128, hcm_filter_groups=4,
            hcl_filter_groups=16, short_filter_length=3, state_size=4, eps=1e-6, inner_mlp_size=40,
            inner_size_multiple_of=16, make_vocab_size_divisible_by=8, proj_groups=1, hyena_filter_groups=1,
            model_parallel_size=1, pipe_parallel_size=1, final_norm=True, max_seqlen=8192, max_batch_size=1,
            use_flash_attn=False, use_flash_rmsnorm=False, use_flash_depthwise=False, use_flashfft=False,
            use_laughing_hyena=False, use_fp8_input_projections=False, inference_mode=True, prefill_style="fft",
            tokenizer_type="CharLevelTokenizer", mlp_activation="gelu", evo2_style_activations=True,
            mha_out_proj_bias=True, hyena_out_proj_bias=True, print_activations=False, log_intermediate_values=False)
VARIANTS = {
    "evo2": dict(column_split_hyena=False, column_split=True, interleave=True, hyena_flip_x1x2=False,
                 short_filter_bias=False, qkv_proj_bias=False, tie_embeddings=True, rotary_emb_base=10000),
    "other": dict(column_split_hyena=True, column_split=False, interleave=False, hyena_flip_x1x2=True,
                  short_filter_bias=True, qkv_proj_bias=True, tie_embeddings=False, rotary_emb_base=1000000,
                  use_interpolated_rotary_pos_emb=True, rotary_emb_scaling_factor=4),
    # upstream decides an explicit filter's arithmetic by its length, not by the layer's kind:
    # 128 taps or more, a convolution with a D term; fewer, a cross-correlation without one
    "filter_lengths": dict(column_split_hyena=False, column_split=True, interleave=True, hyena_flip_x1x2=False,
                           short_filter_bias=False, qkv_proj_bias=False, tie_embeddings=True, rotary_emb_base=10000,
                           hcs_filter_length=128, hcm_filter_length=64),
}
LENGTHS = (17, 150)  # byte tokens


def stub_rich() -> None:
    """vortex logs through rich; a plain handler stands in."""
    class RichHandler(logging.StreamHandler):
        def __init__(self, **options):
            super().__init__()

    rich, rich_logging = types.ModuleType("rich"), types.ModuleType("rich.logging")
    rich_logging.RichHandler = RichHandler
    sys.modules.update({"rich": rich, "rich.logging": rich_logging})


def main() -> None:
    args = arguments(__doc__, "evo2")
    import torch
    import yaml

    stub_triton("flash_attn_2_cuda")
    stub_rich()
    sys.path.insert(0, str(args.upstream))
    os.chdir(args.upstream)  # vortex.logging opens activations_debug.log in the working directory
    import vortex.model.rotary

    torch_rotary_qkv(vortex.model.rotary)
    torch.cuda.device = lambda device: contextlib.nullcontext()  # upstream selects CUDA devices even for "cpu"
    from vortex.model.model import StripedHyena
    from vortex.model.utils import dotdict

    rng = np.random.default_rng(11)
    for variant, options in VARIANTS.items():
        config = {**BASE, **options}
        dtypes = {k: torch.float32 for k in ("params_dtype", "attn_block_dtype", "mlp_dtype", "hyena_block_dtype")}
        torch.manual_seed(SEED)
        model = StripedHyena(dotdict({**config, **dtypes})).float().eval()
        perturb(model)
        with torch.no_grad():  # filters of about unit gain, as trained ones are, so that float32
            for block in model.blocks:  # rounding stays far below the tolerance: decaying modes (log-poles
                cascade = getattr(block, "filter", None)  # in -(0.005 .. 1), memories of 1 to 200 tokens)
                if getattr(cascade, "log_poles", None) is not None:  # with residues scaled by 1 - pole, and
                    cascade.log_poles.copy_(-(0.005 + 0.995 * torch.rand(cascade.log_poles.shape)))  # explicit taps
                    cascade.residues.mul_(1 - cascade.log_poles[..., 0].exp())  # decaying over the medium filter
                if getattr(cascade, "h", None) is not None:
                    taps = cascade.h.shape[-1]
                    cascade.h.mul_(torch.exp(-torch.arange(taps) / 32) / taps ** 0.5)
        out = args.out / variant
        out.mkdir(parents=True, exist_ok=True)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        if config["column_split"]:  # upstream permutes Wqkv after loading; the file has the training layout
            state = saved_layout(state, config)
        name = "evo2_tiny.pt"
        if variant == "evo2":
            extra = io.BytesIO()
            torch.save({"scale_fwd": torch.ones(3)}, extra)
            state["blocks.0.projections._extra_state"] = extra
            (out / "config.json").write_text(json.dumps(
                {"name": "Evo 2 tiny (random weights)", "architecture": ["StripedHyena2"], "_name_or_path": name},
                indent=1) + "\n")
        torch.save(state, out / name)
        (out / "config.yml").write_text(yaml.safe_dump(config, sort_keys=True))
        ids, forward = byte_ids(rng, LENGTHS), first_output(model)
        before = forward(ids[LENGTHS[0]])
        model.custom_load_state_dict(torch.load(out / name, weights_only=False))  # as the evo2 package loads it
        assert np.array_equal(before, forward(ids[LENGTHS[0]]))  # read back through upstream's loader: the same model
        write_reference(out, forward, ids, args.source, {n: args.upstream / n for n in FILES}, config,
                        "make_evo2.py", versions={"torch": torch.__version__})


def saved_layout(state: dict, config: dict) -> dict:
    """The inverse of vortex's post-load Wqkv permutation: rows (3, heads, head) -> (heads, 3, head)."""
    heads, d = config["num_attention_heads"], config["hidden_size"]
    out = dict(state)
    for key, value in state.items():
        if key.endswith("inner_mha_cls.Wqkv.weight") or key.endswith("inner_mha_cls.Wqkv.bias"):
            rows = value.unflatten(0, (3, heads, d // heads)).transpose(0, 1).flatten(0, 2)
            out[key] = rows.contiguous()
    return out


if __name__ == "__main__":
    main()
