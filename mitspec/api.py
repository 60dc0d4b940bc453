"""The Python API: the pipeline spec -> plan -> scores -> metrics -> report for notebooks
and scripts. The CLI is a thin layer over these functions.

    import mitspec
    plan = mitspec.compile("specs/mit_sigma70.mit")           # Plan (build/mit_sigma70/)
    run = mitspec.run(plan, models=["ecoli_cnn", "oracle"])  # Run: scores, metrics, expectations
    run.expectations                                         # a Polars frame, one row per (expectation, model)
    run.report()                                             # Path of report.html
    mitspec.Run.load(plan)                                   # a run scored earlier (e.g. by `mitspec run`)

Plans and runs show themselves as tables in Jupyter (`_repr_html_`). Every call writes
the same files the CLI writes, atomically, so a notebook and `mitspec report` agree.
"""
from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import polars as pl

from .metrics.calculator import MetricsConfig
from .plan.store import Plan as _StoredPlan
from .plan.store import load_plan
from .planview import PlanView


@dataclass(frozen=True)
class Plan:
    """A compiled plan. path: its directory; meta: plan.json; sequences: one row per
    sequence (id, class, sequence, features, ...); warnings: what compiling found worth
    saying (empty when the plan on disk was already up to date); `view`: the typed,
    read-only plan (classes, contrasts, roles, ...) that scorers, metrics and the report read."""

    path: Path
    meta: dict = field(repr=False)
    sequences: pl.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        """A plan directory (or its plan.json) written by `compile`."""
        stored = load_plan(path)
        return cls(stored.path.parent, stored.meta, stored.sequences)

    @cached_property
    def view(self) -> PlanView:
        return PlanView.from_meta(self.meta)

    @property
    def plan_hash(self) -> str:
        return self.view.plan_hash

    @property
    def title(self) -> str:
        return self.view.benchmark

    @property
    def classes(self) -> pl.DataFrame:
        """One row per class: name, title, n, parent, background kind."""
        return pl.DataFrame([{"class": c.name, "title": c.title, "n": c.n, "parent": c.parent,
                              "background": c.background} for c in self.view.classes],
                            schema={"class": pl.String, "title": pl.String, "n": pl.Int64, "parent": pl.String,
                                    "background": pl.String})

    @property
    def contrasts(self) -> pl.DataFrame:
        """One row per contrast: name, kind and its arguments as JSON."""
        return pl.DataFrame([{"contrast": c["name"], "kind": c["kind"],
                              "arguments": json.dumps({k: v for k, v in c.items() if k not in ("name", "kind")})}
                             for c in self.view.contrasts],
                            schema={"contrast": pl.String, "kind": pl.String, "arguments": pl.String})

    def stored(self) -> _StoredPlan:
        return _StoredPlan(self.path / "plan.json", self.meta, self.sequences)

    def __str__(self) -> str:
        return (f"{self.title}: {len(self.view.classes)} classes, {len(self.sequences):,} sequences, "
                f"{len(self.view.contrasts)} contrasts (plan {self.plan_hash[:12]}, {self.path})")

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><td>{e(c.name)}</td><td>{e(c.title)}</td><td>{c.n}</td></tr>"
                       for c in self.view.classes)
        return (f"<p><b>{e(self.title)}</b>: {len(self.sequences):,} sequences, plan <code>{self.plan_hash[:12]}"
                f"</code> in <code>{e(str(self.path))}</code></p><table><tr><th>class</th><th>title</th><th>n</th>"
                f"</tr>{rows}</table>")


@dataclass(frozen=True)
class Run:
    """Scores and metrics of one plan. metrics: one row per (contrast, model), as
    metrics.parquet; document: metrics.json; summary: the text `mitspec run` prints;
    directory: where the files are; `scores` reads the scores when asked."""

    plan: Plan
    directory: Path
    metrics: pl.DataFrame = field(repr=False)
    document: dict = field(repr=False)
    summary: str = field(repr=False)

    @classmethod
    def load(cls, plan: Plan | str | Path, run_dir: str | Path | None = None, stats: str = "sound",
             audit: bool = True, fdr: str = "model", force: bool = False) -> Run:
        """The run whose scores are in `run_dir` (default: the plan's directory): metrics and
        report recomputed unless they are up to date with the scores (or `force`)."""
        from .report.pipeline import report_run

        plan = plan if isinstance(plan, Plan) else Plan.load(plan)
        run_dir = Path(run_dir) if run_dir is not None else plan.path
        scores_path = run_dir / "scores.parquet"
        summary = report_run(plan.stored(), scores_path, run_dir, MetricsConfig(stats=stats, audit=audit, fdr=fdr),
                             force=force)
        document = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        return cls(plan, run_dir, pl.read_parquet(run_dir / "metrics.parquet"), document, summary)

    @property
    def scores(self) -> pl.DataFrame:
        """One row per (sequence, model): id, class, model, score (log-likelihood or the
        baseline's score), per_nt, tokens (read from scores.parquet, this plan's rows)."""
        return (pl.scan_parquet(self.directory / "scores.parquet").filter(pl.col("plan") == self.plan.plan_hash)
                .select("id", "class", "model", "score", "per_nt", "tokens").collect())

    @property
    def models(self) -> list[str]:
        return list(self.document["models"])

    @property
    def expectations(self) -> pl.DataFrame:
        """One row per (expectation, model): the spec's text, verdict (pass / fail /
        undetermined), why, and whether the oracle (the positive control) passed it."""
        rows = [{"expectation": e["text"], "contrast": e["contrast"], "model": model, "verdict": r["verdict"],
                 "why": r.get("why", ""), "control": e["control"]}
                for e in self.document.get("expectations") or () for model, r in e["results"].items()]
        return pl.DataFrame(rows, schema={"expectation": pl.String, "contrast": pl.String, "model": pl.String,
                                          "verdict": pl.String, "why": pl.String, "control": pl.String})

    def report(self) -> Path:
        """report.html of this run (written with the metrics; open it in a browser)."""
        return self.directory / "report.html"

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        from .report.document import html_fragment
        from .report.sections import expectations, findings_section

        stored = self.plan.stored()
        return (f"<p><b>{html.escape(self.plan.title)}</b>: {', '.join(map(html.escape, self.models))} "
                f"(<a href=\"{html.escape(str(self.report()))}\">report</a>)</p>"
                + html_fragment(expectations(stored, self.metrics, self.document)
                                + findings_section(stored, self.metrics, self.document)))


def compile(spec: str | Path, out: str | Path | None = None, force: bool = False,
            data_dir: str | Path | None = None) -> Plan:
    """Check and compile a .mit spec into `out` (default build/<spec name>/), skipping a
    plan that is already up to date. Raises SpecErrors (file:line:col diagnostics)."""
    from .models.registry import roles
    from .plan.build import build, default_out_dir

    spec = Path(spec)
    result = build(spec, Path(out) if out is not None else default_out_dir(spec), force=force,
                   data_dir=None if data_dir is None else str(data_dir), roles=roles())
    return replace(Plan.load(result.out_dir), warnings=tuple(result.warnings))


def scorers(models: Iterable[str] | None = None, device: str = "auto", batch_tokens: int | None = None) -> list:
    """Scorers by name or directory (default: every exported model and every baseline)."""
    from .models.registry import default_names, resolve

    names = [str(m) for m in models] if models is not None else default_names()
    return [resolve(name, device=device, batch_tokens=batch_tokens) for name in dict.fromkeys(names)]


def run(plan: Plan | str | Path, models: Iterable[str] | list | None = None, out: str | Path | None = None,
        stats: str = "sound", audit: bool = True, fdr: str = "model", device: str = "auto", cache: bool = True,
        progress_for: Callable[[str, int], Callable[[int], None]] | None = None,
        say: Callable[[str], None] | None = None) -> Run:
    """Score a plan (a Plan, a plan directory, or a spec, compiled first) with each model
    and compute its metrics and report. `models`: names, or scorers from `scorers()`
    (default: every available model); a model named here that cannot score the plan is
    an error, one left to the default is skipped. Scores already in `out` (default: the
    plan's directory) for other models are kept; cached scores are reused."""
    if not isinstance(plan, Plan):
        path = Path(plan)
        plan = compile(path) if path.suffix == ".mit" else Plan.load(path)
    if models is None:
        chosen, named = scorers(None, device), frozenset()
    else:
        given = list(models)
        chosen = [scorers([m], device)[0] if isinstance(m, (str, Path)) else m for m in given]
        named = frozenset(s.name for s in chosen)
    out_dir = Path(out) if out is not None else plan.path
    return score_and_report(plan, chosen, out_dir, stats=stats, audit=audit, fdr=fdr, cache=cache, named=named,
                            progress_for=progress_for, say=say)


def score_and_report(plan: Plan, chosen: list, out_dir: Path, stats: str = "sound", audit: bool = True,
                     fdr: str = "model", cache=True, named: frozenset[str] = frozenset(),
                     progress_for=None, say=None) -> Run:
    """What `run` and `mitspec run` share: scores.parquet, then metrics and the report.
    `cache`: True (the user's score cache), False (none) or an open cache, left open."""
    from .scores.cache import NoCache, ScoreCache
    from .scores.run import run_plan

    opened = (ScoreCache() if cache else NoCache()) if isinstance(cache, bool) else None
    try:
        written = run_plan(plan.path, chosen, out_dir, opened if opened is not None else cache, progress_for=progress_for,
                           named=named, say=say)
    finally:
        if opened is not None:
            opened.close()
    return Run.load(plan, written.parent, stats=stats, audit=audit, fdr=fdr)
