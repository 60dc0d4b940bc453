"""Position-weight-matrix baselines for sigma70 promoters (weights from the MIT paper, Cheng & Zhang, 2026).

PA-PWM reads each element at a fixed position of the plan's layout; RPA-PWM uses only
relative constraints (both strands, spacing, UP upstream, extended -10 adjacent);
Scan takes the best match of each element near its expected position.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ...planview import PlanView
from ...sequence import reverse_complement
from .common import Baseline, baseline, window_at, window_scores, weights


SIGMA70_ROLES = MappingProxyType({"minus35": "the sigma70 -35 box", "minus10": "the sigma70 -10 box",
                                  "up": "the UP element", "ext10": "the extended -10 (TGn)"})


@dataclass(frozen=True)
class Layout:
    """Element starts (0-based) a position-aware baseline reads: -35, -10, UP, extended -10."""

    minus35: int = 30
    minus10: int = 53
    up: int = 15
    ext10: int = 50

    @property
    def spacing(self) -> int:
        return self.minus10 - (self.minus35 + 6)

    @classmethod
    def from_plan(cls, plan: PlanView) -> Layout:
        """Where the plan puts the sigma70 roles, first found of: `role` bindings; a layout
        holding `minus35` and `minus10` slots (the canonical names); the elements a class
        places under those names. Missing `up`/`ext10` fall back to their place relative
        to -35/-10 in the canonical layout. None of these: the canonical layout."""
        candidates = [{k: s for k, (s, _) in plan.roles.items()},
                      *({k: s for k, (s, _) in slots.items()} for slots in plan.layouts.values())]
        candidates += [{f.name: f.start for f in c.features} for c in plan.classes]
        for starts in candidates:
            if "minus35" in starts and "minus10" in starts:
                m35, m10 = starts["minus35"], starts["minus10"]
                return cls(m35, m10, starts.get("up", m35 - 15), starts.get("ext10", m10 - 3))
        return cls()


_BOX = {"A": 1.5, "T": -0.3, "G": -1.5, "C": -1.5}
PWM35 = weights([
    {"T": 1.5, "A": -0.5, "C": -1.5, "G": -1.5}, {"T": 1.5, "A": -0.5, "C": -1.5, "G": -1.5},
    {"G": 1.5, "A": -0.5, "T": -1.0, "C": -1.5}, _BOX,
    {"C": 1.5, "A": -0.5, "T": -1.0, "G": -1.5}, _BOX,
])
PWM10 = weights([
    {"T": 1.5, "A": -0.3, "C": -2.0, "G": -2.0}, {"A": 2.0, "T": -0.5, "G": -2.5, "C": -2.5},
    {"T": 1.5, "A": -0.5, "C": -1.5, "G": -2.0}, {"A": 1.5, "T": -0.3, "G": -1.5, "C": -2.0},
    {"A": 1.5, "T": -0.3, "G": -1.5, "C": -1.5}, {"T": 1.5, "A": -0.3, "C": -1.5, "G": -2.0},
])
_UP_AT = {"A": 1.0, "T": 0.5, "G": -1.0, "C": -1.0}
_UP_AT_HALF = {"A": 0.5, "T": 0.5, "G": -0.5, "C": -0.5}
_UP_R = {"A": 0.5, "G": 0.5, "T": -0.5, "C": -0.5}
PWM_UP = weights([_UP_AT] * 5 + [_UP_AT_HALF, _UP_R, _UP_AT_HALF, _UP_R])
PWM_EXT = weights([{"T": 1.5, "A": -0.5, "C": -1.5, "G": -1.5}, {"G": 1.5, "A": -1.0, "T": -1.0, "C": -1.5},
                   {"A": 0.3, "C": 0.3, "G": 0.3, "T": 0.3}])
MATRIX_PARAMS = sum(m[:, :4].size for m in (PWM35, PWM10, PWM_UP, PWM_EXT))  # 96


def ext_term(ext: np.ndarray, box10: np.ndarray) -> np.ndarray:
    """1.5 x PWM_ext when it is > 1 and the -10 is weak (PWM10 < 5), 0.5 x when > 1, else 0."""
    return np.where(ext > 1, np.where(box10 < 5, 1.5, 0.5) * ext, 0.0)


class PAPWM(Baseline):
    """PA-PWM: position-aware PWM, elements read at the layout's fixed positions."""

    name = "pa_pwm"
    roles = SIGMA70_ROLES
    requires = ("minus35", "minus10")
    params = MATRIX_PARAMS + 7  # UP weight, ext weights 1.5/0.5, thresholds 1 and 5, spacing slope and optimum
    compensation = True

    def __init__(self, layout: Layout = Layout()):
        self.layout = layout
        self.min_length = max(layout.minus10 + 6, layout.up + 9, layout.ext10 + 3, layout.minus35 + 6)

    def config(self) -> dict:
        return {"layout": self.layout.__dict__, "compensation": self.compensation}

    def for_plan(self, plan: PlanView) -> PAPWM:
        return type(self)(Layout.from_plan(plan))

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        lay = self.layout
        box35, box10 = window_at(codes, PWM35, lay.minus35), window_at(codes, PWM10, lay.minus10)
        score = box35 + box10 - 0.5 * abs(lay.spacing - 17)
        if self.compensation:
            score = score + 0.5 * window_at(codes, PWM_UP, lay.up) + ext_term(window_at(codes, PWM_EXT, lay.ext10), box10)
        return score


class PAPWMNoComp(PAPWM):
    """PA-PWM-NoComp: PA-PWM without the UP and extended -10 terms (cannot see compensation)."""

    name = "pa_pwm_nocomp"
    params = PWM35[:, :4].size + PWM10[:, :4].size + 2
    compensation = False


class PAPWMNoPos(Baseline):
    """PA-PWM-NoPos: the best match of each element anywhere in the sequence, no positions."""

    name = "pa_pwm_nopos"
    roles = SIGMA70_ROLES
    requires = ("minus35", "minus10")
    params = MATRIX_PARAMS + 5
    min_length = 9

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        best = {name: window_scores(codes, m).max(axis=1)
                for name, m in (("35", PWM35), ("10", PWM10), ("up", PWM_UP), ("ext", PWM_EXT))}
        return best["35"] + best["10"] + 0.5 * best["up"] + ext_term(best["ext"], best["10"])


class RPAPWM(Baseline):
    """RPA-PWM: relative constraints only (both strands, 15-19 bp spacing, UP upstream, ext adjacent)."""

    name = "rpa_pwm"
    roles = SIGMA70_ROLES
    requires = ("minus35", "minus10")
    spacings = (15, 16, 17, 18, 19)
    up_window = 20  # UP must lie within this many bp upstream of the -35
    up_min_at = 0.7
    ext_full, ext_half = 1.5, 0.75  # TGT, and TnT with n != G
    forward_bonus = 0.5
    params = MATRIX_PARAMS - PWM_EXT[:, :4].size + 9  # spacing range, slope, UP window/AT/weight, ext credits, bonus
    min_length = 6 + 15 + 6

    def config(self) -> dict:
        return {"spacings": self.spacings, "up_window": self.up_window, "up_min_at": self.up_min_at,
                "ext": [self.ext_full, self.ext_half], "forward_bonus": self.forward_bonus}

    def _strand(self, codes: np.ndarray) -> np.ndarray:
        n, length = codes.shape
        box35 = window_scores(codes, PWM35)  # (n, L-5), index = -35 start
        box10 = window_scores(codes, PWM10)
        up = window_scores(codes, PWM_UP)  # (n, L-8), index = UP start
        at = window_scores(codes, np.tile([[1.0, 0, 0, 1.0, 0]], (9, 1))) / 9
        up = np.where(at >= self.up_min_at, up, -np.inf)
        # best qualifying UP among windows [i - 20, i - 9] (ending at or before the -35 start i)
        up_best = np.full(box35.shape, -np.inf)
        for offset in range(9, self.up_window + 1):
            starts = np.arange(box35.shape[1]) - offset
            ok = starts >= 0
            up_best[:, ok] = np.maximum(up_best[:, ok], up[:, starts[ok]])
        up_term = np.where(np.isfinite(up_best), 0.5 * np.maximum(up_best, 0), 0.0)
        # extended -10 right before each -10 start j: TGT full credit, TnT half
        ext = np.zeros(box10.shape)
        j = np.arange(3, box10.shape[1])
        t3, g2, t1 = codes[:, j - 3] == 3, codes[:, j - 2] == 2, codes[:, j - 1] == 3
        ext[:, 3:] = np.where(t3 & t1, np.where(g2, self.ext_full, self.ext_half), 0.0)
        best = np.full(n, -np.inf)
        for spacing in self.spacings:
            i = np.arange(0, length - (6 + spacing + 6) + 1)
            if len(i) == 0:
                continue
            j = i + 6 + spacing
            total = box35[:, i] + box10[:, j] - 0.5 * abs(spacing - 17) + up_term[:, i] + ext[:, j]
            best = np.maximum(best, total.max(axis=1))
        return best

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        return np.maximum(self._strand(codes) + self.forward_bonus, self._strand(reverse_complement(codes)))


class Scan(Baseline):
    """Scan: best match of each element, penalised by its distance from the expected position."""

    name = "scan"
    roles = SIGMA70_ROLES
    requires = ("minus35", "minus10")
    penalty = 0.25  # per bp away from the layout position
    params = MATRIX_PARAMS + 4 + 1 + 5  # matrices, expected positions, penalty, PA-PWM combination

    def __init__(self, layout: Layout = Layout()):
        self.layout = layout

    def config(self) -> dict:
        return {"layout": self.layout.__dict__, "penalty": self.penalty}

    def for_plan(self, plan: PlanView) -> Scan:
        return type(self)(Layout.from_plan(plan))

    def _best(self, codes, matrix, expected):
        scores = window_scores(codes, matrix)
        distance = np.abs(np.arange(scores.shape[1]) - expected)
        return (scores - self.penalty * distance).max(axis=1)

    def score_codes(self, codes: np.ndarray) -> np.ndarray:
        lay = self.layout
        box10 = self._best(codes, PWM10, lay.minus10)
        return (self._best(codes, PWM35, lay.minus35) + box10 + 0.5 * self._best(codes, PWM_UP, lay.up)
                + ext_term(self._best(codes, PWM_EXT, lay.ext10), box10))


baseline(PAPWM, "position-aware PWM (the MIT paper), layout from the plan")
baseline(PAPWMNoComp, "PA-PWM without UP / extended -10 terms")
baseline(PAPWMNoPos, "PA-PWM with best-anywhere matches")
baseline(RPAPWM, "relative position-aware PWM, both strands")
baseline(Scan, "best-match scan with a position penalty")
