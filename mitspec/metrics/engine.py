"""Scores + the plan's declared contrasts -> one record per (contrast, model).

Pairing follows the plan: `paired` contrasts join instances on the background they
share (lineage, the matched design), `paired by index` joins on the instance index.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from .. import rng
from . import stats

STATS_MODES = ("sound", "paper")
RESULT_COLUMNS = {
    "contrast": pl.String, "kind": pl.String, "model": pl.String, "value": pl.Float64, "ci_low": pl.Float64,
    "ci_high": pl.Float64, "p": pl.Float64, "q": pl.Float64, "n": pl.Int64, "ties": pl.Int64,
    "boot_low": pl.Float64, "boot_high": pl.Float64, "method": pl.String, "note": pl.String, "level": pl.String,
}


class MetricsError(Exception):
    pass


@dataclass(frozen=True)
class MetricsConfig:
    """stats: "sound" (sign test, Wilson interval, one BH family over every test) or
    "paper" (one-sample t-test of 0/1 outcomes, percentile bootstrap, BH per contrast
    across scorers, as published)."""

    stats: str = "sound"
    resamples: int = 1000
    seed: int | None = None  # default: the plan's seed

    def __post_init__(self):
        if self.stats not in STATS_MODES:
            raise MetricsError(f"unknown stats mode {self.stats!r}; use one of {', '.join(STATS_MODES)}")
        if self.resamples < 1:
            raise MetricsError("resamples must be positive")

    def family_description(self) -> str:
        if self.stats == "paper":
            return "Benjamini-Hochberg within each contrast across all models (published protocol)"
        return "Benjamini-Hochberg over every contrast x model test in this run"


def join_scores(sequences: pl.DataFrame, scores: pl.DataFrame) -> pl.DataFrame:
    """Plan rows x scores -> (id, class, index, background, model, score); every plan id
    must have a score for every model and no score may name an unknown id."""
    plan_ids = sequences.select("id")
    problems = []
    for (model,), part in scores.group_by("model", maintain_order=True):
        dupes = part.filter(pl.col("id").is_duplicated())["id"].unique().sort().to_list()
        missing = plan_ids.join(part, on="id", how="anti")["id"].to_list()
        extra = part.join(plan_ids, on="id", how="anti")["id"].unique().sort().to_list()
        for what, ids in (("missing", missing), ("unknown to the plan", extra), ("duplicated", dupes)):
            if ids:
                shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
                problems.append(f"model {model}: {len(ids)} id(s) {what}: {shown}")
    if problems:
        raise MetricsError("scores do not match the plan:\n  " + "\n  ".join(problems))
    at = (pl.col("sequence").str.count_matches("[ATat]") / pl.col("sequence").str.len_chars()).alias("at")
    return sequences.select("id", "class", "index", "background", at).join(scores.select("id", "model", "score"), on="id")


def _class_scores(frame: pl.DataFrame, cls: str) -> pl.DataFrame:
    return frame.filter(pl.col("class") == cls)


def _pairs(frame: pl.DataFrame, first: str, second: str, pairing: str) -> tuple[np.ndarray, np.ndarray]:
    key = "background" if pairing == "lineage" else "index"
    a = _class_scores(frame, first).select(key, pl.col("score").alias("a"))
    b = _class_scores(frame, second).select(key, pl.col("score").alias("b"))
    joined = a.join(b, on=key, how="inner").sort(key)
    return joined["a"].to_numpy(), joined["b"].to_numpy()


def _seed(config: MetricsConfig, plan_seed: int, contrast: str, model: str) -> int:
    return int(rng.stream_key(config.seed if config.seed is not None else plan_seed, "bootstrap", contrast, model))


class _Calculator:
    def __init__(self, meta: dict, frame: pl.DataFrame, config: MetricsConfig):
        self.meta, self.frame, self.config = meta, frame, config
        self.classes = {c["name"]: c for c in meta["classes"]}
        self.replicates: dict[tuple[str, str], np.ndarray] = {}

    def lineage(self, *classes: str) -> bool:
        return len({self.classes[c]["background_root"] for c in classes}) == 1

    def record(self, contrast: dict, model: str, frame: pl.DataFrame) -> list[dict]:
        """The contrast's records: the headline (named as declared) first, then any parts
        (named `NAME[level]`, `NAME.part`)."""
        kind = contrast["kind"]
        result = getattr(self, kind)(contrast, model, frame)
        out = []
        for part in result if isinstance(result, list) else [result]:
            row = {"contrast": contrast["name"], "kind": kind, "model": model, "p": math.nan, "ties": None,
                   "boot_low": math.nan, "boot_high": math.nan, "note": None, "level": None}
            row.update(part)
            out.append(row)
        return out

    # ---- curves over sweeps -----------------------------------------------------------------
    def correlate(self, c: dict, model: str, frame: pl.DataFrame) -> list[dict]:
        part = frame.filter(pl.col("class").is_in(c["classes"]))
        x, y = part["at"].to_numpy(), part["score"].to_numpy()
        n = len(x)
        idx = self.boot(c["name"], model, n)
        rx = part["at"].rank("average").to_numpy()
        ry = part["score"].rank("average").to_numpy()
        out = []
        for suffix, a, b, label in (("", x, y, "Pearson r"), (".spearman", rx, ry, "Spearman rho")):
            r = stats.pearson(a, b)
            ci = stats.percentile_interval(stats.pearson_rows(a[idx], b[idx]))
            out.append({"contrast": c["name"] + suffix, "value": r, "ci_low": ci.low, "ci_high": ci.high,
                        "p": stats.correlation_p(r, n), "n": n, "boot_low": ci.low, "boot_high": ci.high,
                        "method": f"{label} of score with AT fraction over sequences; bootstrap 95%; t-test (two-sided)"})
        means = part.group_by("class").agg(pl.col("at").mean(), pl.col("score").mean())
        r_means = stats.pearson(means["at"].to_numpy(), means["score"].to_numpy())
        level_rows = [part.filter(pl.col("class") == k) for k in c["classes"]]
        seeds = [self.boot(f"{c['name']}/{k}", model, len(rows)) for k, rows in enumerate(level_rows)]
        mx = np.stack([rows["at"].to_numpy()[s].mean(axis=1) for rows, s in zip(level_rows, seeds)], axis=1)
        my = np.stack([rows["score"].to_numpy()[s].mean(axis=1) for rows, s in zip(level_rows, seeds)], axis=1)
        ci = stats.percentile_interval(stats.pearson_rows(mx, my))
        out.append({"contrast": c["name"] + ".means", "value": r_means, "ci_low": ci.low, "ci_high": ci.high,
                    "n": len(level_rows), "boot_low": ci.low, "boot_high": ci.high,
                    "method": "Pearson r of condition means; bootstrap 95% (sequences resampled within levels)"})
        return out

    def profile(self, c: dict, model: str, frame: pl.DataFrame) -> list[dict]:
        ref = _class_scores(frame, c["reference"]).sort("index")["score"].to_numpy()
        out, means = [], []
        for name in c["classes"]:
            label = name[len(c["group"]) + 1:-1]
            values = _class_scores(frame, name).sort("index")["score"].to_numpy()
            idx = self.boot(f"{c['name']}/{label}", model, len(values))
            ci = stats.percentile_interval(values[idx].mean(axis=1))
            means.append((values.mean(), label))
            diff = values - ref  # levels of one sweep have the same n and share backgrounds by index
            dci = stats.percentile_interval(diff[idx].mean(axis=1))
            is_ref = name == c["reference"]
            out.append({"contrast": f"{c['name']}[{label}]", "value": float(values.mean()), "ci_low": ci.low,
                        "ci_high": ci.high, "n": len(values), "level": label, "boot_low": ci.low, "boot_high": ci.high,
                        "method": "mean score; bootstrap 95%", "note": "reference" if is_ref else None})
            if not is_ref:
                out.append({"contrast": f"{c['name']}[{label}]-ref", "value": float(diff.mean()), "ci_low": dci.low,
                            "ci_high": dci.high, "p": stats.ttest_two_sided(diff), "n": len(diff), "level": label,
                            "boot_low": dci.low, "boot_high": dci.high,
                            "method": "mean paired difference to the reference level; bootstrap 95%; paired t-test"})
        best, label = max(means, key=lambda m: m[0])
        try:
            numeric = float(label)
        except ValueError:
            numeric = math.nan
        ref_label = c["reference"][len(c["group"]) + 1:-1]
        headline = {"contrast": c["name"], "value": numeric, "ci_low": math.nan, "ci_high": math.nan,
                    "n": len(c["classes"]), "level": label, "method": "level with the highest mean score",
                    "note": f"peak at {label}" + (" (the reference)" if label == ref_label else f"; reference {ref_label}")}
        return [headline, *out]

    def effect_ratio(self, c: dict, model: str, frame: pl.DataFrame) -> list[dict]:
        effects = []
        for part, (first, second) in (("composition", c["composition"][::-1]), ("position", c["position"])):
            a = _class_scores(frame, first).sort("index")["score"].to_numpy()
            b = _class_scores(frame, second).sort("index")["score"].to_numpy()
            n = min(len(a), len(b))
            diff = a[:n] - b[:n]  # levels share backgrounds: pair by index
            reps = diff[self.boot(f"{c['name']}/{part}", model, n)].mean(axis=1)
            ci = stats.percentile_interval(reps)
            effects.append((part, first, second, diff, reps, ci))
        (_, _, _, dc, rc, cc), (_, _, _, dp, rp, cp) = effects
        records = [{"contrast": f"{c['name']}.{part}", "value": float(d.mean()), "ci_low": ci.low, "ci_high": ci.high,
                    "p": stats.ttest_two_sided(d), "n": len(d), "boot_low": ci.low, "boot_high": ci.high,
                    "method": f"mean paired difference {first} - {second}; bootstrap 95%; paired t-test"}
                   for part, first, second, d, _, ci in effects]
        if not (cp.low > 0 or cp.high < 0):
            head = {"value": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                    "note": f"undefined: the positional effect's 95% CI ({cp.low:.3g} to {cp.high:.3g}) includes 0"}
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                ci = stats.percentile_interval(rc / rp)
            head = {"value": float(dc.mean() / dp.mean()), "ci_low": ci.low, "ci_high": ci.high, "note": None}
        head.update({"contrast": c["name"], "n": len(dc) + len(dp),
                     "method": "compositional effect / positional effect; bootstrap 95% (experiments resampled apart)"})
        return [head, *records]

    def boot(self, contrast: str, model: str, n: int) -> np.ndarray:
        seed = _seed(self.config, self.meta["seed"], contrast, model)
        return stats.bootstrap_indices(seed, n, self.config.resamples)

    def win_rate(self, c: dict, model: str, frame: pl.DataFrame) -> dict:
        a, b = _pairs(frame, c["better"], c["worse"], c["pairing"])
        n = len(a)
        if n == 0:
            return {"value": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0, "ties": 0,
                    "method": "-", "note": "no pairs"}
        wins, ties = int((a > b).sum()), int((a == b).sum())
        outcomes = (a > b).astype(np.float64)
        replicates = outcomes[self.boot(c["name"], model, n)].mean(axis=1)
        self.replicates[(c["name"], model)] = replicates
        boot = stats.percentile_interval(replicates)
        if self.config.stats == "paper":
            p = stats.ttest_one_sample_greater(outcomes, 0.5)
            ci, method = boot, "one-sample t-test vs 0.5 (one-sided); percentile bootstrap 95%"
        else:
            p = stats.sign_test_greater(wins, n - wins - ties)
            ci, method = stats.wilson(wins, n), "exact sign test (one-sided, ties excluded); Wilson 95%"
        return {"value": wins / n, "ci_low": ci.low, "ci_high": ci.high, "p": p, "n": n, "ties": ties,
                "boot_low": boot.low, "boot_high": boot.high, "method": method,
                "note": f"{ties} tie(s) count as failures" if ties else None}

    def cohens_d(self, c: dict, model: str, frame: pl.DataFrame) -> dict:
        first, second = c["first"], c["second"]
        if self.lineage(first, second):
            a, b = _pairs(frame, first, second, "lineage")
            idx = self.boot(c["name"], model, len(a))
            replicates = stats.cohens_d_rows(a[idx], b[idx])
            p, method = stats.ttest_two_sided(a - b), "paired bootstrap 95%; paired t-test (two-sided)"
            n = len(a)
        else:
            a = _class_scores(frame, first)["score"].to_numpy()
            b = _class_scores(frame, second)["score"].to_numpy()
            ia, ib = self.boot(c["name"], model, len(a)), self.boot(c["name"] + "/2", model, len(b))
            replicates = stats.cohens_d_rows(a[ia], b[ib])
            p, method = stats.ttest_two_sided(a, b), "bootstrap 95% (groups resampled); Welch t-test (two-sided)"
            n = len(a) + len(b)
        value = stats.cohens_d(a, b)
        self.replicates[(c["name"], model)] = replicates
        ci = stats.percentile_interval(replicates)
        note = None
        if math.isnan(value):  # no spread to scale by: no effect size, so no test of one either
            note, p = "undefined: both classes have constant scores", math.nan
        return {"value": value, "ci_low": ci.low, "ci_high": ci.high, "p": p, "n": n, "boot_low": ci.low,
                "boot_high": ci.high, "method": method, "note": note}

    def magnitude(self, c: dict, model: str, frame: pl.DataFrame) -> dict:
        names = (c["start"], c["end"], c["toward"])
        groups = [_class_scores(frame, x)["score"].to_numpy() for x in names]
        means = [g.mean() for g in groups]
        denominator = means[2] - means[0]
        value = (means[1] - means[0]) / denominator if denominator != 0 else math.nan
        reps = []
        for k, g in enumerate(groups):
            reps.append(g[self.boot(f"{c['name']}/{k}", model, len(g))].mean(axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            replicates = (reps[1] - reps[0]) / (reps[2] - reps[0])
        self.replicates[(c["name"], model)] = replicates
        ci = stats.percentile_interval(replicates)
        note = "undefined: mean of the intact class equals the broken one" if math.isnan(value) else None
        return {"value": value, "ci_low": ci.low, "ci_high": ci.high, "n": sum(len(g) for g in groups),
                "boot_low": ci.low, "boot_high": ci.high, "method": "(mean end - mean start) / (mean toward - mean start); "
                "bootstrap 95%", "note": note}

    def ratio(self, c: dict, model: str, frame: pl.DataFrame, results: dict | None = None) -> dict:
        num, den = results[(c["numerator"], model)][0], results[(c["denominator"], model)][0]
        value = num["value"] / den["value"] if den["value"] not in (0.0,) and not math.isnan(den["value"]) else math.nan
        rn, rd = self.replicates.get((c["numerator"], model)), self.replicates.get((c["denominator"], model))
        ci = stats.Interval(math.nan, math.nan)
        if rn is not None and rd is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                ci = stats.percentile_interval(rn / rd)
        note = None
        if math.isnan(value):
            note = "undefined: the denominator is zero or undefined"
        elif not (den["ci_low"] > 0 or den["ci_high"] < 0):
            note = f"unstable: the CI of {c['denominator']} includes 0, so this ratio's interval is unbounded"
            ci = stats.Interval(math.nan, math.nan)
        return {"value": value, "ci_low": ci.low, "ci_high": ci.high, "n": num["n"], "boot_low": ci.low,
                "boot_high": ci.high, "method": f"{c['numerator']} / {c['denominator']}; bootstrap 95%", "note": note}


def compute(meta: dict, sequences: pl.DataFrame, scores: pl.DataFrame, config: MetricsConfig = MetricsConfig()) -> pl.DataFrame:
    """One row per (contrast, model), in plan contrast order then model order."""
    frame = join_scores(sequences, scores)
    calc = _Calculator(meta, frame, config)
    models = sorted(frame["model"].unique().to_list())
    results: dict[tuple[str, str], dict] = {}
    contrasts = meta["contrasts"]
    ordered = [c for c in contrasts if c["kind"] != "ratio"] + [c for c in contrasts if c["kind"] == "ratio"]
    for model in models:
        part = frame.filter(pl.col("model") == model)
        for c in ordered:
            if c["kind"] == "ratio":
                record = {"contrast": c["name"], "kind": "ratio", "model": model, "p": math.nan, "ties": None,
                          "level": None}
                record.update(calc.ratio(c, model, part, results))
                results[(c["name"], model)] = [record]
            else:
                results[(c["name"], model)] = calc.record(c, model, part)
    # headline rows first (declared order x models), then the parts of each contrast
    rows = [results[(c["name"], m)][0] for c in contrasts for m in models]
    rows += [r for c in contrasts for m in models for r in results[(c["name"], m)][1:]]
    table = pl.DataFrame(rows, schema=RESULT_COLUMNS, strict=False)
    p = table["p"].to_numpy()
    if config.stats == "paper":
        q = np.full(len(p), np.nan)
        for name in table["contrast"].unique().to_list():
            mask = (table["contrast"] == name).to_numpy()
            q[mask] = stats.benjamini_hochberg(p[mask])
    else:
        q = stats.benjamini_hochberg(p)
    return table.with_columns(pl.Series("q", q).fill_nan(None), pl.col("p").fill_nan(None),
                              *(pl.col(x).fill_nan(None) for x in ("value", "ci_low", "ci_high", "boot_low", "boot_high")))
