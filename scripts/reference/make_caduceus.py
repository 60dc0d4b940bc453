"""Reference data for the native Caduceus (tests/test_native.py), made once with the upstream
implementation: tiny random checkpoints in the upstream Hugging Face format (config.json
with model_type caduceus, model.safetensors with upstream parameter names) and the MLM
logits the upstream code gives at two lengths, for three variants:

- ps: reverse-complement parameter sharing (RCPS), fused add+norm, RMSNorm: the
  configuration of the published kuleshov-group/caduceus-ps_* checkpoints;
- ph: no RCPS (the published caduceus-ph_* checkpoints), fused add+norm;
- ps_unfused: RCPS with the unfused add+norm path, whose halves upstream orders
  differently from the fused one (both are what upstream runs, so both are reproduced).

Upstream: kuleshov-group/caduceus at commit 0060a6d (`caduceus/{configuration_caduceus,
modeling_caduceus,modeling_rcps}.py`) on state-spaces/mamba v1.2.0.post1 (34076d6; the
mamba-ssm version Caduceus pins). Mamba's selective scan and its fused add+norm run as
CUDA/Triton kernels; this script runs upstream's own PyTorch reference functions in their
place (`selective_scan_ref`, `rms_norm_ref`; the CUDA extension and Triton are stubbed so
the modules import), which is what upstream's kernels are tested against. Needs einops
and transformers. Run:

    mkdir -p /tmp/cadup
    git -C CADUCEUS_MIRROR archive 0060a6d caduceus | tar -x -C /tmp/cadup
    git -C MAMBA_MIRROR archive v1.2.0.post1 mamba_ssm | tar -x -C /tmp/cadup
    python scripts/reference/make_caduceus.py --upstream /tmp/cadup \\
        --source kuleshov-group/caduceus@0060a6d8079b6a040fc55d505e15972a327b70a6+state-spaces/mamba@v1.2.0.post1

The upstream code is imported from --upstream at run time; none of it is in this project.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED, arguments, perturb, upstream_package, write_reference  # noqa: E402

FILES = ("configuration_caduceus.py", "modeling_caduceus.py", "modeling_rcps.py")
MAMBA_FILES = ("mamba_ssm/modules/mamba_simple.py", "mamba_ssm/ops/selective_scan_interface.py",
               "mamba_ssm/ops/triton/layernorm.py")
# the character tokenizer's ids ([CLS] [SEP] [BOS] [MASK] [PAD] [RESERVED] [UNK] A C G T N),
# each base mapped to its complement, specials, N and the padding ids 12-15 to themselves
COMPLEMENT = {**{i: i for i in range(16)}, 7: 10, 8: 9, 9: 8, 10: 7}
BASE = dict(d_model=24, n_layer=2, vocab_size=12, pad_vocab_size_multiple=8, rms_norm=True, residual_in_fp32=False,
            norm_epsilon=1e-5, bidirectional=True, bidirectional_strategy="add", bidirectional_weight_tie=True,
            ssm_cfg={"d_state": 8, "d_conv": 4, "expand": 2, "dt_rank": "auto", "conv_bias": True, "bias": False})
VARIANTS = {"ps": dict(rcps=True, fused_add_norm=True), "ph": dict(rcps=False, fused_add_norm=True),
            "ps_unfused": dict(rcps=True, fused_add_norm=False)}
LENGTHS = (13, 50)  # tokens, [SEP] included


def stub_kernels() -> None:
    """Let mamba_ssm import without its CUDA extension and Triton (kernels never run)."""
    class Anything(types.ModuleType):
        def __getattr__(self, name):
            return lambda *args, **kwargs: (args[0] if len(args) == 1 and callable(args[0]) else (lambda f: f))

    triton, language = Anything("triton"), Anything("triton.language")
    language.constexpr = int  # used in kernel signatures' annotations
    triton.language = language
    sys.modules.update({"triton": triton, "triton.language": language,
                        "selective_scan_cuda": types.ModuleType("selective_scan_cuda")})


def use_reference_functions(modules) -> None:
    """Swap the kernels for upstream's PyTorch references wherever they were imported."""
    import mamba_ssm.modules.mamba_simple as simple
    import mamba_ssm.ops.triton.layernorm as layernorm
    from mamba_ssm.ops.selective_scan_interface import selective_scan_ref

    def fused(reference):
        def run(x, weight, bias, residual=None, prenorm=False, residual_in_fp32=False, eps=1e-6):
            return reference(x, weight, bias, residual=residual, eps=eps, prenorm=prenorm)
        return run

    simple.selective_scan_fn = selective_scan_ref
    for module in (layernorm, simple, *modules):
        module.rms_norm_fn, module.layer_norm_fn = fused(layernorm.rms_norm_ref), fused(layernorm.layer_norm_ref)


def main() -> None:
    args = arguments(__doc__, "caduceus")
    import torch
    import transformers.modeling_utils  # noqa: F401 - before the stubs: transformers probes for a real Triton

    stub_kernels()
    sys.path.insert(0, str(args.upstream))
    with upstream_package(args.upstream / "caduceus", FILES, "caduceus_upstream") as upstream:
        configuration, modeling, rcps = (upstream(m) for m in ("configuration_caduceus", "modeling_caduceus",
                                                               "modeling_rcps"))
        use_reference_functions((modeling, rcps))
        rng = np.random.default_rng(7)
        for variant, options in VARIANTS.items():
            config = {**BASE, **options, "complement_map": dict(COMPLEMENT)}
            torch.manual_seed(SEED)
            model = modeling.CaduceusForMaskedLM(configuration.CaduceusConfig(**config)).eval()
            perturb(model)
            out = args.out / variant
            out.mkdir(parents=True, exist_ok=True)
            model.save_pretrained(out, safe_serialization=False)  # tied and shared tensors, as upstream saves them
            ids = {}
            for length in LENGTHS:
                rows = rng.integers(7, 12, size=(2, length))  # A, C, G, T, N
                rows[:, -1] = 1  # [SEP], which upstream's tokenizer appends
                rows[:, length // 3] = 3  # a [MASK], as pseudo-log-likelihood feeds
                ids[length] = rows
            files = {n: args.upstream / "caduceus" / n for n in FILES}
            files.update({n: args.upstream / n for n in MAMBA_FILES})
            write_reference(out, model, ids, args.source, files, config, "make_caduceus.py")


if __name__ == "__main__":
    main()
