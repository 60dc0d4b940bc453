"""The `mitspec` command: compile / check / show, exit codes, no tracebacks."""
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mitspec.cli import main

from .conftest import BASE, SPECS


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A user's project: specs/*.mit with the libraries and data files they read, run from its root."""
    shutil.copytree(SPECS, tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_compile_without_arguments_builds_every_project_spec_then_skips_them(project):
    first = run("compile")
    assert first.exit_code == 0, first.output
    assert "specs/mit_sigma70.mit -> build/mit_sigma70/" in first.output
    n_specs = len(list(SPECS.glob("*.mit")))
    assert first.output.count("compiled in") == n_specs
    assert (project / "build/mit_sigma70/plan.json").exists()
    assert (project / "build/mit_sigma70_paper/sequences.parquet").exists()
    second = run("compile")
    assert second.output.count("(up to date)") == n_specs


def test_compile_to_a_directory_with_fasta(project):
    result = run("compile", "specs/mit_sigma70.mit", "-o", "out", "--fasta")
    assert result.exit_code == 0, result.output
    fasta = (project / "out/sequences.fasta").read_text().splitlines()
    assert len(fasta) == 2 * 650
    assert fasta[0] == ">A_000 class=A"
    assert fasta[fasta.index(">E_007 class=E parent=D_007")] and len(fasta[1]) == 100


def test_show_prints_a_per_class_table(project):
    run("compile", "specs/mit_sigma70.mit")
    result = run("show", "build/mit_sigma70")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("MIT-sigma70")
    row_e = next(line for line in lines if line.startswith("E "))
    assert "Synthetic Compensated" in row_e and " 100 " in row_e and "up@15..24" in row_e
    row_h = next(line for line in lines if line.startswith("H "))
    assert "up@15..24~" in row_h
    assert any(line.strip().startswith("CSS") and "E > D" in line for line in lines)


def test_check_reports_ok_and_errors(project):
    ok = run("check", "specs/mit_sigma70.mit")
    assert ok.exit_code == 0 and "ok (8 classes, 650 sequences, 6 contrasts)" in ok.output
    (project / "bad.mit").write_text(BASE + "class X n=0 on gb { }\n")
    bad = CliRunner().invoke(main, ["check", "bad.mit"])
    assert bad.exit_code == 2
    assert "bad.mit:10:11: error: n must be positive, got 0" in bad.output
    assert "bad.mit:10:16: error: undefined background `gb`" in bad.output
    assert "2 errors in bad.mit" in bad.output


def test_a_bad_spec_does_not_stop_the_others_but_fails_the_command(project):
    (project / "specs/zz_bad.mit").write_text('benchmark "x" length 10\nmotif m = "AXA"\n')
    result = CliRunner().invoke(main, ["compile"])
    assert result.exit_code == 2
    assert (project / "build/mit_sigma70/plan.json").exists()
    assert not (project / "build/zz_bad").exists()


def test_show_of_a_missing_or_broken_plan_is_a_clear_error(project):
    (project / "p").mkdir()
    result = CliRunner().invoke(main, ["show", "p"])
    assert result.exit_code == 2 and "no plan at p/plan.json" in result.output
    (project / "p/plan.json").write_text("{")
    result = CliRunner().invoke(main, ["show", "p"])
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_compile_outside_a_project_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["compile"])
    assert result.exit_code == 2 and "no specs/*.mit" in result.output


def test_installed_command_exits_2_without_traceback(project):
    """The real console script, as a user runs it."""
    (project / "bad.mit").write_text('benchmark "x" length 10\nclass C n=1 on nowhere { place "TATAAT" at 8 }\n')
    exe = shutil.which("mitspec") or f"{sys.executable} -m mitspec"
    proc = subprocess.run([*exe.split(), "compile", "bad.mit"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.mit:2:16: error: undefined background `nowhere`" in proc.stderr
    assert "bad.mit:2:26: error: `TATAAT` (6 bp) at 8..14 runs past the end" in proc.stderr


def test_non_utf8_spec_is_a_spec_error(project):
    (project / "bin.mit").write_bytes(b'benchmark "x" length 10\n\xff\xfe')
    result = CliRunner().invoke(main, ["check", "bin.mit"])
    assert result.exit_code == 2 and "bin.mit:2:1: error: not UTF-8 text" in result.output


def test_core_commands_do_not_import_torch():
    """The core install has no torch: compiling, checking and scoring must not need it."""
    code = ("import sys; import mitspec.cli, mitspec.plan.build, mitspec.models.onnx_lm, mitspec.scores.run; "
            "sys.exit(1 if 'torch' in sys.modules or 'transformers' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_genome_background_that_cannot_be_sampled_is_a_clear_error(project, monkeypatch):
    """Issue 12: compile printed a BackgroundError traceback. Windows that exist but are
    too rare for the sampler are simulated by giving it no tries at all."""
    monkeypatch.setattr("mitspec.plan.backgrounds.MAX_ATTEMPTS", 0)
    result = CliRunner().invoke(main, ["compile", "specs/mit_sigma70_natural.mit"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "error: class A: found no 100 bp window of ecoli_mg1655" in result.output


def test_a_bug_still_shows_its_traceback(project, monkeypatch):
    """Only user errors are caught by the CLI; anything else must stay visible."""
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("mitspec.plan.build.compile_program", broken)
    result = CliRunner().invoke(main, ["compile", "specs/strand.mit"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_every_user_error_derives_from_one_base():
    from mitspec.errors import MitspecError
    from mitspec.fasta import FastaError
    from mitspec.genomes import GenomeError
    from mitspec.metrics.calculator import MetricsError
    from mitspec.errors import ModelError
    from mitspec.plan.backgrounds import BackgroundError
    from mitspec.plan.store import PlanError
    from mitspec.spec.errors import SpecErrors
    from mitspec.train.config import ConfigError

    for error in (FastaError, GenomeError, MetricsError, ModelError, BackgroundError, PlanError, SpecErrors, ConfigError):
        assert issubclass(error, MitspecError), error


def test_the_cli_catches_user_errors_in_one_place():
    """No command catches a user error itself: `_Cli.invoke` does, once (and there the
    system's refusals, OSError: a full disk, a read-only directory)."""
    import ast as pyast

    from .conftest import ROOT

    tree = pyast.parse((ROOT / "mitspec" / "cli.py").read_text())
    handlers = [h for h in pyast.walk(tree) if isinstance(h, pyast.ExceptHandler)]
    caught = {pyast.unparse(h.type) for h in handlers if h.type is not None}
    assert caught <= {"MitspecError", "ImportError", "OSError"}, caught
    invoke = next(f for f in pyast.walk(tree) if isinstance(f, pyast.FunctionDef) and f.name == "invoke")
    assert [pyast.unparse(h.type) for h in pyast.walk(invoke) if isinstance(h, pyast.ExceptHandler)] == \
        ["MitspecError", "OSError"]


def test_pyproject_build_backend_supports_its_license_field():
    """`license = "MIT"` (an SPDX string) needs setuptools >= 77 (PEP 639 support)."""
    import re
    import tomllib

    from .conftest import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(project["project"]["license"], str)
    (requirement,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    lower = re.search(r">=\s*(\d+)", requirement)
    assert lower and int(lower.group(1)) >= 77, requirement


def test_onnxruntime_is_installable_where_onnxruntime_gpu_has_no_wheels():
    """Exactly one onnxruntime package per platform: the CUDA build where PyPI publishes it
    (Linux x86_64, Windows AMD64: checked with `pip install --dry-run --platform`, 2026-12),
    the CPU build elsewhere (Linux aarch64 used to get onnxruntime-gpu, which has no wheel)."""
    import tomllib

    from packaging.requirements import Requirement

    from .conftest import ROOT

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    runtimes = [Requirement(d) for d in deps if d.startswith("onnxruntime")]
    platforms = {("linux", "x86_64"): "onnxruntime-gpu", ("win32", "AMD64"): "onnxruntime-gpu",
                 ("linux", "aarch64"): "onnxruntime", ("darwin", "arm64"): "onnxruntime",
                 ("darwin", "x86_64"): "onnxruntime", ("win32", "ARM64"): "onnxruntime"}
    for (system, machine), package in platforms.items():
        env = {"sys_platform": system, "platform_machine": machine}
        assert [r.name for r in runtimes if r.marker.evaluate(env)] == [package], (system, machine)