"""metrics + plan + scores -> report.md, report.html (self-contained) and a terminal table."""
from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

import polars as pl

from ..contrasts import KINDS
from ..io import atomic_write, printable
from ..plan.store import Plan
from ..plan.summary import class_summary
from ..text import format_table
from . import figures as report_figures
from . import findings, plots

def _num(x, digits=2) -> str:
    if x is None:
        return "-"
    if abs(x) != 0 and (abs(x) < 10 ** -digits or abs(x) >= 10 ** 4):
        return f"{x:.1e}"
    return f"{x:.{digits}f}"


def _p(x) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.2g}" if x >= 1e-4 else f"{x:.1e}"


def _ci(r) -> str:
    return f"{_num(r['ci_low'])} to {_num(r['ci_high'])}" if r["ci_low"] is not None else "-"


def describe_contrast(c: dict) -> str:
    return KINDS[c["kind"]].describe(c)


def of_contrast(name: str) -> pl.Expr:
    """Rows of a contrast: its headline and its parts."""
    return pl.col("of") == name


def _label(r) -> str:
    """`model`, `model [15]` / `model [15]-ref` for a profile level, `model (spearman)` for another part."""
    if r["part"] is None:
        return r["model"]
    if r["part"] in ("level", "difference"):
        return f"{r['model']} [{r['level']}]" + ("-ref" if r["part"] == "difference" else "")
    return f"{r['model']} ({r['part']})"


def _by_model(rows: pl.DataFrame, doc: dict | None) -> pl.DataFrame:
    """Rows in model order: gLMs, then baselines (stable within a model)."""
    if doc is None:
        return rows.sort("model", maintain_order=True)
    order = ordered_models(doc, set(rows["model"].unique().to_list()))
    return rows.with_columns(pl.col("model").replace_strict(order, list(range(len(order))), return_dtype=pl.Int64)
                             .alias("_order")).sort("_order", maintain_order=True).drop("_order")


def contrast_rows(metrics: pl.DataFrame, name: str, doc: dict | None = None) -> list[list[str]]:
    rows = _by_model(metrics.filter(of_contrast(name)), doc)
    return [[_label(r), _shown(r), _ci(r), _p(r["p"]), _p(r["q"]), str(r["n"]),
             "-" if r["ties"] is None else str(r["ties"]), r["note"] or ""]
            for r in rows.iter_rows(named=True)]


def _shown(r) -> str:
    """A record's value as text; a profile's headline is its peak level."""
    if KINDS[r["kind"]].headline_is_level and r["part"] is None:
        return r["level"] or "-"
    return _num(r["value"])


HEADER = ["model", "value", "95% CI", "p", "q", "n", "ties", "note"]


def terminal_summary(metrics: pl.DataFrame, meta: dict, doc: dict) -> str:
    """model x contrast table of values (with * for q < 0.05) for the end of `mitspec run`."""
    names = [c["name"] for c in meta["contrasts"]]
    if not names:
        return (f"{meta['benchmark']}: the plan declares no contrasts, so there is nothing to test; "
                f"scored by {', '.join(doc['models']) or 'no model'} (see the score distributions)")
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    present = set(metrics["model"].unique().to_list())
    rows = []
    for label, models in model_groups(doc, present):
        if label:
            rows.append([f"[{label}]", *([""] * len(names))])
        for model in models:
            row = [model]
            for name in names:
                r = lookup[(name, model)]
                star = "*" if r["q"] is not None and r["q"] < 0.05 else ""
                row.append(_shown(r) + star)
            rows.append(row)
    table = format_table(rows, ["model", *names], right=set(range(1, len(names) + 1)))
    text = f"{meta['benchmark']}: {doc['stats']} statistics; * q < 0.05 ({doc['family']})\n{table}"
    audit = doc.get("audit")
    if audit and audit["composition"]:
        text += "\n\n" + audit_summary(audit, doc)
    return text


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


SHORT_VERDICT = {"explained by composition": "explained", "partly explained by composition": "partly",
                 "not explained by composition": "not explained", "inconclusive": "?", "no effect to explain": "no effect"}


def _signed(x, digits=3) -> str:
    return "-" if x is None else f"{x:+.{digits}f}"


def audit_composition_rows(audit: dict) -> list[list[str]]:
    return [[r["contrast"], f"{r['treatment']} vs {r['reference']}" + (" (paired)" if r["paired"] else ""),
             f"{_signed(r['at_diff'])} [{_signed(r['at_low'])}, {_signed(r['at_high'])}]",
             f"{_signed(r['cpg_diff'])} [{_signed(r['cpg_low'])}, {_signed(r['cpg_high'])}]",
             f"{_num(r['dinucleotide_distance'], 3)} [{_num(r['dinucleotide_low'], 3)}, {_num(r['dinucleotide_high'], 3)}]",
             ", ".join(r["reproduced_by"]) or ("none" if r["composition_scorers"] else "(none run)")]
            for r in audit["composition"]]


AUDIT_HEADER = ["contrast", "arms", "AT diff [95% CI] (GC: its negative)", "CpG diff [95% CI]", "dinucleotide L1 [95% CI]",
                "shown by composition scorers"]


def audit_summary(audit: dict, doc: dict | None = None) -> str:
    """The composition audit for the terminal: how the arms differ, then per model the
    composition-adjusted value and its verdict."""
    contrasts = [r["contrast"] for r in audit["composition"]]
    by = {(r["contrast"], r["model"]): r for r in audit["models"]}
    models = ordered_models(doc, {r["model"] for r in audit["models"]}) if doc else sorted({r["model"] for r in audit["models"]})
    rows = [[m, *(f"{_share(by[(c, m)])} {SHORT_VERDICT[by[(c, m)]['verdict']]}" for c in contrasts)]
            for m in models]
    controls = [r["contrast"] for r in audit["composition"] if r.get("same_bases")]
    note = (f"position controls (arms with the same bases in every pair): {', '.join(controls)}" if controls else
            "no contrast of this spec is a position control (arms with the same bases); add one (a scramble or a move) "
            "to ask whether an effect is positional")
    return ("composition audit: how the arms differ, and the share of each effect that composition (base and "
            "dinucleotide content, genome k-mer chains, AT tracts) predicts (docs/metrics.md: Composition audit)\n"
            + format_table(audit_composition_rows(audit), AUDIT_HEADER) + "\n"
            + "share of the effect composition predicts, and verdict (explained >= 0.8 / partly / not explained "
            "<= 0.2 / ? inconclusive / no effect)\n"
            + format_table(rows, ["model", *contrasts], right=set(range(1, len(contrasts) + 1))) + "\n" + note)


def _share(r: dict) -> str:
    if r["verdict"] == "no effect to explain" or r["share"] is None:
        return "-"
    return f"{r['share']:.2f}"


def model_rows(doc: dict, models: dict[str, dict]) -> list[list[str]]:
    """[name, kind, parameters, what it is] for each model in the run (blank where unrecorded)."""
    rows = []
    for name in ordered_models(doc):
        info = models.get(name, {})
        params = info.get("params")
        rows.append([name, info.get("kind", ""), f"{params:,}" if params is not None else "-", info.get("about", "")])
    return rows


_MD_ALWAYS = set("\\`*[]|~")  # markup wherever they stand
_MD_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md(text) -> str:
    """Text from a spec, manifest or file, made inert in Markdown (CommonMark/GFM): raw
    HTML is escaped, emphasis, code, links and table pipes are backslash-escaped, and so
    is a line start that would open a heading, list or quote. Intraword `_` is left alone
    (it is no emphasis there), so names like MES_synthetic read as written."""
    text = printable(text)  # a newline or \\r in a name must not start a Markdown line
    out = []
    for i, ch in enumerate(text):
        if ch in _MD_HTML:
            out.append(_MD_HTML[ch])
        elif ch in _MD_ALWAYS:
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()):
            out.append("\\_")
        else:
            out.append(ch)
    escaped = "".join(out)
    if escaped[:1] in ("#", "+", "-", "=", "!"):
        escaped = "\\" + escaped
    head = len(escaped) - len(escaped.lstrip("0123456789"))
    if 0 < head < len(escaped) and escaped[head] in ".)":
        escaped = escaped[:head] + "\\" + escaped[head:]
    return escaped


def _longest_run(text: str, char: str) -> int:
    best = run = 0
    for ch in text:
        run = run + 1 if ch == char else 0
        best = max(best, run)
    return best


def code_span(text) -> str:
    """`text` as an inline code span, whatever backticks it holds (content is literal;
    control characters escaped, since a blank line would end the span and the paragraph)."""
    text = printable(text)
    ticks = "`" * (_longest_run(text, "`") + 1)
    return f"{ticks} {text} {ticks}"


def fenced(text: str) -> list[str]:
    """`text` as a fenced code block that no run of backticks inside can close."""
    text = printable(text, lines=True)
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    return [fence, text, fence]


def model_findings(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """[(group label, [(model, sentences)])]: what each model shows, gLMs first (findings.py)."""
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    groups = model_groups(doc, set(metrics["model"].unique().to_list()))
    return [(label, [(m, [findings.headline(plan.meta, lookup, doc, m), *findings.model_findings(plan.meta, lookup, doc, m)])
                     for m in names]) for label, names in groups]


FINDINGS_INTRO = ("What each model shows, in the spec's terms (each term is defined below); \"clear\" and "
                  "\"prefers\" mean q < 0.05 ({family}). Baselines are reference scorers: what a model that "
                  "reads only composition, or only the declared motifs, would show.")


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


def undetected_contrasts(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[str]:
    """Contrasts on which the oracle, run here, shows no clear effect: this design cannot
    show them with a positive control (or the declared grammar does not imply them)."""
    if "oracle" not in set(metrics["model"].unique().to_list()):
        return []
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    paper = doc.get("stats") == "paper"
    return [c["name"] for c in plan.meta["contrasts"] if (c["name"], "oracle") in lookup
            and c["kind"] not in ("magnitude", "ratio", "effect_ratio")
            and findings.direction(c, lookup[(c["name"], "oracle")], paper) is None]


EXPECT_INTRO = ("The spec's expectations, judged per model: pass, FAIL (the data contradict it) or ? "
                "(undetermined); rules in docs/metrics.md (Expectations). The oracle scores the grammar the spec "
                "declares: an expectation it does not pass is uninformative (this design cannot show it).")


def expectations_markdown(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[str]:
    out = []
    if doc.get("expectations"):
        header, rows = expectation_rows(doc)
        out += ["## Expectations", "", md(EXPECT_INTRO), "", "| " + " | ".join(md(h) for h in header) + " |",
                "|" + "---|" * len(header), *("| " + " | ".join(md(x) for x in r) + " |" for r in rows), ""]
    missed = undetected_contrasts(plan, metrics, doc)
    if missed:
        out += [md(f"Uninformative here: the oracle (the positive control) shows no clear effect on "
                   f"{', '.join(missed)}, so a model's result on them cannot be read as learning or not "
                   "(declare the grammar they test: docs/language.md, Declared grammar)."), ""]
    return out


def expectations_html(plan: Plan, metrics: pl.DataFrame, doc: dict) -> str:
    e = html.escape
    parts = []
    if doc.get("expectations"):
        header, rows = expectation_rows(doc)
        parts.append(f"<h2>Expectations</h2><p>{e(EXPECT_INTRO)}</p><table><tr>"
                     + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"
                     + "".join("<tr>" + "".join(f"<td>{e(x)}</td>" for x in r) + "</tr>" for r in rows) + "</table>")
    missed = undetected_contrasts(plan, metrics, doc)
    if missed:
        parts.append(f"<p class=note>Uninformative here: the oracle (the positive control) shows no clear effect on "
                     f"{e(', '.join(missed))}.</p>")
    return "".join(parts)


def findings_markdown(plan: Plan, metrics: pl.DataFrame, doc: dict) -> list[str]:
    out = ["## Findings", "", md(FINDINGS_INTRO.format(family=doc["family"])), ""]
    for label, models in model_findings(plan, metrics, doc):
        if label:
            out += [f"**{md(label)}**", ""]
        for model, (head, *sentences) in models:
            out.append(f"- **{md(model)}**: {md(head)}")
            out += [f"  - {md(s)}" for s in sentences]
        out.append("")
    if plan.meta["contrasts"]:
        out += ["Terms:", "", *(f"- {md(t)}" for t in findings.terms(plan.meta)), ""]
    return out


def findings_html(plan: Plan, metrics: pl.DataFrame, doc: dict) -> str:
    e = html.escape
    parts = [f"<h2>Findings</h2><p>{e(FINDINGS_INTRO.format(family=doc['family']))}</p>"]
    for label, models in model_findings(plan, metrics, doc):
        if label:
            parts.append(f"<h3>{e(label)}</h3>")
        parts.append("<ul>" + "".join(f"<li><b>{e(m)}</b>: {e(head)}<ul>" + "".join(f"<li>{e(s)}</li>" for s in rest)
                                      + "</ul></li>" for m, (head, *rest) in models) + "</ul>")
    if plan.meta["contrasts"]:
        parts.append("<p>Terms:</p><ul>" + "".join(f"<li>{e(t)}</li>" for t in findings.terms(plan.meta)) + "</ul>")
    return "".join(parts)


def render_markdown(plan: Plan, metrics: pl.DataFrame, doc: dict, figures: dict[str, str],
                    models: dict[str, dict] | None = None, skipped: dict[str, str] | None = None,
                    owned: dict[str, list[tuple[str, str]]] | None = None) -> str:
    """report.md; `figures`: key -> file; `owned`: each contrast's figures as (key, caption)."""
    meta = plan.meta
    out = [f"# {md(meta['benchmark'])}: mechanistic invariance report", "",
           f"Plan `{meta['plan_hash'][:12]}` from {code_span(meta['spec']['path'])} (seed {meta['seed']}, "
           f"{meta['sequences']['count']:,} sequences of {meta['length']} bp); models: "
           f"{', '.join(md(m) for m in doc['models'])}.", "",
           f"Statistics: **{doc['stats']}** ({doc['resamples']} bootstrap resamples, seed {doc['seed']}). "
           f"Multiple testing: {doc['family']}.", ""]
    out += expectations_markdown(plan, metrics, doc)
    out += findings_markdown(plan, metrics, doc)
    out += ["## Summary", "", *fenced(terminal_summary(metrics, meta, doc)), ""]
    if "forest" in figures:
        out += [f"![win rates with 95% intervals]({figures['forest']})", ""]
    out += ["## Models", "", "| model | kind | parameters | what it is |", "|---|---|---|---|"]
    out += ["| " + " | ".join(md(x) for x in r) + " |" for r in model_rows(doc, models or {})] + [""]
    if skipped:
        out += ["Not run on this plan:", "", *(f"- {md(name)}: {md(reason)}" for name, reason in sorted(skipped.items())), ""]
    defined = dict(zip((c["name"] for c in meta["contrasts"]), findings.terms(meta)))
    for c in meta["contrasts"]:
        out += [f"## {md(findings.term(c['name'], c['kind']))}: {KINDS[c['kind']].label}", "",
                md(defined[c["name"]]), ""]
        rows = contrast_rows(metrics, c["name"], doc)
        out.append("| " + " | ".join(HEADER) + " |")
        out.append("|" + "---|" * len(HEADER))
        out += ["| " + " | ".join(md(x) for x in r) + " |" for r in rows]
        methods = metrics.filter(of_contrast(c["name"]))["method"].unique(maintain_order=True).to_list()
        out += ["", f"Method: {md('; '.join(m for m in methods if m))}.", ""]
        for key, caption in (owned or {}).get(c["name"], ()):
            out += [f"![{md(caption)}]({figures[key]})", ""]
    if doc.get("audit") and doc["audit"]["composition"]:
        out += audit_markdown(doc["audit"], doc)
    out += ["## Score distributions", "", f"![per-class scores]({figures['distributions']})", "",
            "## Plan", "", *fenced(_plan_table(plan)), ""]
    return "\n".join(out)


AUDIT_MODEL_HEADER = ["model", "value [95% CI]", "mean score difference", "composition part",
                      "share [95% CI]", "remainder [95% CI]", "adjusted value", "verdict"]


def audit_model_rows(audit: dict, contrast: str, doc: dict | None = None) -> list[list[str]]:
    """One row per model (gLMs first when `doc` says what each model is)."""
    records = [r for r in audit["models"] if r["contrast"] == contrast]
    if doc is not None:
        order = {m: i for i, m in enumerate(ordered_models(doc, {r["model"] for r in records}))}
        records.sort(key=lambda r: order.get(r["model"], len(order)))
    return [[r["model"], f"{_num(r['raw'])} [{_num(r['raw_low'])}, {_num(r['raw_high'])}]",
             _signed(r["difference"]), _signed(r["composition_part"]),
             f"{_num(r['share'])} [{_num(r['share_low'])}, {_num(r['share_high'])}]",
             f"{_signed(r['remainder_low'])}, {_signed(r['remainder_high'])}", _num(r["adjusted"]), r["verdict"]]
            for r in records]


def audit_markdown(audit: dict, doc: dict | None = None) -> list[str]:
    out = ["## Composition audit", "", md("Method: " + audit["method"] + "."), "",
           "| " + " | ".join(AUDIT_HEADER) + " |", "|" + "---|" * len(AUDIT_HEADER)]
    out += ["| " + " | ".join(md(x) for x in r) + " |" for r in audit_composition_rows(audit)] + [""]
    for c in audit["composition"]:
        out += [f"### {md(c['contrast'])}", "", "| " + " | ".join(AUDIT_MODEL_HEADER) + " |",
                "|" + "---|" * len(AUDIT_MODEL_HEADER)]
        out += ["| " + " | ".join(md(x) for x in r) + " |" for r in audit_model_rows(audit, c["contrast"], doc)] + [""]
    return out


def audit_html(audit: dict, doc: dict | None = None) -> str:
    e = html.escape

    def table(header, rows):
        return ("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{e(x)}</td>" for x in r) + "</tr>" for r in rows) + "</table>")

    parts = [f"<h2>Composition audit</h2><p class=method>Method: {e(audit['method'])}.</p>",
             table(AUDIT_HEADER, audit_composition_rows(audit))]
    for c in audit["composition"]:
        parts.append(f"<h3>{e(c['contrast'])}</h3>" + table(AUDIT_MODEL_HEADER, audit_model_rows(audit, c["contrast"], doc)))
    return "".join(parts)


def _plan_table(plan: Plan) -> str:
    summary = class_summary(plan)
    rows = [[r["class"], r["title"], str(r["n"]), r["from"], f"{r['at_mean']:.3f}", r["features"]]
            for r in summary.iter_rows(named=True)]
    return format_table(rows, ["class", "name", "n", "from", "AT", "features"], right={2, 4})


_CSS = """
body{font:15px/1.5 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;max-width:1100px;margin:2em auto;padding:0 1.2em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#555}table{border-collapse:collapse;margin:.6em 0;font-size:13.5px}
th,td{padding:.3em .7em;border-bottom:1px solid #e5e5e5;text-align:right}th{background:#f6f7f9}
td:first-child,th:first-child,td.l{text-align:left}tr.sig td.v,td.sig{color:#b0263b;font-weight:600}
.note{color:#777;font-size:12.5px;text-align:left}img{max-width:100%}code,pre{background:#f6f7f9;border-radius:4px}
pre{padding:.8em;overflow-x:auto;font-size:12.5px}.method{color:#555;font-size:13px}
"""


def render_html(plan: Plan, metrics: pl.DataFrame, doc: dict, images: dict[str, bytes],
                models: dict[str, dict] | None = None, skipped: dict[str, str] | None = None,
                owned: dict[str, list[tuple[str, str]]] | None = None) -> str:
    """report.html; `owned`: each contrast's figures as (key into `images`, caption)."""
    meta = plan.meta
    e = html.escape

    def img(key, alt):
        if key not in images:
            return ""
        data = base64.b64encode(images[key]).decode()
        return f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">'

    names = [c["name"] for c in meta["contrasts"]]
    lookup = {(r["contrast"], r["model"]): r for r in metrics.iter_rows(named=True)}
    summary = ["<table><tr><th>model</th>" + "".join(f"<th>{e(n)}</th>" for n in names) + "</tr>"]
    for label, group in model_groups(doc, set(metrics["model"].unique().to_list())):
        if label:
            summary.append(f"<tr><td class=l colspan={len(names) + 1}><b>{e(label)}</b></td></tr>")
        for model in group:
            cells = []
            for name in names:
                r = lookup[(name, model)]
                sig = r["q"] is not None and r["q"] < 0.05
                ci = f"<br><span class=note>{e(_ci(r))}</span>" if r["ci_low"] is not None else ""
                cls = " class=sig" if sig else ""
                cells.append(f"<td{cls}>{e(_shown(r))}{ci}</td>")
            summary.append(f"<tr><td>{e(model)}</td>{''.join(cells)}</tr>")
    summary.append("</table>")
    model_table = ("<table><tr><th>model</th><th>kind</th><th>parameters</th><th>what it is</th></tr>"
                   + "".join(f"<tr><td>{e(n)}</td><td>{e(k)}</td><td class=v>{e(p)}</td><td>{e(a)}</td></tr>"
                             for n, k, p, a in model_rows(doc, models or {})) + "</table>")
    if skipped:
        model_table += ("<p class=method>Not run on this plan:</p><ul>"
                        + "".join(f"<li>{e(n)}: {e(r)}</li>" for n, r in sorted(skipped.items())) + "</ul>")
    sections = []
    defined = dict(zip((c["name"] for c in meta["contrasts"]), findings.terms(meta)))
    for c in meta["contrasts"]:
        rows = []
        for r in _by_model(metrics.filter(of_contrast(c["name"])), doc).iter_rows(named=True):
            sig = r["q"] is not None and r["q"] < 0.05
            rows.append(f"<tr class='{'sig' if sig else ''}'><td>{e(_label(r))}</td><td class=v>{e(_shown(r))}</td>"
                        f"<td>{e(_ci(r))}</td><td>{_p(r['p'])}</td><td>{_p(r['q'])}</td><td>{r['n']}</td>"
                        f"<td>{'-' if r['ties'] is None else r['ties']}</td><td class=note>{e(r['note'] or '')}</td></tr>")
        methods = "; ".join(m for m in metrics.filter(of_contrast(c["name"]))["method"].unique(maintain_order=True).to_list() if m)
        sections.append(f"<h2>{e(findings.term(c['name'], c['kind']))} <small class=meta>{e(KINDS[c['kind']].label)}"
                        f"</small></h2><p>{e(defined[c['name']])}</p><table><tr>{''.join(f'<th>{h}</th>' for h in HEADER)}</tr>"
                        f"{''.join(rows)}</table><p class=method>Method: {e(methods)}.</p>"
                        + "".join(img(key, caption) for key, caption in (owned or {}).get(c["name"], ())))
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>{e(meta['benchmark'])}: mitspec report</title>
<style>{_CSS}</style></head><body>
<h1>{e(meta['benchmark'])}: mechanistic invariance report</h1>
<p class=meta>Plan <code>{meta['plan_hash'][:12]}</code> from <code>{e(meta['spec']['path'])}</code>, seed {meta['seed']},
{meta['sequences']['count']:,} sequences of {meta['length']} bp. Statistics: <b>{e(doc['stats'])}</b>
({doc['resamples']} bootstrap resamples, seed {doc['seed']}). Multiple testing: {e(doc['family'])}.
Values in red: q &lt; 0.05.</p>
{expectations_html(plan, metrics, doc)}
{findings_html(plan, metrics, doc)}
<h2>Summary</h2>{''.join(summary)}
{img('forest', 'win rates with 95% intervals')}
<h2>Models</h2>{model_table}
{''.join(sections)}
{audit_html(doc["audit"], doc) if doc.get("audit") and doc["audit"]["composition"] else ""}
<h2>Score distributions</h2>{img('distributions', 'per-class score distributions')}
<h2>Plan</h2><pre>{e(_plan_table(plan))}</pre>
<p class=meta>mitspec {e(doc['compiler']['version'])}</p>
</body></html>
"""


def figure_file(key: str) -> str:
    """A figure's file name: the key when it is a plain name (`profile_SPACING.png`), else
    the key's safe characters and a hash of the whole key. Keys hold contrast names from
    plan.json, which a hostile plan could fill with `../` or `/`: no key leaves figures/."""
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}", key) and ".." not in key:
        return f"{key}.png"
    safe = re.sub(r"[^A-Za-z0-9_]+", "_", key)[:60]
    return f"{safe}-{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.png"


def write_report(out_dir: Path, plan: Plan, scores: pl.DataFrame, metrics: pl.DataFrame, doc: dict,
                 models: dict[str, dict] | None = None, skipped: dict[str, str] | None = None) -> dict[str, Path]:
    """report.md (+ figures/*.png) and a self-contained report.html, written atomically.
    models: {name: scorer info} for the Models table."""
    out_dir = Path(out_dir)
    win_rates = [c["name"] for c in plan.meta["contrasts"] if c["kind"] == "win_rate"]
    with_class = scores.select("id", "model", "score").join(plan.sequences.select("id", "class"), on="id")
    images = {"distributions": plots.distributions(with_class, plan.meta["classes"], ordered_models(doc),
                                                   doc.get("model_kinds"))}
    context = report_figures.Context(plan, metrics, with_class, ordered_models(doc))
    owned: dict[str, list[tuple[str, str]]] = {}
    for c in plan.meta["contrasts"]:  # each kind's figure hook (report/figures.py)
        for key, caption, png in report_figures.contrast_figures(context, c):
            images[key] = png
            owned.setdefault(c["name"], []).append((key, caption))
    forest = plots.forest(metrics, win_rates, model_groups(doc, set(metrics["model"].unique().to_list())))
    if forest is not None:
        images["forest"] = forest
    figures = {}
    for key, data in images.items():
        name = figure_file(key)
        atomic_write(out_dir / "figures" / name, lambda p, d=data: p.write_bytes(d))
        figures[key] = f"figures/{name}"
    atomic_write(out_dir / "report.md", lambda p: p.write_text(
        render_markdown(plan, metrics, doc, figures, models, skipped, owned), encoding="utf-8"))
    atomic_write(out_dir / "report.html", lambda p: p.write_text(
        render_html(plan, metrics, doc, images, models, skipped, owned), encoding="utf-8"))
    return {"markdown": out_dir / "report.md", "html": out_dir / "report.html"}
