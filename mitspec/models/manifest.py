"""`manifest.json`: what a scorer needs to know about an exported model.

Strict: an unknown or missing key is an error naming the file, so a typo in a manifest
never silently changes how a model is scored.
"""
from __future__ import annotations

import hashlib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from ..io import atomic_write, canonical_json, read_json, sha256_file
from .errors import ModelError

MANIFEST = "manifest.json"
FORMAT = "mitspec-model/1"
KINDS = ("causal", "masked", "blindspot")
TOKENIZER_TYPES = ("char", "kmer", "hf")


@dataclass(frozen=True)
class TokenizerSpec:
    """type: char (one token per base) | kmer (non-overlapping k-mers, single-base tail,
    as in the Nucleotide Transformer) | hf (a `tokenizer.json` read with `tokenizers`).
    bos/eos: special tokens added around the sequence (char and kmer)."""

    type: str
    k: int | None = None
    file: str | None = None
    bos: str | None = None
    eos: str | None = None


@dataclass(frozen=True)
class Manifest:
    name: str
    kind: str
    onnx: str
    sha256: str
    tokenizer: TokenizerSpec
    vocab: tuple[str, ...]
    max_length: int
    mask_token: str | None = None
    params: int | None = None
    provenance: dict = field(default_factory=dict, hash=False)
    format: str = FORMAT
    directory: Path = field(default=Path("."), compare=False, hash=False)

    @property
    def onnx_path(self) -> Path:
        return self.directory / self.onnx

    @property
    def tokenizer_fingerprint(self) -> str:
        """Hash of everything that decides token ids: the spec, the vocab, the tokenizer file."""
        h = hashlib.sha256(canonical_json({"tokenizer": self.tokenizer.__dict__, "vocab": list(self.vocab)}).encode())
        if self.tokenizer.file:
            h.update(sha256_file(self.directory / self.tokenizer.file).encode())
        return h.hexdigest()

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "directory"}
        out["tokenizer"] = dict(self.tokenizer.__dict__)
        out["vocab"] = list(self.vocab)
        return out


def about(manifest: Manifest) -> str:
    """One line saying what the model is: how it was trained and how well, or where it came from."""
    p = manifest.provenance
    if "heldout_nats_per_base" in p:
        bar = p["bar"]
        return (f"{p.get('family', manifest.kind)} trained by mitspec on {p['corpus']}: "
                f"{p['heldout_nats_per_base']:.4f} held-out nats/base (bar {bar['nats_per_base']:.4f}, "
                f"{bar['model']} k={bar['k']})")
    return f"exported from {p.get('source', 'an unknown source')}"


def _strict(cls, data: dict, where: str):
    known = {f.name for f in fields(cls)} - {"directory"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ModelError(f"{where} has unknown key(s) {', '.join(unknown)}; the known keys are {', '.join(sorted(known))}")
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING} - {"directory"}
    missing = sorted(required - set(data))
    if missing:
        raise ModelError(f"{where} lacks {', '.join(missing)}; re-export the model with `mitspec export`")


def parse_manifest(data: dict, directory: Path, where: str) -> Manifest:
    if not isinstance(data, dict):
        raise ModelError(f"{where} is not a JSON object; re-export the model with `mitspec export`")
    _strict(Manifest, data, where)
    tok = data["tokenizer"]
    if not isinstance(tok, dict):
        raise ModelError(f"{where}: `tokenizer` must be an object such as {{\"type\": \"char\"}}")
    _strict(TokenizerSpec, tok, f"{where} (tokenizer)")
    manifest = Manifest(**{**data, "tokenizer": TokenizerSpec(**tok), "vocab": tuple(data["vocab"]), "directory": directory})
    if manifest.kind not in KINDS:
        raise ModelError(f"{where}: kind must be one of {', '.join(KINDS)}, not {manifest.kind!r}")
    if manifest.tokenizer.type not in TOKENIZER_TYPES:
        raise ModelError(f"{where}: tokenizer type must be one of {', '.join(TOKENIZER_TYPES)}, not {manifest.tokenizer.type!r}")
    if manifest.kind == "masked" and manifest.mask_token is None and manifest.tokenizer.type != "hf":
        raise ModelError(f"{where}: a masked model needs `mask_token`")
    if manifest.format != FORMAT:
        raise ModelError(f"{where}: format {manifest.format!r} is not {FORMAT!r}; re-export the model")
    return manifest


def read_manifest(directory: Path) -> Manifest:
    path = Path(directory) / MANIFEST
    data = read_json(path, f"{path} is missing; a model directory needs model.onnx and a manifest "
                           "(`mitspec export` writes both)", "re-export the model with `mitspec export`", ModelError)
    return parse_manifest(data, path.parent, str(path))


def write_manifest(directory: Path, fields_: dict) -> Manifest:
    """Complete `fields_` with the ONNX file's sha256 and the format, check, write atomically."""
    directory = Path(directory)
    data = {"format": FORMAT, **fields_}
    data["sha256"] = sha256_file(directory / data["onnx"])
    manifest = parse_manifest(data, directory, str(directory / MANIFEST))
    atomic_write(directory / MANIFEST, lambda p: p.write_text(canonical_json(manifest.to_dict()), encoding="utf-8"))
    return manifest
