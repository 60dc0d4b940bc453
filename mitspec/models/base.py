"""The one protocol every scorer implements (ONNX gLMs, biophysical baselines, ...)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Scores:
    """Per-sequence results, each (n,): score (higher = more likely / more promoter-like;
    nats for LMs), per_nt (score per scored base), tokens (tokens or positions scored)."""

    score: np.ndarray
    per_nt: np.ndarray
    tokens: np.ndarray


@runtime_checkable
class Scorer(Protocol):
    name: str
    kind: str  # "causal", "masked", "blindspot", "baseline", ...
    params: int | None

    @property
    def identity(self) -> str:
        """A hash of everything that decides the numbers (weights, tokenizer, mode, provider):
        the score cache is keyed by it."""

    def score(self, sequences: list[str]) -> Scores:
        """Score upper-case DNA strings; returns arrays aligned with `sequences`."""

    def info(self) -> dict:
        """name, kind, params, source (where it comes from) and about (one line saying what
        it is), for `mitspec models` and reports."""
