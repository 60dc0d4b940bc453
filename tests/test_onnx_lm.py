"""ONNX LM scoring against values derived by hand, and batched PLL == the naive loop."""
import math

import numpy as np
import pytest

pytest.importorskip("onnx")

from mitspec.models.manifest import read_manifest  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM, log_softmax  # noqa: E402

from . import onnx_models as g  # noqa: E402
from .onnx_models import ToyConfig, naive_pll, write_toy_model  # noqa: E402


def test_causal_ll_by_hand(tmp_path):
    # Row A of W puts ln 8 on C and 0 elsewhere: p(C | A) = 8 / (8 + 8 * 1) = 1/2.
    # Every other row is all zeros: p(anything | x) = 1/9.
    W = np.zeros((g.V, g.V))
    W[g.ID["A"], g.ID["C"]] = math.log(8)
    lm = OnnxLM(read_manifest(g.bigram(tmp_path / "bigram", W)))
    s = lm.score(["AC", "ACG", "GAC", "A"])
    # "AC": first base excluded, log p(C|A) = ln 1/2. "ACG": + log p(G|C) = ln 1/9.
    # "GAC": ln 1/9 + ln 1/2. "A": nothing to score.
    expected = [math.log(0.5), math.log(0.5) + math.log(1 / 9), math.log(1 / 9) + math.log(0.5), 0.0]
    np.testing.assert_allclose(s.score, expected, rtol=0, atol=1e-6)
    assert s.tokens.tolist() == [1, 2, 2, 0]
    np.testing.assert_allclose(s.per_nt[:3], np.array(expected[:3]) / [1, 2, 2], atol=1e-6)
    assert math.isnan(s.per_nt[3])


def test_lowercase_is_upper_cased(tmp_path):
    lm = OnnxLM(read_manifest(g.bigram(tmp_path / "bigram", np.zeros((g.V, g.V)))))
    assert lm.score(["acgt"]).score[0] == lm.score(["ACGT"]).score[0]


def _context_pll(seq, S, L):
    """PLL of the `context` graph in plain Python: mask slot t, logits = S[MASK] + L[left]."""
    ids = [g.ID["[CLS]"]] + [g.ID[b] for b in seq] + [g.ID["[SEP]"]]
    total = 0.0
    for t in range(1, len(ids) - 1):
        left = ids[t - 1]
        logits = [S[g.ID["[MASK]"]][j] + L[left][j] for j in range(g.V)]
        z = math.log(sum(math.exp(x) for x in logits))
        total += logits[ids[t]] - z
    return total


def test_masked_pll_by_hand(tmp_path):
    # With S = 0 and L zero except L[A, C] = ln 8: a masked base after A is C with p 1/2,
    # any other case has p 1/9. "AC" -> [CLS] A C [SEP]: ln 1/9 (A after CLS) + ln 1/2 (C after A).
    S, L = np.zeros((g.V, g.V)), np.zeros((g.V, g.V))
    L[g.ID["A"], g.ID["C"]] = math.log(8)
    lm = OnnxLM(read_manifest(g.context(tmp_path / "ctx", S, L)))
    result = lm.score(["AC", "CA"])
    np.testing.assert_allclose(result.score, [math.log(1 / 9) + math.log(0.5), 2 * math.log(1 / 9)], atol=1e-6)
    assert result.tokens.tolist() == [2, 2]


def test_masked_pll_masks_the_right_slot(tmp_path):
    # S depends on the token at the slot: if the wrong slot were masked, S[true base] would
    # enter the logits instead of S[MASK] and the PLL would change.
    rng = np.random.default_rng(0)
    S, L = rng.normal(size=(g.V, g.V)), rng.normal(size=(g.V, g.V))
    lm = OnnxLM(read_manifest(g.context(tmp_path / "ctx", S, L)), batch_tokens=7)  # force many small batches
    seqs = ["ACGTTGCA", "TTTT", "GATTACA", "A", "CCGGAATT"]
    expected = [_context_pll(s, S, L) for s in seqs]
    np.testing.assert_allclose(lm.score(seqs).score, expected, atol=1e-5)


def _naive_ll(lm: OnnxLM, seq: str) -> float:
    enc = lm.tokenizer.encode(seq)
    logits = lm.forward(enc.ids[None, :])[0]
    positions = np.nonzero(enc.scored)[0][1:]
    return float(sum(log_softmax(logits[t - 1])[enc.ids[t]] for t in positions))


@pytest.fixture(scope="module")
def toys(tmp_path_factory):
    root = tmp_path_factory.mktemp("toys")
    return {kind: write_toy_model(root / kind, ToyConfig(kind=kind, seed=3)) for kind in ("masked", "causal")}


def test_batched_pll_equals_the_naive_loop(toys):
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), size=n)) for n in (30, 30, 17, 45, 1, 30)]
    lm = OnnxLM(read_manifest(toys["masked"]), batch_tokens=500)
    batched = lm.score(seqs).score
    naive = [naive_pll(lm, s) for s in seqs]
    np.testing.assert_allclose(batched, naive, rtol=0, atol=1e-5)


def test_causal_ll_equals_the_naive_loop(toys):
    rng = np.random.default_rng(2)
    seqs = ["".join(rng.choice(list("ACGT"), size=n)) for n in (50, 50, 13, 2)]
    lm = OnnxLM(read_manifest(toys["causal"]), batch_tokens=64)
    np.testing.assert_allclose(lm.score(seqs).score, [_naive_ll(lm, s) for s in seqs], rtol=0, atol=1e-5)


def test_pll_batches_across_positions_and_sequences(toys):
    lm = OnnxLM(read_manifest(toys["masked"]), batch_tokens=32768)
    lm.score(["ACGT" * 25] * 20)  # 20 x 100 masked copies of 102 tokens = 2000 rows
    # 32768 // 102 = 321 copies per forward -> ceil(2000 / 321) = 7 forward passes, not 2000
    assert lm.runs == 7


def test_causal_models_see_the_whole_context(toys):
    lm = OnnxLM(read_manifest(toys["causal"]))
    a, b = lm.score(["ACGTACGTAC", "TCGTACGTAC"]).score
    assert a != b


def test_covering_tokens_of_overlapping_kmers():
    """By hand, 5 bases and 3-mers (tokens start at bases 0, 1, 2): base 0 is in token 0;
    base 2 in tokens 2, 1, 0; base 4 only in token 2."""
    from mitspec.models.onnx_lm import covering_tokens

    assert covering_tokens(5, 3).tolist() == [[0, -1, -1], [1, 0, -1], [2, 1, 0], [-1, 2, 1], [-1, -1, 2]]
