"""Sessions: provider choice and fallback, and one clear sentence for each bad model file."""
import shutil

import numpy as np
import pytest

pytest.importorskip("onnx")

from mitspec.models import runtime  # noqa: E402
from mitspec.models.errors import ModelError  # noqa: E402
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
