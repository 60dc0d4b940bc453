"""`mitspec run`, `score` and `models` from the command line."""
import re
import shutil

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

pytest.importorskip("onnx")

from mitspec.cli import main  # noqa: E402

from . import onnx_models as g  # noqa: E402
from .onnx_models import ToyConfig, write_toy_model  # noqa: E402
from .conftest import BASE, SPECS  # noqa: E402


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "specs").mkdir()
    shutil.copy(SPECS / "mit_sigma70.mit", tmp_path / "specs")
    write_toy_model(tmp_path / "exported_models" / "toy_masked", ToyConfig(kind="masked", seed=1))
    write_toy_model(tmp_path / "exported_models" / "toy_causal", ToyConfig(kind="causal", seed=2))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    monkeypatch.setattr("mitspec.models.registry.PACKAGE_ROOT", tmp_path / "nowhere")
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.slow
def test_compile_then_run_scores_every_plan_with_every_model(project):
    assert invoke("compile").exit_code == 0
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert "model toy_masked: masked on CPU (onnxruntime)" in result.output
    scores = pl.read_parquet(project / "build/mit_sigma70/scores.parquet")
    assert scores.columns[:6] == ["id", "class", "model", "score", "per_nt", "tokens"]
    counts = dict(scores.group_by("model").len().iter_rows())
    baselines = {"pa_pwm", "pa_pwm_nocomp", "pa_pwm_nopos", "rpa_pwm", "thermo", "scan", "markov", "at_content",
                 "random", "kmer6", "oracle", "oracle_near", "motif_scan"}
    assert set(counts) == {"toy_causal", "toy_masked"} | baselines and set(counts.values()) == {650}
    masked = scores.filter(pl.col("model") == "toy_masked")
    assert masked["tokens"].unique().to_list() == [100]  # every base masked once (PLL)
    causal = scores.filter(pl.col("model") == "toy_causal")
    assert causal["tokens"].unique().to_list() == [99]  # first base excluded (LL)


def test_run_a_spec_with_one_model_then_add_another(project):
    (project / "small.mit").write_text(BASE)
    r1 = invoke("run", "small.mit", "-m", "toy_causal")
    assert r1.exit_code == 0, r1.output
    r2 = invoke("run", "build/small", "-m", "exported_models/toy_masked")
    assert r2.exit_code == 0, r2.output
    scores = pl.read_parquet(project / "build/small/scores.parquet")
    assert dict(scores.group_by("model").len().iter_rows()) == {"toy_causal": 10, "toy_masked": 10}


def test_a_run_without_a_terminal_logs_progress_lines(project, monkeypatch):
    """A bar prints nothing to a log file until it ends: minutes of silence in CI. Without a
    terminal (CliRunner's stderr is none) progress comes as lines, and one when a model ends."""
    monkeypatch.setattr("mitspec.cli.PROGRESS_LOG_SECONDS", 0.0)
    (project / "small.mit").write_text(BASE)
    result = CliRunner().invoke(main, ["run", "small.mit", "-m", "toy_causal", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^scoring toy_causal: 10/10 rows \(100%\), [\d,]+ rows/s in [\d.]+ s$", result.output, re.M)


def test_score_fasta_to_csv(project, tmp_path):
    fasta = tmp_path / "mine.fa"
    fasta.write_text(">seq1 some description\nACGTAC\nGT\n>seq2\nttttaaaa\n")
    out = invoke("score", "--fasta", str(fasta), "-m", "toy_causal")
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if not line.startswith("model ")]
    assert lines[0] == "id,score" and [line.split(",")[0] for line in lines[1:]] == ["seq1", "seq2"]
    invoke("score", "--fasta", str(fasta), "-m", "toy_causal", "-o", str(tmp_path / "s.csv"))
    written = pl.read_csv(tmp_path / "s.csv")
    assert written.columns == ["id", "score"]
    np.testing.assert_allclose(written["score"].to_list(), [float(x.split(",")[1]) for x in lines[1:]])


@pytest.mark.parametrize("model", ["oracle", "oracle_near", "motif_scan"])
def test_score_refuses_scorers_that_read_a_plan(project, tmp_path, model):
    """They score a spec's motifs where its classes place them: on a FASTA every sequence
    scored 0.0, silently."""
    fasta = tmp_path / "mine.fa"
    fasta.write_text(">seq1\nTTGACAATTAATCATCGGCTCGTATAATGTGTGG\n")
    out = invoke("score", "--fasta", str(fasta), "-m", model)
    assert out.exit_code == 2, out.output
    assert "a FASTA file has neither" in out.output and f"mitspec run PLAN -m {model}" in out.output
    assert "Traceback" not in out.output and "id,score" not in out.output


def test_bad_fasta_and_unknown_model_are_clear_errors(project, tmp_path):
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGU\n")
    out = invoke("score", "--fasta", str(bad), "-m", "toy_causal")
    assert out.exit_code == 2 and "bad.fa:2:4: `U` is not a nucleotide" in out.output
    good = tmp_path / "good.fa"
    good.write_text(">x\nACGT\n")
    out = invoke("score", "--fasta", str(good), "-m", "toy_casual")
    assert out.exit_code == 2 and "unknown model 'toy_casual'; did you mean `toy_causal`?" in out.output


def test_vocab_without_n(project, tmp_path):
    from mitspec.models.manifest import write_manifest

    directory = g.bigram(tmp_path / "no_n", np.zeros((g.V, g.V)))
    manifest = g.manifest_of(directory)
    manifest["vocab"] = [t if t != "N" else "[UNUSED]" for t in manifest["vocab"]]
    del manifest["sha256"], manifest["format"]
    write_manifest(directory, manifest)
    fasta = tmp_path / "n.fa"
    fasta.write_text(">x\nACGNT\n")
    out = invoke("score", "--fasta", str(fasta), "-m", str(directory))
    assert out.exit_code == 2 and "has no token for N" in out.output


def test_models_lists_what_is_available(project):
    out = invoke("models")
    assert out.exit_code == 0
    assert "toy_masked" in out.output and "masked" in out.output
    params = f"{ToyConfig(kind='masked').params:,}"
    assert params in out.output


def test_run_without_exported_models_uses_the_baselines(project):
    shutil.rmtree(project / "exported_models")
    invoke("compile")
    out = invoke("run")
    assert out.exit_code == 0, out.output
    scores = pl.read_parquet(project / "build/mit_sigma70/scores.parquet")
    assert "pa_pwm" in set(scores["model"]) and "toy_masked" not in set(scores["model"])


def test_no_cache_writes_nothing(project):
    invoke("run", "specs/mit_sigma70.mit", "-m", "toy_causal", "--no-cache")
    assert not (project / "cache.sqlite").exists()


def test_a_model_asked_for_twice_is_scored_once(project):
    """Issue 19: `-m X -m X` wrote duplicated rows and then failed."""
    assert invoke("compile").exit_code == 0
    result = invoke("run", "-m", "at_content", "-m", "at_content")
    assert result.exit_code == 0, result.output
    scores = pl.read_parquet(project / "build/mit_sigma70/scores.parquet")
    assert scores["model"].to_list().count("at_content") == 650


def test_two_models_with_one_name_are_refused_up_front(project):
    """A model directory named like a built-in baseline would overwrite its rows."""
    write_toy_model(project / "elsewhere" / "markov", ToyConfig(kind="causal", seed=3))
    assert invoke("compile").exit_code == 0
    result = invoke("run", "-m", "markov", "-m", str(project / "elsewhere" / "markov"))
    assert result.exit_code == 2
    assert "two models are named 'markov'" in result.output
    assert not (project / "build/mit_sigma70/scores.parquet").exists()


def test_an_exported_model_named_like_a_baseline_is_not_silently_shadowed(project):
    write_toy_model(project / "exported_models" / "kmer6", ToyConfig(kind="causal", seed=3))
    assert invoke("compile").exit_code == 0
    result = invoke("run", "-m", "kmer6")
    assert result.exit_code == 2 and "names both a built-in baseline and the exported model" in result.output


def test_score_csv_quotes_ids_that_need_it(project, tmp_path):
    """Issue 19: an id with a comma made a CSV row with three fields."""
    import csv

    fasta = tmp_path / "odd.fa"
    fasta.write_text('>a,b first\nACGTACGTAC\n>"q" second\nACGTACGTAA\n')
    result = invoke("score", "--fasta", str(fasta), "-m", "at_content")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(result.stdout.splitlines()))
    assert rows[0] == ["id", "score"] and [r[0] for r in rows[1:]] == ["a,b", '"q"']
    assert [float(r[1]) for r in rows[1:]] == [0.5, 0.6]


def test_run_of_a_spec_with_out_writes_nothing_into_build(project):
    """Issue 19: `run SPEC -o DIR` also compiled into ./build/."""
    result = invoke("run", "specs/mit_sigma70.mit", "-m", "at_content", "-o", "elsewhere")
    assert result.exit_code == 0, result.output
    assert not (project / "build").exists()
    assert {"plan.json", "scores.parquet", "report.html"} <= {p.name for p in (project / "elsewhere").iterdir()}
    assert invoke("report", "elsewhere").exit_code == 0


def test_the_default_run_skips_a_model_whose_context_is_too_short(project):
    """A plan longer than a bundled model's context aborted the default run (exit 2, no
    report) after scoring the models before it. Skipped with a line; named, an error."""
    write_toy_model(project / "exported_models" / "toy_short", ToyConfig(kind="causal", seed=3, max_len=100))
    (project / "specs" / "long.mit").write_text(
        'benchmark "long" seed 1 length 150\nbackground bg = iid(at=0.5)\n'
        'class A n=3 on bg { place "TTGACA" at 30 }\nclass B n=3 from A { place "GGGGGG" at 30 }\n'
        "contrast W = A > B paired\n")
    assert invoke("compile", "specs/long.mit").exit_code == 0
    result = invoke("run", "build/long")
    assert result.exit_code == 0, result.output
    assert "skipping toy_short: its context is 100 tokens and the plan's sequences need up to 150 (150 bp)" in result.output
    assert "toy_short" in (project / "build/long/report.md").read_text().split("Not run on this plan:")[1]
    named = invoke("run", "build/long", "-m", "toy_short")
    assert named.exit_code == 2 and "toy_short cannot score" in named.output
    listed = invoke("models")
    assert "100 tokens (100 bp)" in listed.output and "longest input" in listed.output
