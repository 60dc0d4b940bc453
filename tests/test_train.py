"""Training smoke tests (tiny configs, seconds): all three families learn, the bar is
enforced, and a shipped model scores in ONNX exactly as it does in PyTorch."""
import json

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # torch export and training: seconds each

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from mitspec.models.manifest import read_manifest  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM  # noqa: E402
from mitspec.train.bars import Bar  # noqa: E402
from mitspec.train.config import ConfigError, load_config, parse_config  # noqa: E402
from mitspec.train.models import CLS, MASK, SEP, build_model, logits_of  # noqa: E402
from mitspec.train.ship import BarNotMet, ship  # noqa: E402
from mitspec.train.trainer import train  # noqa: E402

from .conftest import ROOT  # noqa: E402

TINY = dict(d_model=16, layers=2, heads=2, ffn=32, context=32, batch=8, max_steps=40, eval_every=20,
            eval_windows=16, lr=3e-3, warmup=5)


@pytest.mark.parametrize("family", ["gpt2", "bert", "esm", "cnn"])
def test_every_family_learns(family):
    result = train(parse_config({"name": "tiny", "family": family, **TINY}), log=lambda s: None)
    first, last = result.history[0][2], result.history[-1][2]
    assert result.steps == 40 and last < first  # held-out loss falls
    assert last < 2.0


def test_models_below_their_bar_are_not_shipped(tmp_path):
    config = parse_config({"name": "tiny", "family": "gpt2", **TINY})
    result = train(config, log=lambda s: None)
    with pytest.raises(BarNotMet, match="does not beat its bar"):
        ship(config, result, Bar("markov", 7, 1.3383), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _torch_ll(model, seq):
    ids = torch.tensor([["ACGT".index(b) + 4 for b in seq]])
    with torch.no_grad():
        logp = torch.log_softmax(logits_of(model, ids)[0].double(), -1)
    return float(sum(logp[t - 1, ids[0, t]] for t in range(1, ids.shape[1])))


def test_shipped_model_scores_like_pytorch(tmp_path):
    config = parse_config({"name": "tiny_causal", "family": "gpt2", **TINY})
    result = train(config, log=lambda s: None)
    # a lax bar (10 nats/base) lets the tiny model through to exercise the export path
    report = ship(config, result, Bar("markov", 1, 10.0), tmp_path / "tiny_causal")
    manifest = read_manifest(tmp_path / "tiny_causal")
    prov = manifest.provenance
    assert prov["corpus"] == "ecoli_mg1655" and prov["steps"] == 40 and prov["config"]["family"] == "gpt2"
    assert manifest.params == sum(p.numel() for p in result.model.parameters())
    assert json.loads((tmp_path / "tiny_causal" / "train_config.json").read_text())["name"] == "tiny_causal"
    seqs = ["ACGTACGTTTGACA", "TTTTAAAAGGGCCC"]
    np.testing.assert_allclose(OnnxLM(manifest).score(seqs).score, [_torch_ll(result.model.eval(), s) for s in seqs],
                               atol=1e-4)
    assert report.max_abs_diff <= 1e-4


def test_blindspot_cnn_never_sees_the_base_it_predicts():
    model = build_model(parse_config({"name": "bs", "family": "cnn", **TINY})).eval()
    ids = torch.randint(4, 8, (3, 50), generator=torch.Generator().manual_seed(1))
    changed = ids.clone()
    changed[:, 20] = 4 + (changed[:, 20] - 3) % 4  # another base at position 20
    with torch.no_grad():
        diff = (logits_of(model, ids) - logits_of(model, changed)).abs().amax(dim=(0, 2))
    assert diff[20] == 0  # the prediction at 20 is blind to 20
    assert (diff[19] > 0) and (diff[21] > 0)  # its neighbours see it from either side


def _torch_pll_by_masking(model, seq):
    """PLL by its definition: replace base t by [MASK], read log p(x_t) at t, for every t."""
    ids = torch.tensor([[CLS] + ["ACGT".index(b) + 4 for b in seq] + [SEP]])
    total = 0.0
    with torch.no_grad():
        for t in range(1, ids.shape[1] - 1):
            masked = ids.clone()
            masked[0, t] = MASK
            total += float(torch.log_softmax(logits_of(model, masked)[0, t].double(), -1)[ids[0, t]])
    return total


@pytest.mark.parametrize("family, kind", [("esm", "masked"), ("cnn", "blindspot")])
def test_shipped_masked_models_score_their_pll(tmp_path, family, kind):
    config = parse_config({"name": f"tiny_{family}", "family": family, **TINY})
    result = train(config, log=lambda s: None)
    ship(config, result, Bar("context", 1, 10.0), tmp_path / config.name)
    lm = OnnxLM(read_manifest(tmp_path / config.name))
    assert lm.kind == kind
    seqs = ["ACGTACGTTTGACA", "TTTTAAAAGGGCCCA"]
    got = lm.score(seqs)
    if kind == "blindspot":
        assert lm.runs == 2  # one pass per length group, not one per base
    np.testing.assert_allclose(got.score, [_torch_pll_by_masking(result.model.eval(), s) for s in seqs], atol=1e-4)


def test_configs_are_strict(tmp_path):
    with pytest.raises(ConfigError, match="unknown key\\(s\\) layer"):
        parse_config({"name": "x", "family": "gpt2", "layer": 3})
    with pytest.raises(ConfigError, match="family must be one of"):
        parse_config({"name": "x", "family": "lstm"})
    for path in sorted((ROOT / "mitspec/train/configs").glob("*.json")):
        assert load_config(path).name == path.stem  # every shipped config loads


def test_spaced_eval_masks_isolated_targets_and_keeps_their_neighbours():
    from mitspec.train.trainer import mask_spaced, with_specials

    ids = with_specials(torch.randint(4, 8, (50, 40), generator=torch.Generator().manual_seed(3)))
    inputs, labels = mask_spaced(ids, 8, torch.Generator().manual_seed(4))
    targets = labels != -100
    assert torch.equal(inputs[~targets], ids[~targets]) and (inputs[targets] == MASK).all()
    assert torch.equal(labels[targets], ids[targets])
    for row in targets:
        where = torch.nonzero(row)[:, 0]
        assert len(where) == 5 and (torch.diff(where) == 8).all()  # 40 bases / 8, exactly 8 apart
    assert not targets[:, 0].any() and not targets[:, -1].any()  # never [CLS] or [SEP]
