"""The plain-text summary `mitspec run` and `mitspec report` print: model x contrast
values, then the composition audit in short."""
from __future__ import annotations

import polars as pl

from ..planview import PlanView
from ..text import format_table
from .tables import (AUDIT_HEADER, SHARE_LEGEND, audit_composition_rows, audit_share_rows, model_groups,
                     position_controls_note, shown, significant)


def terminal_summary(metrics: pl.DataFrame, plan: PlanView, doc: dict) -> str:
    """model x contrast table of values (with * for q < 0.05) for the end of `mitspec run`."""
    names = [c["name"] for c in plan.contrasts]
    if not names:
        return (f"{plan.benchmark}: the plan declares no contrasts, so there is nothing to test; "
                f"scored by {', '.join(doc['models']) or 'no model'} (see the score distributions)")
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    rows = []
    for label, models in model_groups(doc, set(metrics["model"].unique().to_list())):
        if label:
            rows.append([f"[{label}]", *([""] * len(names))])
        for model in models:
            rows.append([model, *(shown(r) + ("*" if significant(r) else "")
                                  for r in (lookup[(name, model)] for name in names))])
    table = format_table(rows, ["model", *names], right=set(range(1, len(names) + 1)))
    text = f"{plan.benchmark}: {doc['stats']} statistics; * q < 0.05 ({doc['family']})\n{table}"
    audit = doc.get("audit")
    if audit and audit["composition"]:
        text += "\n\n" + audit_summary(audit, doc)
    return text


def audit_summary(audit: dict, doc: dict | None = None) -> str:
    """The composition audit for the terminal: how the arms differ, then per model the
    composition-adjusted value and its verdict."""
    header, rows = audit_share_rows(audit, doc)
    return ("composition audit: how the arms differ, and the share of each effect that composition (base and "
            "dinucleotide content, genome k-mer chains, AT tracts) predicts (docs/metrics.md: Composition audit)\n"
            + format_table(audit_composition_rows(audit), AUDIT_HEADER) + "\n" + SHARE_LEGEND + "\n"
            + format_table(rows, header, right=set(range(1, len(header)))) + "\n" + position_controls_note(audit))
