"""Score exported gLMs on a Ray cluster (`mitspec run --executor ray`).

The driver (the `mitspec run` process) keeps the plan, the cache and the bookkeeping:
it looks every sequence up in the cache, cuts what is missing into chunks with the
same Chunker the local engine uses, and commits each chunk to the cache as it comes
back. Workers are Ray actors, each holding one ONNX Runtime session for the run:
one actor per GPU (`num_gpus=1`, CUDA provider) when the cluster has GPUs, else one
actor per group of `threads` CPUs (CPU provider, `threads` intra-op threads).

Model files travel through Ray's object store, not a shared path: a cluster's nodes
need not share a filesystem, the bytes reach each node once, and each worker checks
them against the manifest's sha256 before loading (a node-local copy under the temp
directory, keyed by that hash, is reused by every worker and restart on the node).

A worker that dies is restarted by Ray and its chunks are retried (`RESTARTS`); the
driver commits each chunk once, whoever scored it. A killed driver loses only the
chunks in flight (at most `IN_FLIGHT` per worker); a rerun resumes from the cache.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..models.base import Scorer, Scores
from ..errors import ModelError
from ..models.manifest import Manifest
from .cache import NoCache
from .engine import Chunk, Chunker, score_cached

CPU_WORKER_THREADS = 4  # per CPU worker (at most the cluster's CPUs): docs/scoring.md "Scaling out" has the measurement
IN_FLIGHT = 2  # chunks queued per worker, so a worker never waits for the driver
RESTARTS = 3  # times Ray restarts a dead worker (and retries its chunks) before the run fails


@dataclass(frozen=True)
class RayOptions:
    """address: a running cluster (`ray start --head` prints it), or None for the one in
    RAY_ADDRESS, else a local cluster on this machine. workers: how many (default: one per
    GPU, else CPUs // threads). threads: intra-op threads per CPU worker."""

    address: str | None = None
    workers: int | None = None
    threads: int | None = None


def _ray():
    try:
        import ray
    except ImportError:
        raise ModelError("--executor ray needs Ray: pip install 'mitspec[ray]'") from None
    return ray


class RayCluster:
    """A connection to a Ray cluster, made on first use; `close()` ends the workers and,
    if this process started the cluster, the cluster too."""

    def __init__(self, options: RayOptions = RayOptions(), device: str = "auto"):
        self.options, self.device = options, device
        self._started = False
        self._pools: list[_Pool] = []

    def connect(self):
        ray = _ray()
        if not ray.is_initialized():
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network beyond the cluster
            _check_reachable(self.options.address or os.environ.get("RAY_ADDRESS"))
            try:
                ray.init(address=self.options.address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR, configure_logging=True)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.options.address or os.environ.get("RAY_ADDRESS") or "a local cluster"
                raise ModelError(f"cannot reach the Ray cluster at {where}: {str(exc).splitlines()[0]}") from None
            self._started = True
        return ray

    def scorer(self, manifest: Manifest, batch_tokens: int | None = None) -> RayScorer:
        return RayScorer(self, manifest, batch_tokens)

    def close(self) -> None:
        if not self._pools and not self._started:
            return
        ray = _ray()
        for pool in self._pools:
            pool.close(ray)
        self._pools.clear()
        if self._started:
            ray.shutdown()
            self._started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RayScorer(Scorer):
    """An exported gLM scored by a pool of Ray workers. The pool starts on first use
    (`identity` or `score_chunks`); the model is never loaded in the driver."""

    def __init__(self, cluster: RayCluster, manifest: Manifest, batch_tokens: int | None = None):
        self.cluster, self.manifest, self.batch_tokens = cluster, manifest, batch_tokens
        self.name, self.kind, self.params = manifest.name, manifest.kind, manifest.params
        self._pool: _Pool | None = None

    @property
    def pool(self) -> _Pool:
        if self._pool is None:
            self._pool = _Pool(self.cluster, self.manifest, self.batch_tokens)
            self.cluster._pools.append(self._pool)
        return self._pool

    @property
    def identity(self) -> str:
        """The workers' scorer identity (the provider they really run on included)."""
        return self.pool.description["identity"]

    def info(self) -> dict:
        return {**self.pool.description["info"], "source": str(self.manifest.directory),
                "executor": f"ray ({len(self.pool.actors)} {self.pool.device} workers)"}

    def too_long(self, sequences: list[str]) -> str | None:
        """Asked of the model's own tokenizer, here: the pool need not start to say no."""
        from ..models.tokenize import Tokenizer

        return Tokenizer(self.manifest).too_long(sequences)

    def score_chunks(self, sequences: list[str], chunker: Chunker) -> Iterator[Chunk]:
        return self.pool.map(sequences, chunker)

    def score(self, sequences: list[str]) -> Scores:
        """The Scorer protocol's call: the engine's chunking, nothing cached."""
        return score_cached(self, sequences, NoCache())


class ModelWorker:
    """A Ray actor's state: one loaded model. The constructor takes only settings; every
    call carries `payload`, [ref] to {file name: bytes} in the object store (nested, so
    Ray passes the ref, not the bytes), and the model is loaded on the first call. A
    restarted worker thus reloads from the call it retries, and no constructor argument
    lives in the object store (Ray cannot pin those across restarts, ray#53727)."""

    def __init__(self, device: str, threads: int | None, batch_tokens: int | None):
        self.settings = dict(device=device, threads=threads, batch_tokens=batch_tokens)
        self.model = None

    def _loaded(self, payload: list):
        if self.model is None:
            import ray

            from ..models.manifest import read_manifest
            from ..models.onnx_lm import OnnxLM

            self.model = OnnxLM(read_manifest(_node_copy(ray.get(payload[0]))), **self.settings)
        return self.model

    def describe(self, payload: list) -> dict:
        model = self._loaded(payload)
        return {"identity": model.identity, "info": model.info(), "pid": os.getpid(), "version": __version__}

    def score(self, payload: list, sequences: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """(score, per_nt, tokens, seconds spent scoring)."""
        model = self._loaded(payload)
        started = time.perf_counter()
        result = model.score(sequences)
        return result.score, result.per_nt, result.tokens, time.perf_counter() - started


def _node_copy(files: dict[str, bytes]) -> Path:
    """The model's files in this node's temp directory, under a hash of their contents,
    written once per node (atomically: a directory renamed into place)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(hashlib.sha256(name.encode()).digest() + hashlib.sha256(files[name]).digest())
    key = digest.hexdigest()[:32]
    home = Path(tempfile.gettempdir()) / "mitspec-ray-models"
    final = home / key
    if not final.is_dir():
        home.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=home))
        for name, data in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        try:
            staging.rename(final)
        except OSError:  # another worker on this node was first; use its copy
            for name in files:
                (staging / name).unlink()
            staging.rmdir()
    return final


class _Pool:
    """The actors scoring one model, started with the resources the cluster has."""

    def __init__(self, cluster: RayCluster, manifest: Manifest, batch_tokens: int | None):
        ray = cluster.connect()
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
        options = cluster.options
        if cluster.device == "cuda" and not gpus:
            raise ModelError("--device cuda was asked for, but the Ray cluster has no GPUs")
        if gpus and cluster.device != "cpu":
            count, device, threads = options.workers or gpus, "cuda", 1
            resources_per = {"num_gpus": 1, "num_cpus": 1}
            if count > gpus:
                raise ModelError(f"--workers {count} asks for more GPU workers than the cluster's {gpus} GPUs")
        else:
            # threads: as asked; else CPU_WORKER_THREADS, or fewer so the asked-for workers fit
            threads = options.threads or max(1, min(CPU_WORKER_THREADS, cpus // (options.workers or 1)))
            count, device = options.workers or max(1, cpus // threads), "cpu"
            resources_per = {"num_cpus": threads}
            if count * threads > cpus:
                raise ModelError(f"{count} workers x {threads} threads need {count * threads} CPUs; "
                                 f"the Ray cluster has {cpus}")
        files = {name: (manifest.directory / name).read_bytes() for name in manifest.files}
        manifest.check_weights(lambda name: hashlib.sha256(files[name]).hexdigest())
        self.payload = [ray.put(files)]  # held until the pool closes: restarted workers read it again
        remote = ray.remote(max_restarts=RESTARTS, max_task_retries=RESTARTS, **resources_per)(ModelWorker)
        self.actors = [remote.remote(device, threads, batch_tokens) for _ in range(count)]
        self.device = device
        try:
            descriptions = ray.get([a.describe.remote(self.payload) for a in self.actors])
        except Exception as exc:  # the worker's own error (a ModelError, a bad file) comes wrapped
            descriptions, problem = None, f"the Ray workers could not load {manifest.name}: {_cause(exc)}"
        else:
            problem = _disagreement(descriptions, manifest.name)
        if problem:
            self.close(ray)
            raise ModelError(problem)
        self.description = descriptions[0]

    def pids(self) -> list[int]:
        """The workers' process ids, as they are now (a restarted worker has a new one)."""
        return [d["pid"] for d in _ray().get([a.describe.remote(self.payload) for a in self.actors])]

    def map(self, sequences: list[str], chunker: Chunker) -> Iterator[Chunk]:
        """Chunks of `sequences` scored by the workers, yielded as they finish (any order)."""
        ray = _ray()
        free = deque(self.actors * IN_FLIGHT)
        in_flight: dict = {}
        lo = 0
        while lo < len(sequences) or in_flight:
            while lo < len(sequences) and free:
                hi = lo + chunker.take(len(sequences) - lo)
                actor = free.popleft()
                in_flight[actor.score.remote(self.payload, sequences[lo:hi])] = (lo, hi, actor)
                lo = hi
            done, _ = ray.wait(list(in_flight), num_returns=1)
            start, stop, actor = in_flight.pop(done[0])
            try:
                score, per_nt, tokens, seconds = ray.get(done[0])
            except Exception as exc:  # a worker's error, or one dead past its restarts
                raise ModelError(f"scoring {self.description['info']['name']} on Ray failed: {_cause(exc)}; "
                                 "the chunks already scored are in the cache, a rerun resumes") from None
            chunker.observe(stop - start, seconds)
            free.append(actor)
            yield start, stop, Scores(score, per_nt, tokens)

    def close(self, ray) -> None:
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """A HOST:PORT (or ray://HOST:PORT) address that accepts no connection is an error now:
    Ray itself retries an unreachable head for minutes, printing warnings."""
    if not address or ":" not in address:
        return  # none, "auto", "local": Ray finds or starts the cluster itself
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ModelError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start it with "
                         "`ray start --head` there, or check the address `ray start` printed") from None


def _disagreement(descriptions: list[dict], name: str) -> str | None:
    """Why workers that loaded the model cannot serve one run, or None: different
    identities (mixed providers) or another mitspec version than the driver's."""
    if len({d["identity"] for d in descriptions}) > 1:
        return (f"the Ray workers load {name} differently (providers "
                f"{sorted({d['info'].get('provider') for d in descriptions})}); their scores could not share a cache "
                "entry; give --device cpu or cuda")
    versions = {d["version"] for d in descriptions} - {__version__}
    if versions:
        return (f"the Ray workers run mitspec {', '.join(sorted(versions))}, this driver {__version__}; install the "
                "same version on every node")
    return None


def _cause(exc: BaseException) -> str:
    """The last line of what went wrong inside a worker: Ray wraps the worker's exception
    in its own types, whose text ends with the worker's own message."""
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    return text[-1] if text else type(cause).__name__
