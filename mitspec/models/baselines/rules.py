"""The declared grammar's rules as scores (what the oracle adds to its motif log-odds).

Each rule adds weight x agreement, agreement in [0, 1] (period: [-1, 1]), per sequence:

- spacing A .. B = G +/- T: gauss(start_B - end_A - G, T);
- position A = P +/- T: gauss(start_A - origin - P, T) (origin 0 when the class has none);
- orientation A = s: 1 when A reads on strand s, else 0;
- period M = P [phase F]: the mean over M's copies of cos(2 pi (start - ref) / P), ref the
  first copy's start (that copy left out), or origin + F when a phase is given;
- cooperative A, B [within D]: 1 when both are present (and |start_B - start_A| <= D);

with gauss(d, T) = exp(-(d / max(T, 0.5))^2 / 2). A rule whose elements a class does not
place adds nothing there; an element whose motif matches worse than chance (a broken
site: log-odds below 0) counts as absent, so position is credited only to a site.

`placed`: element name -> Placed (per-sequence start, width, strand read, present, motif).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Placed:
    start: np.ndarray  # (n,) int: where the element starts in each sequence
    width: int
    strand: str  # "+" or "-": the strand its motif reads on
    present: np.ndarray  # (n,) bool
    motif: str | None  # the declared motif it was placed from, if any


def gauss(deviation: np.ndarray, tolerance: float | None) -> np.ndarray:
    sigma = max(tolerance or 0.0, 0.5)
    return np.exp(-0.5 * (deviation / sigma) ** 2)


def rule_scores(rules: list[dict], placed: dict[str, Placed], origin: int | None, n: int) -> np.ndarray:
    """(n,) the rules' total for one class's sequences."""
    total = np.zeros(n)
    base = 0 if origin is None else origin
    for rule in rules:
        kind, names, weight = rule["rule"], rule["names"], rule["weight"]
        if kind == "period":
            total += weight * _period(rule, [p for p in placed.values() if p.motif == names[0]], origin)
            continue
        if any(name not in placed for name in names):
            continue
        a = placed[names[0]]
        if kind == "spacing":
            b = placed[names[1]]
            agree = gauss(b.start - (a.start + a.width) - rule["value"], rule["tolerance"]) * a.present * b.present
        elif kind == "position":
            agree = gauss(a.start - base - rule["value"], rule["tolerance"]) * a.present
        elif kind == "orientation":
            agree = np.full(n, float((a.strand == "+") == (rule["value"] > 0))) * a.present
        else:  # cooperative
            b = placed[names[1]]
            near = np.ones(n, bool) if rule["within"] is None else np.abs(b.start - a.start) <= rule["within"]
            agree = (a.present & b.present & near).astype(float)
        total += weight * agree
    return total


def _period(rule: dict, copies: list[Placed], origin: int | None) -> np.ndarray:
    if not copies:
        return 0.0
    n = len(copies[0].start)
    starts = np.stack([c.start for c in copies])  # (copies, n)
    present = np.stack([c.present for c in copies])
    if rule["phase"] is not None:
        ref = np.full(n, (0 if origin is None else origin) + rule["phase"])
        others = np.ones(len(copies), bool)
    else:
        if len(copies) < 2:
            return np.zeros(n)
        first = np.argmin(starts, axis=0)  # per sequence, the first copy is the reference
        ref = starts[first, np.arange(n)]
        others = None
    phase = np.cos(2 * math.pi * (starts - ref) / rule["value"])
    mask = present.copy()
    if others is None:
        mask[first, np.arange(n)] = False
    counted = mask.sum(axis=0)
    return np.where(counted > 0, (phase * mask).sum(axis=0) / np.maximum(counted, 1), 0.0)
