"""Plan x scorers -> scores.parquet (id, class, model, score, per_nt, tokens)."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from ..models.base import Scorer, Scores
from ..planview import PlanView
from ..errors import ModelError
from ..io import atomic_write
from ..plan.store import PLAN_FILE, PlanError, load_plan
from .engine import pending, score_cached

SCORES_FILE = "scores.parquet"
MODELS_FILE = "models.json"  # what each scored model is ({name: scorer.info()}), for the report
RUN_FILE = "run.json"  # where the plan is, when scores are written away from it (`run -o`)
SKIPPED_FILE = "skipped.json"  # scorers the default run left out, and why ({name: reason})
SCORE_COLUMNS = {"id": pl.String, "class": pl.String, "model": pl.String, "score": pl.Float64,
                 "per_nt": pl.Float64, "tokens": pl.Int64, "plan": pl.String, "scorer": pl.String}


def bound_parts(scorer: Scorer, ids: pl.DataFrame, sequences: list[str],
                plan: PlanView) -> list[tuple[np.ndarray | None, Scorer, list[str]]]:
    """(rows mask, scorer, their sequences) to score: the whole plan at once, or, for a
    scorer whose expectations depend on the class (`per_class`), each class with the
    scorer bound to it (its cache key is then what it expects of that class, so a
    sequence shared by two classes is scored for each)."""
    if not scorer.per_class:
        return [(None, scorer, sequences)]
    classes = ids["class"].to_numpy()
    parts = []
    for name in ids["class"].unique(maintain_order=True).to_list():
        mask = classes == name
        parts.append((mask, scorer.for_class(plan, name), [s for s, keep in zip(sequences, mask) if keep]))
    return parts


def score_frame(plan_hash: str, ids: pl.DataFrame, scorer: Scorer, parts: list, cache,
                progress: Callable[[int], None] | None = None) -> pl.DataFrame:
    """Scores of every row of `ids`, from `bound_parts(scorer, ...)`."""
    if len(parts) == 1 and parts[0][0] is None:
        result = score_cached(parts[0][1], parts[0][2], cache, progress)
    else:
        n = len(ids)
        result = Scores(np.empty(n), np.empty(n), np.empty(n, dtype=np.int64))
        for mask, bound, rows in parts:
            part = score_cached(bound, rows, cache, progress)
            result.score[mask], result.per_nt[mask], result.tokens[mask] = part.score, part.per_nt, part.tokens
    return ids.with_columns(
        pl.lit(scorer.name).alias("model"),
        pl.Series("score", result.score),
        pl.Series("per_nt", result.per_nt).fill_nan(None),
        pl.Series("tokens", result.tokens),
        pl.lit(plan_hash).alias("plan"),
        pl.lit(scorer.identity[:16]).alias("scorer"),
    ).select(list(SCORE_COLUMNS))


def run_plan(plan_path: Path, scorers: list[Scorer], out_dir: Path, cache,
             progress_for: Callable[[str, int], Callable[[int], None]] | None = None,
             named: frozenset[str] = frozenset(), say: Callable[[str], None] | None = None) -> Path:
    """Score every sequence of the plan with every scorer; merge into out_dir/scores.parquet.

    Rows of other models already in the file are kept when they belong to the same plan,
    so models can be run one at a time. A scorer with nothing to read in the plan is
    skipped (said through `say`, and listed in skipped.json for the report), unless the
    user `named` it: then it is an error."""
    seen: dict[str, Scorer] = {}
    for scorer in scorers:
        if scorer.name in seen:
            raise ModelError(f"two models are named {scorer.name!r} ({_where(seen[scorer.name])} and {_where(scorer)}); "
                             "scores are kept by model name, so rename one (its directory or manifest `name`)")
        seen[scorer.name] = scorer
    plan = load_plan(plan_path)
    sequences = plan.sequences["sequence"].to_list()
    ids = plan.sequences.select("id", "class")
    view = plan.view
    skipped = {}
    for scorer in scorers:
        reason = scorer.unmet(view) or scorer.too_long(sequences)
        if reason is not None and scorer.name in named:
            raise ModelError(f"{scorer.name} cannot score {plan.path.parent}: {reason}")
        if reason is not None:
            skipped[scorer.name] = reason
            if say is not None:
                say(f"skipping {scorer.name}: {reason}")
    scorers = [s for s in scorers if s.name not in skipped]
    if not scorers:
        raise ModelError(f"no model can score {plan.path.parent}: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    frames = []
    for scorer in scorers:
        scorer = scorer.for_plan(view)
        parts = bound_parts(scorer, ids, sequences, view)
        todo = sum(pending(bound, rows, cache) for _, bound, rows in parts)
        progress = progress_for(scorer.name, todo) if progress_for and todo else None
        frames.append(score_frame(plan.plan_hash, ids, scorer, parts, cache, progress))
    out = Path(out_dir) / SCORES_FILE
    fresh = pl.concat(frames)
    if out.exists():
        old = pl.read_parquet(out)
        if set(old.columns) == set(SCORE_COLUMNS):
            keep = old.filter((pl.col("plan") == plan.plan_hash) & ~pl.col("model").is_in(fresh["model"].unique().to_list()))
            fresh = pl.concat([keep.select(list(SCORE_COLUMNS)), fresh])
    fresh = fresh.sort("model", maintain_order=True)
    models = {**read_models(out.parent), **{s.name: s.info() for s in scorers}}
    models = {name: models[name] for name in fresh["model"].unique(maintain_order=True) if name in models}
    atomic_write(out.parent / MODELS_FILE, lambda p: p.write_text(json.dumps(models, indent=1) + "\n", encoding="utf-8"))
    atomic_write(out, lambda p: fresh.write_parquet(p, compression="zstd", statistics=False))
    kept = {name: reason for name, reason in read_skipped(out.parent).items() if name not in fresh["model"].to_list()}
    kept.update(skipped)
    atomic_write(out.parent / SKIPPED_FILE, lambda p: p.write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8"))
    if out.parent.resolve() != plan.path.parent.resolve():
        pointer = {"plan": str(plan.path.parent.resolve()), "plan_hash": plan.plan_hash}
        atomic_write(out.parent / RUN_FILE, lambda p: p.write_text(json.dumps(pointer, indent=1) + "\n", encoding="utf-8"))
    return out


def read_skipped(run_dir: Path) -> dict[str, str]:
    """{scorer: why it was left out} of a run directory (empty when none was)."""
    try:
        data = json.loads((Path(run_dir) / SKIPPED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _where(scorer: Scorer) -> str:
    return str(scorer.info().get("source") or scorer.kind)


def plan_of_run(run_dir: Path, plan_dir: Path | None = None) -> Path:
    """The plan directory a run directory's scores belong to: `plan_dir` when given, the
    run directory itself when it holds plan.json, else the plan `run -o` recorded."""
    run_dir = Path(run_dir)
    if plan_dir is not None or (run_dir / PLAN_FILE).exists():
        return Path(plan_dir) if plan_dir is not None else run_dir
    try:
        recorded = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))["plan"]
        if not isinstance(recorded, str) or "\0" in recorded:
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        raise PlanError(f"{run_dir} holds scores but no {PLAN_FILE} (scores written with `mitspec run -o` live "
                        f"apart from their plan); name the plan: `mitspec report {run_dir} --plan PLAN_DIR`") from None
    if not (Path(recorded) / PLAN_FILE).exists():
        raise PlanError(f"{run_dir} was scored from the plan in {recorded}, which is gone; recompile it there, "
                        f"or name the plan: `mitspec report {run_dir} --plan PLAN_DIR`")
    return Path(recorded)


def read_models(run_dir: Path) -> dict[str, dict]:
    """{model name: info} recorded by earlier runs into run_dir ({} when absent or unreadable)."""
    try:
        models = json.loads((Path(run_dir) / MODELS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return {str(k): v for k, v in models.items() if isinstance(v, dict)} if isinstance(models, dict) else {}
