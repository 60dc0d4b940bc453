"""`manifest.json`: what a scorer needs to know about an exported model.

Strict: an unknown or missing key is an error naming the file, so a typo in a manifest
never silently changes how a model is scored.
"""
from __future__ import annotations

import hashlib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from ..io import atomic_write, canonical_json, printable, read_json, resolve_inside, sha256_file, unreadable_path
from ..errors import ModelError

MANIFEST = "manifest.json"
FORMAT = "mitspec-model/1"
KINDS = ("causal", "masked", "blindspot")
TOKENIZER_TYPES = ("char", "kmer", "kmer_overlap", "hf")
KMER_SCHEME = 2  # 2: the k-mer frame restarts after N, as the Nucleotide Transformer's tokenizer does


@dataclass(frozen=True)
class TokenizerSpec:
    """type: char (one token per base) | kmer (non-overlapping k-mers, single-base tail,
    as in the Nucleotide Transformer) | kmer_overlap (one k-mer starting at every base,
    as in DNABERT) | hf (a `tokenizer.json` read with `tokenizers`).
    bos/eos: special tokens added around the sequence (char and the k-mer types)."""

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
    onnx_data: dict | None = field(default=None, hash=False)  # {external-data file: sha256}, graphs over 2 GB
    format: str = FORMAT
    directory: Path = field(default=Path("."), compare=False, hash=False)

    @property
    def onnx_path(self) -> Path:
        return self.directory / self.onnx

    @property
    def tokenizer_fingerprint(self) -> str:
        """Hash of everything that decides token ids: the spec, the vocab, the tokenizer file."""
        described = {"tokenizer": self.tokenizer.__dict__, "vocab": list(self.vocab)}
        if self.tokenizer.type == "kmer":
            described["scheme"] = KMER_SCHEME  # how tokenize.py reads k-mers: a new reading is a new identity
        h = hashlib.sha256(canonical_json(described).encode())
        if self.tokenizer.file:
            h.update(sha256_file(self.directory / self.tokenizer.file).encode())
        return h.hexdigest()

    @property
    def weights(self) -> dict[str, str]:
        """{file: sha256} of what holds the model: the graph, and its external data if any."""
        return {self.onnx: self.sha256, **(self.onnx_data or {})}

    def check_weights(self, digest_of) -> None:
        """Refuse the graph or an external-data file whose sha256 (`digest_of(name)`, None
        for a missing file) is not the one this manifest records."""
        for name, expected in self.weights.items():
            if digest_of(name) == expected:
                continue
            if name == self.onnx:
                raise ModelError(f"{self.onnx_path} does not match the sha256 in its manifest (changed or corrupt); "
                                 "re-export the model with `mitspec export`")
            raise ModelError(f"{self.directory / name} (the weights of {self.onnx_path}) does not match the sha256 in "
                             "its manifest (changed, corrupt or missing); re-export the model with `mitspec export`")

    @property
    def files(self) -> tuple[str, ...]:
        """The files, relative to the model directory, that scoring reads: what a copy of
        the model on another machine needs."""
        return tuple(dict.fromkeys(f for f in (MANIFEST, *self.weights, self.tokenizer.file) if f))

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "directory"}
        out["tokenizer"] = dict(self.tokenizer.__dict__)
        out["vocab"] = list(self.vocab)
        return out


def about(manifest: Manifest) -> str:
    """One line saying what the model is: how it was trained and how well, or where it came from."""
    p = manifest.provenance
    bar = p.get("bar")
    trained = (_is_number(p.get("heldout_nats_per_base")) and isinstance(p.get("corpus"), str) and isinstance(bar, dict)
               and _is_number(bar.get("nats_per_base")) and isinstance(bar.get("model"), str))
    if trained:
        return (f"{p.get('family', manifest.kind)} trained by mitspec on {p['corpus']}: "
                f"{p['heldout_nats_per_base']:.4f} held-out nats/base (bar {bar['nats_per_base']:.4f}, "
                f"{bar['model']} k={bar.get('k')})")
    return f"exported from {p.get('source', 'an unknown source')}"


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# field -> (test, what it must be); optional fields also accept null
_MANIFEST_TYPES = {
    "format": (lambda x: isinstance(x, str), "a string"),
    "name": (lambda x: isinstance(x, str) and x != "", "a non-empty string"),
    "kind": (lambda x: isinstance(x, str), "a string"),
    "onnx": (lambda x: isinstance(x, str) and x != "", "a file name"),
    "sha256": (lambda x: isinstance(x, str) and len(x) == 64 and all(c in "0123456789abcdef" for c in x),
               "64 lower-case hex digits"),
    "tokenizer": (lambda x: isinstance(x, dict), "an object"),
    "vocab": (lambda x: isinstance(x, list) and len(x) > 0 and all(isinstance(t, str) for t in x),
              "a non-empty list of token strings"),
    "max_length": (lambda x: _is_int(x) and x > 0, "a positive integer"),
    "mask_token": (lambda x: x is None or isinstance(x, str), "a token string or null"),
    "params": (lambda x: x is None or (_is_int(x) and x >= 0), "a non-negative integer or null"),
    "provenance": (lambda x: isinstance(x, dict), "an object"),
    "onnx_data": (lambda x: x is None or (isinstance(x, dict) and all(
        isinstance(k, str) and k != "" and isinstance(v, str) and len(v) == 64 for k, v in x.items())),
        "an object of file name: sha256, or null"),
}
_TOKENIZER_TYPES = {
    "type": (lambda x: isinstance(x, str), "a string"),
    "k": (lambda x: x is None or (_is_int(x) and x > 0), "a positive integer or null"),
    "file": (lambda x: x is None or (isinstance(x, str) and x != ""), "a file name or null"),
    "bos": (lambda x: x is None or isinstance(x, str), "a token string or null"),
    "eos": (lambda x: x is None or isinstance(x, str), "a token string or null"),
}


def _typed(data: dict, types: dict, where: str) -> None:
    for key, value in data.items():
        test, what = types[key]
        if not test(value):
            raise ModelError(f"{where}: `{key}` must be {what}, not {value!r}; re-export the model with `mitspec export`")


def inside(directory: Path, name: str, where: str, key: str) -> Path:
    """`directory / name`, refused unless it stays inside `directory` (no absolute path,
    no `..` or symlink leading out): a shared model must not read other files."""
    resolved = resolve_inside(directory, name)
    problem = unreadable_path(resolved) if resolved is not None else None
    if problem:
        raise ModelError(f"{where}: `{key}` ({printable(name)}) {problem}; a manifest names the model's own files")
    if resolved is None:
        raise ModelError(f"{where}: `{key}` ({printable(name)}) is an absolute path or leads outside the model directory; "
                         "a manifest names files inside its own directory")
    return resolved


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
    _typed(data, _MANIFEST_TYPES, where)
    tok = data["tokenizer"]
    _strict(TokenizerSpec, tok, f"{where} (tokenizer)")
    _typed(tok, _TOKENIZER_TYPES, f"{where} (tokenizer)")
    manifest = Manifest(**{**data, "tokenizer": TokenizerSpec(**tok), "vocab": tuple(data["vocab"]), "directory": directory})
    if manifest.kind not in KINDS:
        raise ModelError(f"{where}: kind must be one of {', '.join(KINDS)}, not {manifest.kind!r}")
    if manifest.tokenizer.type not in TOKENIZER_TYPES:
        raise ModelError(f"{where}: tokenizer type must be one of {', '.join(TOKENIZER_TYPES)}, not {manifest.tokenizer.type!r}")
    if manifest.tokenizer.type in ("kmer", "kmer_overlap") and manifest.tokenizer.k is None:
        raise ModelError(f"{where}: a {manifest.tokenizer.type} tokenizer needs `k`")
    if manifest.tokenizer.type == "hf" and manifest.tokenizer.file is None:
        raise ModelError(f"{where}: an hf tokenizer needs `file` (its tokenizer.json)")
    if manifest.kind == "masked" and manifest.mask_token is None and manifest.tokenizer.type != "hf":
        raise ModelError(f"{where}: a masked model needs `mask_token`")
    if manifest.format != FORMAT:
        raise ModelError(f"{where}: format {manifest.format!r} is not {FORMAT!r}; re-export the model")
    inside(directory, manifest.onnx, where, "onnx")
    for name in manifest.onnx_data or {}:
        inside(directory, name, where, "onnx_data")
    if manifest.tokenizer.file is not None:
        inside(directory, manifest.tokenizer.file, where, "tokenizer.file")
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
    if data.get("onnx_data"):  # names of the graph's external-data files -> their sha256
        data["onnx_data"] = {name: sha256_file(directory / name) for name in data["onnx_data"]}
    manifest = parse_manifest(data, directory, str(directory / MANIFEST))
    atomic_write(directory / MANIFEST, lambda p: p.write_text(canonical_json(manifest.to_dict()), encoding="utf-8"))
    return manifest
