"""The report's numbers as text, and the rows of its tables: a metrics record, an audit
record or a model's info in, strings out. Used by the report's sections and by the
terminal summary, so both say a value the same way."""
from __future__ import annotations

import polars as pl

from ..contrasts import KINDS

SIGNIFICANT = 0.05  # q below this is marked (bold / red / *)


def number(x, digits=2) -> str:
    if x is None:
        return "-"
    if abs(x) != 0 and (abs(x) < 10 ** -digits or abs(x) >= 10 ** 4):
        return f"{x:.1e}"
    return f"{x:.{digits}f}"


def p_value(x) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.2g}" if x >= 1e-4 else f"{x:.1e}"


def signed(x, digits=3) -> str:
    return "-" if x is None else f"{x:+.{digits}f}"


def interval(r) -> str:
    return f"{number(r['ci_low'])} to {number(r['ci_high'])}" if r["ci_low"] is not None else "-"


def significant(r) -> bool:
    return r["q"] is not None and r["q"] < SIGNIFICANT


def shown(r) -> str:
    """A record's value as text; a profile's headline is its peak level."""
    if KINDS[r["kind"]].headline_is_level and r["part"] is None:
        return r["level"] or "-"
    return number(r["value"])


def row_label(r) -> str:
    """`model`, `model [15]` / `model [15]-ref` for a profile level, `model (spearman)` for another part."""
    if r["part"] is None:
        return r["model"]
    if r["part"] in ("level", "difference"):
        return f"{r['model']} [{r['level']}]" + ("-ref" if r["part"] == "difference" else "")
    return f"{r['model']} ({r['part']})"


# --- models ---------------------------------------------------------------------------------------

def model_groups(doc: dict, present: set[str] | None = None) -> list[tuple[str, list[str]]]:
    """The run's models as (label, names): gLMs apart from baselines when the run recorded
    what each model is (doc["model_kinds"]); one unlabelled group otherwise."""
    models = [m for m in doc["models"] if present is None or m in present]
    models += sorted((present or set()) - set(models))
    kinds = doc.get("model_kinds") or {}
    if not kinds:
        return [("", models)]
    baselines = [m for m in models if kinds.get(m) == "baseline"]
    glms = [m for m in models if m not in baselines]
    return [(label, names) for label, names in (("gLMs", glms), ("baselines", baselines)) if names]


def ordered_models(doc: dict, present: set[str] | None = None) -> list[str]:
    return [m for _, names in model_groups(doc, present) for m in names]


def model_rows(doc: dict, models: dict[str, dict]) -> list[list[str]]:
    """[name, kind, parameters, what it is] for each model in the run (blank where unrecorded)."""
    rows = []
    for name in ordered_models(doc):
        info = models.get(name, {})
        params = info.get("params")
        rows.append([name, info.get("kind", ""), f"{params:,}" if params is not None else "-", info.get("about", "")])
    return rows


# --- contrasts ------------------------------------------------------------------------------------

CONTRAST_HEADER = ["model", "value", "95% CI", "p", "q", "n", "ties", "note"]


def of_contrast(name: str) -> pl.Expr:
    """Rows of a contrast: its headline and its parts."""
    return pl.col("of") == name


def by_model(rows: pl.DataFrame, doc: dict | None) -> pl.DataFrame:
    """Rows in model order: gLMs, then baselines (stable within a model)."""
    if doc is None:
        return rows.sort("model", maintain_order=True)
    order = ordered_models(doc, set(rows["model"].unique().to_list()))
    return rows.with_columns(pl.col("model").replace_strict(order, list(range(len(order))), return_dtype=pl.Int64)
                             .alias("_order")).sort("_order", maintain_order=True).drop("_order")


def contrast_records(metrics: pl.DataFrame, name: str, doc: dict | None = None) -> list[dict]:
    """A contrast's metrics records (headline and parts), gLMs first."""
    return list(by_model(metrics.filter(of_contrast(name)), doc).iter_rows(named=True))


def contrast_row(r: dict) -> list[str]:
    """CONTRAST_HEADER's cells for one record."""
    return [row_label(r), shown(r), interval(r), p_value(r["p"]), p_value(r["q"]), str(r["n"]),
            "-" if r["ties"] is None else str(r["ties"]), r["note"] or ""]


def contrast_methods(metrics: pl.DataFrame, name: str) -> str:
    methods = metrics.filter(of_contrast(name))["method"].unique(maintain_order=True).to_list()
    return "; ".join(m for m in methods if m)


# --- expectations ---------------------------------------------------------------------------------

VERDICT_MARK = {"pass": "pass", "fail": "FAIL", "undetermined": "?"}


def expectation_rows(doc: dict) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the expectations table: one row per expectation, one column per
    model (gLMs first), the oracle's verdict as the positive control."""
    models = [m for m in ordered_models(doc) if m != "oracle"]
    header = ["expectation", *models, "oracle (positive control)"]
    rows = []
    for e in doc.get("expectations") or ():
        control = e["control"]
        flag = ("not run" if control is None else "pass" if control == "pass"
                else f"{VERDICT_MARK[control]}: uninformative")
        rows.append([e["text"], *(VERDICT_MARK[e["results"][m]["verdict"]] for m in models), flag])
    return header, rows


# --- composition audit ----------------------------------------------------------------------------

SHORT_VERDICT = {"explained by composition": "explained", "partly explained by composition": "partly",
                 "not explained by composition": "not explained", "inconclusive": "?", "no effect to explain": "no effect"}

AUDIT_HEADER = ["contrast", "arms", "AT diff [95% CI] (GC: its negative)", "CpG diff [95% CI]", "dinucleotide L1 [95% CI]",
                "shown by composition scorers"]

AUDIT_MODEL_HEADER = ["model", "value [95% CI]", "mean score difference", "composition part",
                      "share [95% CI]", "remainder [95% CI]", "adjusted value", "verdict"]


def audit_composition_rows(audit: dict) -> list[list[str]]:
    return [[r["contrast"], f"{r['treatment']} vs {r['reference']}" + (" (paired)" if r["paired"] else ""),
             f"{signed(r['at_diff'])} [{signed(r['at_low'])}, {signed(r['at_high'])}]",
             f"{signed(r['cpg_diff'])} [{signed(r['cpg_low'])}, {signed(r['cpg_high'])}]",
             f"{number(r['dinucleotide_distance'], 3)} [{number(r['dinucleotide_low'], 3)}, "
             f"{number(r['dinucleotide_high'], 3)}]",
             ", ".join(r["reproduced_by"]) or ("none" if r["composition_scorers"] else "(none run)")]
            for r in audit["composition"]]


def audit_model_rows(audit: dict, contrast: str, doc: dict | None = None) -> list[list[str]]:
    """One row per model (gLMs first when `doc` says what each model is)."""
    records = [r for r in audit["models"] if r["contrast"] == contrast]
    if doc is not None:
        order = {m: i for i, m in enumerate(ordered_models(doc, {r["model"] for r in records}))}
        records.sort(key=lambda r: order.get(r["model"], len(order)))
    return [[r["model"], f"{number(r['raw'])} [{number(r['raw_low'])}, {number(r['raw_high'])}]",
             signed(r["difference"]), signed(r["composition_part"]),
             f"{number(r['share'])} [{number(r['share_low'])}, {number(r['share_high'])}]",
             f"{signed(r['remainder_low'])}, {signed(r['remainder_high'])}", number(r["adjusted"]), r["verdict"]]
            for r in records]


def share(r: dict) -> str:
    if r["verdict"] == "no effect to explain" or r["share"] is None:
        return "-"
    return f"{r['share']:.2f}"


def audit_share_rows(audit: dict, doc: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows): per model and contrast, the share of the effect composition predicts
    and the short verdict."""
    contrasts = [r["contrast"] for r in audit["composition"]]
    by = {(r["contrast"], r["model"]): r for r in audit["models"]}
    present = {r["model"] for r in audit["models"]}
    models = ordered_models(doc, present) if doc else sorted(present)
    return (["model", *contrasts],
            [[m, *(f"{share(by[(c, m)])} {SHORT_VERDICT[by[(c, m)]['verdict']]}" for c in contrasts)] for m in models])


def position_controls_note(audit: dict) -> str:
    controls = [r["contrast"] for r in audit["composition"] if r.get("same_bases")]
    return (f"position controls (arms with the same bases in every pair): {', '.join(controls)}" if controls else
            "no contrast of this spec is a position control (arms with the same bases); add one (a scramble or a move) "
            "to ask whether an effect is positional")


SHARE_LEGEND = ("share of the effect composition predicts, and verdict (explained >= 0.8 / partly / not explained "
                "<= 0.2 / ? inconclusive / no effect)")
