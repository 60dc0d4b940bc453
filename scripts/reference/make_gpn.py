"""Reference data for the native GPN (tests/test_native.py), made once with the upstream
implementation: a tiny random `GPNForMaskedLM` checkpoint (convolutional encoder, dilations
1, 2, 4, biases on so every parameter kind is exercised) saved by upstream, and the MLM
logits upstream gives at two lengths.

Upstream: the `gpn` package, github.com/songlab-cal/gpn, commit
99293f823a7f01dd5f9a05a7e2d7db701cda9228 (2025-12-18). Run with its `gpn/` directory
(model.py, modules.py, legacy.py, __init__.py) under --upstream:

    mkdir -p /tmp/gpnup/gpn; for f in __init__.py model.py modules.py legacy.py; do
        git -C MIRROR show 99293f8:gpn/$f > /tmp/gpnup/gpn/$f; done
    python scripts/reference/make_gpn.py --upstream /tmp/gpnup --source songlab-cal/gpn@99293f823a7f01dd5f9a05a7e2d7db701cda9228

The upstream code is imported from --upstream at run time; none of it is in this project.
"""
from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED, arguments, perturb, write_reference  # noqa: E402

CONFIG = dict(vocab_size=7, hidden_size=16, intermediate_size=32, num_hidden_layers=3, first_kernel_size=9,
              rest_kernel_size=5, dilation_cycle=3, bias=True)
LENGTHS = (29, 100)


def main() -> None:
    args = arguments(__doc__, "gpn")
    import torch

    sys.path.insert(0, str(args.upstream))
    with contextlib.redirect_stdout(io.StringIO()):  # upstream prints its dilation schedule
        import gpn.model as upstream

        torch.manual_seed(SEED)
        model = upstream.GPNForMaskedLM(upstream.GPNConfig(**CONFIG)).eval()
    perturb(model)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    rng = np.random.default_rng(7)
    ids = {length: rng.integers(3, 7, size=(2, length)) for length in LENGTHS}  # a, c, g, t
    write_reference(args.out, model, ids, args.source,
                    {f: args.upstream / "gpn" / f for f in ("model.py", "modules.py", "legacy.py")}, CONFIG,
                    "make_gpn.py")


if __name__ == "__main__":
    main()
