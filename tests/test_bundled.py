"""Every model bundled in exported_models/ loads, matches its manifest's sha256, beats the
bar its manifest records, and scores sequences."""
import math

import numpy as np
import pytest

from mitspec.models.manifest import read_manifest
from mitspec.models.onnx_lm import OnnxLM

from .conftest import ROOT

BUNDLED = sorted(p.parent for p in (ROOT / "exported_models").glob("*/manifest.json"))


@pytest.mark.parametrize("directory", BUNDLED, ids=[d.name for d in BUNDLED])
def test_bundled_model_loads_verifies_and_scores(directory):
    manifest = read_manifest(directory)
    lm = OnnxLM(manifest, device="cpu")  # verify=True: the ONNX file's sha256 must match the manifest
    prov = manifest.provenance
    assert prov["heldout_nats_per_base"] < prov["bar"]["nats_per_base"] < math.log(4)
    assert f"{prov['heldout_nats_per_base']:.4f} held-out nats/base" in lm.info()["about"]  # shown in reports
    scores = lm.score(["ACGT" * 25, "TTGACA" + "A" * 47 + "TATAAT" + "G" * 41])
    assert np.isfinite(scores.score).all() and (scores.score < 0).all()
    # a trained genomic model should not be worse than uniform on real-looking DNA
    assert (scores.per_nt > -2.5).all()


def test_bundle_stays_small():
    total = sum(p.stat().st_size for d in BUNDLED for p in d.iterdir())
    assert total <= 25 * 2 ** 20  # the 25 MB budget
