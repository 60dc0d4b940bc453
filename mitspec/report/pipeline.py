"""plan + scores -> metrics.json, metrics.parquet, report.md, report.html."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .. import __version__
from ..metrics.calculator import MetricsConfig, MetricsError
from ..metrics.evaluate import evaluate
from ..metrics.files import METRICS_FORMAT, write_metrics
from ..io import sha256_file
from ..plan.store import Plan
from ..scores.run import read_models, read_skipped
from .render import write_report
from .terminal import terminal_summary


def _up_to_date(out_dir: Path, plan: Plan, config: MetricsConfig, digest: str) -> dict | None:
    """The existing metrics.json when it was made from exactly these inputs, and the report exists."""
    try:
        doc = json.loads((out_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("compiler"), dict):
        return None
    same = (doc.get("format") == METRICS_FORMAT and doc.get("plan") == plan.plan_hash and doc.get("scores_sha256") == digest and doc.get("stats") == config.stats
            and doc.get("resamples") == config.resamples and doc.get("compiler", {}).get("version") == __version__
            and config.seed is None and ("audit" in doc) == config.audit
            and doc.get("family") == config.family_description())
    files = all((out_dir / f).exists() for f in ("metrics.parquet", "report.html", "report.md"))
    return doc if same and files else None


def report_run(plan: Plan, scores_path: Path, out_dir: Path, config: MetricsConfig, force: bool = False) -> str:
    """Write metrics and the report into out_dir (skipped when nothing changed, unless
    `force`); returns the terminal summary."""
    digest = sha256_file(scores_path)
    doc = None if force else _up_to_date(out_dir, plan, config, digest)
    if doc is not None:
        return terminal_summary(pl.read_parquet(out_dir / "metrics.parquet"), plan.view, doc)
    # only this plan's rows and the columns the metrics read: a 10^6-sequence run's file
    # holds a 64-character plan hash and a scorer id on each of its 14 million rows
    source = pl.scan_parquet(scores_path)
    scores = source.filter(pl.col("plan") == plan.plan_hash).select("id", "model", "score").collect()
    if scores.is_empty():
        first = source.select("plan").head(1).collect()
        if not first.is_empty():
            other = first["plan"][0]
            raise MetricsError(f"the scores in {scores_path} belong to plan {other[:12]}, not to {plan.path} "
                               f"(plan {plan.plan_hash[:12]}): they are stale if the plan was recompiled since; "
                               f"rescore it with `mitspec run {plan.path.parent}`, or report them against their "
                               "own plan")
    models = read_models(scores_path.parent)
    table, doc = evaluate(plan.view, plan.sequences, scores, config, digest,
                          {m: info.get("kind", "") for m, info in models.items()},
                          composition=[m for m, info in models.items() if info.get("composition_only")])
    write_metrics(doc, table, out_dir)
    write_report(out_dir, plan, scores, table, doc, models, read_skipped(scores_path.parent))
    return terminal_summary(table, plan.view, doc)
