"""The report's figures. A contrast kind draws its own (`ContrastKind.figures`, in its
module in contrasts/) with the primitives of the `Canvas` it is handed: the canvas knows
the run (metrics, scores, plan, model order) and how to draw; the kind knows which chart
says what it measured. A new kind with a figure is its module alone, as long as one of
these primitives fits; a new kind of chart is a primitive here and its drawing in plots.py."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..contrasts import KINDS
from ..metrics.calculator import with_covariate
from ..plan.store import Plan
from ..sequence import at_fraction_expr, cpg_fraction_expr
from . import plots

Figure = tuple[str, str, bytes]  # (key, caption, png)


@dataclass(frozen=True)
class Canvas:
    """What a figure hook draws with. plan, metrics (one row per record), scores joined to
    their classes (id, model, score, class) and the models in report order."""

    plan: Plan
    metrics: pl.DataFrame
    scores: pl.DataFrame
    models: list[str]

    def profile(self, c: dict) -> bytes:
        """Per model, the record's `level` parts (mean score per level, 95% interval) along
        its sweep; reference hollow, peak red."""
        return plots.profile(self.metrics, c, self.models)

    def heatmap(self, c: dict) -> bytes | None:
        """Per model, the `level` parts of a two-sweep factorial as a grid; None unless the
        record's classes cross exactly two sweeps."""
        return plots.heatmap(self.metrics, c, self.plan.view.classes)

    def scatter(self, c: dict, covariate: str, label: str) -> bytes:
        """Per model, every score of the record's classes against `covariate` (at_content,
        gc_content, cpg, or the sweep level given by the record's `levels`), with the
        least-squares line and the headline in the title."""
        frame = self.scores.join(self.plan.sequences.select("id", at_fraction_expr(), cpg_fraction_expr()), on="id")
        return plots.scatter(with_covariate(frame, covariate, c["classes"], c.get("levels")), self.metrics, c, label)


def contrast_figures(canvas: Canvas, c: dict) -> list[Figure]:
    """A contrast's figures, by its kind's hook (none when its kind has no hook)."""
    draw = KINDS[c["kind"]].figures
    return draw(canvas, c) if draw is not None else []
