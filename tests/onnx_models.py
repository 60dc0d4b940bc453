"""Tiny ONNX LMs for tests and benchmarks, built with onnx.helper (no torch needed).

- `write_toy_model`: random-weight transformers (pre-LN, learned positions, multi-head
  attention, causal or bidirectional) with the shapes of small gLMs, to exercise and
  time the scoring engine.
- `bigram`, `context`, `not_an_lm`: graphs whose outputs are known by hand:
    bigram:   logits[b, t] = W[x[b, t]]                              (causal: predicts x[t+1] from x[t])
    context:  logits[b, t] = S[x[b, t]] + L[x[b, t-1]]   (x[-1] = PAD) (masked: sees the masked slot itself
                                                                      and its left neighbour)
Every model is saved with `save`, which writes the manifest through mitspec's own code.
Also `naive_pll`: PLL by its definition, the reference for the batched path.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

VOCAB = ["[PAD]", "[MASK]", "[CLS]", "[SEP]", "A", "C", "G", "T", "N"]
CHAR_VOCAB = VOCAB
V = len(VOCAB)
ID = {t: i for i, t in enumerate(VOCAB)}


def save(model, directory: Path, manifest: dict) -> Path:
    """model.onnx + a manifest (name, onnx, vocab, max_length defaults; `manifest` overrides)."""
    import onnx

    from mitspec.models.manifest import write_manifest

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(model, directory / "model.onnx")
    write_manifest(directory, {"name": directory.name, "onnx": "model.onnx", "vocab": VOCAB, "max_length": 1024,
                               "provenance": {"source": "tests/onnx_models.py"}, **manifest})
    return directory


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
    """Write `model.onnx` + `manifest.json` for a toy transformer; returns the directory."""
    masked = config.kind == "masked"
    return save(build_transformer(config), Path(directory), {
        "name": name or Path(directory).name,
        "kind": config.kind,
        "tokenizer": {"type": "char", "bos": "[CLS]" if masked else None, "eos": "[SEP]" if masked else None},
        "vocab": list(config.vocab),
        "mask_token": "[MASK]" if masked else None,
        "max_length": config.max_len,
        "params": config.params,
        "provenance": {"source": "tests/onnx_models.py (random weights; for tests and benchmarks only)",
                       "config": json.loads(json.dumps(asdict(config)))},
    })


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
    return save(model, directory, {"kind": "causal", "tokenizer": {"type": "char"}, **manifest})


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
    return save(model, directory, {**defaults, **manifest})


def not_an_lm(directory: Path) -> Path:
    """input_ids -> a [b, t] float output: a valid ONNX model without logits."""
    from onnx import TensorProto, helper

    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "t"])
    out = helper.make_tensor_value_info("values", TensorProto.FLOAT, ["b", "t"])
    graph = helper.make_graph([helper.make_node("Cast", ["input_ids"], ["values"], to=TensorProto.FLOAT)],
                              "cast", [ids], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return save(model, directory, {"kind": "causal", "tokenizer": {"type": "char"}})


def manifest_of(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text())


def edit_manifest(directory: Path, **changes) -> None:
    """Change manifest.json fields in place; `outer.inner=value` edits a nested field."""
    path = directory / "manifest.json"
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            data[outer][inner] = value
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def naive_pll(lm, sequence: str) -> float:
    """PLL by its definition: one forward pass per masked position, no batching. The
    reference the batched path is tested and benchmarked against."""
    from mitspec.models.onnx_lm import log_softmax

    enc = lm.tokenizer.encode(sequence)
    total = 0.0
    for t in np.nonzero(enc.scored)[0]:
        ids = enc.ids.copy()
        ids[t] = lm.mask_id
        total += float(log_softmax(lm.forward(ids[None, :])[0, t])[enc.ids[t]])
    return total
