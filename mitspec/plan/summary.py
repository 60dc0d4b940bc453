"""Per-class summaries of a plan (what `mitspec show` prints)."""
from __future__ import annotations

import polars as pl

from ..contrasts import KINDS
from ..sequence import at_fraction_expr
from ..text import format_table
from .store import Plan


def _feature_label(f: dict) -> str:
    mark = "(-)" if f["strand"] == "-" else "~" if f["source"] == "shuffle" else ""
    where = f"random({f['start']}..{f['end']})" if "random" in f else f"{f['start']}..{f['end']}"
    return f"{f['name']}@{where}{mark}"


def _features(c: dict) -> str:
    text = " ".join(_feature_label(f) for f in c["features"]) or "-"
    origin = c.get("origin")
    return f"{text}  [origin {origin['at']}@{origin['position']}]" if origin else text


def class_summary(plan: Plan) -> pl.DataFrame:
    """One row per class: name, title, n, parent, AT fraction mean and SD, features."""
    at = plan.sequences.select("class", at_fraction_expr()).group_by("class", maintain_order=True).agg(
        pl.col("at").mean().alias("at_mean"), pl.col("at").std().alias("at_sd"),
    )
    meta = pl.DataFrame([
        {"class": c["name"], "title": c["title"], "n": c["n"],
         "from": (c["parent"] or "-") + (" (indep.)" if c["independent"] else ""),
         "features": _features(c)}
        for c in plan.meta["classes"]
    ])
    return meta.join(at, on="class", how="left", maintain_order="left")


def render_summary(plan: Plan) -> str:
    meta = plan.meta
    summary = class_summary(plan)
    rows = [[r["class"], r["title"], f"{r['n']:,}", r["from"], f"{r['at_mean']:.3f}",
             f"{r['at_sd']:.3f}" if r["at_sd"] is not None else "-", r["features"]]
            for r in summary.iter_rows(named=True)]
    table = format_table(rows, ["class", "name", "n", "from", "AT", "sd",
                                "features (0-based start..end; (-) minus strand; ~ shuffled; random(lo..hi): "
                                "drawn per instance)"],
                         right={2, 4, 5})
    contrasts = [f"  {c['name']:<14} {KINDS[c['kind']].label}: {KINDS[c['kind']].describe(c)}" for c in meta["contrasts"]]
    head = (f"{meta['benchmark']}  (spec {meta['spec']['path']}, seed {meta['seed']}, length {meta['length']} bp)\n"
            f"{meta['sequences']['count']:,} sequences in {len(meta['classes'])} classes, plan {meta['plan_hash'][:12]}")
    parts = [head, "", table]
    if contrasts:
        parts += ["", "contrasts:", *contrasts]
    return "\n".join(parts)
