"""Composition audit: how much of a contrast's effect does base composition account for?

For every audited contrast (the kinds with `audit` set: win rates, Cohen's d, the
compensation magnitude) this module reports

- how the two arms differ in composition (AT fraction, CpG frequency, the L1 distance
  between dinucleotide frequencies), paired when the arms share backgrounds, with
  bootstrap 95% intervals, and whether the arms hold the same bases in every pair (a
  position control: composition cannot tell them apart);
- which composition-only scorers in the run (at_content, markov, kmer6) show the effect;
- per model, the share of the effect that composition predicts. The effect on the score
  scale is the arms' mean score difference (treatment - reference: the numerator of d
  and of CM, and the mean paired difference behind a win rate). The composition model:
  score ~ class intercept + b . f(sequence), f = base fractions (A, C, G), the 16
  dinucleotide frequencies, the order-5 log-likelihood under each bundled genome's chain
  (E. coli K-12, S. aureus N315) and the best 9 bp A/T count anywhere (a position-blind
  AT tract): composition in the broad sense, everything a scorer could read without
  positions. b is fitted within classes over the arms' sequences (inside a class every
  instance carries the same elements, so b says how the model answers its backgrounds),
  by ridge regression on standardised features with the penalty chosen by generalised
  cross-validation (so 22 features on 100-200 sequences do not chase noise). The
  composition part of the effect is b . (mean f(treatment) - mean f(reference)), and its
  share of the effect is that over the mean score difference. Intervals: the pairs (or
  each arm) resampled, b refitted in every resample (b is estimated, not known).

Verdict (margin m = 0.2), only for an effect that is present (its own interval clear of
the null on the declared side, and q < 0.05 where it has a test):
  explained by composition      the share's interval lies at or above 1 - m
  not explained by composition  the share's interval lies at or below m, and what is
                                left (effect minus composition part) is clear of 0
  partly explained              the share's interval is above 0, and what is left is
                                clear of 0
  inconclusive                  anything else: the data cannot say how much
and "no effect to explain" when the effect is not present. "Not explained by
composition" says only that: whether the rest is positional logic is asked by the
spec's position controls (contrasts whose arms hold the same bases, such as a scramble).
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import NamedTuple

import numpy as np
import polars as pl

from .. import rng, stats
from ..contrasts import KINDS
from ..genomes import GENOMES, markov_log_likelihood
from ..planview import PlanView
from ..sequence import _ENCODE, cpg_fraction_expr
from .calculator import Calculator, MetricsConfig

NO_EFFECT, EXPLAINED, NOT_EXPLAINED, PARTLY, INCONCLUSIVE = (
    "no effect to explain", "explained by composition", "not explained by composition",
    "partly explained by composition", "inconclusive")
MARGIN = 0.2
KMER_ORDER = 5  # the `markov` baseline's order, for every bundled genome
TRACT = 9  # the position-blind AT tract: best A/T count over any 9 bp window
DINUCLEOTIDES = [a + b for a in "ACGT" for b in "ACGT"]
FEATURES = ("A", "C", "G", *(f"f_{d}" for d in DINUCLEOTIDES), *(f"kmer_{g}" for g in GENOMES), f"at_tract_{TRACT}")
RIDGE_GRID = (1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)  # x number of sequences, on standardised features
METHOD = ("composition model: score ~ class intercept + b . (base fractions, 16 dinucleotide frequencies, "
          f"order-{KMER_ORDER} log-likelihood under each bundled genome's chain, best {TRACT} bp A/T count), b "
          "fitted within classes over the contrast's arms by ridge regression (penalty by generalised "
          "cross-validation); composition part = b . (mean features of treatment - of reference); share = "
          "composition part / mean score difference, bootstrap 95% with b refitted in every resample. "
          f"Explained: share >= {1 - MARGIN:g} (whole interval); not explained: share <= {MARGIN:g} and the "
          "remainder clear of 0; partly: share > 0 and the remainder clear of 0; else inconclusive; an effect "
          "must first be present (its interval clear of the null, q < 0.05)")
COMPOSITION_POSITIONS = 1 << 20  # bases per slice when composition() reads a plan


class Composition(NamedTuple):
    """Per sequence, in plan order: AT fraction, CpG frequency (CG per adjacent pair),
    dinucleotide frequencies (n, 16), and the composition model's features (n, len(FEATURES))."""

    ids: list[str]
    at: np.ndarray
    cpg: np.ndarray
    dinucleotides: np.ndarray
    features: np.ndarray


def composition(sequences: pl.DataFrame) -> Composition:
    """Composition of every sequence of a plan (all one length; N counts in no pair),
    computed COMPOSITION_POSITIONS bases at a time, so a 10^6-sequence plan never holds
    per-position arrays for more than one slice."""
    seqs = sequences["sequence"].to_list()
    n, length = len(seqs), len(seqs[0]) if seqs else 0
    step = max(1, COMPOSITION_POSITIONS // max(length, 1))
    parts = [_composition_of(seqs[lo:lo + step], length) for lo in range(0, n, step)]
    at = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
    freqs = np.concatenate([p[1] for p in parts]) if parts else np.empty((0, 16))
    features = np.concatenate([p[2] for p in parts]) if parts else np.empty((0, len(FEATURES)))
    cpg = sequences.select(cpg_fraction_expr())["cpg"].to_numpy()  # the engine's definition, as in correlate
    return Composition(sequences["id"].to_list(), at, cpg, freqs, features)


def _composition_of(seqs: list[str], length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(AT fraction, dinucleotide frequencies (n, 16), features (n, len(FEATURES))) of a slice."""
    n = len(seqs)
    codes = _ENCODE[np.frombuffer("".join(seqs).upper().encode("ascii"), dtype=np.uint8)].reshape(n, length)
    valid = (codes[:, :-1] < 4) & (codes[:, 1:] < 4)
    pair = np.where(valid, codes[:, :-1].astype(np.int64) * 4 + codes[:, 1:], 16)
    counts = np.bincount((np.arange(n)[:, None] * 17 + pair).ravel(), minlength=n * 17).reshape(n, 17).astype(float)
    freqs = counts[:, :16] / np.maximum(counts[:, :16].sum(axis=1, keepdims=True), 1)
    is_at = (codes == 0) | (codes == 3)
    at = is_at.mean(axis=1)
    bases = np.stack([(codes == b).mean(axis=1) for b in range(3)], axis=1)
    chains = np.stack([markov_log_likelihood(np.where(codes == 255, 4, codes), g, KMER_ORDER) for g in GENOMES], axis=1)
    window = min(TRACT, length)
    running = np.concatenate([np.zeros((n, 1)), np.cumsum(is_at, axis=1)], axis=1)
    tract = (running[:, window:] - running[:, :-window]).max(axis=1) if length else np.zeros(n)
    return at, freqs, np.column_stack([bases, freqs, chains, tract])


class Fit(NamedTuple):
    """A within-class ridge fit: slopes per feature (original units), the penalty, and
    the features' scales (what the penalty was chosen on)."""

    slopes: np.ndarray
    penalty: float
    scale: np.ndarray


def _centred(x: np.ndarray, y: np.ndarray, groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    xs = np.concatenate([x[g] - x[g].mean(axis=0) for g in groups])
    ys = np.concatenate([y[g] - y[g].mean() for g in groups])
    return xs, ys


def fit_composition(x: np.ndarray, y: np.ndarray, groups: list[np.ndarray]) -> Fit:
    """Ridge fit of y on x with one intercept per group (rows `groups`), the penalty
    (x number of rows, on features scaled to unit within-class SD) chosen from
    RIDGE_GRID by generalised cross-validation; features constant within classes get 0."""
    xs, ys = _centred(x, y, groups)
    scale = xs.std(axis=0)
    keep = scale > 1e-12 * np.maximum(np.abs(x).max(axis=0), 1e-300)
    slopes = np.zeros(x.shape[1])
    if not keep.any() or len(ys) <= len(groups) + 1:
        return Fit(slopes, math.nan, scale)
    z = xs[:, keep] / scale[keep]
    u, sv, vt = np.linalg.svd(z, full_matrices=False)
    uty = u.T @ ys
    m, dof_left = len(ys), len(ys) - len(groups)
    best = None
    for factor in RIDGE_GRID:
        penalty = factor * m
        shrink = sv ** 2 / (sv ** 2 + penalty)
        rss = float(((ys - u @ (shrink * uty)) ** 2).sum())
        df = float(shrink.sum())
        gcv = rss / max(dof_left - df, 1e-9) ** 2
        if best is None or gcv < best[0] - 1e-15 * abs(best[0]):
            best = (gcv, penalty)
    penalty = best[1]
    coef = vt.T @ (sv / (sv ** 2 + penalty) * uty)
    slopes[keep] = coef / scale[keep]
    return Fit(slopes, penalty, scale)


def _refit_slopes(x: np.ndarray, ys: Mapping[str, np.ndarray], arms: list[np.ndarray],
                  fits: Mapping[str, Fit]) -> dict[str, np.ndarray]:
    """(resamples, features) slopes refitted on each resample, per score vector in `ys`;
    arms: (resamples, n_i) row indices of each class; fits: each vector's point fit (its
    penalty; the scales are the features' and so the same for all). The resampled
    features and their Gram matrices do not depend on the scores: built once for all."""
    resamples = arms[0].shape[0]
    out = {name: np.zeros((resamples, x.shape[1])) for name in ys}
    scale = next(iter(fits.values())).scale if fits else np.zeros(x.shape[1])
    keep = scale > 0
    live = [name for name in ys if np.isfinite(fits[name].penalty)]
    if not live or not keep.any():
        return out
    xz = np.zeros_like(x)
    xz[:, keep] = x[:, keep] / scale[keep]
    k = int(keep.sum())
    gram = np.zeros((resamples, k, k))
    cross = {name: np.zeros((resamples, k)) for name in live}
    for idx in arms:
        xa = xz[idx][:, :, keep]
        xa = xa - xa.mean(axis=1, keepdims=True)
        gram += np.einsum("rnk,rnj->rkj", xa, xa)
        for name in live:
            picked = ys[name][idx]
            cross[name] += np.einsum("rnk,rn->rk", xa, picked - picked.mean(axis=1, keepdims=True))
    for name in live:
        coef = np.linalg.solve(gram + fits[name].penalty * np.eye(k), cross[name][..., None])[..., 0]
        out[name][:, keep] = coef / scale[keep]
    return out


def present(low, high, q, null: float) -> bool:
    """An effect in the declared direction: the interval wholly above the null and, when
    there is a test, q < 0.05."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return False
    return low > null and (q is None or math.isnan(q) or q < 0.05)


def verdict(raw_present: bool, share: tuple[float, float], remainder_clear: bool, margin: float = MARGIN) -> str:
    """The audit's verdict from: is the effect there, the share of it that composition
    predicts (95% interval), and is what is left clear of 0 on the effect's side."""
    if not raw_present:
        return NO_EFFECT
    low, high = share
    if math.isnan(low) or math.isnan(high):
        return INCONCLUSIVE
    if low >= 1 - margin:
        return EXPLAINED
    if high <= margin and remainder_clear:
        return NOT_EXPLAINED
    if low > 0 and remainder_clear:
        return PARTLY
    return INCONCLUSIVE


def _quantised(residual: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Residuals rounded to 9 significant digits of the scores' scale: what an exact
    linear fit leaves (float noise) becomes an exact tie."""
    scale = float(np.abs(scores).max()) if len(scores) else 0.0
    if scale == 0 or not math.isfinite(scale):
        return residual
    unit = 10.0 ** (math.floor(math.log10(scale)) - 8)
    return np.round(residual / unit) * unit


class _Boot:
    """The audit's bootstrap draws for one contrast, seeded by (seed, "audit", contrast, label)."""

    def __init__(self, seed: int, contrast: str, resamples: int):
        self.seed, self.contrast, self.resamples = seed, contrast, resamples

    def _seed(self, label: str) -> int:
        return int(rng.stream_key(self.seed, "audit", self.contrast, label))

    def indices(self, label: str, n: int) -> np.ndarray:
        return stats.bootstrap_indices(self._seed(label), n, self.resamples)

    def mean(self, label: str, values: np.ndarray) -> np.ndarray:
        """values[self.indices(label, n)].mean(axis=1), a block at a time."""
        return stats.bootstrap_means(self._seed(label), values, self.resamples)


def _arm_difference(values: np.ndarray, first: np.ndarray, second: np.ndarray, paired: bool,
                    boot) -> tuple[float, float, float]:
    """Mean difference first - second of a per-sequence value (rows index `values`), with
    a bootstrap 95% interval (pairs, or each arm, resampled)."""
    if paired:
        diff = values[first] - values[second]
        reps = boot.mean("pairs", diff)
        return float(diff.mean()), *stats.percentile_interval(reps)
    a, b = values[first], values[second]
    reps = boot.mean("first", a) - boot.mean("second", b)
    return float(a.mean() - b.mean()), *stats.percentile_interval(reps)


def _dinucleotide_distance(freqs: np.ndarray, first: np.ndarray, second: np.ndarray, paired: bool,
                           boot) -> tuple[float, float, float]:
    """L1 distance between dinucleotide frequencies: mean over pairs (paired), or
    between the arms' mean frequencies; bootstrap 95% interval."""
    if paired:
        dist = np.abs(freqs[first] - freqs[second]).sum(axis=1)
        reps = boot.mean("pairs", dist)
        return float(dist.mean()), *stats.percentile_interval(reps)
    a, b = freqs[first], freqs[second]
    ia, ib = boot.indices("first", len(a)), boot.indices("second", len(b))
    reps = np.abs(a[ia].mean(axis=1) - b[ib].mean(axis=1)).sum(axis=1)
    return float(np.abs(a.mean(axis=0) - b.mean(axis=0)).sum()), *stats.percentile_interval(reps)


def _arms(plan: PlanView, frame: pl.DataFrame, contrast: Mapping) -> tuple[np.ndarray, np.ndarray, bool]:
    """Row numbers (into the composition arrays) of the two arms, aligned by pair when
    the arms are paired (a paired win rate, or arms that share backgrounds)."""
    kind = KINDS[contrast["kind"]]
    first, second = (contrast[f] for f in kind.audit)
    roots = {c.name: c.background_root for c in plan.classes}
    pairing = contrast.get("pairing") or ("lineage" if roots[first] == roots[second] else None)
    one = frame.filter(pl.col("class") == first)
    two = frame.filter(pl.col("class") == second)
    if pairing is None:
        return one["row"].to_numpy(), two["row"].to_numpy(), False
    key = "background" if pairing == "lineage" else "index"
    joined = one.select(key, pl.col("row").alias("a")).join(two.select(key, pl.col("row").alias("b")), on=key).sort(key)
    return joined["a"].to_numpy(), joined["b"].to_numpy(), True


def _frame_with(frame: pl.DataFrame, comp: Composition) -> pl.DataFrame:
    """`frame` with each sequence's row in the composition arrays."""
    return frame.join(pl.DataFrame({"id": comp.ids, "row": np.arange(len(comp.ids))}), on="id")


def _resampled_arms(first: np.ndarray, second: np.ndarray, paired: bool, boot: _Boot) -> tuple[np.ndarray, np.ndarray]:
    """(resamples, n) row indices of each arm: pairs resampled together, or each arm alone."""
    if paired:
        pick = boot.indices("share", len(first))
        return first[pick], second[pick]
    return first[boot.indices("share/1", len(first))], second[boot.indices("share/2", len(second))]


def composition_shares(x: np.ndarray, ys: Mapping[str, np.ndarray], first: np.ndarray, second: np.ndarray,
                       paired: bool, boot: _Boot) -> dict[str, dict]:
    """How much of the arms' mean score difference composition predicts, per score vector
    (model) in `ys`: the point fit, and bootstrap intervals with the fit redone in every
    resample (the same resamples for every model). x: (rows, features), each y: (rows,)
    scores; first/second: the arms' rows (aligned pairs when paired)."""
    fits = {name: fit_composition(x, y, [first, second]) for name, y in ys.items()}
    one, two = _resampled_arms(first, second, paired, boot)
    refitted = _refit_slopes(x, ys, [one, two], fits)
    x_diffs = x[one].mean(axis=1) - x[two].mean(axis=1)
    x_difference = x[first].mean(axis=0) - x[second].mean(axis=0)
    shares = {}
    for name, y in ys.items():
        fit = fits[name]
        difference = float(y[first].mean() - y[second].mean())
        part = float(fit.slopes @ x_difference)
        diffs = y[one].mean(axis=1) - y[two].mean(axis=1)
        parts = np.einsum("rk,rk->r", refitted[name], x_diffs)
        floor = stats.noise_floor(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(np.abs(diffs) > floor, parts / diffs, np.nan)
        share = part / difference if abs(difference) > floor else math.nan
        low, high = stats.percentile_interval(ratios) if np.isfinite(ratios).mean() >= 0.95 else (math.nan, math.nan)
        rest_low, rest_high = stats.percentile_interval(diffs - parts)
        shares[name] = {"difference": difference, "composition_part": part, "share": share, "share_low": low,
                        "share_high": high, "remainder_low": rest_low, "remainder_high": rest_high, "fit": fit}
    return shares


def audit(plan: PlanView, sequences: pl.DataFrame, frame: pl.DataFrame, table: pl.DataFrame,
          config: MetricsConfig, composition_scorers: Collection[str] = ()) -> tuple[list[dict], list[dict]]:
    """(composition rows, one per audited contrast; model rows, one per audited contrast
    x model). `frame`: the engine's joined scores (id, class, index, background, at,
    model, score); `table`: the raw metrics (headlines are read from it);
    `composition_scorers`: the run's models that read composition alone (scorers that
    say so: `composition_only`), whose clear effects the composition rows name."""
    audited = [c for c in plan.contrasts if KINDS[c["kind"]].audit is not None]
    if not audited:
        return [], []
    comp = composition(sequences)
    rows_of = _frame_with(sequences.select("id", "class", "index", "background"), comp)
    headline = {(r["contrast"], r["model"]): r for r in table.iter_rows(named=True)}
    models = sorted(frame["model"].unique().to_list())
    scored = _frame_with(frame, comp)
    seed = config.seed if config.seed is not None else plan.seed
    comp_rows, model_rows = [], []
    composition_scorers = sorted(composition_scorers)
    scores_of, ys = {}, {}  # each model's scores, and as a vector over the composition rows (NaN: unscored)
    for model in models:
        scores_of[model] = mine = scored.filter(pl.col("model") == model).sort("row")
        ys[model] = np.full(len(comp.ids), np.nan)
        ys[model][mine["row"].to_numpy()] = mine["score"].to_numpy()
    for c in audited:
        kind = KINDS[c["kind"]]
        first, second, paired = _arms(plan, rows_of, c)
        boot = _Boot(seed, c["name"], config.resamples)
        d_at = _arm_difference(comp.at, first, second, paired, boot)
        d_cpg = _arm_difference(comp.cpg, first, second, paired, boot)
        dist = _dinucleotide_distance(comp.dinucleotides, first, second, paired, boot)
        # base fractions come from counts over one length, so equal counts give equal floats
        same_bases = bool(paired and len(first) and np.array_equal(comp.features[first, :3], comp.features[second, :3]))
        reproduced = [m for m in composition_scorers if (c["name"], m) in headline
                      and present(headline[(c["name"], m)]["ci_low"], headline[(c["name"], m)]["ci_high"],
                                  headline[(c["name"], m)]["q"], kind.null)]
        comp_rows.append({
            "contrast": c["name"], "kind": c["kind"], "treatment": c[kind.audit[0]], "reference": c[kind.audit[1]],
            "paired": paired, "n": int(len(first)) if paired else int(len(first) + len(second)),
            "same_bases": same_bases,
            "at_diff": d_at[0], "at_low": d_at[1], "at_high": d_at[2],
            "gc_diff": -d_at[0], "gc_low": -d_at[2], "gc_high": -d_at[1],  # G/C is what A/T is not (no N in plans)
            "cpg_diff": d_cpg[0], "cpg_low": d_cpg[1], "cpg_high": d_cpg[2],
            "dinucleotide_distance": dist[0], "dinucleotide_low": dist[1], "dinucleotide_high": dist[2],
            "composition_scorers": [m for m in composition_scorers if (c["name"], m) in headline],
            "reproduced_by": reproduced,
        })
        shares = composition_shares(comp.features, ys, first, second, paired, boot)
        for model in models:
            mine, share = scores_of[model], shares[model]
            fit = share.pop("fit")
            residual = mine["score"].to_numpy() - comp.features[mine["row"].to_numpy()] @ fit.slopes
            adjusted = mine.with_columns(pl.Series("score", _quantised(residual, mine["score"].to_numpy())))
            result = kind.compute(Calculator(plan, adjusted.drop("row"), config, model), c, model)
            adj = result[0] if isinstance(result, list) else result
            raw = headline[(c["name"], model)]
            raw_present = present(raw["ci_low"], raw["ci_high"], raw["q"], kind.null)
            sign = 1.0 if (raw["value"] is None or raw["value"] >= kind.null) else -1.0
            clear = share["remainder_low"] > 0 if sign > 0 else share["remainder_high"] < 0
            model_rows.append({
                "contrast": c["name"], "model": model, "raw": raw["value"], "raw_low": raw["ci_low"],
                "raw_high": raw["ci_high"], "raw_q": raw["q"], "adjusted": adj["value"], **share,
                "verdict": verdict(raw_present, (share["share_low"], share["share_high"]), bool(clear)),
            })
    return comp_rows, model_rows

