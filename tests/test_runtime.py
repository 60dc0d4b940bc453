"""Sessions: provider choice and fallback, and one clear sentence for each bad model file."""
import shutil

import numpy as np
import pytest

pytest.importorskip("onnx")

from mitspec.models import runtime  # noqa: E402
from mitspec.errors import ModelError  # noqa: E402
from mitspec.models.manifest import read_manifest  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM  # noqa: E402
from mitspec.models.runtime import create_session, read_ir_version  # noqa: E402

from . import onnx_models as g  # noqa: E402


@pytest.fixture
def bigram(tmp_path):
    return g.bigram(tmp_path / "bigram", np.zeros((g.V, g.V)))


def test_auto_falls_back_to_cpu_quietly(bigram, capfd):
    # This machine has onnxruntime-gpu (which offers CUDA) but no GPU: the CUDA probe fails
    # inside ORT, which would log an error; the session must come back on CPU, silently.
    session, provider = create_session(bigram / "model.onnx", "auto")
    assert provider == "cpu" and session.get_providers() == ["CPUExecutionProvider"]
    err = capfd.readouterr().err
    assert "onnxruntime" not in err.lower() and "cuda" not in err.lower()


def test_cuda_that_does_not_really_load_is_not_trusted(bigram, monkeypatch):
    """ORT may list CUDA as available and still build a CPU-only session: check get_providers()."""
    import onnxruntime as ort

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    real = ort.InferenceSession

    def fake(path, options, providers):
        return real(path, options, providers=["CPUExecutionProvider"])  # what a failed CUDA load yields

    monkeypatch.setattr(ort, "InferenceSession", fake)
    assert create_session(bigram / "model.onnx", "auto")[1] == "cpu"
    with pytest.raises(ModelError, match="--device cuda was requested"):
        create_session(bigram / "model.onnx", "cuda")


def test_forcing_cpu(bigram):
    assert create_session(bigram / "model.onnx", "cpu")[1] == "cpu"


def test_missing_model_file(bigram):
    (bigram / "model.onnx").unlink()
    with pytest.raises(ModelError, match=r"model\.onnx is missing .*mitspec export"):
        OnnxLM(read_manifest(bigram))


def test_corrupt_model_file(bigram):
    (bigram / "model.onnx").write_bytes(b"\x00\x01garbage" * 10)
    with pytest.raises(ModelError, match="does not match the sha256"):
        OnnxLM(read_manifest(bigram))
    with pytest.raises(ModelError, match="not a readable ONNX model"):
        OnnxLM(read_manifest(bigram), verify=False)


def test_not_a_language_model(tmp_path):
    with pytest.raises(ModelError, match="is not a language model: no \\[batch, tokens, vocab\\] logits"):
        OnnxLM(read_manifest(g.not_an_lm(tmp_path / "cast")))


def test_ir_version_too_new(tmp_path):
    directory = g.bigram(tmp_path / "new", np.zeros((g.V, g.V)), ir_version=99)
    assert read_ir_version(directory / "model.onnx") == 99
    with pytest.raises(ModelError, match="uses ONNX IR version 99, which onnxruntime .* cannot load"):
        OnnxLM(read_manifest(directory))


def test_missing_manifest(bigram, tmp_path):
    other = tmp_path / "bare"
    other.mkdir()
    shutil.copy(bigram / "model.onnx", other)
    with pytest.raises(ModelError, match="manifest.json is missing"):
        read_manifest(other)


def test_threads_default_to_the_cores_we_may_use():
    assert runtime.session_options(None).intra_op_num_threads == runtime.cpu_threads()


# ---- issue 19: manifests are data from someone else -----------------------------------------
@pytest.mark.parametrize("key, value", [("onnx", "/etc/passwd"), ("onnx", "../../../../etc/passwd"),
                                        ("tokenizer.file", "../../../../etc/passwd")])
def test_manifest_paths_stay_inside_the_model_directory(bigram, key, value):
    """Before: "onnx": "/etc/passwd" was read and hashed; a tokenizer file ../../etc/passwd was read."""
    g.edit_manifest(bigram, **{key: value})
    with pytest.raises(ModelError, match="absolute path or leads outside the model directory"):
        read_manifest(bigram)


def test_a_symlink_out_of_the_model_directory_is_refused(bigram, tmp_path):
    (tmp_path / "elsewhere.onnx").write_bytes((bigram / "model.onnx").read_bytes())
    (bigram / "link.onnx").symlink_to(tmp_path / "elsewhere.onnx")
    g.edit_manifest(bigram, onnx="link.onnx")
    with pytest.raises(ModelError, match="leads outside the model directory"):
        read_manifest(bigram)


@pytest.mark.parametrize("key, value, message", [
    ("max_length", "258", "`max_length` must be a positive integer"),
    ("tokenizer.k", -3, "`k` must be a positive integer"),
    ("vocab", None, "`vocab` must be a non-empty list of token strings"),
    ("vocab", "ACGT", "`vocab` must be a non-empty list"),
    ("params", True, "`params` must be a non-negative integer"),
    ("sha256", "xyz", "`sha256` must be 64 lower-case hex digits"),
])
def test_every_manifest_field_is_type_checked(bigram, key, value, message):
    """Before: these crashed every command that lists models, or scored with a wrong vocabulary."""
    g.edit_manifest(bigram, **{key: value})
    with pytest.raises(ModelError, match=message):
        read_manifest(bigram)


def test_a_provenance_without_a_usable_bar_still_describes_the_model(bigram):
    from mitspec.models.manifest import about

    g.edit_manifest(bigram, provenance={"source": "somewhere", "heldout_nats_per_base": 1.3, "corpus": "x", "bar": None})
    assert about(read_manifest(bigram)) == "exported from somewhere"


def test_a_vocabulary_that_is_not_the_models_is_refused(bigram):
    """Before: 4 tokens for a 9-wide head scored -75.48 instead of -22.08, without a word."""
    g.edit_manifest(bigram, vocab=["A", "C", "G", "T"])
    with pytest.raises(ModelError, match="gives 9 logits per token but its manifest lists 4 vocabulary tokens"):
        OnnxLM(read_manifest(bigram), verify=False)


def test_a_vocabulary_check_also_holds_for_heads_of_unknown_width(tmp_path):
    """A graph whose declared logits width is symbolic is checked on load (when onnxruntime
    infers the width) or on its first forward pass."""
    import onnx

    directory = g.bigram(tmp_path / "dyn", np.zeros((g.V, g.V)))
    model = onnx.load(directory / "model.onnx")
    model.graph.output[0].type.tensor_type.shape.dim[2].dim_param = "v"
    onnx.save(model, directory / "model.onnx")
    g.edit_manifest(directory, vocab=g.VOCAB + ["X", "Y"])
    with pytest.raises(ModelError, match="gives 9 logits per token but its manifest lists 11"):
        OnnxLM(read_manifest(directory), verify=False).score(["ACGTACGT"])
