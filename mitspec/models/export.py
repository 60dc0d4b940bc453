"""Hugging Face checkpoint -> ONNX model directory (model.onnx + tokenizer + manifest.json).

Needs the `export` extra (torch, transformers, optimum, optimum-onnx). optimum's exporter
handles the architectures it knows (BERT-like: GROVER, DNABERT-2 with its own code;
ESM: Nucleotide Transformer; GPT-2/Llama-like causal LMs); anything else falls back to
`torch.onnx.export` of the LM's `input_ids -> logits` forward. The ONNX logits are then
checked against PyTorch on random DNA and the export fails above `tolerance`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .manifest import Manifest, write_manifest

OPSET = 18
TOLERANCE = 1e-4
CAUSAL_HINTS = ("CausalLM", "LMHeadModel")
MASKED_HINTS = ("MaskedLM", "ForMaskedLM")


@dataclass(frozen=True)
class ExportReport:
    manifest: Manifest
    exporter: str
    max_abs_diff: float


def _require_extra():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise ModelError("`mitspec export` needs the export extra: pip install -e '.[export]'") from None


def detect_kind(config) -> str:
    archs = " ".join(getattr(config, "architectures", None) or [])
    if any(h in archs for h in CAUSAL_HINTS) or getattr(config, "is_decoder", False):
        return "causal"
    if any(h in archs for h in MASKED_HINTS) or config.model_type in ("bert", "esm", "roberta", "distilbert", "deberta-v2"):
        return "masked"
    raise ModelError(f"cannot tell whether {config.model_type} ({archs or 'no architectures'}) is causal or masked; "
                     "pass --kind causal or --kind masked")


def _load_torch_model(source: str, kind: str, trust_remote_code: bool):
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM

    auto = AutoModelForCausalLM if kind == "causal" else AutoModelForMaskedLM
    model = auto.from_pretrained(source, trust_remote_code=trust_remote_code)
    model.eval()
    return model


def _logits(out):
    """Logits from an HF output object, a tuple, or a plain tensor."""
    import torch

    if isinstance(out, torch.Tensor):
        return out
    return out.logits if hasattr(out, "logits") else out[0]


class _LogitsOnly:
    """Wraps an HF LM so torch.onnx.export sees `input_ids -> logits`."""

    def __new__(cls, model):
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids):
                return _logits(self.inner(input_ids=input_ids))

        return Wrapper(model)


def _torch_export(model, path: Path, vocab_size: int) -> None:
    import torch

    example = torch.randint(0, vocab_size, (2, 16))
    wrapper = _LogitsOnly(model).eval()  # a fresh Module is in training mode; export must trace eval
    torch.onnx.export(wrapper, (example,), str(path), input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}},
                      opset_version=OPSET, dynamo=False)


def _tokenizer_files(source: str, out: Path, kind: str) -> dict:
    """Save the tokenizer next to the model; returns manifest fields (tokenizer, vocab, mask_token)."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(source)
    except Exception as exc:  # noqa: BLE001 - transformers raises many types here
        raise ModelError(f"cannot load the tokenizer of {source} ({exc}); the checkpoint needs one") from None
    vocab = [t for t, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]
    mask = tok.mask_token if kind == "masked" else None
    if getattr(tok, "is_fast", False):
        tok.backend_tokenizer.save(str(out / "tokenizer.json"))
        return {"tokenizer": {"type": "hf", "file": "tokenizer.json"}, "vocab": vocab, "mask_token": mask}
    # A slow tokenizer: mirror it with mitspec's own. The special tokens are read off what
    # it really emits around a probe sequence (ESM adds <cls> ... <eos>, others differ).
    probe = tok("ACGTACGT")["input_ids"]
    special = set(tok.all_special_ids)
    bos = tok.convert_ids_to_tokens(probe[0]) if probe and probe[0] in special else None
    eos = tok.convert_ids_to_tokens(probe[-1]) if len(probe) > 1 and probe[-1] in special else None
    kmers = [t for t in vocab if len(t) > 1 and set(t) <= set("ACGTN")]
    if kmers:  # the Nucleotide Transformer's k-mer vocabulary
        k = max(len(t) for t in kmers)
        return {"tokenizer": {"type": "kmer", "k": k, "bos": bos, "eos": eos}, "vocab": vocab, "mask_token": mask}
    if {"A", "C", "G", "T"} <= set(vocab):
        return {"tokenizer": {"type": "char", "bos": bos, "eos": eos}, "vocab": vocab, "mask_token": mask}
    raise ModelError(f"the tokenizer of {source} is not a fast tokenizer and has no single-base or k-mer tokens; "
                     "mitspec cannot tokenize DNA for it")


def verify(model, onnx_path: Path, token_ids: list[int], vocab_size: int, length: int = 64) -> float:
    """Max |logits_onnx - logits_torch| on random sequences of the given token ids."""
    import torch

    from .runtime import create_session

    rng = np.random.default_rng(0)
    ids = rng.choice(np.array(token_ids, dtype=np.int64), size=(2, length))
    with torch.no_grad():
        expected = _logits(model(input_ids=torch.from_numpy(ids))).numpy()
    session, _ = create_session(onnx_path, "cpu")
    names = [i.name for i in session.get_inputs()]
    feed = {"input_ids": ids}
    if "attention_mask" in names:
        feed["attention_mask"] = np.ones_like(ids)
    if "token_type_ids" in names:
        feed["token_type_ids"] = np.zeros_like(ids)
    if "position_ids" in names:
        feed["position_ids"] = np.broadcast_to(np.arange(length, dtype=np.int64), ids.shape).copy()
    got = session.run(["logits"], feed)[0]
    return float(np.abs(got[..., :vocab_size] - expected[..., :vocab_size]).max())


def export(source: str, out_dir: Path, name: str | None = None, kind: str | None = None,
           trust_remote_code: bool = False, tolerance: float = TOLERANCE, use_optimum: bool = True) -> ExportReport:
    _require_extra()
    from transformers import AutoConfig

    out_dir = Path(out_dir)
    local = Path(source)
    if local.exists() and not (local / "config.json").exists():
        raise ModelError(f"{source} has no config.json, so it is not a Hugging Face checkpoint; give a checkpoint "
                         "directory (config.json + weights + tokenizer) or a hub id")
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot read a Hugging Face config from {source} ({exc}); give a checkpoint "
                         "directory or a hub id") from None
    kind = kind or detect_kind(config)
    model = _load_torch_model(source, kind, trust_remote_code)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.export-", dir=out_dir.parent))  # same filesystem: rename
    try:
        exporter = "torch.onnx"
        if use_optimum:
            try:
                from optimum.exporters.onnx import main_export

                main_export(source, staging / "optimum", task="fill-mask" if kind == "masked" else "text-generation",
                            opset=OPSET, do_validation=False, trust_remote_code=trust_remote_code)
                shutil.move(staging / "optimum" / "model.onnx", staging / "model.onnx")
                import optimum.version

                exporter = f"optimum {optimum.version.__version__}"
            except ImportError:
                pass
            except Exception:  # noqa: BLE001 - unsupported architecture: fall back below
                pass
        if not (staging / "model.onnx").exists():
            _torch_export(model, staging / "model.onnx", config.vocab_size)
        fields = _tokenizer_files(source, staging, kind)
        # heads padded past the tokenizer (vocab_size rounded up) get placeholder tokens, so
        # the manifest has one vocabulary entry per logit
        fields["vocab"] += [f"<unused{i}>" for i in range(len(fields["vocab"]), config.vocab_size)]
        dna = [fields["vocab"].index(b) for b in "ACGT" if b in fields["vocab"]] or list(range(len(fields["vocab"])))
        positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 64
        diff = verify(model, staging / "model.onnx", dna, config.vocab_size, length=min(64, positions))
        if not diff <= tolerance:
            raise ModelError(f"ONNX logits differ from PyTorch by {diff:.3g} (> {tolerance:g}); the export of "
                             f"{source} is not faithful, so it was not written")
        import torch
        import transformers

        fields.update({
            "name": name or out_dir.name,
            "kind": kind,
            "onnx": "model.onnx",
            "max_length": int(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", 0)
                              or 1 << 16),
            "params": int(sum(p.numel() for p in model.parameters())),
            "provenance": {"source": str(source), "model_type": config.model_type, "exporter": exporter,
                           "opset": OPSET, "max_abs_diff": diff, "transformers": transformers.__version__,
                           "torch": torch.__version__},
        })
        write_manifest(staging, fields)
        shutil.rmtree(staging / "optimum", ignore_errors=True)
        _publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    from .manifest import read_manifest

    return ExportReport(read_manifest(out_dir), exporter, diff)


def _publish(staging: Path, out_dir: Path) -> None:
    """Move a finished staging directory into place. mkdtemp made it 0700; give it the mode
    a plain mkdir would (the umask's), so a shared or bundled model stays readable."""
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)


def export_module(model, out_dir: Path, fields: dict, token_ids: list[int], vocab_size: int,
                  tolerance: float = TOLERANCE) -> ExportReport:
    """A torch module (input_ids -> logits) -> model.onnx + manifest.json in out_dir, with the
    same logit check as `export`; `fields` are the manifest's fields except onnx and sha256."""
    _require_extra()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.export-", dir=out_dir.parent))
    try:
        model.eval()
        _torch_export(model, staging / "model.onnx", vocab_size)
        length = min(64, fields.get("max_length") or 64)  # stay within the model's positions
        diff = verify(model, staging / "model.onnx", token_ids, vocab_size, length=length)
        if not diff <= tolerance:
            raise ModelError(f"ONNX logits differ from PyTorch by {diff:.3g} (> {tolerance:g}); not written")
        provenance = {**fields.get("provenance", {}), "exporter": "torch.onnx", "opset": OPSET, "max_abs_diff": diff}
        write_manifest(staging, {**fields, "onnx": "model.onnx", "provenance": provenance})
        _publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    from .manifest import read_manifest

    return ExportReport(read_manifest(out_dir), "torch.onnx", diff)


def describe(report: ExportReport) -> str:
    m = report.manifest
    return (f"exported {m.provenance['source']} -> {m.directory}/ ({m.kind}, {m.params:,} parameters, "
            f"{report.exporter}); ONNX vs PyTorch max |logit diff| = {report.max_abs_diff:.2e}")

