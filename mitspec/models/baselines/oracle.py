"""Baselines that know the spec's own grammar, for any regulatory system: what `pa_pwm`
is for sigma70, built from the motifs the spec declares (`plan.json` records them as
per-position probabilities under `spec.motifs`).

- `oracle`: per class, the log-odds of each declared motif where the class places it
  (an element named after a motif, or placed from one), plus, for an element placed as
  `revcomp(E)` of another element E, how well the two pair. A broken or missing element
  scores low; a shuffled one too; position matters.
- `oracle_near`: the same, each element's best match within 5 bp of its place.
- `motif_scan`: position-blind: the best match of every declared motif anywhere, on either
  strand, summed (composition of motifs, no grammar).

Log-odds are log2((0.99 p + 0.01/4) / 0.25) per base (the PWM pseudocount), so a
consensus base scores about +2 and an impossible one about -6.6.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import numpy as np

from ...pwm import UNIFORM_SHARE, smoothed
from ...pwm import log_odds as pwm_log_odds
from ...planview import FeatureView, PlanView
from ...sequence import reverse_complement
from .common import Baseline, baseline, window_scores
from .rules import Placed, rule_scores


def log_odds(matrix) -> np.ndarray:
    """(w, 5) log2 odds over A C G T N (N scores 0) of a (w, 4) probability matrix."""
    out = np.zeros((len(matrix), 5))
    out[:, :4] = pwm_log_odds(smoothed(matrix))
    return out


def _reverse_complement(matrix: np.ndarray) -> np.ndarray:
    """Log-odds (w, 5) of the motif read on the minus strand."""
    return matrix[::-1][:, [3, 2, 1, 0, 4]]


PAIRED = float(np.log2(((1 - UNIFORM_SHARE) + UNIFORM_SHARE / 4) / 0.25))
UNPAIRED = float(np.log2((UNIFORM_SHARE / 4) / 0.25))


def element_model(feature: FeatureView, motifs: Mapping, partners: Mapping) -> dict | None:
    """What the oracle expects of one element: a motif (by the element's name, or the motif
    it was placed from, or `revcomp(MOTIF)`), or pairing with another element
    (`revcomp(ELEMENT)`); None when the spec declares nothing it could be compared to."""
    name, source, rc = feature.name, feature.source, feature.revcomp_of
    for key, flip in ((name, False), (source, False), (rc, True)):
        if key in motifs:
            return {"kind": "motif", "motif": key, "revcomp": flip}
    if rc in partners:
        return {"kind": "pair", "partner": rc}
    return None


class Grammar(Baseline):
    """Grammar oracle: log-odds of the spec's own declared motifs where each class places them, plus its declared grammar's rules."""

    name = "oracle"
    per_class = True  # what it expects depends on the class: `for_class` binds it
    needs_plan = True
    params = None
    tolerance = 0

    def __init__(self, motifs: dict | None = None, elements: tuple = (), rules: tuple = (), placements: tuple = (),
                 origin: int | None = None):
        self.motifs = motifs or {}
        self.elements = elements  # ({start, end, strand, kind, motif | partner}, ...)
        self.rules = rules  # the declared grammar: plan.json's spec.grammar records
        self.placements = placements  # ({name, start, end, strand, motif, random}, ...): what the rules read
        self.origin = origin  # the class's origin, if it declares one

    def config(self) -> dict:
        digest = hashlib.sha256(json.dumps(self.motifs, sort_keys=True).encode()).hexdigest()
        return {"tolerance": self.tolerance, "motifs_sha256": digest, "elements": list(self.elements),
                **({"rules": list(self.rules), "placements": list(self.placements), "origin": self.origin}
                   if self.rules else {})}

    def for_plan(self, plan: PlanView) -> Grammar:
        return type(self)(dict(plan.motifs or {}), rules=tuple(dict(r) for r in plan.grammar))

    def for_class(self, plan: PlanView, name: str) -> Grammar:
        cls = plan.cls(name)
        fixed = {f.name: f for f in cls.features if f.random is None}
        elements, placements = [], []
        for f in cls.features:
            model = element_model(f, self.motifs, fixed)
            random = list(f.random) if f.random else None
            if self.rules and f.strand in "+-":
                flip = model is not None and model.get("revcomp", False)
                placements.append({"name": f.name, "start": f.start, "end": f.end,
                                   "strand": {"+": "-", "-": "+"}[f.strand] if flip else f.strand,
                                   "motif": model["motif"] if model and model["kind"] == "motif" else None,
                                   "random": random})
            if model is None or (model["kind"] == "pair" and f.random):
                continue
            low, high = (f.random[0], f.random[1]) if f.random else (f.start, f.end)
            elements.append({"name": f.name, "start": low, "end": high, "width": f.width, "strand": f.strand, **model,
                             **({"partner_start": fixed[model["partner"]].start} if model["kind"] == "pair" else {})})
        return type(self)(self.motifs, tuple(elements), self.rules, tuple(placements), cls.origin)

    def unmet(self, plan: PlanView) -> str | None:
        motifs = plan.motifs
        if motifs is None:
            return "the plan records no motif matrices (compiled by an older mitspec); recompile it"
        if plan.grammar:
            return None
        if not any(element_model(f, motifs, {g.name: g for g in c.features}) for c in plan.classes for f in c.features):
            return ("no class places an element named after, or placed from, a motif the spec declares, and the "
                    "spec declares no grammar (`grammar { ... }`)")
        return None

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        n, length = codes.shape
        total = np.zeros(n)
        found = {}  # element name -> (start per sequence, match log-odds)
        for e in self.elements:
            w = e["width"]
            if e["kind"] == "pair":
                expected = reverse_complement(codes[:, e["partner_start"]:e["partner_start"] + w])
                here = codes[:, e["start"]:e["start"] + w]
                total += np.where(here == expected, PAIRED, UNPAIRED).sum(axis=1)
                continue
            matrix = log_odds(self.motifs[e["motif"]])
            if e["revcomp"] != (e["strand"] == "-"):
                matrix = _reverse_complement(matrix)
            low = max(0, e["start"] - self.tolerance)
            high = min(length, max(e["end"], e["start"] + len(matrix)) + self.tolerance)
            if high - low >= len(matrix):
                scores = window_scores(codes[:, low:high], matrix)
                best = scores.max(axis=1)
                total += best
                found[e["name"]] = (low + scores.argmax(axis=1), best)
        if self.rules:
            total += rule_scores(list(self.rules), self._placed(found, n), self.origin, n)
        return np.round(total, 9)  # the same bases give the same score, whatever the summation order

    def _placed(self, found: dict, n: int) -> dict[str, Placed]:
        """Where each element sits in each sequence: a fixed element where the class put it,
        a randomly placed one where its motif matches best; present unless its motif
        matches worse than chance."""
        placed = {}
        for p in self.placements:
            if p["random"] is not None and p["name"] not in found:
                continue  # placed at random with no motif to find it by
            start, score = found.get(p["name"], (None, None))
            if p["random"] is None or start is None:
                start = np.full(n, p["start"])
            present = np.ones(n, bool) if score is None else score > 0
            width = p["random"][2] if p["random"] is not None else p["end"] - p["start"]
            placed[p["name"]] = Placed(np.asarray(start), width, p["strand"], present, p["motif"])
        return placed


class GrammarNear(Grammar):
    """Grammar oracle with tolerance: each declared motif's best match within 5 bp of where the class places it."""

    name = "oracle_near"
    tolerance = 5


class MotifScan(Baseline):
    """Motif scan: the best match of each motif the spec declares, anywhere, either strand (position-blind)."""

    name = "motif_scan"
    params = None
    needs_plan = True

    def __init__(self, motifs: dict | None = None):
        self.motifs = motifs or {}

    def config(self) -> dict:
        return {"motifs_sha256": hashlib.sha256(json.dumps(self.motifs, sort_keys=True).encode()).hexdigest()}

    def for_plan(self, plan: PlanView) -> MotifScan:
        return type(self)(dict(plan.motifs or {}))

    def unmet(self, plan: PlanView) -> str | None:
        if plan.motifs is None:
            return "the plan records no motif matrices (compiled by an older mitspec); recompile it"
        if not plan.motifs:
            return "the spec declares no motif with fixed probabilities (literal, iupac, choice, pwm)"
        return None

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        total = np.zeros(len(codes))
        for matrix in self.motifs.values():
            odds = log_odds(matrix)
            if len(odds) > codes.shape[1]:
                continue
            best = np.maximum(window_scores(codes, odds).max(axis=1),
                              window_scores(codes, _reverse_complement(odds)).max(axis=1))
            total += best
        return np.round(total, 9)


baseline(Grammar, "log-odds of the spec's own motifs where each class places them (the grammar oracle)")
baseline(GrammarNear, "the grammar oracle, each motif's best match within 5 bp of its place")
baseline(MotifScan, "best match of each declared motif anywhere, either strand (position-blind)")
