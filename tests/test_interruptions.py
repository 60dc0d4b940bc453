"""Interruptions and shared state: a killed run resumes, concurrent runs share one cache,
and a broken cache file is set aside, never a traceback."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import polars as pl
import pytest

from mitspec.scores.cache import ScoreCache

from .conftest import SPECS

pytest.importorskip("onnx")
from .onnx_models import ToyConfig, write_toy_model  # noqa: E402


def test_a_junk_cache_file_is_set_aside_and_rebuilt(tmp_path):
    path = tmp_path / "scores.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    warnings = []
    cache = ScoreCache(path, warn=warnings.append)
    cache.put_many([(b"k" * 32, 1.5, 0.1, 3)])
    assert cache.get_many([b"k" * 32]) == {b"k" * 32: (1.5, 0.1, 3)}
    assert len(warnings) == 1 and "set it aside as scores.sqlite.corrupt-" in warnings[0]
    assert any(p.name.startswith("scores.sqlite.corrupt-") for p in tmp_path.iterdir())


def test_a_truncated_cache_file_is_set_aside_and_rebuilt(tmp_path):
    path = tmp_path / "scores.sqlite"
    cache = ScoreCache(path)
    cache.put_many([(i.to_bytes(32, "little"), float(i), None, 1) for i in range(20000)])
    cache.close()
    for extra in ("-wal", "-shm"):
        (tmp_path / f"scores.sqlite{extra}").unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])
    warnings = []
    cache = ScoreCache(path, warn=warnings.append)  # opens: the damage is further in
    assert cache.get_many([i.to_bytes(32, "little") for i in range(20000)]) == {}  # found broken: recompute all
    assert len(warnings) == 1 and "malformed" in warnings[0] and "set it aside" in warnings[0]
    cache.put_many([(b"x" * 32, 2.0, None, 1)])
    assert cache.get_many([b"x" * 32]) == {b"x" * 32: (2.0, None, 1)}


def test_a_broken_cache_is_a_warning_for_the_user_not_a_traceback(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mitspec.cli import main

    shutil.copy(SPECS / "strand.mit", tmp_path)
    (tmp_path / "cache.sqlite").write_bytes(b"\x00garbage" * 512)
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "strand.mit", "-m", "at_content"])
    assert result.exit_code == 0, result.output
    assert "warning: the score cache" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def slow_project(tmp_path_factory):
    """A plan and a masked toy model whose PLL takes a few seconds on 2 cores."""
    root = tmp_path_factory.mktemp("slow")
    shutil.copy(SPECS / "mit_sigma70.mit", root)
    write_toy_model(root / "toy", ToyConfig(kind="masked", seed=3))
    return root


def _run(root, cache, out, *extra):
    env = {**os.environ, "MITSPEC_CACHE": str(cache), "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "mitspec", "run", "mit_sigma70.mit", "-m", str(root / "toy"),
                             "-o", str(out), *extra], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _rows(cache) -> int:
    try:
        with sqlite3.connect(cache, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_a_killed_run_resumes_and_equals_an_uninterrupted_one(slow_project):
    root = slow_project
    reference = _run(root, root / "ref.sqlite", root / "ref")
    assert reference.wait(timeout=600) == 0, reference.stderr.read()
    killed = _run(root, root / "kill.sqlite", root / "kill")
    deadline = time.time() + 300
    while _rows(root / "kill.sqlite") == 0 and killed.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert killed.poll() is None, "the run ended before it could be killed; make the model slower"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    committed = _rows(root / "kill.sqlite")
    assert 0 < committed < 650  # the work committed before the kill survives
    resumed = _run(root, root / "kill.sqlite", root / "kill")
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()
    a = pl.read_parquet(root / "ref" / "scores.parquet").select("id", "model", "score")
    b = pl.read_parquet(root / "kill" / "scores.parquet").select("id", "model", "score")
    assert a.equals(b)


@pytest.mark.slow
def test_two_runs_sharing_one_cache_both_finish(slow_project):
    root = slow_project
    shared = root / "shared.sqlite"
    first, second = _run(root, shared, root / "one"), _run(root, shared, root / "two")
    assert first.wait(timeout=600) == 0, first.stderr.read()
    assert second.wait(timeout=600) == 0, second.stderr.read()
    a = pl.read_parquet(root / "one" / "scores.parquet").select("id", "score")
    b = pl.read_parquet(root / "two" / "scores.parquet").select("id", "score")
    unique = pl.read_parquet(root / "one" / "sequences.parquet")["sequence"].n_unique()
    assert a.equals(b) and _rows(shared) == unique  # each distinct sequence scored and stored once


def test_a_full_disk_stops_caching_and_leaves_a_healthy_cache_in_place(tmp_path):
    """On ENOSPC the healthy cache was renamed `.corrupt-...` and a 0-byte file left."""
    path = tmp_path / "scores.sqlite"
    cache = ScoreCache(path)
    cache.put_many([(b"a" * 32, 1.0, None, 1)])
    warnings = []
    cache.warn = warnings.append
    cache._db.execute("PRAGMA max_page_count = 1")  # what a full disk looks like to SQLite
    cache.put_many([(i.to_bytes(32, "little"), float(i), None, 1) for i in range(5000)])
    assert len(warnings) == 1 and "cannot be used" in warnings[0] and "full" in warnings[0]
    assert cache.get_many([b"a" * 32]) == {}  # without the cache from here on, scoring goes on
    cache.close()
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []
    assert ScoreCache(path).get_many([b"a" * 32]) == {b"a" * 32: (1.0, None, 1)}  # what it held is still there


def test_a_cache_that_cannot_be_opened_is_skipped_with_a_warning(tmp_path, monkeypatch):
    """A read-only cache directory raised sqlite3.OperationalError."""
    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    warnings = []
    cache = ScoreCache(tmp_path / "scores.sqlite", warn=warnings.append)
    cache.put_many([(b"a" * 32, 1.0, None, 1)])
    assert cache.get_many([b"a" * 32]) == {} and len(cache) == 0
    assert len(warnings) == 1 and "unable to open database file" in warnings[0]
    assert list(tmp_path.iterdir()) == []
