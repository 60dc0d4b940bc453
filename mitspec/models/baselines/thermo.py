"""Thermodynamic sigma70 binding model (forward strand).

Every placement of the -35 box at i with spacer s in 15..19 (the -10 at j = i + 6 + s)
has a free energy, in kT:
    dG = -PWM35(i) - PWM10(j) + E_spacing(s) + dG_UP(i) + dG_ext(j)
with E_spacing = {15: 2, 16: 1, 17: 0, 18: 1, 19: 2}; dG_UP = -3 x max(0, AT - 0.5) where
AT is the AT fraction of the (up to) 20 bp upstream of the -35; dG_ext = -1 when TG
sits at j-3, j-2 (the extended -10), doubled when the -10 is weak (PWM10 < 5).
The score is log P(bound) = log(Z e^mu / (1 + Z e^mu)), Z = sum over placements of
exp(-dG), mu = -10 kT: strong promoters saturate instead of adding up without bound.
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ...sequence import at_mask
from .common import Baseline, baseline, window_scores
from .sigma70 import PWM10, PWM35, SIGMA70_ROLES

SPACING_ENERGY = {15: 2.0, 16: 1.0, 17: 0.0, 18: 1.0, 19: 2.0}
UP_SLOPE, UP_THRESHOLD, UP_WINDOW = 3.0, 0.5, 20
EXT_ENERGY, WEAK_10 = 1.0, 5.0
MU = -10.0


class Thermo(Baseline):
    """Thermo: partition function over -35/-10 placements with spacing, UP and extended -10 energies."""

    name = "thermo"
    roles = MappingProxyType({r: SIGMA70_ROLES[r] for r in ("minus35", "minus10")})
    requires = ("minus35", "minus10")
    params = PWM35[:, :4].size + PWM10[:, :4].size + len(SPACING_ENERGY) + 2 + 2 + 1
    min_length = 6 + 15 + 6

    def config(self) -> dict:
        return {"spacing": SPACING_ENERGY, "up": [UP_SLOPE, UP_THRESHOLD, UP_WINDOW], "ext": [EXT_ENERGY, WEAK_10],
                "mu": MU}

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        n, length = codes.shape
        e35, box10 = -window_scores(codes, PWM35), window_scores(codes, PWM10)
        at = at_mask(codes).astype(np.float64)
        cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(at, axis=1)], axis=1)
        i_all = np.arange(e35.shape[1])
        lo = np.maximum(i_all - UP_WINDOW, 0)
        width = np.maximum(i_all - lo, 1)
        at_up = np.where(i_all > 0, (cumulative[:, i_all] - cumulative[:, lo]) / width, 0.0)
        dg_up = -UP_SLOPE * np.maximum(0.0, at_up - UP_THRESHOLD)
        j_all = np.arange(box10.shape[1])
        tg = np.zeros(box10.shape, dtype=bool)
        tg[:, 3:] = (codes[:, j_all[3:] - 3] == 3) & (codes[:, j_all[3:] - 2] == 2)
        dg_ext = np.where(tg, -EXT_ENERGY * np.where(box10 < WEAK_10, 2.0, 1.0), 0.0)
        terms = []
        for spacing, energy in SPACING_ENERGY.items():
            i = np.arange(0, length - (6 + spacing + 6) + 1)
            j = i + 6 + spacing
            terms.append(-(e35[:, i] - box10[:, j] + energy + dg_up[:, i] + dg_ext[:, j]))
        neg_dg = np.concatenate(terms, axis=1)
        top = neg_dg.max(axis=1, keepdims=True)
        log_z = top[:, 0] + np.log(np.exp(neg_dg - top).sum(axis=1))
        x = MU + log_z
        return x - np.logaddexp(0.0, x)


baseline(Thermo, "thermodynamic binding model (partition function)")
