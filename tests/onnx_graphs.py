"""Tiny ONNX LMs whose outputs are known by hand (built with onnx.helper).

bigram:   logits[b, t] = W[x[b, t]]                              (causal: predicts x[t+1] from x[t])
context:  logits[b, t] = S[x[b, t]] + L[x[b, t-1]]   (x[-1] = PAD) (masked: sees the masked slot itself
                                                                  and its left neighbour)
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

VOCAB = ["[PAD]", "[MASK]", "[CLS]", "[SEP]", "A", "C", "G", "T", "N"]
V = len(VOCAB)
ID = {t: i for i, t in enumerate(VOCAB)}


def _save(model, directory: Path, manifest: dict) -> Path:
    import onnx

    from mitspec.models.manifest import write_manifest

    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(model, directory / "model.onnx")
    write_manifest(directory, {"name": directory.name, "onnx": "model.onnx", "vocab": VOCAB, "max_length": 1024,
                               "provenance": {"source": "tests/onnx_graphs.py"}, **manifest})
    return directory


def _io(helper, TensorProto, out_rank=3):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "t"])
    shape = ["b", "t", V][:out_rank]
    return ids, helper.make_tensor_value_info("logits", TensorProto.FLOAT, shape)


def bigram(directory: Path, W: np.ndarray, ir_version: int = 8, **manifest) -> Path:
    from onnx import TensorProto, helper, numpy_helper

    ids, logits = _io(helper, TensorProto)
    graph = helper.make_graph([helper.make_node("Gather", ["W", "input_ids"], ["logits"])], "bigram", [ids], [logits],
                              [numpy_helper.from_array(W.astype(np.float32), "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = ir_version
    return _save(model, directory, {"kind": "causal", "tokenizer": {"type": "char"}, **manifest})


def context(directory: Path, S: np.ndarray, L: np.ndarray, **manifest) -> Path:
    from onnx import TensorProto, helper, numpy_helper

    ids, logits = _io(helper, TensorProto)
    nodes = [
        helper.make_node("Gather", ["S", "input_ids"], ["self"]),
        # left neighbour ids: pad one PAD (0) at the front, drop the last column
        helper.make_node("Pad", ["input_ids", "pads"], ["padded"], mode="constant"),
        helper.make_node("Shape", ["input_ids"], ["shape"]),
        helper.make_node("Slice", ["shape", "one", "two"], ["t"]),
        helper.make_node("Slice", ["padded", "zero", "t", "one"], ["left_ids"]),
        helper.make_node("Gather", ["L", "left_ids"], ["left"]),
        helper.make_node("Add", ["self", "left"], ["logits"]),
    ]
    inits = [numpy_helper.from_array(S.astype(np.float32), "S"), numpy_helper.from_array(L.astype(np.float32), "L"),
             numpy_helper.from_array(np.array([0, 1, 0, 0], dtype=np.int64), "pads"),
             numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "one"),
             numpy_helper.from_array(np.array([2], dtype=np.int64), "two")]
    graph = helper.make_graph(nodes, "context", [ids], [logits], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    defaults = {"kind": "masked", "tokenizer": {"type": "char", "bos": "[CLS]", "eos": "[SEP]"}, "mask_token": "[MASK]"}
    return _save(model, directory, {**defaults, **manifest})


def not_an_lm(directory: Path) -> Path:
    """input_ids -> a [b, t] float output: a valid ONNX model without logits."""
    from onnx import TensorProto, helper

    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "t"])
    out = helper.make_tensor_value_info("values", TensorProto.FLOAT, ["b", "t"])
    graph = helper.make_graph([helper.make_node("Cast", ["input_ids"], ["values"], to=TensorProto.FLOAT)],
                              "cast", [ids], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return _save(model, directory, {"kind": "causal", "tokenizer": {"type": "char"}})


def manifest_of(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text())
