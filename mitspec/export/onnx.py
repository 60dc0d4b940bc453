"""Hugging Face checkpoint -> ONNX model directory (model.onnx + tokenizer + manifest.json).

Needs the `export` extra (torch, transformers, optimum, optimum-onnx, onnxscript). Three
exporters are tried in turn, each graph checked against PyTorch at several sequence lengths
(random DNA tokens, k-mers included) before it is accepted: optimum's (the architectures
it knows: BERT-like, ESM, GPT-2/Llama-like), `torch.onnx.export` of the LM's
`input_ids -> logits` forward (TorchScript tracing), and the dynamo exporter
(`torch.export` + onnxscript: FFTs, data-dependent shapes). When none gives a faithful
graph, the error names each exporter's reason.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..models.manifest import Manifest, read_manifest, write_manifest

OPSET = 18
TOLERANCE = 1e-4
FP16_TOLERANCE = 0.5  # max |logit change| from float32 PyTorch accepted for a float16 graph (measured and recorded)
# Weights beyond this go to an external-data file beside model.onnx (protobuf caps a file
# at 2 GiB); onnxruntime reads them from there.
EXTERNAL_DATA_BYTES = 1 << 30
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


def _load_torch_model(source: str, kind: str, config, trust_remote_code: bool):
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM

    auto = AutoModelForCausalLM if kind == "causal" else AutoModelForMaskedLM
    try:
        model = auto.from_pretrained(source, trust_remote_code=trust_remote_code)
    except Exception as exc:  # noqa: BLE001 - transformers and custom code raise anything
        hint = ""
        if getattr(config, "auto_map", None) and not trust_remote_code:
            hint = ("; its config names code of its own (auto_map), which transformers' built-in "
                    f"{config.model_type} class does not match: if you trust it, pass --trust-remote-code")
        raise ModelError(f"cannot load {source} as a {kind} LM with transformers ({_reason(exc)}){hint}") from None
    model.eval()
    return model


def _reason(exc: BaseException) -> str:
    """One line saying why an exporter or loader failed."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 240 else text[:237] + "..."


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


def half_precision(model, dtype=None):
    """A float16 (or `dtype`: bfloat16) copy of `model` (input_ids -> logits) whose logits
    come back as float32, made tensor by tensor (no float32 copy of a large model). Rotary
    frequencies stay float32: positions times float16 frequencies drift by tenths of a
    radian within a few hundred tokens. A family keeps its own float32 islands (norms,
    long filters) itself."""
    import copy

    import torch

    dtype = dtype or torch.float16
    memo = {}
    for param in model.parameters():
        memo[id(param)] = torch.nn.Parameter(param.detach().to(dtype), requires_grad=False) \
            if param.is_floating_point() else param
    for name, buffer in model.named_buffers():
        if buffer.is_floating_point():
            memo[id(buffer)] = buffer.float() if name.endswith("inv_freq") else buffer.to(dtype)
    inner = copy.deepcopy(model, memo)

    class Float16(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids):
            # without oneDNN: generating its float16 depthwise-convolution kernel (Evo 2's
            # 128-tap filters) never returned on an AVX512-FP16 Xeon with torch 2.13
            with torch.backends.mkldnn.flags(enabled=False):
                return _logits(self.inner(input_ids=input_ids)).float()

    return Float16(inner).eval()


def _weight_bytes(model) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def _torch_export(model, path: Path, vocab_size: int) -> None:
    """TorchScript tracing at 16 tokens, batch and length marked dynamic. Its tracer
    warnings are not shown: whether the trace holds at other lengths is what `verify`
    checks, at two of them."""
    import warnings

    import torch

    if _weight_bytes(model) > EXTERNAL_DATA_BYTES:
        raise ModelError(f"not used for weights over {EXTERNAL_DATA_BYTES >> 30} GiB (it scatters them over one "
                         "file per tensor); the dynamo exporter writes one external-data file")

    example = torch.randint(0, vocab_size, (2, 16))
    wrapper = _LogitsOnly(model).eval()  # a fresh Module is in training mode; export must trace eval
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, (example,), str(path), input_names=["input_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch", 1: "sequence"}},
                          opset_version=OPSET, dynamo=False)


def _dynamo_export(model, path: Path, vocab_size: int) -> None:
    """torch.export with symbolic batch and length, translated by onnxscript."""
    import contextlib
    import io
    import warnings

    import torch

    example = torch.randint(0, vocab_size, (2, 16))
    wrapper = _LogitsOnly(model).eval()
    batch, length = torch.export.Dim("batch"), torch.export.Dim("sequence")
    # its progress lines and torch's deprecation notices are not ours to print
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(wrapper, (example,), input_names=["input_ids"], output_names=["logits"],
                                    dynamic_shapes={"input_ids": {0: batch, 1: length}}, opset_version=OPSET,
                                    dynamo=True)
        program.save(str(path), external_data=_weight_bytes(model) > EXTERNAL_DATA_BYTES)  # -> model.onnx.data


TORCH_EXPORTERS = (("torch.onnx", _torch_export), ("torch.onnx dynamo", _dynamo_export))


def _tokenizer_files(source: str, out: Path, kind: str, trust_remote_code: bool = False, model_type: str = "") -> dict:
    """Save the tokenizer next to the model; returns manifest fields (tokenizer, vocab, mask_token).
    A BERT whose vocabulary is k-mers without single bases is DNABERT's: overlapping k-mers.
    A slow tokenizer is mirrored by mitspec's own char or k-mer tokenizer."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    except Exception as exc:  # noqa: BLE001 - transformers raises many types here
        raise ModelError(f"cannot load the tokenizer of {source} ({exc}); the checkpoint needs one") from None
    vocab = [t for t, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]
    mask = tok.mask_token if kind == "masked" else None
    kmers = [t for t in vocab if len(t) > 1 and set(t) <= set("ACGTN")]
    if kmers and model_type == "bert" and not set("ACGT") & set(vocab):
        # DNABERT: its (fast or slow) tokenizer reads space-separated k-mers; mitspec writes them
        return {"tokenizer": {"type": "kmer_overlap", "k": max(len(t) for t in kmers), **_specials(tok)},
                "vocab": vocab, "mask_token": mask}
    if getattr(tok, "is_fast", False):
        tok.backend_tokenizer.save(str(out / "tokenizer.json"))
        return {"tokenizer": {"type": "hf", "file": "tokenizer.json"}, "vocab": vocab, "mask_token": mask}
    # A slow tokenizer: mirror it with mitspec's own.
    if kmers:  # the Nucleotide Transformer's k-mer vocabulary
        k = max(len(t) for t in kmers)
        return {"tokenizer": {"type": "kmer", "k": k, **_specials(tok)}, "vocab": vocab, "mask_token": mask}
    if {"A", "C", "G", "T"} <= set(vocab):
        return {"tokenizer": {"type": "char", **_specials(tok)}, "vocab": vocab, "mask_token": mask}
    raise ModelError(f"the tokenizer of {source} is not a fast tokenizer and has no single-base or k-mer tokens; "
                     "mitspec cannot tokenize DNA for it")


def _specials(tok) -> dict:
    """{bos, eos}: the special tokens a tokenizer really emits around a probe sequence (ESM
    adds <cls> ... <eos>, others differ). The probe's 60 bp are whole k-mers for every k up
    to 6, so a k-mer tokenizer without single bases does not end it with its unknown token,
    which is no end token either."""
    probe = tok("ACGT" * 15)["input_ids"]
    special = set(tok.all_special_ids) - {tok.unk_token_id}
    bos = tok.convert_ids_to_tokens(probe[0]) if probe and probe[0] in special else None
    eos = tok.convert_ids_to_tokens(probe[-1]) if len(probe) > 1 and probe[-1] in special else None
    return {"bos": bos, "eos": eos}


VERIFY_LONGEST = 512  # tokens: the longest input the export check feeds (PyTorch runs it on the CPU)


def verify_lengths(max_length: int) -> list[int]:
    """Sequence lengths (tokens) the logit check runs, for a model taking `max_length`:
    64, an odd length below it, and odd and even lengths near the longest it checks
    (max_length, capped at VERIFY_LONGEST). A graph that froze its length fails at one;
    one whose arithmetic holds at powers of two only (an FFT of a size with no fast
    algorithm loses precision) fails at the odd ones."""
    top = max(2, min(max_length, VERIFY_LONGEST))
    base = min(64, top)
    return sorted({base, max(2, base // 2 - 1), top, max(2, top - 1), max(2, (3 * top // 4) | 1)})


def verify(model, onnx_path: Path, token_ids: list[int], vocab_size: int, max_length: int = 64) -> float:
    """Max |logits_onnx - logits_torch| on random sequences of the given token ids at each
    of `verify_lengths(max_length)`."""
    import torch

    from ..models.runtime import create_session

    session, _ = create_session(onnx_path, "cpu")
    names = [i.name for i in session.get_inputs()]
    rng = np.random.default_rng(0)
    worst = 0.0
    for n in verify_lengths(max_length):
        ids = rng.choice(np.array(token_ids, dtype=np.int64), size=(2, n))
        with torch.no_grad():
            expected = _logits(model(input_ids=torch.from_numpy(ids))).numpy()
        feed = {"input_ids": ids}
        if "attention_mask" in names:
            feed["attention_mask"] = np.ones_like(ids)
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(ids)
        if "position_ids" in names:
            feed["position_ids"] = np.broadcast_to(np.arange(n, dtype=np.int64), ids.shape).copy()
        got = session.run(["logits"], feed)[0]
        if got.shape[:2] != ids.shape:
            return float("inf")
        worst = max(worst, float(np.abs(got[..., :vocab_size] - expected[..., :vocab_size]).max()))
    return worst


def dna_token_ids(vocab: list[str]) -> list[int]:
    """Ids of the tokens made of A, C, G and T only (single bases and k-mers): what the
    logit check feeds, so multi-base tokens are checked too."""
    return [i for i, t in enumerate(vocab) if t and set(t) <= set("ACGT")] or list(range(len(vocab)))


def _faithful_graph(source: str, model_type: str, model, vocab_size: int, staging: Path, kind: str,
                    token_ids: list[int], max_length: int, tolerance: float, trust_remote_code: bool,
                    use_optimum: bool, reference=None) -> tuple[str, float]:
    """Try each exporter until one writes staging/model.onnx whose logits match PyTorch
    (`reference`, else `model` itself) within `tolerance`: (exporter, max |diff|). Else
    one ModelError naming every reason."""
    reasons = {}
    graph = staging / "model.onnx"
    candidates = []
    if use_optimum:
        candidates.append(("optimum", lambda: _optimum_export(source, staging, kind, trust_remote_code)))
    candidates += [(name, lambda fn=fn: fn(model, graph, vocab_size)) for name, fn in TORCH_EXPORTERS]
    for name, run in candidates:
        for stale in staging.glob("model.onnx*"):  # a failed attempt's graph and external data
            stale.unlink()
        try:
            exporter = run() or name
        except ImportError as exc:
            reasons[name] = f"not installed ({_reason(exc)})"
            continue
        except Exception as exc:  # noqa: BLE001 - each exporter fails in its own way
            reasons[name] = _reason(exc)
            continue
        try:
            diff = verify(reference if reference is not None else model, graph, token_ids, vocab_size, max_length)
        except ModelError as exc:
            reasons[name] = f"onnxruntime cannot run its graph ({_reason(exc)})"
            continue
        except Exception as exc:  # noqa: BLE001 - onnxruntime's own errors on a bad graph
            reasons[name] = f"onnxruntime fails on its graph ({_reason(exc)})"
            continue
        if diff <= tolerance:
            return exporter, diff
        reasons[name] = (f"its logits differ from PyTorch by {diff:.3g} (> {tolerance:g})" if np.isfinite(diff)
                         else "its graph does not keep the sequence length dynamic")
    raise ModelError(f"cannot export {source} ({model_type}) to a faithful ONNX graph, so nothing was written; "
                     + "; ".join(f"{name}: {why}" for name, why in reasons.items()))


def _optimum_export(source: str, staging: Path, kind: str, trust_remote_code: bool) -> str:
    from optimum.exporters.onnx import main_export
    import optimum.version

    try:
        main_export(source, staging / "optimum", task="fill-mask" if kind == "masked" else "text-generation",
                    opset=OPSET, do_validation=False, trust_remote_code=trust_remote_code)
        for made in (staging / "optimum").glob("model.onnx*"):  # model.onnx and, when large, its model.onnx_data
            shutil.move(made, staging / made.name)
    finally:  # a failed attempt must not leave its files in the model directory being built
        shutil.rmtree(staging / "optimum", ignore_errors=True)
    return f"optimum {optimum.version.__version__}"


def _import_plugins(modules: tuple[str, ...]) -> None:
    """`--import MODULE`: modules that register model classes with transformers (GPN's `gpn.model`)."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - a plugin fails however it fails
            raise ModelError(f"--import {module}: cannot import it ({_reason(exc)}); install the package that "
                             "defines the model's classes") from None


def export(source: str, out_dir: Path, name: str | None = None, kind: str | None = None,
           trust_remote_code: bool = False, tolerance: float | None = None, use_optimum: bool = True,
           imports: tuple[str, ...] = (), fp16: bool = False) -> ExportReport:
    """`source` (a checkpoint directory or hub id) -> out_dir/model.onnx + manifest.json.
    `tolerance`: max |logit| difference from PyTorch float32 (default TOLERANCE, or
    FP16_TOLERANCE for `fp16`, which only mitspec's native families support)."""
    _require_extra()
    from transformers import AutoConfig

    _import_plugins(imports)
    out_dir = Path(out_dir)
    local = Path(source)
    if not local.exists():
        _require_hub(source)
    native = _native_checkpoint(source)
    if fp16 and native is None:
        from .native import FAMILIES

        raise ModelError(f"--fp16 is implemented for the families mitspec implements itself ({', '.join(FAMILIES)}); "
                         f"{source} is not one of them")
    if tolerance is None:
        tolerance = FP16_TOLERANCE if fp16 else TOLERANCE
    if native is None and local.exists() and not (local / "config.json").exists():
        raise ModelError(f"{source} has no config.json, so it is not a Hugging Face checkpoint; give a checkpoint "
                         "directory (config.json + weights + tokenizer), an Evo 2 checkpoint with its vortex "
                         "config (.pt + .yml), or a hub id")
    if native is not None:
        return _export_native(source, native, out_dir, name, tolerance, fp16)
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    except Exception as exc:  # noqa: BLE001
        hint = "" if trust_remote_code else "; if it needs code of its own and you trust it, pass --trust-remote-code"
        raise ModelError(f"cannot read a Hugging Face config from {source} ({_reason(exc)}); give a checkpoint "
                         f"directory or a hub id{hint}") from None
    kind = kind or detect_kind(config)
    model = _load_torch_model(source, kind, config, trust_remote_code)

    def fill(staging: Path) -> tuple[dict, str, float]:
        import torch
        import transformers

        fields = _tokenizer_files(source, staging, kind, trust_remote_code, config.model_type)
        # heads padded past the tokenizer (vocab_size rounded up) get placeholder tokens, so
        # the manifest has one vocabulary entry per logit
        fields["vocab"] += [f"<unused{i}>" for i in range(len(fields["vocab"]), config.vocab_size)]
        positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 64
        exporter, diff = _faithful_graph(source, config.model_type, model, config.vocab_size, staging, kind,
                                         dna_token_ids(fields["vocab"]), positions, tolerance,
                                         trust_remote_code, use_optimum)
        fields.update({
            "name": name or out_dir.name,
            "kind": kind,
            "max_length": int(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", 0)
                              or 1 << 16),
            "params": int(sum(p.numel() for p in model.parameters())),
            "provenance": {"source": str(source), "model_type": config.model_type, "exporter": exporter,
                           "opset": OPSET, "max_abs_diff": diff, "transformers": transformers.__version__,
                           "torch": torch.__version__},
        })
        return fields, exporter, diff

    return _write_model(out_dir, fill)


HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
HUB_PROBE_SECONDS = 5


def _require_hub(source: str) -> None:
    """A `source` that is no local path must be a hub id the hub (HF_ENDPOINT) can serve, or
    one already in the local cache: else one ModelError now, instead of a minute of
    retries and a misleading hint afterwards."""
    import socket
    from urllib.parse import urlsplit

    if not HUB_ID.match(source):
        raise ModelError(f"{source}: no such checkpoint directory (and not a Hugging Face hub id, owner/name)")
    try:
        from huggingface_hub import constants, try_to_load_from_cache

        if isinstance(try_to_load_from_cache(source, "config.json"), str):
            return  # in the local cache: transformers reads it from there
        endpoint = constants.ENDPOINT
    except Exception:  # noqa: BLE001 - an old or broken huggingface_hub: let transformers say what it says
        return
    where = urlsplit(endpoint)
    try:
        socket.create_connection((where.hostname, where.port or (443 if where.scheme == "https" else 80)),
                                 timeout=HUB_PROBE_SECONDS).close()
    except OSError as exc:
        raise ModelError(f"cannot reach the Hugging Face hub ({endpoint}: {exc.strerror or exc}) to fetch {source}, "
                         f"and it is not in the local cache; download it where there is network "
                         f"(`hf download {source} --local-dir DIR`), then export the directory: "
                         "`mitspec export DIR`") from None


def _native_checkpoint(source: str) -> Path | None:
    """The local directory of `source` when its model_type has a native implementation
    (mitspec.export.native.detect); a hub id is fetched first (with network)."""
    from .native import detect, family_of

    local = Path(source)
    if local.is_dir():
        return local if family_of(local) else None
    try:
        import json

        from huggingface_hub import hf_hub_download, snapshot_download

        config = json.loads(Path(hf_hub_download(source, "config.json")).read_text(encoding="utf-8"))
        if detect(config) is None:
            return None
        return Path(snapshot_download(source, allow_patterns=["*.json", "*.safetensors", "*.bin", "*.txt", "*.pt",
                                                              "*.pt.part*", "*.yml"]))  # Evo 2: .pt (in parts)
    except Exception:  # noqa: BLE001 - offline, or not on the hub: transformers' path reports it
        return None


def _export_native(source: str, directory: Path, out_dir: Path, name: str | None, tolerance: float,
                   fp16: bool = False) -> ExportReport:
    """A checkpoint of a family mitspec implements itself (mitspec.export.native)."""
    import torch

    from .native import load_native

    native = load_native(directory)
    fields = {**native.fields, "name": name or out_dir.name}
    fields["provenance"] = {**fields["provenance"], "source": str(source), "torch": torch.__version__}
    with tempfile.TemporaryDirectory() as tokenizer_dir:
        files = dict(native.files)
        if fields["tokenizer"] is None:  # the family reads its checkpoint's own Hugging Face tokenizer
            fields.update(_tokenizer_files(str(directory), Path(tokenizer_dir), fields["kind"]))
            fields["vocab"] += [f"<unused{i}>" for i in range(len(fields["vocab"]), native.vocab_size)]
            files.update({f.name: f for f in Path(tokenizer_dir).iterdir()})
        return export_module(native.module, out_dir, fields, dna_token_ids(fields["vocab"]), len(fields["vocab"]),
                             tolerance, files=files, fp16=fp16)


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
                  tolerance: float = TOLERANCE, files: dict | None = None, fp16: bool = False) -> ExportReport:
    """A torch module (input_ids -> logits) -> model.onnx + manifest.json in out_dir, through
    the torch exporters in turn with the same logit check as `export`; `fields` are the
    manifest's fields except onnx and sha256; `files` ({name: path}) are copied beside
    them (a tokenizer.json the manifest names). `fp16`: the graph computes in float16 and
    its max |logit| difference from the float32 module is what is checked and recorded."""
    _require_extra()
    provenance = fields.get("provenance", {})

    def fill(staging: Path) -> tuple[dict, str, float]:
        for name, path in (files or {}).items():
            shutil.copyfile(path, staging / name)
        model.eval()
        exporter, diff = _faithful_graph(provenance.get("source", fields.get("name", "the model")),
                                         provenance.get("model_type", "torch module"),
                                         half_precision(model) if fp16 else model, vocab_size, staging,
                                         fields["kind"], token_ids, fields.get("max_length") or 64, tolerance, False,
                                         use_optimum=False,
                                         reference=model)
        return ({**fields, "provenance": {**provenance, "exporter": exporter, "opset": OPSET, "max_abs_diff": diff,
                                          "precision": "float16" if fp16 else "float32"}},
                exporter, diff)

    return _write_model(out_dir, fill)


def _write_model(out_dir: Path, fill) -> ExportReport:
    """fill(staging) -> (manifest fields but onnx and sha256, exporter, max |diff|), run in a
    staging directory beside out_dir (same filesystem); then the manifest is written and
    the directory moved into place whole, or nothing is written at all."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.export-", dir=out_dir.parent))
    try:
        fields, exporter, diff = fill(staging)
        write_manifest(staging, {**fields, "onnx": "model.onnx", "onnx_data": _external_data(staging / "model.onnx")})
        _publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportReport(read_manifest(out_dir), exporter, diff)


def _external_data(graph: Path) -> list[str] | None:
    """The external-data files a graph's initializers live in (None: all inside it)."""
    import onnx

    model = onnx.load(str(graph), load_external_data=False)
    names = {entry.value for tensor in model.graph.initializer if tensor.data_location == onnx.TensorProto.EXTERNAL
             for entry in tensor.external_data if entry.key == "location"}
    return sorted(names) or None


def describe(report: ExportReport) -> str:
    m = report.manifest
    precision = m.provenance.get("precision", "float32")
    return (f"exported {m.provenance['source']} -> {m.directory}/ ({m.kind}, {m.params:,} parameters, "
            f"{report.exporter}, {precision}); ONNX vs PyTorch float32 max |logit diff| = {report.max_abs_diff:.2e}")

