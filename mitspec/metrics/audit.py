"""Composition audit: is a contrast's effect more than a difference in base composition?

For every audited contrast (the kinds with `audit` set: win rates, Cohen's d, the
compensation magnitude) this module reports

- how the two arms differ in composition (AT fraction, CpG frequency, and the L1
  distance between dinucleotide frequencies), paired when the arms share backgrounds,
  with bootstrap 95% intervals;
- which composition-only scorers in the run (at_content, markov, kmer6) show the effect
  themselves (their interval excludes the null on the side of the effect);
- per model, the effect after removing what composition predicts: each score minus
  b_AT x AT - b_CpG x CpG, with b estimated by least squares within classes (class
  fixed effects) over the arms' sequences. Within a class the elements are the same in
  every instance, so b measures how the model responds to its backgrounds' composition;
  the contrast is then recomputed by its own kind on the adjusted scores (same pairing,
  intervals, bootstrap streams and test; adjusted scores are rounded to 9 significant
  digits of the scores' scale, so what composition explains exactly becomes a tie, not
  float noise). A contrast states its direction (X > Y; d and CM of X over Y), so an
  effect is present when its interval lies wholly on that side of the null and, where
  it has a test, its q < 0.05 (the raw q of the run's family; adjusted p values get one
  Benjamini-Hochberg family of their own). Verdict: "beyond composition" when the raw
  and the adjusted effects are present, "explained by composition" when the raw effect
  is and the adjusted one is not, else "inconclusive" (no effect to explain).

A scorer that is AT content itself has b_AT = 1 and adjusted scores that are all equal,
so its effect is always explained; b is treated as known (it comes from every
sequence of both arms, many more than the pairs).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import polars as pl

from .. import stats
from ..contrasts import KINDS
from ..genomes import markov_log_likelihood
from ..sequence import _ENCODE, cpg_fraction_expr
from .engine import Calculator, MetricsConfig

COMPOSITION_SCORERS = ("at_content", "markov", "kmer6")
VERDICTS = ("beyond composition", "explained by composition", "inconclusive")
METHOD = ("score minus b_AT x AT - b_CpG x CpG - b_kmer x (5-mer log-likelihood under the E. coli K-12 chain), b "
          "fitted within classes over the contrast's arms; the contrast "
          "recomputed on the adjusted scores; an effect is present when its 95% interval lies wholly on the declared "
          "side of the null and its q < 0.05 (adjusted p values: one BH family); beyond composition: the raw and the "
          "adjusted effects are present; explained by composition: only the raw one is; else inconclusive")


KMER_GENOME, KMER_ORDER = "ecoli_mg1655", 5  # the `markov` baseline's chain
COVARIATES = ("at", "cpg", "kmer")
COMPOSITION_POSITIONS = 1 << 20  # bases per slice when composition() reads a plan


class Composition(NamedTuple):
    """Per sequence, in plan order: AT fraction, CpG frequency (CG per adjacent pair),
    dinucleotide frequencies (n, 16), and k-mer log-likelihood (nats) under the
    reference genome's order-5 chain."""

    ids: list[str]
    at: np.ndarray
    cpg: np.ndarray
    dinucleotides: np.ndarray
    kmer: np.ndarray


def composition(sequences: pl.DataFrame) -> Composition:
    """Composition of every sequence of a plan (all one length; N counts in no pair),
    computed COMPOSITION_POSITIONS bases at a time, so a 10^6-sequence plan never holds
    per-position arrays for more than one slice (whole, its int64 pair and k-mer indices
    took several GB)."""
    seqs = sequences["sequence"].to_list()
    n, length = len(seqs), len(seqs[0]) if seqs else 0
    step = max(1, COMPOSITION_POSITIONS // max(length, 1))
    parts = [_composition_of(seqs[lo:lo + step], length) for lo in range(0, n, step)]
    at = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
    freqs = np.concatenate([p[1] for p in parts]) if parts else np.empty((0, 16))
    kmer = np.concatenate([p[2] for p in parts]) if parts else np.empty(0)
    cpg = sequences.select(cpg_fraction_expr())["cpg"].to_numpy()  # the engine's definition, as in correlate
    return Composition(sequences["id"].to_list(), at, cpg, freqs, kmer)


def _composition_of(seqs: list[str], length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(AT fraction, dinucleotide frequencies (n, 16), k-mer log-likelihood) of a slice."""
    n = len(seqs)
    codes = _ENCODE[np.frombuffer("".join(seqs).upper().encode("ascii"), dtype=np.uint8)].reshape(n, length)
    valid = (codes[:, :-1] < 4) & (codes[:, 1:] < 4)
    pair = np.where(valid, codes[:, :-1].astype(np.int64) * 4 + codes[:, 1:], 16)
    counts = np.bincount((np.arange(n)[:, None] * 17 + pair).ravel(), minlength=n * 17).reshape(n, 17).astype(float)
    freqs = counts[:, :16] / np.maximum(counts[:, :16].sum(axis=1, keepdims=True), 1)
    at = ((codes == 0) | (codes == 3)).mean(axis=1)
    kmer = markov_log_likelihood(np.where(codes == 255, 4, codes), KMER_GENOME, KMER_ORDER)
    return at, freqs, kmer


def _frame_with(frame: pl.DataFrame, comp: Composition) -> pl.DataFrame:
    extra = pl.DataFrame({"id": comp.ids, "kmer": comp.kmer, "row": np.arange(len(comp.ids))})
    return frame.join(extra, on="id")


def within_class_slopes(part: pl.DataFrame) -> np.ndarray:
    """Slopes of score on COVARIATES by least squares with one intercept per class. A
    covariate that never varies within a class gets slope 0; scaled columns keep the
    fit well conditioned (AT is a fraction, the k-mer likelihood tens of nats)."""
    centred = part.with_columns(*((pl.col(c) - pl.col(c).mean().over("class")).alias(c)
                                  for c in (*COVARIATES, "score")))
    x = centred.select(COVARIATES).to_numpy()
    y = centred["score"].to_numpy()
    scale = x.std(axis=0)
    keep = scale > 1e-12
    slopes = np.zeros(len(COVARIATES))
    if keep.any():
        solution, *_ = np.linalg.lstsq(x[:, keep] / scale[keep], y, rcond=None)
        slopes[keep] = solution / scale[keep]
    return slopes


def present(low, high, q, null: float) -> bool:
    """An effect in the declared direction: the interval wholly above the null and, when
    there is a test, q < 0.05."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return False
    return low > null and (q is None or math.isnan(q) or q < 0.05)


def verdict(raw_present: bool, adjusted_present: bool) -> str:
    """Only an effect that is there can be beyond or explained by composition (an
    adjusted effect alone would be one the raw test did not find: no verdict)."""
    if not raw_present:
        return "inconclusive"
    return "beyond composition" if adjusted_present else "explained by composition"


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
        from .. import rng

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


def _arms(meta: dict, frame: pl.DataFrame, contrast: dict) -> tuple[np.ndarray, np.ndarray, bool]:
    """Row numbers (into the composition arrays) of the two arms, aligned by pair when
    the arms are paired (a paired win rate, or arms that share backgrounds)."""
    kind = KINDS[contrast["kind"]]
    first, second = (contrast[f] for f in kind.audit)
    roots = {c["name"]: c["background_root"] for c in meta["classes"]}
    pairing = contrast.get("pairing") or ("lineage" if roots[first] == roots[second] else None)
    one = frame.filter(pl.col("class") == first)
    two = frame.filter(pl.col("class") == second)
    if pairing is None:
        return one["row"].to_numpy(), two["row"].to_numpy(), False
    key = "background" if pairing == "lineage" else "index"
    joined = one.select(key, pl.col("row").alias("a")).join(two.select(key, pl.col("row").alias("b")), on=key).sort(key)
    return joined["a"].to_numpy(), joined["b"].to_numpy(), True


def audit(meta: dict, sequences: pl.DataFrame, frame: pl.DataFrame, table: pl.DataFrame,
          config: MetricsConfig) -> tuple[list[dict], list[dict]]:
    """(composition rows, one per audited contrast; model rows, one per audited contrast
    x model). `frame`: the engine's joined scores (id, class, index, background, at,
    model, score); `table`: the raw metrics (headlines are read from it)."""
    audited = [c for c in meta["contrasts"] if KINDS[c["kind"]].audit is not None]
    if not audited:
        return [], []
    comp = composition(sequences)
    rows_of = _frame_with(sequences.select("id", "class", "index", "background"), comp)
    headline = {(r["contrast"], r["model"]): r for r in table.iter_rows(named=True)}
    models = sorted(frame["model"].unique().to_list())
    scored = _frame_with(frame, comp)
    seed = config.seed if config.seed is not None else meta["seed"]
    comp_rows, model_rows = [], []
    for c in audited:
        kind = KINDS[c["kind"]]
        first, second, paired = _arms(meta, rows_of, c)

        boot = _Boot(seed, c["name"], config.resamples)

        d_at = _arm_difference(comp.at, first, second, paired, boot)
        d_cpg = _arm_difference(comp.cpg, first, second, paired, boot)
        dist = _dinucleotide_distance(comp.dinucleotides, first, second, paired, boot)
        reproduced = [m for m in COMPOSITION_SCORERS if (c["name"], m) in headline
                      and present(headline[(c["name"], m)]["ci_low"], headline[(c["name"], m)]["ci_high"],
                                  headline[(c["name"], m)]["q"], kind.null)]
        comp_rows.append({
            "contrast": c["name"], "kind": c["kind"], "treatment": c[kind.audit[0]], "reference": c[kind.audit[1]],
            "paired": paired, "n": int(len(first)) if paired else int(len(first) + len(second)),
            "at_diff": d_at[0], "at_low": d_at[1], "at_high": d_at[2],
            "gc_diff": -d_at[0], "gc_low": -d_at[2], "gc_high": -d_at[1],  # G/C is what A/T is not (no N in plans)
            "cpg_diff": d_cpg[0], "cpg_low": d_cpg[1], "cpg_high": d_cpg[2],
            "dinucleotide_distance": dist[0], "dinucleotide_low": dist[1], "dinucleotide_high": dist[2],
            "composition_scorers": [m for m in COMPOSITION_SCORERS if (c["name"], m) in headline],
            "reproduced_by": reproduced,
        })
        classes = [c[f] for f in kind.audit] + [c[f] for f in ("toward",) if f in c]
        for model in models:
            mine = scored.filter(pl.col("model") == model)
            slopes = within_class_slopes(mine.filter(pl.col("class").is_in(classes)))
            residual = mine["score"].to_numpy() - mine.select(COVARIATES).to_numpy() @ slopes
            adjusted = mine.with_columns(pl.Series("score", _quantised(residual, mine["score"].to_numpy())))
            calc = Calculator(meta, adjusted.drop("kmer", "row"), config, model)
            result = kind.compute(calc, c, model)
            adj = result[0] if isinstance(result, list) else result
            raw = headline[(c["name"], model)]
            model_rows.append({
                "contrast": c["name"], "model": model, "raw": raw["value"], "raw_low": raw["ci_low"],
                "raw_high": raw["ci_high"], "adjusted": adj["value"], "adjusted_low": adj["ci_low"],
                "adjusted_high": adj["ci_high"], "adjusted_p": adj.get("p"), "slope_at": float(slopes[0]),
                "slope_cpg": float(slopes[1]), "slope_kmer": float(slopes[2]), "raw_q": raw["q"], "null": kind.null,
            })
    _judge(model_rows)
    return comp_rows, model_rows


def _judge(rows: list[dict]) -> None:
    """adjusted_q (one BH family over the audit's tests) and the verdict of each row."""
    p = np.array([r["adjusted_p"] if r["adjusted_p"] is not None else math.nan for r in rows], dtype=float)
    q = np.full(len(p), math.nan)
    tested = ~np.isnan(p)
    if tested.any():
        q[tested] = stats.benjamini_hochberg(p[tested])
    for r, value in zip(rows, q):
        r["adjusted_q"] = None if math.isnan(value) else float(value)
        raw = present(r["raw_low"], r["raw_high"], r["raw_q"], r["null"])
        adjusted = present(r["adjusted_low"], r["adjusted_high"], r["adjusted_q"], r["null"])
        r["verdict"] = verdict(raw, adjusted)
        del r["null"]
