"""Report outputs: metrics.json (schema), metrics.parquet, report.md, self-contained HTML."""
import json
import re
import shutil
import subprocess

import jsonschema
import polars as pl
import pytest
from click.testing import CliRunner

from mitspec.cli import main
from mitspec.metrics.calculator import MetricsConfig
from mitspec.planview import PlanView
from mitspec.metrics.files import metrics_schema
from mitspec.plan.build import build
from mitspec.plan.store import load_plan
from mitspec.report.pipeline import report_run

from .conftest import ROOT
from .test_metrics import SCORES, TINY, scores_of


@pytest.fixture
def run_dir(tmp_path):
    (tmp_path / "tiny.mit").write_text(TINY)
    out = build(tmp_path / "tiny.mit", tmp_path / "run").out_dir
    plan = load_plan(out)
    two = pl.concat([scores_of(SCORES, "alpha"), scores_of({k: [-v for v in vs] for k, vs in SCORES.items()}, "beta")])
    two.join(plan.sequences.select("id", "class"), on="id").with_columns(
        pl.lit(plan.plan_hash).alias("plan")).write_parquet(out / "scores.parquet")
    return out


def test_report_files_and_schema(run_dir):
    plan = load_plan(run_dir)
    summary = report_run(plan, run_dir / "scores.parquet", run_dir, MetricsConfig())
    for name in ("metrics.json", "metrics.parquet", "report.md", "report.html", "figures/distributions.png",
                 "figures/forest.png"):
        assert (run_dir / name).exists(), name
    doc = json.loads((run_dir / "metrics.json").read_text())
    jsonschema.Draft202012Validator(metrics_schema()).validate(doc)
    assert {r["contrast"] for r in doc["results"]} == {"CSS", "SCR", "IDX", "MES", "MES_X", "CM", "CIR"}
    assert doc["models"] == ["alpha", "beta"] and doc["plan"] == plan.plan_hash
    assert pl.read_parquet(run_dir / "metrics.parquet").height == 14
    assert summary.splitlines()[1].split() == ["model", "CSS", "SCR", "IDX", "MES", "MES_X", "CM", "CIR"]


def test_html_is_self_contained_and_complete(run_dir):
    report_run(load_plan(run_dir), run_dir / "scores.parquet", run_dir, MetricsConfig())
    html = (run_dir / "report.html").read_text()
    assert not re.search(r'(src|href)="(?!data:)', html), "the report must not load anything from elsewhere"
    assert html.count('src="data:image/png;base64,') == 2
    for name in ("CSS", "SCR", "IDX", "MES", "MES_X", "CM", "CIR", "alpha", "beta"):
        assert f">{name}<" in html
    md = (run_dir / "report.md").read_text()
    assert md.count("| model | value | 95% CI | p | q | n | ties | note |") == 7


def test_report_opens_with_its_findings_in_words(run_dir):
    """The first section says, per model, what it shows (findings.py; its sentences are
    tested in test_findings.py): beta's scores are alpha's negated, so its MES is negative."""
    report_run(load_plan(run_dir), run_dir / "scores.parquet", run_dir, MetricsConfig())
    md = (run_dir / "report.md").read_text()
    sections = re.findall(r"^## (.+)$", md, flags=re.M)
    assert sections[:2] == ["Findings", "Summary"]
    findings = md.split("## Findings", 1)[1].split("## Summary", 1)[0]
    assert "- **alpha**: clear effects: MES\n" in findings and "- **beta**: clear effects: MES (negative)\n" in findings
    # by hand from SCORES: C 5..8 and D 1..4 each have mean 6.5 / 2.5 and SD sqrt(5/3) = 1.291,
    # so Cohen's d = 4 / 1.291 = 3.098, shown as 3.10
    assert "  - scores C higher than D by 3.10 standard deviations" in findings
    assert "- CSS (Compensation Sensitivity Score): P(E &gt; D), paired by lineage, 4 pairs" in findings
    assert "## CSS (Compensation Sensitivity Score): win rate" in md
    html = (run_dir / "report.html").read_text()
    assert html.index("<h2>Findings</h2>") < html.index("<h2>Summary</h2>")


def test_unchanged_inputs_are_not_recomputed_but_changed_ones_are(run_dir):
    plan = load_plan(run_dir)
    report_run(plan, run_dir / "scores.parquet", run_dir, MetricsConfig())
    stamp = (run_dir / "report.html").stat().st_mtime_ns
    report_run(plan, run_dir / "scores.parquet", run_dir, MetricsConfig())
    assert (run_dir / "report.html").stat().st_mtime_ns == stamp
    report_run(plan, run_dir / "scores.parquet", run_dir, MetricsConfig(stats="paper"))
    assert json.loads((run_dir / "metrics.json").read_text())["stats"] == "paper"


def test_metrics_command_with_external_scores(run_dir, tmp_path):
    plan = load_plan(run_dir)
    ids = plan.sequences["id"].to_list()
    (tmp_path / "mine.csv").write_text("id,score\n" + "".join(f"{i},{k}\n" for k, i in enumerate(ids)))
    out = CliRunner().invoke(main, ["metrics", "--plan", str(run_dir), "--scores", str(tmp_path / "mine.csv"),
                                    "-o", str(tmp_path / "m.json")])
    assert out.exit_code == 0, out.output
    assert "mine" in out.output and json.loads((tmp_path / "m.json").read_text())["models"] == ["mine"]
    (tmp_path / "short.csv").write_text("id,score\n" + "".join(f"{i},{k}\n" for k, i in enumerate(ids[:-2])))
    bad = CliRunner().invoke(main, ["metrics", "--plan", str(run_dir), "--scores", str(tmp_path / "short.csv")])
    assert bad.exit_code == 2 and "2 id(s) missing" in bad.output and "Traceback" not in bad.output


def test_report_command(run_dir):
    out = CliRunner().invoke(main, ["report", str(run_dir), "--stats", "paper"])
    assert out.exit_code == 0, out.output
    assert "paper statistics" in out.output and (run_dir / "report.html").exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_report_renders_in_headless_chromium(run_dir):
    report_run(load_plan(run_dir), run_dir / "scores.parquet", run_dir, MetricsConfig())
    png = subprocess.run([str(ROOT / "scripts/screenshot_report.sh"), str(run_dir), "1000", "1400"],
                         capture_output=True, text=True, check=True).stdout.strip()
    import matplotlib.image

    image = matplotlib.image.imread(png)
    assert image.shape[:2] == (1400, 1000)
    assert image.std() > 0.05  # not a blank page


def test_report_says_what_each_model_is_across_runs(tmp_path):
    """run_plan records every scored model's info in models.json, keeps earlier models'
    entries when models are run one at a time, and the report's Models table shows them."""
    from mitspec.models.registry import resolve
    from mitspec.scores.cache import NoCache
    from mitspec.scores.run import read_models, run_plan

    (tmp_path / "tiny.mit").write_text(TINY)
    out = build(tmp_path / "tiny.mit", tmp_path / "run").out_dir
    run_plan(out, [resolve("at_content")], out, NoCache())
    run_plan(out, [resolve("random")], out, NoCache())
    models = read_models(out)
    assert list(models) == ["at_content", "random"]
    assert models["at_content"]["about"].startswith("AT content")
    report_run(load_plan(out), out / "scores.parquet", out, MetricsConfig())
    md = (out / "report.md").read_text()
    assert "| at_content | baseline | 0 | AT content: the fraction of A and T" in md
    assert "| random | baseline | 0 | Random:" in md
    assert "<h2>Models</h2>" in (out / "report.html").read_text()


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_plan_without_contrasts_still_names_its_models(tmp_path, monkeypatch):
    """Issue 12: the report said "models: ." and had an empty Models table."""
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    (tmp_path / "plain.mit").write_text('benchmark "plain" seed 1 length 30\nbackground bg = uniform()\n'
                                        'class C n=5 on bg { place "TATAAT" at 10 }\n')
    out = build(tmp_path / "plain.mit", tmp_path / "run").out_dir
    ran = _cli("run", out, "-m", "at_content", "-m", "random")
    assert ran.exit_code == 0, ran.output
    assert "declares no contrasts" in ran.output
    md = (out / "report.md").read_text()
    assert "models: at_content, random." in md
    assert "| at_content | baseline |" in md and "| random | baseline |" in md
    assert json.loads((out / "metrics.json").read_text())["models"] == ["at_content", "random"]


def test_report_of_a_run_written_away_from_its_plan(tmp_path, monkeypatch):
    """Issue 12: `report DIR` after `run -o DIR` said "compile one with mitspec compile",
    though the plan existed. `run -o` records where the plan is; without that record the
    message names the real cause and the way out (--plan)."""
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    (tmp_path / "tiny.mit").write_text(TINY)
    plan = build(tmp_path / "tiny.mit", tmp_path / "plan").out_dir
    assert _cli("run", plan, "-m", "at_content", "-o", tmp_path / "elsewhere").exit_code == 0
    again = _cli("report", tmp_path / "elsewhere")
    assert again.exit_code == 0, again.output
    (tmp_path / "elsewhere" / "run.json").unlink()
    lost = _cli("report", tmp_path / "elsewhere")
    assert lost.exit_code == 2
    assert "holds scores but no plan.json" in lost.output and "--plan PLAN_DIR" in lost.output
    assert "compile one" not in lost.output
    named = _cli("report", tmp_path / "elsewhere", "--plan", plan)
    assert named.exit_code == 0, named.output


def test_scores_of_another_plan_are_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    (tmp_path / "tiny.mit").write_text(TINY)
    (tmp_path / "other.mit").write_text(TINY.replace("seed 3", "seed 4"))
    plan = build(tmp_path / "tiny.mit", tmp_path / "plan").out_dir
    other = build(tmp_path / "other.mit", tmp_path / "other").out_dir
    assert _cli("run", plan, "-m", "at_content", "-o", tmp_path / "elsewhere").exit_code == 0
    wrong = _cli("report", tmp_path / "elsewhere", "--plan", other)
    assert wrong.exit_code == 2 and "belong to plan" in wrong.output


def test_spec_and_model_text_cannot_inject_markup(tmp_path):
    """Issue 19: report.md carried titles and model names raw (report.html escaped them)."""
    spec = TINY.replace('benchmark "tiny"', 'benchmark "<script>alert(1)</script> | *x*"').replace(
        'class C n=4 on bg', 'class C "<img src=x onerror=alert(2)>" n=4 on bg')
    (tmp_path / "evil.mit").write_text(spec)
    out = build(tmp_path / "evil.mit", tmp_path / "run").out_dir
    plan = load_plan(out)
    scores = scores_of(SCORES, "<b>m</b>|x").join(plan.sequences.select("id", "class"), on="id")
    scores.with_columns(pl.lit(plan.plan_hash).alias("plan")).write_parquet(out / "scores.parquet")
    report_run(plan, out / "scores.parquet", out, MetricsConfig())
    md = (out / "report.md").read_text()
    # code blocks show their text literally (CommonMark), so only text outside them could be markup
    outside = "".join(md.split("```")[::2])
    for name, text in (("report.md", outside), ("report.html", (out / "report.html").read_text())):
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>m</b>" not in text, name
    assert "# &lt;script&gt;alert(1)&lt;/script&gt; \\| \\*x\\*: mechanistic invariance report" in md
    assert "| &lt;b&gt;m&lt;/b&gt;\\|x |" in md


def test_report_after_the_plan_was_recompiled_says_the_scores_are_stale(tmp_path, monkeypatch):
    """Issue 19: this was a ZeroDivisionError (the scores belonged to the old plan hash)."""
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    spec = tmp_path / "tiny.mit"
    spec.write_text(TINY)
    out = build(spec, tmp_path / "run").out_dir
    assert _cli("run", out, "-m", "at_content").exit_code == 0
    spec.write_text(TINY.replace("seed 3", "seed 5"))
    build(spec, out)
    stale = _cli("report", out)
    assert stale.exit_code == 2 and "stale" in stale.output and f"mitspec run {out}" in stale.output


def _png_size(data: bytes) -> tuple[int, int]:
    import struct

    return struct.unpack(">II", data[16:24])  # IHDR width, height


def test_figures_stay_readable_at_a_hundred_classes_and_fifteen_models():
    """Before: one 3918 px row of forest panels at 9 contrasts, one box per class at 95
    classes. Now panels wrap at four per row and many classes become means per group."""
    import numpy as np
    import polars as pl

    from mitspec.report import plots

    rng = np.random.default_rng(0)
    models = [f"model_{k:02d}" for k in range(15)]
    classes = [{"name": f"S[{k}]", "group": "S"} for k in range(90)] + [{"name": n} for n in "ABCDE"]
    scores = pl.DataFrame([{"model": m, "class": c["name"], "score": float(rng.normal())}
                           for m in models for c in classes for _ in range(5)])
    width, height = _png_size(plots.distributions(scores, PlanView.from_meta({"classes": classes}).classes))
    assert width < 3200 and height < 9000
    contrasts = [f"W{k}" for k in range(9)]
    metrics = pl.DataFrame([{"contrast": c, "kind": "win_rate", "model": m, "value": 0.6, "ci_low": 0.5,
                             "ci_high": 0.7, "q": 0.01} for c in contrasts for m in models])
    groups = [("gLMs", models[:5]), ("baselines", models[5:])]
    width, height = _png_size(plots.forest(metrics, contrasts, groups))
    assert width < 1800  # four panels per row, three rows


def test_a_two_sweep_profile_gets_a_heatmap_and_a_one_sweep_profile_does_not():
    import polars as pl

    from mitspec.report import plots

    classes = [{"name": f"T[{a}, {b}]", "group": "T", "condition": {"sweeps": ["x", "y"], "levels": [a, b]}}
               for a in (1, 2) for b in ("u", "v", "w")]
    contrast = {"name": "P", "group": "T", "classes": [c["name"] for c in classes]}
    metrics = pl.DataFrame([{"model": "m", "contrast": f"P[{c['name'][2:-1]}]", "level": c["name"][2:-1],
                             "of": "P", "part": "level", "value": float(k)} for k, c in enumerate(classes)])
    assert plots.heatmap(metrics, contrast, PlanView.from_meta({"classes": classes}).classes)[:4] == b"\x89PNG"
    single = PlanView.from_meta({"classes": [{"name": "S[1]", "group": "S", "condition": {"sweep": "x", "level": 1}}]})
    assert plots.heatmap(metrics, {"name": "P", "group": "S", "classes": ["S[1]"]}, single.classes) is None


def test_audit_tables_list_the_glms_before_the_baselines():
    """docs/metrics.md says every table lists gLMs first; the audit's per-contrast tables listed
    models in the order the audit computed them (a baseline first)."""
    from mitspec.report.tables import audit_model_rows

    row = {"contrast": "CSS", "raw": 0.9, "raw_low": 0.8, "raw_high": 0.95, "difference": 1.0,
           "composition_part": 0.5, "share": 0.5, "share_low": 0.2, "share_high": 0.8, "remainder_low": 0.1,
           "remainder_high": 0.9, "adjusted": 0.7, "verdict": "inconclusive"}
    audit = {"models": [{**row, "model": "at_content"}, {**row, "model": "zeta_glm"}]}
    doc = {"models": ["at_content", "zeta_glm"], "model_kinds": {"at_content": "baseline", "zeta_glm": "causal"}}
    assert [r[0] for r in audit_model_rows(audit, "CSS", doc)] == ["zeta_glm", "at_content"]
