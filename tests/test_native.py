"""Native implementations of gLM families against their upstream code: the checkpoints
and logits in tests/data/upstream/<family>/ were made by scripts/reference/make_<family>.py
running the upstream implementation (REFERENCE.json names its repository and commit)."""
import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from mitspec.models.errors import ModelError  # noqa: E402
from mitspec.models.native import family_of, load_native  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM, log_softmax  # noqa: E402

from .conftest import ROOT  # noqa: E402

DATA = ROOT / "tests" / "data" / "upstream"
TOLERANCE = 1e-4  # issue: native and exported logits within 1e-4 of upstream's


def reference(family):
    ref = np.load(DATA / family / "reference.npz")
    lengths = json.loads((DATA / family / "REFERENCE.json").read_text())["lengths"]
    assert len(lengths) >= 2  # two lengths at least: a graph that froze its length would fail one
    return [(ref[f"ids_{n}"], ref[f"logits_{n}"]) for n in lengths]


def test_hyenadna_checkpoint_is_recognised_by_its_model_type():
    assert family_of(DATA / "hyenadna") == "hyenadna"
    assert family_of(ROOT / "exported_models" / "ecoli_gpt2_small") is None  # no config.json


def test_native_hyenadna_gives_upstream_logits():
    model = load_native(DATA / "hyenadna").module
    for ids, expected in reference("hyenadna"):
        with torch.no_grad():
            got = model(torch.from_numpy(ids)).numpy()
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= TOLERANCE


def test_a_checkpoint_missing_a_parameter_names_it(tmp_path):
    broken = shutil.copytree(DATA / "hyenadna", tmp_path / "broken")
    weights = torch.load(broken / "pytorch_model.bin", weights_only=True)
    del weights["hyena.backbone.layers.1.mixer.filter_fn.pos_emb.z"]
    torch.save(weights, broken / "pytorch_model.bin")
    with pytest.raises(ModelError, match="lacks hyena.backbone.layers.1.mixer.filter_fn.pos_emb.z"):
        load_native(broken)


@pytest.fixture(scope="module")
def exported_hyenadna(tmp_path_factory):
    from mitspec.models.export import export

    return export(str(DATA / "hyenadna"), tmp_path_factory.mktemp("hyena") / "hyenadna_tiny")


@pytest.mark.slow
def test_hyenadna_exports_with_a_dynamic_length_and_upstream_logits(exported_hyenadna):
    import onnxruntime as ort

    assert exported_hyenadna.exporter == "torch.onnx dynamo"  # TorchScript has no FFT
    session = ort.InferenceSession(str(exported_hyenadna.manifest.onnx_path), providers=["CPUExecutionProvider"])
    for ids, expected in reference("hyenadna"):
        got = session.run(["logits"], {"input_ids": ids})[0]
        assert np.abs(got - expected).max() <= TOLERANCE


@pytest.mark.slow
def test_hyenadna_log_likelihood_is_read_off_upstream_logits(exported_hyenadna):
    """mitspec's causal score of the reference sequences, from the exported model, equals
    the LL computed here from upstream's own logits (token ids 7-11 are A, C, G, T, N)."""
    lm = OnnxLM(exported_hyenadna.manifest)
    for ids, logits in reference("hyenadna"):
        sequences = ["".join("ACGTN"[i - 7] for i in row) for row in ids]
        logp = log_softmax(logits)
        expected = [sum(logp[r, t - 1, ids[r, t]] for t in range(1, ids.shape[1])) for r in range(len(ids))]
        np.testing.assert_allclose(lm.score(sequences).score, expected, atol=1e-3)


@pytest.mark.slow
def test_run_scores_the_canonical_plan_with_exported_hyenadna(exported_hyenadna, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mitspec.cli import main

    from .conftest import SPECS

    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    result = CliRunner().invoke(main, ["run", str(SPECS / "mit_sigma70.mit"), "-o", str(tmp_path / "run"),
                                       "-m", str(exported_hyenadna.manifest.directory), "--no-audit"])
    assert result.exit_code == 0, result.output
    import polars as pl

    scores = pl.read_parquet(tmp_path / "run" / "scores.parquet")
    assert scores.height == 650 and scores["score"].is_finite().all()
