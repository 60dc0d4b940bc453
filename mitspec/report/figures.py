"""Figures of a report: one hook per contrast kind (`FIGURES`), and the figures of the
whole run. A hook takes the report's context and a contrast's plan record and returns
its figures as (key, caption, png bytes); a kind without a hook has none. A new kind
with a figure is its module in contrasts/ and its hook here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ..contrasts import correlate
from ..metrics.calculator import with_covariate
from ..plan.store import Plan
from ..sequence import at_fraction_expr, cpg_fraction_expr
from . import plots

Figure = tuple[str, str, bytes]  # (key, caption, png)


@dataclass(frozen=True)
class Context:
    """What figure hooks read: the plan, the metrics table, the scores joined to their
    classes (id, model, score, class) and the models in report order."""

    plan: Plan
    metrics: pl.DataFrame
    scores: pl.DataFrame
    models: list[str]


FIGURES: dict[str, Callable[[Context, dict], list[Figure]]] = {}


def hook(kind: str):
    """Register the figure hook of contrast kind `kind`."""
    def register(func):
        if kind in FIGURES:
            raise ValueError(f"contrast kind {kind} has two figure hooks")
        FIGURES[kind] = func
        return func
    return register


@hook("profile")
def profile(ctx: Context, c: dict) -> list[Figure]:
    """Mean score per level with 95% intervals per model; a heatmap when two sweeps cross."""
    out = [(f"profile_{c['name']}", f"{c['name']}: mean score per level", plots.profile(ctx.metrics, c, ctx.models))]
    grid = plots.heatmap(ctx.metrics, c, ctx.plan.meta["classes"])
    if grid is not None:
        out.append((f"heatmap_{c['name']}", f"{c['name']}: mean score per pair of levels", grid))
    return out


@hook("correlate")
def scatter(ctx: Context, c: dict) -> list[Figure]:
    """Each sequence's score against the covariate, with the fitted line, per model."""
    frame = ctx.scores.join(ctx.plan.sequences.select("id", at_fraction_expr(), cpg_fraction_expr()), on="id")
    frame = with_covariate(frame, c["with"], c["classes"], c.get("levels"))
    return [(f"scatter_{c['name']}", f"{c['name']}: score against {correlate.LABELS[c['with']]}",
             plots.scatter(frame, ctx.metrics, c, correlate.LABELS[c["with"]]))]


def contrast_figures(ctx: Context, c: dict) -> list[Figure]:
    hook_of = FIGURES.get(c["kind"])
    return hook_of(ctx, c) if hook_of is not None else []
