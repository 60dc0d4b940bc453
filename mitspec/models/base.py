"""The base class every scorer derives from (ONNX gLMs, biophysical baselines, ...)."""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..planview import PlanView


@dataclass(frozen=True)
class Scores:
    """Per-sequence results, each (n,): score (higher = more likely / more promoter-like;
    nats for LMs), per_nt (score per scored base), tokens (tokens or positions scored)."""

    score: np.ndarray
    per_nt: np.ndarray
    tokens: np.ndarray


class Scorer:
    """What every scorer is (ONNX gLMs, Ray-pooled gLMs, biophysical and grammar
    baselines): subclasses set `name`, `kind` and `params` and define `identity`, `score`
    and `info`; the hooks below have defaults that say "nothing special", so the
    pipeline calls them on every scorer without probing for them."""

    name: str
    kind: str  # "causal", "masked", "blindspot", "baseline", ...
    params: int | None = None
    per_class = False  # True: what it expects depends on the class; `for_class` binds it to one
    needs_plan = False  # True: it reads the plan (its motifs, placements), so a bare FASTA gives it nothing

    @property
    def identity(self) -> str:
        """A hash of everything that decides the numbers (weights, tokenizer, mode, provider):
        the score cache is keyed by it."""
        raise NotImplementedError

    def score(self, sequences: list[str]) -> Scores:
        """Score upper-case DNA strings; returns arrays aligned with `sequences`."""
        raise NotImplementedError

    def info(self) -> dict:
        """name, kind, params, source (where it comes from) and about (one line saying what
        it is), for `mitspec models` and reports."""
        raise NotImplementedError

    def for_plan(self, plan: PlanView) -> Scorer:
        """The scorer as it scores this plan (position-aware baselines read its layout)."""
        return self

    def for_class(self, plan: PlanView, name: str) -> Scorer:
        """The scorer bound to one class of the plan (only when `per_class`)."""
        return self

    def unmet(self, plan: PlanView) -> str | None:
        """Why it has nothing to read in this plan (a sigma70 baseline on a plan without
        sigma70 elements), or None."""
        return None

    def too_long(self, sequences: list[str]) -> str | None:
        """Why it cannot take these sequences (more tokens than its context), or None."""
        return None

    def score_chunks(self, sequences: list[str], chunker) -> Iterator[tuple[int, int, Scores]] | None:
        """(lo, hi, Scores) chunks computed elsewhere, in any order (a pool of remote
        workers); None: the engine scores it here, chunk by chunk."""
        return None
