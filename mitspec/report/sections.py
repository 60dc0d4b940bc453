"""What a report says, section by section, as document blocks (document.py renders them
to Markdown and to HTML, so both formats say the same thing). In reading order: the
finding in words (expectations, findings), the numbers (summary, models, one section per
contrast), the composition audit, score distributions, and the plan."""
from __future__ import annotations

import polars as pl

from ..contrasts import KINDS
from ..plan.store import Plan
from ..plan.summary import class_summary
from ..text import format_table
from . import findings
from .document import Block, Bullets, Cell, Code, Figure, Heading, Item, Label, Marked, Preformatted, Strong, Table, para
from .tables import (AUDIT_HEADER, AUDIT_MODEL_HEADER, CONTRAST_HEADER, SHARE_LEGEND, audit_composition_rows,
                     audit_model_rows, audit_share_rows, contrast_methods, contrast_records, contrast_row,
                     expectation_rows, interval, model_groups, model_rows, position_controls_note, shown, significant)

Owned = dict[str, list[tuple[str, str]]]  # contrast name -> its figures as (key, caption)


def header(plan: Plan, doc: dict) -> list[Block]:
    view = plan.view
    return [Heading(f"{view.benchmark}: mechanistic invariance report", 1),
            para("Plan ", Code(view.plan_hash[:12]), " from ", Code(view.spec_path),
                 f" (seed {view.seed}, {view.sequence_count:,} sequences of {view.length} bp); "
                 f"models: {', '.join(doc['models'])}.", style="meta"),
            para("Statistics: ", Strong(doc["stats"]), f" ({doc['resamples']} bootstrap resamples, seed {doc['seed']}). "
                 f"Multiple testing: {doc['family']}. Values shown ", Marked("like this"), " have q < 0.05.", style="meta")]


EXPECT_INTRO = ("The spec's expectations, judged per model: pass, FAIL (the data contradict it) or ? "
                "(undetermined); rules in docs/metrics.md (Expectations). The oracle scores the grammar the spec "
                "declares: an expectation it does not pass is uninformative (this design cannot show it).")


def undetected_contrasts(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[str]:
    """Contrasts on which the oracle, run here, shows no clear effect: this design cannot
    show them with a positive control (or the declared grammar does not imply them)."""
    if "oracle" not in set(metrics["model"].unique().to_list()):
        return []
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    paper = doc.get("stats") == "paper"
    return [c["name"] for c in plan.view.contrasts if (c["name"], "oracle") in lookup
            and c["kind"] not in ("magnitude", "ratio", "effect_ratio")
            and findings.direction(c, lookup[(c["name"], "oracle")], paper) is None]


def expectations(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[Block]:
    out: list[Block] = []
    if doc.get("expectations"):
        head, rows = expectation_rows(doc)
        out += [Heading("Expectations"), para(EXPECT_INTRO), Table(tuple(head), tuple(map(tuple, rows)))]
    missed = undetected_contrasts(plan, metrics, doc)
    if missed:
        out.append(para(f"Uninformative here: the oracle (the positive control) shows no clear effect on "
                        f"{', '.join(missed)}, so a model's result on them cannot be read as learning or not "
                        "(declare the grammar they test: docs/language.md, Declared grammar).", style="note"))
    return out


FINDINGS_INTRO = ("What each model shows, in the spec's terms (each term is defined below); \"clear\" and "
                  "\"prefers\" mean q < 0.05 ({family}). Baselines are reference scorers: what a model that "
                  "reads only composition, or only the declared motifs, would show.")


def findings_section(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[Block]:
    """Per model (gLMs first), its headline and one sentence per contrast (findings.py)."""
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    out: list[Block] = [Heading("Findings"), para(FINDINGS_INTRO.format(family=doc["family"]))]
    for label, models in model_groups(doc, set(metrics["model"].unique().to_list())):
        if label:
            out.append(para(Strong(label)))
        out.append(Bullets(tuple(
            Item(findings.headline(plan.view, lookup, doc, m), lead=m,
                 children=tuple(findings.model_findings(plan.view, lookup, doc, m))) for m in models)))
    if plan.view.contrasts:
        out += [para("Terms:"), Bullets(tuple(Item(t) for t in findings.terms(plan.view)))]
    return out


def summary(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[Block]:
    """Model x contrast headline values, the interval under each where there is room."""
    names = [c["name"] for c in plan.view.contrasts]
    out: list[Block] = [Heading("Summary")]
    if not names:
        return out + [para(f"The plan declares no contrasts, so there is nothing to test; scored by "
                           f"{', '.join(doc['models']) or 'no model'} (see the score distributions).")]
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    rows: list = []
    for label, models in model_groups(doc, set(metrics["model"].unique().to_list())):
        if label:
            rows.append(Label(label))
        for model in models:
            records = [lookup[(name, model)] for name in names]
            rows.append((model, *(Cell(shown(r), significant(r), interval(r) if r["ci_low"] is not None else "")
                                  for r in records)))
    return out + [para(f"Headline values, {doc['stats']} statistics; ", Marked("marked"), f": q < 0.05 ({doc['family']})."),
                  Table(("model", *names), tuple(rows)), Figure("forest", "win rates with 95% intervals")]


def models_section(doc: dict, models: dict[str, dict] | None, skipped: dict[str, str] | None) -> list[Block]:
    out: list[Block] = [Heading("Models"), Table(("model", "kind", "parameters", "what it is"),
                                                 tuple(map(tuple, model_rows(doc, models or {}))))]
    if skipped:
        out += [para("Not run on this plan:", style="method"),
                Bullets(tuple(Item(f"{name}: {reason}") for name, reason in sorted(skipped.items())))]
    return out


def contrast_sections(plan: Plan, metrics: pl.DataFrame, doc: dict, owned: Owned | None) -> list[Block]:
    """Per contrast: its definition, every record (headline and parts), the method, its figures."""
    contrasts = plan.view.contrasts
    defined = dict(zip((c["name"] for c in contrasts), findings.terms(plan.view)))
    out: list[Block] = []
    for c in contrasts:
        rows = []
        for r in contrast_records(metrics, c["name"], doc):
            label, value, *rest = contrast_row(r)
            rows.append((label, Cell(value, significant(r)), *rest))
        out += [Heading(findings.term(c["name"], c["kind"]), aside=KINDS[c["kind"]].label), para(defined[c["name"]]),
                Table(tuple(CONTRAST_HEADER), tuple(rows)),
                para(f"Method: {contrast_methods(metrics, c['name'])}.", style="method")]
        out += [Figure(key, caption) for key, caption in (owned or {}).get(c["name"], ())]
    return out


def audit_section(audit: dict | None, doc: dict | None = None) -> list[Block]:
    """How the arms of each contrast differ in composition, then per contrast and model the
    share of the effect composition predicts and the verdict (metrics/audit.py)."""
    if not audit or not audit["composition"]:
        return []
    head, shares = audit_share_rows(audit, doc)
    out: list[Block] = [Heading("Composition audit"), para("Method: " + audit["method"] + ".", style="method"),
                        Table(tuple(AUDIT_HEADER), tuple(map(tuple, audit_composition_rows(audit)))),
                        para(_sentence(SHARE_LEGEND, ":")),
                        Table(tuple(head), tuple(map(tuple, shares))),
                        para(_sentence(position_controls_note(audit), "."), style="note")]
    for c in audit["composition"]:
        out += [Heading(c["contrast"], 3), Table(tuple(AUDIT_MODEL_HEADER),
                                                 tuple(map(tuple, audit_model_rows(audit, c["contrast"], doc))))]
    return out


def _sentence(text: str, end: str) -> str:
    return text[:1].upper() + text[1:] + end


def plan_table(plan: Plan) -> str:
    summary = class_summary(plan)
    rows = [[r["class"], r["title"], str(r["n"]), r["from"], f"{r['at_mean']:.3f}", r["features"]]
            for r in summary.iter_rows(named=True)]
    return format_table(rows, ["class", "name", "n", "from", "AT", "features"], right={2, 4})


def report_blocks(plan: Plan, metrics: pl.DataFrame, doc: dict, models: dict[str, dict] | None = None,
                  skipped: dict[str, str] | None = None, owned: Owned | None = None) -> list[Block]:
    """The whole report. models: {name: scorer info} for the Models table; skipped: model ->
    why it was not run; owned: each contrast's figures."""
    return [*header(plan, doc), *expectations(plan, metrics, doc), *findings_section(plan, metrics, doc),
            *summary(plan, metrics, doc), *models_section(doc, models, skipped),
            *contrast_sections(plan, metrics, doc, owned), *audit_section(doc.get("audit"), doc),
            Heading("Score distributions"), Figure("distributions", "per-class scores"),
            Heading("Plan"), Preformatted(plan_table(plan)),
            para(f"mitspec {doc['compiler']['version']}", style="meta")]
