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

import argparse
import contextlib
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "upstream" / "gpn"
CONFIG = dict(vocab_size=7, hidden_size=16, intermediate_size=32, num_hidden_layers=3, first_kernel_size=9,
              rest_kernel_size=5, dilation_cycle=3, bias=True)
LENGTHS = (29, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, type=Path, help="directory holding the gpn package")
    parser.add_argument("--source", required=True, help="owner/repo@commit the package came from")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    import torch
    import transformers

    sys.path.insert(0, str(args.upstream))
    with contextlib.redirect_stdout(io.StringIO()):  # upstream prints its dilation schedule
        import gpn.model as upstream

        torch.manual_seed(20261126)
        model = upstream.GPNForMaskedLM(upstream.GPNConfig(**CONFIG)).eval()
    with torch.no_grad():  # move every parameter off its initial value, so each one matters
        for param in model.parameters():
            param.add_(0.1 * torch.randn_like(param))
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    rng = np.random.default_rng(7)
    reference = {}
    for length in LENGTHS:
        ids = rng.integers(3, 7, size=(2, length))  # a, c, g, t
        with torch.no_grad():
            logits = model(input_ids=torch.from_numpy(ids)).logits.numpy()
        reference[f"ids_{length}"], reference[f"logits_{length}"] = ids, logits
    np.savez_compressed(args.out / "reference.npz", **reference)
    files = {f: hashlib.sha256((args.upstream / "gpn" / f).read_bytes()).hexdigest()
             for f in ("model.py", "modules.py", "legacy.py")}
    (args.out / "REFERENCE.json").write_text(json.dumps({
        "upstream": args.source, "files_sha256": files, "config": CONFIG, "lengths": LENGTHS, "seed": 20261126,
        "torch": torch.__version__, "transformers": transformers.__version__,
        "made_by": "scripts/reference/make_gpn.py"}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
