"""Random-weight transformer LMs built directly as ONNX graphs (no torch needed).

For tests and benchmarks: real architectures (pre-LN transformer, learned positions,
multi-head attention, causal or bidirectional) with the shapes of small gLMs, written
with `onnx.helper`, so the scoring engine can be exercised and measured anywhere.
Requires the `onnx` package (in the `test` extra).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

CHAR_VOCAB = ["[PAD]", "[MASK]", "[CLS]", "[SEP]", "A", "C", "G", "T", "N"]


@dataclass(frozen=True)
class ToyConfig:
    kind: str = "masked"  # or "causal"
    d_model: int = 32
    layers: int = 2
    heads: int = 2
    ffn: int = 64
    max_len: int = 512
    vocab: tuple[str, ...] = tuple(CHAR_VOCAB)
    seed: int = 0

    @property
    def params(self) -> int:
        d, f, v = self.d_model, self.ffn, len(self.vocab)
        per_layer = 4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d
        return v * d + self.max_len * d + self.layers * per_layer + 2 * d + d * v + v


def build_transformer(config: ToyConfig):
    """An `onnx.ModelProto`: input_ids int64 [batch, seq] -> logits float32 [batch, seq, vocab]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(config.seed)
    d, h, v = config.d_model, config.heads, len(config.vocab)
    dh = d // h
    inits, nodes = [], []

    def weight(name, *shape, scale=None):
        scale = scale if scale is not None else 1.0 / np.sqrt(shape[0])
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, output, **attrs):
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def layer_norm(x, name):
        const(f"{name}.g", np.ones(d, np.float32))
        const(f"{name}.b", np.zeros(d, np.float32))
        return node("LayerNormalization", [x, f"{name}.g", f"{name}.b"], f"{name}.out", axis=-1, epsilon=1e-5)

    def linear(x, name, n_in, n_out):
        weight(f"{name}.w", n_in, n_out)
        const(f"{name}.b", np.zeros(n_out, np.float32))
        return node("Add", [node("MatMul", [x, f"{name}.w"], f"{name}.mm"), f"{name}.b"], f"{name}.out")

    # embeddings + learned positions, sliced to the input length
    weight("tok_emb", v, d, scale=0.5)
    weight("pos_emb", config.max_len, d, scale=0.1)
    shape = node("Shape", ["input_ids"], "ids_shape")
    seq_len = node("Slice", [shape, const("one", np.array([1])), const("two", np.array([2]))], "seq_len")
    zero = const("zero", np.array([0]))
    pos = node("Slice", ["pos_emb", zero, seq_len, zero], "pos")
    x = node("Add", [node("Gather", ["tok_emb", "input_ids"], "tok"), pos], "x0")
    heads_shape = const("heads_shape", np.array([0, 0, h, dh]))
    model_shape = const("model_shape", np.array([0, 0, d]))
    if config.kind == "causal":
        bias = np.triu(np.full((config.max_len, config.max_len), -1e9, np.float32), k=1)
        const("causal_full", bias)
        rows = node("Slice", ["causal_full", zero, seq_len, zero], "causal_rows")
        causal = node("Slice", [rows, zero, seq_len, const("axis1", np.array([1]))], "causal")
    for i in range(config.layers):
        p = f"l{i}"
        a = layer_norm(x, f"{p}.ln1")
        q, k, val = (node("Transpose", [node("Reshape", [linear(a, f"{p}.{n}", d, d), heads_shape], f"{p}.{n}.r")],
                          f"{p}.{n}.t", perm=[0, 2, 1, 3]) for n in ("q", "k", "v"))
        kt = node("Transpose", [k], f"{p}.kT", perm=[0, 1, 3, 2])
        scores = node("Mul", [node("MatMul", [q, kt], f"{p}.qk"), const(f"{p}.scale", np.float32(1 / np.sqrt(dh)))], f"{p}.s")
        if config.kind == "causal":
            scores = node("Add", [scores, causal], f"{p}.masked")
        att = node("Softmax", [scores], f"{p}.att", axis=-1)
        ctx = node("Transpose", [node("MatMul", [att, val], f"{p}.ctx")], f"{p}.ctx.t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, model_shape], f"{p}.ctx.r")
        x = node("Add", [x, linear(ctx, f"{p}.o", d, d)], f"{p}.res1")
        f = node("Relu", [linear(layer_norm(x, f"{p}.ln2"), f"{p}.ff1", d, config.ffn)], f"{p}.relu")
        x = node("Add", [x, linear(f, f"{p}.ff2", config.ffn, d)], f"{p}.res2")
    logits = linear(layer_norm(x, "ln_f"), "head", d, v)
    nodes.append(helper.make_node("Identity", [logits], ["logits"], name="logits"))
    graph = helper.make_graph(
        nodes, f"toy_{config.kind}",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", v])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mitspec.toy")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_toy_model(directory: Path, config: ToyConfig, name: str | None = None) -> Path:
    """Write `model.onnx` + `manifest.json` for a toy model; returns the directory."""
    import onnx

    from .manifest import write_manifest

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(build_transformer(config), directory / "model.onnx")
    write_manifest(directory, {
        "name": name or directory.name,
        "kind": config.kind,
        "onnx": "model.onnx",
        "tokenizer": {"type": "char", "bos": "[CLS]" if config.kind == "masked" else None,
                      "eos": "[SEP]" if config.kind == "masked" else None},
        "vocab": list(config.vocab),
        "mask_token": "[MASK]" if config.kind == "masked" else None,
        "max_length": config.max_len,
        "params": config.params,
        "provenance": {"source": "mitspec.models.toy (random weights; for tests and benchmarks only)",
                       "config": json.loads(json.dumps(asdict(config)))},
    })
    return directory
