"""The Ray executor on a local 2-CPU cluster started here (loopback only): the same
scores as the local engine, every row committed once, a killed worker survived."""
import os
import shutil
import signal

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

pytest.importorskip("onnx")
ray = pytest.importorskip("ray")

from mitspec.cli import main  # noqa: E402
from mitspec.errors import ModelError  # noqa: E402
from mitspec.models.manifest import read_manifest  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM  # noqa: E402
from mitspec.scores import engine  # noqa: E402
from mitspec.scores.cache import NoCache  # noqa: E402
from mitspec.scores.raycluster import RayCluster, RayOptions  # noqa: E402

from .conftest import SPECS  # noqa: E402
from .onnx_models import ToyConfig, write_toy_model  # noqa: E402


@pytest.fixture(scope="module")
def local_cluster():
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {kind: write_toy_model(root / f"toy_{kind}", ToyConfig(kind=kind, seed=11)) for kind in ("causal", "masked")}


def seqs(n, seed=0):
    """Random DNA of mixed lengths (so chunks hold several token-length groups), N included."""
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGTN"), p=[0.24, 0.25, 0.25, 0.24, 0.02], size=int(rng.integers(30, 90))))
            for _ in range(n)]


class RecordingCache(NoCache):
    """Keeps every committed row, so a test can see what was committed how often."""

    def __init__(self):
        self.commits: list[bytes] = []

    def put_many(self, rows):
        self.commits.extend(key for key, *_ in rows)


@pytest.mark.parametrize("kind", ["causal", "masked"])
def test_ray_scores_equal_local_scores_exactly(local_cluster, models, kind):
    sequences = seqs(120, seed=1)
    local = OnnxLM(read_manifest(models[kind]), device="cpu")
    expected = engine.score_cached(local, sequences, NoCache())
    with RayCluster(RayOptions(workers=2), device="cpu") as cluster:
        remote = cluster.scorer(read_manifest(models[kind]))
        assert remote.identity == local.identity  # same provider: the cache cannot tell them apart
        got = engine.score_cached(remote, sequences, NoCache(), target_seconds=0.01)  # many small chunks
        assert len(remote.pool.actors) == 2
        np.testing.assert_array_equal(remote.score(sequences[:10]).score, expected.score[:10])  # Scorer.score too
    np.testing.assert_array_equal(got.score, expected.score)
    np.testing.assert_array_equal(got.per_nt, expected.per_nt)
    np.testing.assert_array_equal(got.tokens, expected.tokens)


def test_a_killed_worker_is_restarted_and_every_row_is_committed_once(local_cluster, models):
    sequences = seqs(240, seed=2)
    expected = engine.score_cached(OnnxLM(read_manifest(models["masked"]), device="cpu"), sequences, NoCache())
    cache = RecordingCache()
    with RayCluster(RayOptions(workers=2), device="cpu") as cluster:
        remote = cluster.scorer(read_manifest(models["masked"]))
        before = remote.pool.pids()
        killed = []

        def kill_once(k):
            if not killed:  # mid-run: the first chunk is committed, others are in flight
                os.kill(before[0], signal.SIGKILL)
                killed.append(before[0])

        got = engine.score_cached(remote, sequences, cache, progress=kill_once, target_seconds=0.02)
        after = remote.pool.pids()
    assert killed and before[0] not in after and len(after) == 2  # the worker died and was restarted
    unique = len(set(sequences))
    assert len(cache.commits) == unique and len(set(cache.commits)) == unique  # each row once, none lost
    np.testing.assert_array_equal(got.score, expected.score)


def test_a_model_changed_since_export_is_refused_before_it_is_shipped(local_cluster, models, tmp_path):
    changed = shutil.copytree(models["causal"], tmp_path / "changed")
    (changed / "model.onnx").write_bytes(b"not a model")  # sha256 no longer matches the manifest
    with RayCluster(RayOptions(workers=1), device="cpu") as cluster:
        with pytest.raises(ModelError, match="does not match the sha256 in its manifest"):
            cluster.scorer(read_manifest(changed)).identity


def test_a_worker_that_cannot_load_the_model_is_one_clear_error(local_cluster, models, tmp_path):
    from mitspec.models.manifest import write_manifest

    broken = shutil.copytree(models["causal"], tmp_path / "broken")
    (broken / "model.onnx").write_bytes(b"not a model")
    fields = {k: v for k, v in read_manifest(broken).to_dict().items() if k not in ("sha256", "format")}
    manifest = write_manifest(broken, fields)  # consistent, but not ONNX: only the worker finds out
    with RayCluster(RayOptions(workers=1), device="cpu") as cluster:
        with pytest.raises(ModelError, match="Ray workers could not load toy_causal: .*not a readable ONNX model"):
            cluster.scorer(manifest).identity


def test_more_workers_than_cpus_is_refused(local_cluster, models):
    with RayCluster(RayOptions(workers=3, threads=1), device="cpu") as cluster:
        with pytest.raises(ModelError, match="3 workers x 1 threads need 3 CPUs; the Ray cluster has 2"):
            cluster.scorer(read_manifest(models["causal"])).identity


def test_run_with_the_ray_executor_writes_what_the_local_run_writes(local_cluster, models, tmp_path, monkeypatch):
    shutil.copy(SPECS / "mit_sigma70.mit", tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    runner = CliRunner()
    common = ["run", "mit_sigma70.mit", "-m", str(models["causal"]), "-m", "pa_pwm", "--no-cache", "--no-audit"]
    local = runner.invoke(main, [*common, "-o", "local"])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(main, [*common, "-o", "remote", "--executor", "ray", "--workers", "2"])
    assert remote.exit_code == 0, remote.output
    assert "model toy_causal: causal on the Ray cluster" in remote.output
    a = pl.read_parquet(tmp_path / "local" / "scores.parquet")
    b = pl.read_parquet(tmp_path / "remote" / "scores.parquet")
    assert a.equals(b)


def test_ray_options_without_the_ray_executor_are_refused(tmp_path):
    result = CliRunner().invoke(main, ["run", str(SPECS / "mit_sigma70.mit"), "--workers", "2", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "belong to --executor ray" in result.output


def test_without_ray_installed_the_executor_says_how_to_get_it(monkeypatch, models):
    import sys

    from mitspec.scores import raycluster

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ModelError, match=r"pip install 'mitspec\[ray\]'"):
        raycluster.RayCluster().scorer(read_manifest(models["causal"])).identity


def test_an_address_nobody_listens_on_is_an_error_at_once_not_minutes_of_retries():
    """Ray retries an unreachable head for minutes (seen: still retrying after 150 s), so a
    HOST:PORT address is tried first. The port is one just bound and released here."""
    import socket

    from mitspec.scores.raycluster import _check_reachable

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelError, match=f"cannot reach the Ray cluster at 127.0.0.1:{port}"):
        _check_reachable(f"127.0.0.1:{port}", timeout=2)
    _check_reachable("auto")  # Ray's own forms are left to Ray
    _check_reachable(None)
