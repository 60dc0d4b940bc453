"""Reference data for the native StripedHyena 1 (Evo 1; tests/test_native.py), made once with
the upstream implementation: tiny random checkpoints in the Hugging Face format of the
togethercomputer/evo-1-* checkpoints (config.json with model_type stripedhyena;
pytorch_model.bin whose names are the hub wrapper's `backbone.` + StripedHyena's) and the
logits the upstream code gives at two lengths, for two variants:

- evo1: Evo 1's layout (hyena blocks with attention blocks between, GELU MLPs, tied
  embeddings, projections split by blocks, one filter per channel);
- grouped: the other code paths a checkpoint can select (projections split by heads
  (`column_split_hyena`), grouped filters, linearly interpolated rotary positions, SiLU
  MLPs, an untied unembedding). Upstream runs grouped filters only when the group count
  squared is the hidden size (it keeps hidden/groups filters and repeats each
  hidden/groups times), so 4 groups at hidden size 16.

Upstream: togethercomputer/stripedhyena at 7e13f61 (`stripedhyena/{model,layers,engine,
cache,utils,positional_embeddings}.py`; the hub's `modeling_hyena.py` wraps its
StripedHyena as `backbone`) on flash-attn v2.5.6 (6c9e60d; the attention blocks are its
MHA). flash-attn's CUDA attention and Triton rotary kernel cannot run here: the MHA runs
its own PyTorch attention (`use_flash_attn: false`, a path of upstream's code) and the
rotary kernel is replaced by flash-attn's reference `apply_rotary_emb_torch` (the CUDA
extension and Triton are stubbed only so the modules import). Needs einops. Run:

    mkdir -p /tmp/evo1up
    git -C FLASH_ATTN_MIRROR archive v2.5.6 flash_attn | tar -x -C /tmp/evo1up
    git -C STRIPEDHYENA_MIRROR archive 7e13f61 stripedhyena | tar -x -C /tmp/evo1up
    python scripts/reference/make_evo1.py --upstream /tmp/evo1up \\
        --source togethercomputer/stripedhyena@7e13f618027fea9625be1f2d2d94f9a361f6bd02+Dao-AILab/flash-attention@v2.5.6

The upstream code is imported from --upstream at run time; none of it is in this project.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED, arguments, byte_ids, first_output, perturb, stub_triton, torch_rotary_qkv, \
    write_reference  # noqa: E402

FILES = tuple(f"stripedhyena/{n}.py" for n in ("model", "layers", "engine", "cache", "utils", "positional_embeddings")) \
    + ("flash_attn/modules/mha.py", "flash_attn/layers/rotary.py")
BASE = dict(vocab_size=512, hidden_size=16, num_filters=16, num_layers=3, hyena_layer_idxs=[0, 2], attn_layer_idxs=[1],
            num_attention_heads=2, short_filter_length=3, short_filter_bias=True, state_size=4, eps=1e-6,
            rotary_emb_base=10000, make_vocab_size_divisible_by=8, inner_size_multiple_of=16, proj_groups=1,
            model_parallel_size=1, pipe_parallel_size=1, final_norm=True, mha_out_proj_bias=True, qkv_proj_bias=True,
            use_flash_attn=False, use_flash_rmsnorm=False, use_flash_depthwise=False, use_flashfft=False,
            inference_mode=False, prefill_style="fft", smeared_gqa=False, max_seqlen=8192, model_type="stripedhyena")
VARIANTS = {
    "evo1": dict(tie_embeddings=True, column_split_hyena=False, column_split=True, hyena_filter_groups=1,
                 mlp_activation="gelu", inner_mlp_size=40, use_interpolated_rotary_pos_emb=False),
    "grouped": dict(tie_embeddings=False, column_split_hyena=True, column_split=False, hyena_filter_groups=4,
                    mlp_activation="silu", inner_mlp_size=None, use_interpolated_rotary_pos_emb=True,
                    rotary_emb_scaling_factor=2.0),
}
LENGTHS = (17, 60)  # byte tokens


def main() -> None:
    args = arguments(__doc__, "evo1")
    import torch
    import transformers.modeling_utils  # noqa: F401 - before the stubs: transformers probes for a real Triton

    stub_triton("flash_attn_2_cuda")
    sys.path.insert(0, str(args.upstream))
    import flash_attn.layers.rotary

    torch_rotary_qkv(flash_attn.layers.rotary)
    from stripedhyena.model import StripedHyena
    from stripedhyena.utils import dotdict

    rng = np.random.default_rng(7)
    for variant, options in VARIANTS.items():
        config = {**BASE, **options}
        dtypes = {k: torch.float32 for k in ("params_dtype", "attn_block_dtype", "mlp_dtype", "hyena_block_dtype")}
        torch.manual_seed(SEED)
        model = StripedHyena(dotdict({**config, **dtypes})).eval()
        perturb(model)
        with torch.no_grad():  # poles inside the unit circle, as trained ones are (|p| in 0.5-0.95)
            for block in model.blocks:
                if hasattr(block, "filter"):
                    angle = torch.rand(block.filter.poles.shape[:-1]) * torch.pi
                    radius = 0.5 + 0.45 * torch.rand(block.filter.poles.shape[:-1])
                    block.filter.poles.copy_(torch.stack([radius * angle.cos(), radius * angle.sin()], -1))
        out = args.out / variant
        out.mkdir(parents=True, exist_ok=True)
        state = {f"backbone.{k}": v.contiguous() for k, v in model.state_dict().items()}
        torch.save(state, out / "pytorch_model.bin")
        (out / "config.json").write_text(json.dumps(
            {**config, "architectures": ["StripedHyenaModelForCausalLM"],
             "auto_map": {"AutoConfig": "configuration_hyena.StripedHyenaConfig",
                          "AutoModelForCausalLM": "modeling_hyena.StripedHyenaModelForCausalLM"}},
            indent=2, sort_keys=True) + "\n")
        write_reference(out, first_output(model), byte_ids(rng, LENGTHS), args.source, {n: args.upstream / n for n in FILES}, config,
                        "make_evo1.py", versions={"torch": torch.__version__})


if __name__ == "__main__":
    main()
