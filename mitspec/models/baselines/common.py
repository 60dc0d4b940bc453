"""Shared pieces of the baseline scorers: batching by length, window scores, identity."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...planview import PlanView
from ...sequence import _ENCODE
from ..base import Scorer, Scores

A, C, G, T, N = range(5)
BASELINES: dict[str, tuple[Callable[[], Baseline], str]] = {}  # name -> (factory, one-line description)


def baseline(cls: type[Baseline], description: str) -> type[Baseline]:
    """Make the baseline class available to the model registry under its own `name`."""
    name = cls.__dict__.get("name")
    if not name or name in BASELINES:
        raise ValueError(f"baseline {cls.__name__} needs a `name` of its own (got {name!r})")
    BASELINES[name] = (cls, description)
    return cls


def weights(rows: list[dict[str, float]]) -> np.ndarray:
    """Per-position {base: weight} -> (w, 5) array over A C G T N (N scores 0)."""
    out = np.zeros((len(rows), 5))
    for i, row in enumerate(rows):
        for base, value in row.items():
            out[i, "ACGT".index(base)] = value
    return out


def window_scores(codes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Score of every window: codes (n, L), matrix (w, 5) -> (n, L - w + 1)."""
    w = matrix.shape[0]
    windows = sliding_window_view(codes, w, axis=1)
    return matrix[np.arange(w), windows].sum(axis=-1)


def window_at(codes: np.ndarray, matrix: np.ndarray, start: int) -> np.ndarray:
    """Score of the window starting at `start`: (n,). Columns that fall off either end of
    the sequence add nothing (an UP element 15 bp upstream of a -35 box at 10 is cut short)."""
    w = matrix.shape[0]
    cols = np.arange(max(0, -start), min(w, codes.shape[1] - start))
    if len(cols) == 0:
        return np.zeros(codes.shape[0])
    return matrix[cols, codes[:, start + cols[0]:start + cols[-1] + 1]].sum(axis=1)


def encode_groups(sequences: list[str]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """length -> (indices into `sequences`, codes (k, length) uint8); non-ACGT letters become N."""
    lengths = np.array([len(s) for s in sequences])
    groups = {}
    for length in np.unique(lengths):
        idx = np.nonzero(lengths == length)[0]
        raw = np.frombuffer("".join(sequences[i] for i in idx).upper().encode("ascii"), dtype=np.uint8)
        codes = _ENCODE[raw].reshape(len(idx), int(length))
        codes[codes == 255] = N
        groups[int(length)] = (idx, codes)
    return groups


def plan_roles(plan: PlanView) -> set[str]:
    """The roles a plan gives its sequences: bound with `role`, or elements a class places
    under the role's name (a layout slot alone places nothing)."""
    return set(plan.roles) | {f.name for c in plan.classes for f in c.features}


class Baseline(Scorer):
    """Base for baseline scorers: subclasses define `name`, `params`, `config()` and
    `score_codes(codes) -> (n,)` on equal-length code arrays, and register with
    `baseline(Class, "what it is")`."""

    kind = "baseline"
    params: int | None = 0
    version = "1"
    min_length = 1
    accepts_n = False  # N (or any non-ACGT letter) has no weight or probability in most baselines
    # the plan roles (elements a class places under that name, or `role` bindings) it reads:
    # role -> what it is; the checker accepts exactly the roles some baseline declares here
    roles: Mapping[str, str] = MappingProxyType({})
    requires: tuple[str, ...] = ()  # of `roles`, those without which a plan is not its to score
    composition_only = False  # reads base / k-mer composition alone: the audit's composition scorers

    def config(self) -> dict:
        return {}

    @property
    def identity(self) -> str:
        payload = json.dumps({"name": self.name, "version": self.version, "config": self.config()}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def info(self) -> dict:
        about = type(self).__doc__.splitlines()[0]
        return {"name": self.name, "kind": self.kind, "params": self.params, "source": about, "about": about,
                **({"composition_only": True} if self.composition_only else {})}

    def unmet(self, plan: PlanView) -> str | None:
        """Why this scorer has nothing to read in the plan (None: it does)."""
        missing = [r for r in self.requires if r not in plan_roles(plan)]
        if not missing:
            return None
        what = ", ".join(self.roles.get(r, r) for r in self.requires)
        return (f"it reads {' and '.join(self.requires)} ({what}), and the plan places no "
                f"{' or '.join(missing)}; name elements so, or bind a layout slot with `role {missing[0]} = LAYOUT.SLOT`")

    def score(self, sequences: list[str]) -> Scores:
        from ...errors import ModelError

        n = len(sequences)
        score = np.zeros(n)
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        for length, (idx, codes) in encode_groups(sequences).items():
            if length < self.min_length:
                raise ModelError(f"{self.name} needs sequences of at least {self.min_length} bp; got {length} bp")
            unknown = (codes == N).any(axis=1)
            if unknown.any() and not self.accepts_n:
                first = int(idx[np.argmax(unknown)])
                raise ModelError(f"{self.name} cannot score sequence {first + 1}: it has N or another letter besides "
                                 "A, C, G, T, which this baseline has no weight for (it would score as if absent); "
                                 "replace or drop those sequences, or use at_content or a gLM whose vocabulary has N")
            score[idx] = self.score_codes(codes)
        return Scores(score, score / np.maximum(lengths, 1), lengths)

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        raise NotImplementedError
