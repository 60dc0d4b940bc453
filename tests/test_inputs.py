"""Files from outside: every malformed FASTA, score file, model directory and edited plan
ends the command with one clear sentence and exit status 2, never a traceback."""
import gzip
import json
import os
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

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


# ---- hardening, round two (issue 27): special files, bombs, wrong JSON types ----------------------
SMALL = 'benchmark "small" seed 1 length 30\nbackground bg = iid(at=0.5)\n'


def spec_with(here, body: str, name="s.mit") -> str:
    (here / name).write_text(SMALL + body)
    return name


@pytest.mark.parametrize("line", [
    'motif m = pwm("pipe")\nclass A n=2 on bg { place m at 2 }\n',
    'import "pipe"\nclass A n=2 on bg { }\n',
    'background g = genome(file="pipe", at=[0, 1])\nclass A n=2 on g { }\n',
    'background g = markov(2, file="pipe")\nclass A n=2 on g { }\n',
    'background g = given("pipe")\nclass A n=2 on g { }\n',
])
def test_a_fifo_named_by_a_spec_is_refused_not_waited_on(here, line):
    """A FIFO nobody writes to blocked `check` forever."""
    os.mkfifo(here / "pipe")
    fails_with(cli("check", spec_with(here, line)), '"pipe" is a FIFO, not a regular file')


@pytest.mark.parametrize("line", [
    'motif m = pwm("a\0b.jaspar")\nclass A n=2 on bg { place m at 2 }\n',
    'import "lib\0.mit"\nclass A n=2 on bg { }\n',
    'background g = genome(file="x\0.fa", at=[0, 1])\nclass A n=2 on g { }\n',
])
def test_a_nul_byte_in_a_path_is_a_diagnostic(here, line):
    """`ValueError: embedded null byte` escaped from io.py."""
    fails_with(cli("check", spec_with(here, line)), "cannot contain a NUL byte")


def test_a_spec_without_a_class_is_said_by_check_and_compile(here):
    """`check` said ok and `compile` crashed (`cannot concat empty list`)."""
    name = spec_with(here, "")
    for command in ("check", "compile"):
        fails_with(cli(command, name), "the spec defines no class")


def test_a_spec_over_the_size_limit_is_refused_unread(here, monkeypatch):
    monkeypatch.setattr("mitspec.spec.parser.SPEC_BYTES", 1000)
    fails_with(cli("check", spec_with(here, "# " + "x" * 1000 + "\nclass A n=2 on bg { }\n")), "over", "the limit for a spec")


def test_diagnostics_are_bounded_in_number_and_width(here):
    """2,000 errors on one 35 kB line printed 104 MB (each quoted the whole line)."""
    line = " ".join(f'motif a{i} = "X"' for i in range(2000))
    result = cli("check", spec_with(here, line + "\nclass A n=2 on bg { }\n"))
    fails_with(result, "2000 errors in s.mit (50 shown")
    assert len(result.output) < 50 * 600, len(result.output)
    assert max(map(len, result.output.splitlines())) < 200


def test_terminal_escapes_from_a_spec_are_shown_escaped(here):
    (here / "s.mit").write_text(SMALL + 'motif m\x1b[2J = "A"\nclass A\x1b]0;owned\x07 n=2 on bg { }\n')
    result = cli("check", "s.mit")
    assert result.exit_code == 2 and "\x1b" not in result.output and "\x07" not in result.output, result.output


@pytest.mark.parametrize("compressed", [False, True])
def test_a_fasta_over_the_limit_is_refused_while_reading(here, monkeypatch, compressed):
    """An 8 MB gzip expanding to 4 GiB raised MemoryError; a 200 MB one-line FASTA took 15 GB."""
    monkeypatch.setattr("mitspec.fasta.FASTA_BYTES", 10_000)
    data = b">a\n" + b"ACGT" * 5000 + b"\n"
    (here / "in.fa").write_bytes(gzip.compress(data) if compressed else data)
    fails_with(cli("score", "--fasta", "in.fa", "-m", "at_content"), "over 9 KiB" if compressed else "is over")


def test_a_genome_bomb_is_refused_at_the_limit(here, monkeypatch):
    """A gzip genome was decompressed whole (1.1 GB RSS) before being refused."""
    monkeypatch.setattr("mitspec.genomes.GENOME_BYTES", 100_000)
    (here / "g.fa.gz").write_bytes(gzip.compress(b">chr\n" + b"ACGT" * 50_000))
    fails_with(cli("check", spec_with(here, 'background g = genome(file="g.fa.gz", at=[0, 1])\nclass A n=2 on g { }\n')),
               "expands to over")


@pytest.mark.parametrize("content, fragment", [
    ('{"C_000": "abc"}', "`score` must be a number"),
    ("null", "JSON scores must be"),
    ('{"C_000": 1' + "0" * 400 + "}", "`score` must be a number"),
    (b'{"C_000": "\xff"}', "is not UTF-8 text"),
    ("[" * 100_000, "nests too deeply"),
    ('{"score": {"a": 1}}', "`score` must be a number"),
    ('[{"id": "C_000", "score": 1, "colour": "red"}]', "unknown key(s) colour"),
    ('[{"id": 7, "score": 1}]', "`id` must be a string"),
    ('{"C_000": NaN}', "NaN is not a JSON number"),
])
def test_json_score_files_of_the_wrong_types(plan, here, content, fragment):
    (here / "s.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    fails_with(cli("metrics", "--plan", plan, "--scores", "s.json"), fragment)


def test_a_header_only_csv_and_a_parquet_with_null_models(plan, here):
    """A header-only CSV exited 0 with an empty table; null models raised a polars error."""
    import polars as pl

    (here / "s.csv").write_text("id,score\n")
    fails_with(cli("metrics", "--plan", plan, "--scores", "s.csv"), "holds no scores")
    pl.DataFrame({"id": ["C_000", "C_001"], "score": [1.0, 2.0], "model": ["m", None]}).write_parquet(here / "s.parquet")
    fails_with(cli("metrics", "--plan", plan, "--scores", "s.parquet"), "some rows have no model name")


def _edit_plan(plan_dir, edit):
    from mitspec.plan.store import plan_hash

    path = plan_dir / "plan.json"
    meta = json.loads(path.read_text())
    edit(meta)
    meta["plan_hash"] = plan_hash(meta)  # a careful tamperer recomputes the hash
    path.write_text(json.dumps(meta))


def test_edited_plans_with_nan_deep_nesting_or_huge_positions(plan):
    original = (plan / "plan.json").read_text()
    (plan / "plan.json").write_text(original.replace('"seed": 3', '"seed": NaN', 1))
    fails_with(cli("show", plan), "NaN is not a JSON number")
    (plan / "plan.json").write_text("[" * 50_000 + "]" * 50_000)
    fails_with(cli("show", plan), "nests too deeply")
    (plan / "plan.json").write_text(original)
    _edit_plan(plan, lambda m: m["classes"][0]["features"][0].update(end=2 ** 62))
    fails_with(cli("show", plan), "2147483647")


def test_a_condition_name_cannot_lead_a_figure_out_of_the_run_directory(here):
    """A profile contrast renamed `X[../../(x20)/tmp/PWNED]` wrote /tmp/PWNED].png."""
    shutil.copy(SPECS / "positional_sweep.mit", here)
    assert cli("compile", "positional_sweep.mit").exit_code == 0
    plan_dir = here / "build/positional_sweep"
    escape = "../" * 12 + str(here / "PWNED")

    def rename(meta):
        old = meta["contrasts"][0]["name"]
        new = f"X[{escape}]"
        meta["contrasts"][0]["name"] = new
        for c in meta["classes"]:
            c["name"] = c["name"].replace(old, new)

    _edit_plan(plan_dir, rename)
    fails_with(cli("run", plan_dir, "-m", "at_content", "-o", here / "out"), "does not match plan.schema.json")
    assert not list(here.glob("PWNED*")) and not (here / "out" / "figures").exists()


def test_figure_files_stay_in_figures_whatever_the_key():
    from mitspec.report.render import figure_file

    assert figure_file("profile_UP_POSITION") == "profile_UP_POSITION.png"
    for key in ("profile_X[../../../tmp/PWNED]", "../x", "a/b", "..", "x\0y", "\n"):
        name = figure_file(key)
        assert "/" not in name and "\0" not in name and not name.startswith(".") and name.endswith(".png"), name
    assert figure_file("a/b") != figure_file("a_b")  # distinct keys, distinct files


@pytest.mark.parametrize("where", ["file name", "plan.json spec path"])
def test_no_raw_html_reaches_report_md(here, where):
    """A spec named `a\\n\\n<img src=x onerror=alert(7)>\\n\\n.mit` put raw HTML in report.md;
    so did `spec.path` in plan.json, which the plan hash does not cover."""
    hostile = "a\n\n<img src=x onerror=alert(7)>\n\n\r# heading\r.mit"
    name = hostile if where == "file name" else "s.mit"
    (here / name).write_text(TINY)
    out = here / "plan"
    assert cli("compile", name, "-o", out).exit_code == 0
    if where != "file name":
        meta = json.loads((out / "plan.json").read_text())
        meta["spec"]["path"] = hostile
        (out / "plan.json").write_text(json.dumps(meta))
    assert cli("run", out, "-m", "at_content").exit_code == 0
    rendered = MarkdownIt("commonmark").render((out / "report.md").read_text())  # as a viewer would
    assert "<img src=x" not in rendered and "&lt;img src=x" in rendered and "<h1>heading" not in rendered, rendered
    assert "&lt;img" in (out / "report.html").read_text()


def test_a_manifest_name_that_is_mathtext_is_drawn_as_text(here, plan):
    """`$\\frac{$` as a model name crashed matplotlib's mathtext after scoring had finished."""
    model = g.bigram(here / "m", np.zeros((g.V, g.V)))
    g.edit_manifest(model, name="$\\frac{$")
    result = cli("run", plan, "-m", model)
    assert result.exit_code == 0, result.output
    assert "\\$\\\\frac{\\$" in (plan / "report.md").read_text() or "frac" in (plan / "report.md").read_text()


def test_a_tokenizer_file_that_is_a_fifo_is_refused(here, model):
    os.mkfifo(model / "tok.json")
    g.edit_manifest(model, **{"tokenizer.file": "tok.json"})
    (here / "in.fa").write_text(">a\nACGT\n")
    fails_with(cli("score", "--fasta", "in.fa", "-m", model), "tok.json) is a FIFO, not a regular file")
