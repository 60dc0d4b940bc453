"""Exportable implementations of gLM architectures whose published code cannot be
exported to ONNX (needs the `export` extra: torch).

Each family module reads a checkpoint in its upstream format (config.json plus
model.safetensors or pytorch_model.bin, with the upstream parameter names) and returns a
`NativeModel`: a torch module `input_ids (B, T) int64 -> logits (B, T, V)` written here,
and the manifest fields mitspec needs (kind, tokenizer, vocabulary, limits). `mitspec
export` looks a checkpoint's `model_type` up in `FAMILIES` before trying transformers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelError

FAMILIES = {  # config.json model_type -> module in this package with `load(directory, config)`
    "hyenadna": "hyenadna",
}


@dataclass
class NativeModel:
    module: object  # torch.nn.Module: input_ids -> logits
    fields: dict  # manifest fields: kind, tokenizer, vocab, mask_token, max_length, params, provenance
    token_ids: list[int] = field(default_factory=list)  # DNA tokens for the logit check


def family_of(directory: Path) -> str | None:
    """The native family for a checkpoint directory's config.json model_type, or None."""
    config = Path(directory) / "config.json"
    if not config.is_file():
        return None
    try:
        model_type = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None
    return model_type if model_type in FAMILIES else None


def load_native(directory: Path) -> NativeModel:
    import importlib

    directory = Path(directory)
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    module = importlib.import_module(f"{__name__}.{FAMILIES[config['model_type']]}")
    return module.load(directory, config)


def read_weights(directory: Path) -> dict:
    """{name: tensor} from model.safetensors, else pytorch_model.bin (loaded weights-only)."""
    import torch

    directory = Path(directory)
    if (directory / "model.safetensors").is_file():
        from safetensors.torch import load_file

        return load_file(str(directory / "model.safetensors"))
    if (directory / "pytorch_model.bin").is_file():
        return torch.load(directory / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise ModelError(f"{directory} has neither model.safetensors nor pytorch_model.bin")


def take(weights: dict, name: str, where: Path):
    """weights[name], or an error naming the checkpoint and the missing parameter."""
    try:
        return weights[name]
    except KeyError:
        raise ModelError(f"{where}: the checkpoint lacks {name}; is it a complete checkpoint of this family?") from None


def require(config: dict, key: str, where: Path):
    if key not in config:
        raise ModelError(f"{where}/config.json lacks `{key}`, which this family's config always has")
    return config[key]
