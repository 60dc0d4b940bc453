"""A trained model that beats its bar -> exported_models/<name>/ (ONNX, manifest, config)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ..errors import MitspecError
from ..genomes import GENOMES
from ..export.onnx import ExportReport, export_module
from ..io import atomic_write
from .bars import Bar
from .config import TrainConfig
from .models import BASE_IDS, VOCAB, count_params
from .trainer import TrainResult


CONV_MAX_LENGTH = 1 << 14


class BarNotMet(MitspecError):
    """The model did not beat its bar, so it is not shipped (exit 1: a result, not a usage error)."""

    exit_code = 1


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def _char_tokenizer(masked: bool):
    """A Hugging Face fast tokenizer over VOCAB, one token per base ([CLS] x [SEP] if masked)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(VOCAB)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="N"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    if masked:
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="N", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")


def _export_hf(config: TrainConfig, result: TrainResult, fields: dict, out_dir: Path) -> ExportReport:
    """Transformers models go through `export` (optimum, the logit check), then the manifest
    is rewritten with mitspec's char tokenizer and the training provenance."""
    import tempfile

    from ..export.onnx import export
    from ..models.manifest import read_manifest, write_manifest

    with tempfile.TemporaryDirectory() as tmp:
        result.model.save_pretrained(tmp)
        _char_tokenizer(config.masked).save_pretrained(tmp)
        report = export(tmp, out_dir, name=config.name, kind=fields["kind"])
    (out_dir / "tokenizer.json").unlink(missing_ok=True)  # scored with mitspec's own char tokenizer
    exported = report.manifest.provenance
    fields = {**fields, "onnx": "model.onnx",
              "provenance": {**fields["provenance"], **{k: exported[k] for k in ("exporter", "opset", "max_abs_diff")}}}
    write_manifest(out_dir, fields)
    return ExportReport(read_manifest(out_dir), report.exporter, report.max_abs_diff)


def ship(config: TrainConfig, result: TrainResult, bar: Bar, out_dir: Path) -> ExportReport:
    if not result.heldout_nats < bar.nats:
        raise BarNotMet(f"{config.name}: held-out {result.heldout_nats:.4f} nats/base does not beat its bar "
                        f"{bar.nats:.4f} ({bar.model} k={bar.k}); not shipped")
    kind = "blindspot" if config.blindspot else "masked" if config.masked else "causal"
    fields = {
        "name": config.name,
        "kind": kind,
        "tokenizer": {"type": "char", "bos": "[CLS]" if config.masked else None, "eos": "[SEP]" if config.masked else None},
        "vocab": list(VOCAB),
        "mask_token": "[MASK]" if config.mask_input else None,
        # convolutions have no position table: any length works (they saw `context`-base windows)
        "max_length": CONV_MAX_LENGTH if config.family == "cnn" else config.context + 2,
        "params": count_params(result.model),
        "provenance": {
            "source": "mitspec train", "family": config.family, "corpus": config.genome,
            "corpus_sha256": GENOMES[config.genome][1], "heldout_nats_per_base": round(result.heldout_nats, 6),
            **({"heldout_nats_random15": round(result.heldout_random15, 6)} if result.heldout_random15 is not None else {}),
            "bar": {"model": bar.model, "k": bar.k, "nats_per_base": round(bar.nats, 6)},
            "train_minutes": round(result.minutes, 2), "steps": result.steps, "git_commit": git_commit(),
            "config": config.to_dict(),
        },
    }
    if config.family == "cnn":
        report = export_module(result.model, out_dir, fields, list(BASE_IDS), len(VOCAB))
    else:
        report = _export_hf(config, result, fields, Path(out_dir))
    atomic_write(Path(out_dir) / "train_config.json",
                 lambda p: p.write_text(json.dumps(config.to_dict(), indent=1, sort_keys=True) + "\n"))
    return report
