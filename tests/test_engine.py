"""Score cache and engine: hits do no inference, an interrupted run resumes."""
import numpy as np
import pytest

pytest.importorskip("onnx")

from mitspec.models.base import Scorer  # noqa: E402
from mitspec.models.manifest import read_manifest  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM  # noqa: E402
from .onnx_models import ToyConfig, write_toy_model  # noqa: E402
from mitspec.scores import engine  # noqa: E402
from mitspec.scores.cache import NoCache, ScoreCache  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_toy_model(tmp_path_factory.mktemp("m") / "toy", ToyConfig(kind="masked", seed=5))


def seqs(n, length=40, seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


def test_cache_hit_runs_no_inference(model_dir, tmp_path):
    cache = ScoreCache(tmp_path / "c.sqlite")
    lm = OnnxLM(read_manifest(model_dir))
    first = engine.score_cached(lm, seqs(12), cache)
    runs = lm.runs
    assert runs > 0
    again = engine.score_cached(lm, seqs(12), cache)
    assert lm.runs == runs  # zero session runs
    np.testing.assert_array_equal(first.score, again.score)
    # a fresh process (new scorer object, reopened cache file) hits too
    lm2 = OnnxLM(read_manifest(model_dir))
    engine.score_cached(lm2, seqs(12), ScoreCache(tmp_path / "c.sqlite"))
    assert lm2.runs == 0


def test_only_new_sequences_are_scored(model_dir, tmp_path):
    cache = ScoreCache(tmp_path / "c.sqlite")
    lm = OnnxLM(read_manifest(model_dir))
    engine.score_cached(lm, seqs(10), cache)
    calls = []
    original = lm.score
    lm.score = lambda batch: calls.append(list(batch)) or original(batch)
    engine.score_cached(lm, seqs(10) + seqs(3, seed=9), cache)
    assert sorted(s for c in calls for s in c) == sorted(seqs(3, seed=9))


def test_duplicates_are_scored_once_and_case_does_not_matter(model_dir):
    lm = OnnxLM(read_manifest(model_dir))
    seen = []
    original = lm.score
    lm.score = lambda batch: seen.extend(batch) or original(batch)
    s = seqs(2)
    out = engine.score_cached(lm, [s[0], s[1], s[0].lower()], NoCache())
    assert seen == s and out.score[0] == out.score[2]


def test_interrupted_run_loses_at_most_one_chunk_and_resumes(model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "WORK_PER_CHUNK", 40 * 40 * 3)  # 3 sequences of 40 bp per chunk
    cache = ScoreCache(tmp_path / "c.sqlite")
    lm = OnnxLM(read_manifest(model_dir))
    batches = []
    original = lm.score

    def dies_on_third_chunk(batch):
        if len(batches) == 2:
            raise KeyboardInterrupt  # the user hits Ctrl-C (or the machine dies) mid-chunk
        batches.append(list(batch))
        return original(batch)

    lm.score = dies_on_third_chunk
    with pytest.raises(KeyboardInterrupt):
        engine.score_cached(lm, seqs(10), cache)
    assert len(ScoreCache(tmp_path / "c.sqlite")) == 6  # two committed chunks survive
    resumed = []
    lm.score = lambda batch: resumed.extend(batch) or original(batch)
    result = engine.score_cached(lm, seqs(10), ScoreCache(tmp_path / "c.sqlite"))
    assert sorted(resumed) == sorted(seqs(10)[6:])
    reference = OnnxLM(read_manifest(model_dir)).score(seqs(10)).score
    np.testing.assert_allclose(result.score, reference, atol=1e-9)


def test_cache_keys_separate_models(model_dir, tmp_path):
    other = write_toy_model(tmp_path / "other", ToyConfig(kind="masked", seed=6))
    cache = ScoreCache(tmp_path / "c.sqlite")
    a = engine.score_cached(OnnxLM(read_manifest(model_dir)), seqs(3), cache)
    lm = OnnxLM(read_manifest(other))
    b = engine.score_cached(lm, seqs(3), cache)
    assert lm.runs > 0 and not np.allclose(a.score, b.score)


class _Slow(Scorer):
    """A scorer that takes `seconds` per sequence and records its chunks."""

    name, kind, params, identity = "slow", "causal", 0, "slow-v1"

    def __init__(self, seconds):
        self.seconds, self.chunks = seconds, []

    def score(self, sequences):
        import time

        from mitspec.models.base import Scores

        self.chunks.append(len(sequences))
        time.sleep(self.seconds * len(sequences))
        values = np.array([float(len(s)) for s in sequences])
        return Scores(values, values, np.ones(len(sequences), dtype=np.int64))


def test_chunks_are_sized_by_time_not_only_by_work(tmp_path):
    """Issue 19: a causal chunk was 2,621 sequences of the canonical plan, so a kill lost all
    of it. After the first chunk measures the rate, each chunk holds about target_seconds
    of work (here 0.1 s at 0.01 s per sequence: about 10 sequences)."""
    slow = _Slow(0.01)
    result = engine.score_cached(slow, seqs(60), ScoreCache(tmp_path / "c.sqlite"), target_seconds=0.1)
    assert slow.chunks[0] == engine.FIRST_CHUNK and sum(slow.chunks) == 60
    assert all(size <= 20 for size in slow.chunks[1:]), slow.chunks
    assert result.score.tolist() == [40.0] * 60


def test_scores_do_not_depend_on_the_chunking(model_dir):
    lm = OnnxLM(read_manifest(model_dir))
    whole = engine.score_cached(lm, seqs(12), NoCache(), target_seconds=1e9).score
    tiny_chunks = engine.score_cached(lm, seqs(12), NoCache(), target_seconds=1e-9).score
    assert np.array_equal(whole, tiny_chunks)


def test_baseline_chunks_are_bounded_in_positions_not_only_sequences(tmp_path):
    """The 10^6-sequence run: chunks of 65,536 sequences made the thermo baseline hold 8 GB
    of per-position arrays. A baseline's chunk now holds at most BASELINE_POSITIONS bases."""
    fast = _Slow(0.0)
    fast.kind = "baseline"
    engine.score_cached(fast, seqs(1500, length=100), NoCache())
    assert sum(fast.chunks) == 1500
    assert max(fast.chunks) * 100 <= engine.BASELINE_POSITIONS
