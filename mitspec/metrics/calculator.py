"""Scores + the plan's declared contrasts -> one record per (contrast, model).

Pairing follows the plan: `paired` contrasts join instances on the background they
share (lineage, the matched design), `paired by index` joins on the instance index.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import polars as pl

from .. import rng, stats
from ..contrasts import KINDS
from ..errors import MitspecError
from ..planview import PlanView
from ..sequence import at_fraction_expr, cpg_fraction_expr

STATS_MODES = ("sound", "paper")
FDR_FAMILIES = ("model", "run")
RESULT_COLUMNS = {
    "contrast": pl.String, "kind": pl.String, "model": pl.String, "value": pl.Float64, "ci_low": pl.Float64,
    "ci_high": pl.Float64, "p": pl.Float64, "q": pl.Float64, "n": pl.Int64, "ties": pl.Int64,
    "boot_low": pl.Float64, "boot_high": pl.Float64, "method": pl.String, "note": pl.String, "level": pl.String,
    "of": pl.String, "part": pl.String,
}
PARTS = ("level", "difference", "spearman", "means", "phase", "composition", "position")  # what a part row is


def part_name(contrast: str, part: str | None, level: str | None = None) -> str:
    """The row's name in tables and metrics.json: the contrast's own for its headline;
    `NAME[level]` (a profile level), `NAME[level]-ref` (its difference to the reference)
    or `NAME.part` for its other parts."""
    if part is None:
        return contrast
    if part == "level":
        return f"{contrast}[{level}]"
    if part == "difference":
        return f"{contrast}[{level}]-ref"
    return f"{contrast}.{part}"


class MetricsError(MitspecError):
    pass


@dataclass(frozen=True)
class MetricsConfig:
    """stats: "sound" (win rates over decided pairs with the sign test and Wilson interval)
    or "paper" (ties as failures, one-sample t-test of 0/1 outcomes, percentile bootstrap,
    BH per contrast across scorers, as published). fdr (sound mode): the Benjamini-Hochberg
    family, "model" (each model's own tests: its verdicts do not depend on which other
    models share the run) or "run" (every contrast x model test of the run)."""

    stats: str = "sound"
    resamples: int = 1000
    seed: int | None = None  # default: the plan's seed
    audit: bool = True  # the composition audit (metrics.audit)
    fdr: str = "model"

    def __post_init__(self):
        if self.stats not in STATS_MODES:
            raise MetricsError(f"unknown stats mode {self.stats!r}; use one of {', '.join(STATS_MODES)}")
        if self.fdr not in FDR_FAMILIES:
            raise MetricsError(f"unknown FDR family {self.fdr!r}; use one of {', '.join(FDR_FAMILIES)}")
        if self.resamples < 1:
            raise MetricsError("resamples must be positive")

    def family_description(self) -> str:
        if self.stats == "paper":
            return "Benjamini-Hochberg within each contrast across all models (published protocol)"
        if self.fdr == "run":
            return "Benjamini-Hochberg over every contrast x model test in this run"
        return "Benjamini-Hochberg over each model's own tests (one family per model)"


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
    if "sequence" in scores.columns:
        check_sequences(sequences, scores)
    return sequences.select("id", "class", "index", "background", at_fraction_expr(), cpg_fraction_expr()).join(
        scores.select("id", "model", "score"), on="id")


def check_sequences(sequences: pl.DataFrame, scores: pl.DataFrame) -> None:
    """Scores that carry the sequences they were computed on must have been computed on
    the plan's: the composition audit reads the plan's sequences, so scores of other
    sequences under the same ids would be audited against the wrong bases."""
    given = scores.filter(pl.col("sequence").is_not_null()).select("id", "model", pl.col("sequence").alias("scored"))
    if given.is_empty():
        return
    differ = given.join(sequences.select("id", "sequence"), on="id").filter(pl.col("scored") != pl.col("sequence"))
    if not differ.is_empty():
        ids = differ["id"].unique(maintain_order=True).to_list()
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        raise MetricsError(f"{len(ids)} scored sequence(s) differ from the plan's under the same id ({shown}; "
                           f"model {differ['model'][0]}): these scores belong to other sequences. Make a plan of the "
                           "sequences that were scored (docs/metrics.md: Scores computed elsewhere, and given sequences) and evaluate the scores against it")


def with_covariate(frame: pl.DataFrame, covariate: str, classes: list[str], levels: list | None = None) -> pl.DataFrame:
    """`frame` (with `at` and `cpg` columns) with column `at` holding the covariate: the
    sequences' AT, GC or CpG, or each class's sweep level (`levels`, in `classes` order;
    other classes get null)."""
    if covariate == "gc_content":
        return frame.with_columns((1 - pl.col("at")).alias("at"))
    if covariate == "cpg":
        return frame.with_columns(pl.col("cpg").alias("at"))
    if levels is not None:
        return frame.with_columns(pl.col("class").replace_strict(classes, levels, default=None,
                                                                 return_dtype=pl.Float64).alias("at"))
    return frame


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


class Curve(NamedTuple):
    """Score against AT fraction over the rows of some classes: per row (at, score and
    their average ranks), per class in the order given (rows' at and score arrays),
    and the class means."""

    at: np.ndarray
    score: np.ndarray
    at_rank: np.ndarray
    score_rank: np.ndarray
    level_at: list[np.ndarray]
    level_score: list[np.ndarray]
    mean_at: np.ndarray
    mean_score: np.ndarray


class Calculator:
    """One model's scores, as the contrast kinds' `compute` functions read them (numpy
    arrays), the plan (`plan`, a PlanView), the bootstrap streams and what other
    contrasts already computed."""

    def __init__(self, plan: PlanView, frame: pl.DataFrame, config: MetricsConfig, model: str):
        self.plan, self.frame, self.config, self.model = plan, frame, config, model
        self.classes = {c.name: c for c in self.plan.classes}
        self.replicates: dict[str, np.ndarray] = {}  # contrast -> bootstrap replicates of its headline
        self.results: dict[str, list[dict]] = {}  # contrast -> its records (headline first)

    def scores(self, cls: str) -> np.ndarray:
        return _class_scores(self.frame, cls)["score"].to_numpy()

    def scores_by_index(self, cls: str) -> np.ndarray:
        return _class_scores(self.frame, cls).sort("index")["score"].to_numpy()

    def pairs(self, first: str, second: str, pairing: str) -> tuple[np.ndarray, np.ndarray]:
        """Scores of paired instances: `lineage` joins on the shared background, `index` on the index."""
        return _pairs(self.frame, first, second, pairing)

    def lineage(self, *classes: str) -> bool:
        return len({self.classes[c].background_root for c in classes}) == 1

    def boot(self, label: str, n: int) -> np.ndarray:
        """(resamples, n) bootstrap indices, seeded by (seed, label, model)."""
        seed = _seed(self.config, self.plan.seed, label, self.model)
        return stats.bootstrap_indices(seed, n, self.config.resamples)

    def boot_mean(self, label: str, values: np.ndarray) -> np.ndarray:
        """(resamples,) bootstrap means of `values`: values[self.boot(label, n)].mean(axis=1)
        without holding the (resamples, n) matrices (stats.bootstrap_means)."""
        seed = _seed(self.config, self.plan.seed, label, self.model)
        return stats.bootstrap_means(seed, values, self.config.resamples)

    def curve(self, classes: list[str], covariate: str = "at_content", levels: list | None = None) -> Curve:
        """Score against a covariate (Curve's `at` fields hold it): the sequences' AT, GC or
        CpG, or each class's sweep `levels` (given in class order)."""
        part = with_covariate(self.frame.filter(pl.col("class").is_in(classes)), covariate, classes, levels)
        means = part.group_by("class", maintain_order=True).agg(pl.col("at").mean(), pl.col("score").mean())
        levels = [part.filter(pl.col("class") == k) for k in classes]
        return Curve(part["at"].to_numpy(), part["score"].to_numpy(), part["at"].rank("average").to_numpy(),
                     part["score"].rank("average").to_numpy(), [rows["at"].to_numpy() for rows in levels],
                     [rows["score"].to_numpy() for rows in levels], means["at"].to_numpy(), means["score"].to_numpy())

    def record(self, contrast: dict) -> list[dict]:
        """The contrast's records: the headline (named as declared) first, then any parts,
        each with `of` (the contrast) and `part` (one of PARTS; None for the headline), and
        named by `part_name`. A value that is undefined (NaN) has no interval."""
        kind = KINDS[contrast["kind"]]
        result = kind.compute(self, contrast, self.model)
        out = []
        for part in result if isinstance(result, list) else [result]:
            row = {"contrast": contrast["name"], "kind": kind.name, "model": self.model, "p": math.nan, "ties": None,
                   "boot_low": math.nan, "boot_high": math.nan, "note": None, "level": None, "of": contrast["name"],
                   "part": None}
            row.update(part)
            assert row["part"] is None or row["part"] in PARTS, row["part"]
            row["contrast"] = part_name(contrast["name"], row["part"], row["level"])
            if row["value"] is None or math.isnan(row["value"]):
                row.update(ci_low=math.nan, ci_high=math.nan, boot_low=math.nan, boot_high=math.nan)
            out.append(row)
        self.results[contrast["name"]] = out
        return out


def dependency_order(contrasts: Sequence[Mapping]) -> list[Mapping]:
    """Contrasts ordered so that each comes after those it `requires` (declared order otherwise)."""
    by_name = {c["name"]: c for c in contrasts}
    done: dict[str, Mapping] = {}

    def visit(c: Mapping, path: tuple[str, ...]) -> None:
        if c["name"] in done:
            return
        if c["name"] in path:
            raise MetricsError(f"contrasts depend on each other in a cycle: {' -> '.join((*path, c['name']))}")
        for name in KINDS[c["kind"]].requires(c):
            if name not in by_name:
                raise MetricsError(f"contrast {c['name']} needs {name}, which the plan does not declare")
            visit(by_name[name], (*path, c["name"]))
        done[c["name"]] = c

    for c in contrasts:
        visit(c, ())
    return list(done.values())


def compute(plan: PlanView, sequences: pl.DataFrame, scores: pl.DataFrame,
            config: MetricsConfig = MetricsConfig()) -> pl.DataFrame:
    """One row per (contrast, model) headline, in plan contrast order then model order,
    followed by the contrasts' parts. `sequences`: the plan's sequence table; `scores`:
    id, model, score."""
    frame = join_scores(sequences, scores)
    models = sorted(frame["model"].unique().to_list())
    contrasts = plan.contrasts
    unknown = sorted({c["kind"] for c in contrasts} - set(KINDS))
    if unknown:
        raise MetricsError(f"the plan declares contrast kind(s) {', '.join(unknown)} that this mitspec does not know; "
                           "recompile the plan with this version")
    results: dict[tuple[str, str], list[dict]] = {}
    for model in models:
        calc = Calculator(plan, frame.filter(pl.col("model") == model), config, model)
        for c in dependency_order(contrasts):
            results[(c["name"], model)] = calc.record(c)
    # headline rows first (declared order x models), then the parts of each contrast
    rows = [results[(c["name"], m)][0] for c in contrasts for m in models]
    rows += [r for c in contrasts for m in models for r in results[(c["name"], m)][1:]]
    table = pl.DataFrame(rows, schema=RESULT_COLUMNS, strict=False)
    p = table["p"].to_numpy()
    if config.stats == "paper" or config.fdr == "model":
        column = "contrast" if config.stats == "paper" else "model"
        q = np.full(len(p), np.nan)
        for name in table[column].unique().to_list():
            mask = (table[column] == name).to_numpy()
            q[mask] = stats.benjamini_hochberg(p[mask])
    else:
        q = stats.benjamini_hochberg(p)
    return table.with_columns(pl.Series("q", q).fill_nan(None), pl.col("p").fill_nan(None),
                              *(pl.col(x).fill_nan(None) for x in ("value", "ci_low", "ci_high", "boot_low", "boot_high")))
