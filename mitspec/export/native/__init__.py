"""Exportable implementations of gLM architectures whose published code cannot be
exported to ONNX (needs the `export` extra: torch).

Each family module reads a checkpoint in its upstream format (config.json plus
model.safetensors or pytorch_model.bin, with the upstream parameter names) and returns a
`NativeModel`: a torch module `input_ids (B, T) int64 -> logits (B, T, V)` written here,
and the manifest fields mitspec needs (kind, tokenizer, vocabulary, limits). `mitspec
export` asks `detect` for a checkpoint's family before trying transformers, so these
checkpoints need neither their own code nor --trust-remote-code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ModelError

FAMILIES = {  # family -> module in this package with `load(directory, config)`
    "hyenadna": "hyenadna",
    "dnabert2": "dnabert2",
    "gpn": "gpn",
    "ntv2": "ntv2",
    "caduceus": "caduceus",
    "stripedhyena": "stripedhyena",
    "evo2": "evo2",
}


def detect(config: dict) -> str | None:
    """The family of a checkpoint's config.json: by model_type, or, for DNABERT-2, whose
    config has none, by its MosaicBERT signature (ALiBi size and bert_layers classes); an
    ESM config is NT-v2's when it has the hub code's `add_bias_fnn` (plain ESM goes
    through transformers)."""
    if config.get("model_type") == "hyenadna":
        return "hyenadna"
    if "alibi_starting_size" in config and "bert_layers" in str(config.get("auto_map", "")):
        return "dnabert2"
    if config.get("model_type") == "caduceus":
        return "caduceus"
    if config.get("model_type") == "stripedhyena":  # Evo 1
        return "stripedhyena"
    if "StripedHyena2" in (config.get("architecture") or []):  # Evo 2's hub config.json: a name and the .pt
        return "evo2"
    if config.get("model_type") == "GPN":
        return "gpn"
    if config.get("model_type") == "esm" and "add_bias_fnn" in config:  # NT-v2's SwiGLU ESM (hub code)
        return "ntv2"
    return None


@dataclass
class NativeModel:
    module: object  # torch.nn.Module: input_ids -> logits
    fields: dict  # manifest fields: kind, tokenizer, vocab, mask_token, max_length, params, provenance;
    # tokenizer None: the checkpoint's own Hugging Face tokenizer gives tokenizer, vocab and mask_token
    files: dict = field(default_factory=dict)  # {name in the model directory: file to copy there}
    vocab_size: int = 0  # logits per token


def native_model(module, directory: Path, model_type: str, kind: str, tokenizer: dict | None, vocab: list[str],
                 max_length: int, vocab_size: int, mask_token: str | None = None,
                 files: dict | None = None) -> NativeModel:
    """A loaded family module, in float32, and its manifest fields (parameters counted,
    provenance named). Checkpoints published in bfloat16 (Evo 1, Evo 2) are widened: the
    float32 module is what graphs are exported from and checked against."""
    dtypes = sorted({str(p.dtype).removeprefix("torch.") for p in module.parameters() if p.is_floating_point()})
    module.float().eval()
    fields = {"kind": kind, "tokenizer": tokenizer, "vocab": vocab, "mask_token": mask_token,
              "max_length": int(max_length), "params": int(sum(p.numel() for p in module.parameters())),
              "provenance": {"source": str(directory), "model_type": model_type, "implementation": "mitspec native",
                             "checkpoint_dtype": "/".join(dtypes)}}
    return NativeModel(module, fields, files or {}, int(vocab_size))


def family_of(directory: Path) -> str | None:
    """The native family of a checkpoint directory (its config.json, else a vortex YAML
    config: an Evo 2 checkpoint as upstream's own code reads it), or None."""
    config = Path(directory) / "config.json"
    if not config.is_file():
        return "evo2" if any(is_vortex_config(p) for p in Path(directory).glob("*.y*ml")) else None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return detect(data) if isinstance(data, dict) else None


def is_vortex_config(path: Path) -> bool:
    """A YAML file that reads like vortex's StripedHyena 2 config (it has the hcl layer list)."""
    try:
        return path.is_file() and "hcl_layer_idxs" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_native(directory: Path) -> NativeModel:
    import importlib

    directory = Path(directory)
    path = directory / "config.json"
    config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    module = importlib.import_module(f"{__name__}.{FAMILIES[family_of(directory)]}")
    return module.load(directory, config)


def read_weights(directory: Path) -> dict:
    """{name: tensor} from model.safetensors, else pytorch_model.bin (loaded weights-only),
    or from the shards their `.index.json` lists (large checkpoints are published so)."""
    import torch

    directory = Path(directory)

    def load(path: Path) -> dict:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)

    for single in ("model.safetensors", "pytorch_model.bin"):
        if (directory / single).is_file():
            return load(directory / single)
        index = directory / f"{single}.index.json"
        if index.is_file():
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
            missing = [s for s in shards if not (directory / s).is_file()]
            if missing:
                raise ModelError(f"{index} lists shards that are not there: {', '.join(missing)}")
            return {name: tensor for shard in shards for name, tensor in load(directory / shard).items()}
    raise ModelError(f"{directory} has neither model.safetensors nor pytorch_model.bin (nor a sharded index of one)")


def take(weights: dict, name: str, where: Path):
    """weights[name], or an error naming the checkpoint and the missing parameter."""
    try:
        return weights[name]
    except KeyError:
        raise ModelError(f"{where}: the checkpoint lacks {name}; is it a complete checkpoint of this family?") from None


def activation(config: dict, key: str, where: Path, default: str = "gelu"):
    """The activation function config[key] names (Hugging Face's ACT2FN names), or a
    ModelError naming the ones implemented here: an unknown name is refused, never
    replaced by a default."""
    import torch
    from torch.nn import functional as F

    def tanh_gelu(x):
        return F.gelu(x, approximate="tanh")

    functions = {"gelu": F.gelu, "gelu_new": tanh_gelu, "gelu_fast": tanh_gelu, "gelu_pytorch_tanh": tanh_gelu,
                 "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x), "relu": F.relu, "silu": F.silu,
                 "swish": F.silu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu_accurate": tanh_gelu}
    name = config.get(key, default)
    if name not in functions:
        source = where if Path(where).suffix else Path(where) / "config.json"
        raise ModelError(f"{source}: `{key}` {name!r} is not implemented natively; mitspec implements "
                         + ", ".join(sorted(functions)))
    return functions[name]


def require(config: dict, key: str, where: Path):
    """config[key]; `where` is the checkpoint directory (its config.json) or the config file."""
    if key not in config:
        source = where if Path(where).suffix else Path(where) / "config.json"
        raise ModelError(f"{source} lacks `{key}`, which this family's config always has")
    return config[key]
