"""What every scripts/reference/make_<family>.py shares: its command line, perturbing a
freshly initialised upstream model so every parameter matters, running it on fixed token
ids at each length, and writing reference.npz and REFERENCE.json."""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

SEED = 20261126
ROOT = Path(__file__).resolve().parents[2]


def arguments(doc: str, family: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--upstream", required=True, type=Path, help="directory with the upstream files")
    parser.add_argument("--source", required=True, help="owner/repo@commit the upstream files came from")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "upstream" / family)
    return parser.parse_args()


@contextlib.contextmanager
def upstream_package(upstream: Path, files: tuple[str, ...], name: str):
    """Upstream files that import each other relatively (`from .x import y`), copied into a
    temporary package `name`; yields import(module) -> that module of the package."""
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / name
        package.mkdir()
        (package / "__init__.py").write_text("")
        for file in files:
            shutil.copy(upstream / file, package / file)
        sys.path.insert(0, tmp)
        try:
            yield lambda module: importlib.import_module(f"{name}.{module}")
        finally:
            sys.path.remove(tmp)


def stub_triton(*extensions: str) -> None:
    """Let upstream code import without Triton or the named CUDA extension modules: stand-ins
    whose decorators return the function unchanged; the kernels never run here."""
    import types

    class Anything(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):  # not a module attribute: inspect and pickle probe these
                raise AttributeError(name)
            return lambda *args, **kwargs: (args[0] if len(args) == 1 and callable(args[0]) else (lambda f: f))

    triton, language = Anything("triton"), Anything("triton.language")
    language.constexpr = int
    triton.language = language
    sys.modules.update({"triton": triton, "triton.language": language,
                        **{name: types.ModuleType(name) for name in extensions}})


def torch_rotary_qkv(rotary) -> None:
    """flash-attn's in-place Triton rotary on packed qkv (B, L, 3, H, K), `rotary.apply_rotary_emb_qkv_`
    (vortex carries a copy of the same module), done with the module's own PyTorch reference."""
    def apply_qkv(qkv, cos, sin, cos_k=None, sin_k=None, interleaved=False, seqlen_offsets=0, **_):
        assert seqlen_offsets == 0 and qkv.dim() == 5
        length = qkv.shape[1]
        cos_k, sin_k = (cos, sin) if cos_k is None else (cos_k, sin_k)
        qkv[:, :, 0] = rotary.apply_rotary_emb_torch(qkv[:, :, 0], cos[:length], sin[:length], interleaved)
        qkv[:, :, 1] = rotary.apply_rotary_emb_torch(qkv[:, :, 1], cos_k[:length], sin_k[:length], interleaved)
        return qkv

    rotary.apply_rotary_emb_qkv_ = apply_qkv


def byte_ids(rng: np.random.Generator, lengths: tuple[int, ...]) -> dict[int, np.ndarray]:
    """{length: (2, length) byte tokens}, every other one a DNA base (A, C, G, T), as Evo reads,
    the others any byte."""
    ids = {length: rng.integers(0, 256, size=(2, length)) for length in lengths}
    for length in lengths:
        ids[length][:, ::2] = rng.choice([ord(b) for b in "ACGT"], size=ids[length][:, ::2].shape)
    return ids


def first_output(model):
    """ids (B, T) -> logits (B, T, V) of an upstream module that returns (logits, state)."""
    import torch

    def forward(rows):
        with torch.no_grad():
            return model(torch.from_numpy(rows))[0].numpy()

    return forward


def perturb(model) -> None:
    """Move every parameter off its initial value (init zeros and ones hide mistakes)."""
    import torch

    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.1 * torch.randn_like(param))


def write_reference(out: Path, model, ids_by_length: dict[int, np.ndarray], source: str, files: dict[str, Path],
                    config: dict, script: str, versions: dict | None = None) -> None:
    """Run `model` on each length's ids; write reference.npz (ids_L, logits_L) and
    REFERENCE.json (upstream source, its files' sha256, versions). `model` is an upstream
    torch module in eval mode, or any callable ids (B, T) -> logits (B, T, V) given with
    the `versions` of what ran it (torch and transformers are recorded otherwise)."""
    if versions is None:
        import torch
        import transformers

        versions = {"torch": torch.__version__, "transformers": transformers.__version__}

        def forward(ids):
            with torch.no_grad():
                return model(input_ids=torch.from_numpy(ids)).logits.numpy()
    else:
        forward = model
    reference = {}
    for length, ids in ids_by_length.items():
        reference[f"ids_{length}"] = ids
        reference[f"logits_{length}"] = np.asarray(forward(ids), dtype=np.float32)
    np.savez_compressed(out / "reference.npz", **reference)
    (out / "REFERENCE.json").write_text(json.dumps({
        "upstream": source, "files_sha256": {name: hashlib.sha256(path.read_bytes()).hexdigest()
                                             for name, path in files.items()},
        "config": config, "lengths": list(ids_by_length), "seed": SEED, **versions,
        "made_by": f"scripts/reference/{script}"}, indent=1) + "\n")
    print(f"wrote {out}")
