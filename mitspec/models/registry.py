"""Name or path -> scorer. Exported models live in `exported_models/<name>/`; built-in
scorers (baselines) are the factories in `baselines.BASELINES`."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..text import did_you_mean
from .base import Scorer
from .baselines import BASELINES as _BUILTINS
from ..errors import ModelError
from .manifest import MANIFEST, Manifest, about, read_manifest

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def model_dirs() -> list[Path]:
    """Where exported models are looked up: $MITSPEC_MODELS (os.pathsep-separated), then
    ./exported_models, then the project's own exported_models/."""
    dirs = [Path(p) for p in os.environ.get("MITSPEC_MODELS", "").split(os.pathsep) if p]
    dirs += [Path("exported_models"), PACKAGE_ROOT / "exported_models"]
    seen, out = set(), []
    for d in dirs:
        key = d.resolve()
        if key not in seen and d.is_dir():
            seen.add(key)
            out.append(d)
    return out


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str
    params: int | None
    location: str
    context: str = "any"  # the longest input: tokens, and bases where that follows from the tokenizer


def exported() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in model_dirs():
        for manifest in sorted(root.glob(f"*/{MANIFEST}")):
            found.setdefault(manifest.parent.name, manifest.parent)
    return found


def context(manifest: Manifest) -> str:
    """`130 tokens (128 bp)`: a char tokenizer spends a token per base plus its BOS/EOS; for
    other tokenizers the bases per token depend on the sequence, so only tokens are said."""
    tokens = manifest.max_length
    if manifest.tokenizer.type != "char":
        return f"{tokens:,} tokens"
    bases = tokens - (manifest.tokenizer.bos is not None) - (manifest.tokenizer.eos is not None)
    return f"{tokens:,} tokens ({bases:,} bp)"


def available() -> list[ModelEntry]:
    entries = []
    for name, directory in exported().items():
        try:
            m = read_manifest(directory)
            entries.append(ModelEntry(name, m.kind, m.params, f"{directory}: {about(m)}", context(m)))
        except ModelError as exc:
            entries.append(ModelEntry(name, "invalid", None, f"{directory} ({exc})"))
    for name, (factory, description) in sorted(_BUILTINS.items()):
        scorer = factory()
        entries.append(ModelEntry(name, scorer.kind, scorer.params, description))
    return entries


def roles() -> dict[str, str]:
    """Every plan role some baseline reads (role -> what it is), in registration order:
    the names a spec's `role NAME = LAYOUT.SLOT` may bind."""
    out: dict[str, str] = {}
    for factory, _ in _BUILTINS.values():
        for role, what in getattr(factory, "roles", {}).items():
            out.setdefault(role, what)
    return out


def default_names() -> list[str]:
    """What a run scores when no model is named: every exported model whose manifest reads,
    and every baseline."""
    return [e.name for e in available() if e.kind != "invalid"]


def locate(name_or_path: str) -> Manifest | None:
    """The manifest of an exported model named or pointed at (a registered name, a model
    directory, or a .onnx file with manifest.json beside it), or None for a built-in
    scorer. Nothing is loaded: the caller decides where the model runs."""
    path = Path(name_or_path)
    if path.suffix == ".onnx":
        path = path.parent
    if path.is_dir():
        return read_manifest(path)
    models = exported()
    if name_or_path in _BUILTINS:
        if name_or_path in models:
            raise ModelError(f"{name_or_path!r} names both a built-in baseline and the exported model in "
                             f"{models[name_or_path]}; rename that directory (scores are kept by model name)")
        return None
    if name_or_path in models:
        return read_manifest(models[name_or_path])
    if any(c in name_or_path for c in "/\\") or path.suffix:
        raise ModelError(f"{name_or_path} does not exist; give a model directory, a .onnx file, or a name from `mitspec models`")
    raise ModelError(f"unknown model {name_or_path!r}; "
                     + did_you_mean(name_or_path, [*models, *_BUILTINS], "models").replace("known models", "available"))


def resolve(name_or_path: str, device: str = "auto", **options) -> Scorer:
    """A scorer, loaded here, for what `locate` accepts."""
    from .onnx_lm import OnnxLM

    manifest = locate(name_or_path)
    if manifest is None:
        return _BUILTINS[name_or_path][0]()  # built-in scorers take no ONNX options
    return OnnxLM(manifest, device=device, **options)
