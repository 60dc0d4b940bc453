"""The Python API (mitspec/api.py) and the notebook that shows it (docs/quickstart.ipynb)."""
import ast
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import mitspec
from mitspec.cli import main
from mitspec.errors import ModelError
from mitspec.spec.errors import SpecErrors

from .conftest import SPECS

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "quickstart.ipynb"


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copytree(SPECS, tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MITSPEC_CACHE", str(tmp_path / "cache.sqlite"))
    return tmp_path


def execute_notebook(path: Path) -> list:
    """Run a notebook's code cells in order in one namespace, as a kernel would, and return
    each cell's displayed value (its last expression) as Jupyter would show it: the
    object's `_repr_html_()` when it has one, else its repr; None for a cell without one."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    namespace: dict = {"__name__": "__main__"}
    shown = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, str(path), "exec"), namespace)  # noqa: S102 - our own notebook
        value = eval(compile(ast.Expression(last.value), str(path), "eval"), namespace) if last else None
        shown.append(value._repr_html_() if hasattr(value, "_repr_html_") else value)
    return shown


def test_the_quickstart_notebook_runs_the_canonical_spec_end_to_end(project):
    shown = execute_notebook(NOTEBOOK)
    plan_html, sequences, contrasts, run_html, verdicts, metrics, means, printed = shown
    assert "MIT-sigma70" in plan_html and "650 sequences" in plan_html
    assert "<table" in sequences and "<table" in contrasts and "CSS" in contrasts
    assert "Expectations" in run_html and "ecoli_cnn" in run_html
    assert "expect CSS" in verdicts and "oracle" in verdicts and "pass" in verdicts
    assert (project / "build" / "notebook" / "report.html").exists()
    assert (project / "build" / "notebook" / "scores.parquet").exists()


def test_run_writes_what_the_cli_writes(project):
    """The CLI is a layer over the API: the same plan and models give the same metrics.json."""
    run = mitspec.run("specs/spacing.mit", models=["oracle", "at_content"], out="api")
    result = CliRunner().invoke(main, ["run", "specs/spacing.mit", "-m", "oracle", "-m", "at_content", "-o", "cli"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads((project / "api" / "metrics.json").read_text()) == json.loads(
        (project / "cli" / "metrics.json").read_text())
    assert run.models == ["at_content", "oracle"]
    assert run.scores.shape[0] == 2 * len(run.plan.sequences)
    assert set(run.scores["id"].to_list()) == set(run.plan.sequences["id"].to_list())
    peak = run.expectations.filter(pl.col("model") == "oracle")
    assert peak["verdict"].to_list() == ["pass"] and peak["control"].to_list() == ["pass"]


def test_a_run_loads_again_from_its_directory(project):
    plan = mitspec.compile("specs/strand.mit")
    first = mitspec.run(plan, models=["oracle", "at_content"])
    again = mitspec.Run.load(plan)
    assert again.document == first.document and again.metrics.equals(first.metrics)
    assert mitspec.Plan.load(plan.path).plan_hash == plan.plan_hash
    assert str(plan).startswith("MIT-strand")


def test_api_mistakes_are_the_pipelines_errors(project):
    (project / "bad.mit").write_text('benchmark "x" length 10\nclass C n=1 on nowhere { }\n')
    with pytest.raises(SpecErrors, match="nowhere"):
        mitspec.compile("bad.mit")
    with pytest.raises(ModelError, match="unknown model 'no_such_model'"):
        mitspec.run("specs/strand.mit", models=["no_such_model"])
    with pytest.raises(AttributeError):
        mitspec.no_such_function  # noqa: B018
