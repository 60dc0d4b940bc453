"""A plan's sequences and scores -> the metrics table and metrics.json's document: what
`mitspec run`, `mitspec report` and `mitspec metrics` (scores computed elsewhere) share."""
from __future__ import annotations

from collections.abc import Collection

import polars as pl

from ..planview import PlanView
from .audit import audit
from .calculator import MetricsConfig, compute, join_scores
from .files import metrics_document


def evaluate(plan: PlanView, sequences: pl.DataFrame, scores: pl.DataFrame, config: MetricsConfig,
             scores_sha256: str | None = None, kinds: dict[str, str] | None = None,
             from_files: bool = False, composition: Collection[str] = ()) -> tuple[pl.DataFrame, dict]:
    """(metrics table, metrics.json document) of a plan (`plan`: its view; `sequences`:
    its sequence table) scored by `scores` (id, model, score; a `sequence` column is
    checked against the plan's). `from_files`: scores computed elsewhere (`mitspec
    metrics`), whose sequences are checked only when they carry them. `kinds`: model ->
    its kind; `composition`: the models that read composition alone (the audit's
    composition scorers)."""
    checked = not from_files or ("sequence" in scores.columns and bool(scores["sequence"].is_not_null().all()))
    table = compute(plan, sequences, scores, config)  # refuses scored sequences that are not the plan's
    scores = scores.select("id", "model", "score")
    audited = (audit(plan, sequences, join_scores(sequences, scores), table, config, composition)
               if config.audit else None)
    return table, metrics_document(plan, table, config, scores_sha256, scores["model"].unique().to_list(),
                                   audited, kinds, sequences_checked=checked)
