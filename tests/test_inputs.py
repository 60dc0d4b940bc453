"""Files from outside: every malformed FASTA, score file, model directory and edited plan
ends the command with one clear sentence and exit status 2, never a traceback."""
import gzip
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from mitspec.cli import main

from .conftest import SPECS
from .test_metrics import TINY

pytest.importorskip("onnx")
from . import onnx_models as g  # noqa: E402


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    return tmp_path


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def fails_with(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


# ---- score --fasta ---------------------------------------------------------------------------------
@pytest.mark.parametrize("content, fragments", [
    ("", ["holds no FASTA records"]),
    ("ACGT\n", ["sequence before the first `>` header"]),
    (">a\nACGU\n", ["`U` is not a nucleotide", "U is RNA: write T"]),
    (">a\nACGR\n", ["`R` is not a nucleotide", "IUPAC ambiguity code"]),
    (">a\nMKVLA\n", ["`M` is not a nucleotide", "is this protein or other text"]),
    (">a\nACGT\n>a\nACGT\n", ["id 'a' appears twice"]),
    (">a\n\n>b\nACGT\n", ["record 'a' has no sequence"]),
    (">\nACGT\n", ["needs an id after `>`"]),
])
def test_malformed_fasta(here, content, fragments):
    (here / "in.fa").write_text(content)
    fails_with(cli("score", "--fasta", "in.fa", "-m", "at_content"), *fragments)


def test_binary_fasta(here):
    (here / "in.fa").write_bytes(b"\xff\xfe\x00>a\nACGT")
    fails_with(cli("score", "--fasta", "in.fa", "-m", "at_content"), "is not a text FASTA file")


@pytest.mark.parametrize("compress", [False, True])
def test_lowercase_crlf_n_and_gzip_are_read(here, compress):
    text = ">a one\r\nacgtn\r\nACGT\r\n>b\r\nAAAA\r\n"
    if compress:
        (here / "in.fa.gz").write_bytes(gzip.compress(text.encode()))
    else:
        (here / "in.fa.gz").write_text(text)  # the name says gzip; the bytes decide
    result = cli("score", "--fasta", "in.fa.gz", "-m", "at_content")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["id,score", f"a,{4 / 9!r}", "b,1.0"]


def test_a_sequence_longer_than_the_model_takes(here):
    model = g.bigram(here / "bigram", np.zeros((g.V, g.V)))
    (here / "in.fa").write_text(">long\n" + "ACGT" * 250_000 + "\n")  # 1 Mb
    fails_with(cli("score", "--fasta", "in.fa", "-m", model), "accepts at most 1024 tokens")


# ---- metrics --scores ------------------------------------------------------------------------------
@pytest.fixture
def plan(here):
    (here / "tiny.mit").write_text(TINY)
    assert cli("compile", "tiny.mit").exit_code == 0
    return here / "build" / "tiny"


@pytest.mark.parametrize("rows, fragments", [
    ("id,score\nC_000,1.0\n", ["missing"]),
    ("id,score\n" + "".join(f"{c}_{i:03d},nan\n" for c, n in (("C", 4), ("D", 4), ("E", 4), ("H", 2), ("X", 3))
                            for i in range(n)), ["missing, NaN or infinite scores"]),
    ("id,score\nC_000,inf\n", ["missing, NaN or infinite scores"]),
    ("id,value\nC_000,1.0\n", ["needs columns id and score (missing score)"]),
    ("id,score\nC_000,abc\n", ["scores must be numbers"]),
    ("id,score\nC_000,1\nC_000,2\n", ["duplicated"]),
    ("id,score\nNOPE,1\n", ["unknown to the plan"]),
])
def test_malformed_score_files(plan, here, rows, fragments):
    (here / "s.csv").write_text(rows)
    fails_with(cli("metrics", "--plan", plan, "--scores", "s.csv"), *fragments)


def test_score_file_formats_that_are_not_scores(plan, here):
    (here / "s.json").write_text("[1, 2, 3]")
    fails_with(cli("metrics", "--plan", plan, "--scores", "s.json"), "JSON scores must be")
    (here / "s.txt").write_text("x")
    fails_with(cli("metrics", "--plan", plan, "--scores", "s.txt"), "unknown score format .txt")
    (here / "s.parquet").write_bytes(b"PAR1 junk")
    fails_with(cli("metrics", "--plan", plan, "--scores", "s.parquet"), "cannot read scores")


# ---- model directories -------------------------------------------------------------------------------
@pytest.fixture
def model(here):
    return g.bigram(here / "m", np.zeros((g.V, g.V)))


@pytest.mark.parametrize("damage, fragments", [
    ("corrupt", ["does not match the sha256"]),
    ("unknown-key", ["unknown key(s) colour"]),
    ("sha256", ["does not match the sha256"]),
    ("not-json", ["is not valid JSON"]),
    ("missing", ["manifest.json is missing"]),
    ("data-outside", ["`onnx_data` (../weights.bin) is an absolute path or leads outside the model directory"]),
    ("data-not-sha", ["`onnx_data` must be an object of file name: sha256, or null"]),
    ("data-missing", ["model.onnx.data (the weights of", "(changed, corrupt or missing)"]),
])
def test_broken_model_directories(here, model, damage, fragments):
    if damage == "corrupt":
        (model / "model.onnx").write_bytes(b"\x08\x07junk" * 50)
    elif damage == "unknown-key":
        g.edit_manifest(model, colour="blue")
    elif damage == "sha256":
        g.edit_manifest(model, sha256="0" * 64)
    elif damage == "data-outside":
        g.edit_manifest(model, onnx_data={"../weights.bin": "0" * 64})
    elif damage == "data-not-sha":
        g.edit_manifest(model, onnx_data={"model.onnx.data": "not a digest"})
    elif damage == "data-missing":  # a manifest naming external weights that are not there
        g.edit_manifest(model, onnx_data={"model.onnx.data": "0" * 64})
    elif damage == "not-json":
        (model / "manifest.json").write_text("{")
    else:
        (model / "manifest.json").unlink()
    (here / "in.fa").write_text(">a\nACGT\n")
    fails_with(cli("score", "--fasta", "in.fa", "-m", model), *fragments)


# ---- plans -------------------------------------------------------------------------------------------
def test_a_plan_edited_after_compiling(here):
    shutil.copy(SPECS / "strand.mit", here)
    assert cli("compile", "strand.mit").exit_code == 0
    meta = json.loads((here / "build/strand/plan.json").read_text())
    meta["length"] = 99
    (here / "build/strand/plan.json").write_text(json.dumps(meta))
    for command in (["show", "build/strand"], ["run", "build/strand", "-m", "at_content"]):
        fails_with(cli(*command), "was edited after compiling")
