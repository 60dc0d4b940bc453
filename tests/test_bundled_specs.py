"""Every command works on every bundled spec: check, compile, show, run, report.

(A crash a user finds on a bundled spec is the worst kind: `show` crashed on every plan
with a profile, correlate or effect_ratio contrast before issue 12.) Scored with fast
baselines; the gLMs are exercised on the canonical spec elsewhere."""
import json
import shutil

import pytest
from click.testing import CliRunner

from mitspec.cli import main

from .conftest import CANONICAL, SPECS

MODELS = ("-m", "at_content", "-m", "random")  # the sigma70 baselines refuse plans without sigma70 elements


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(SPECS, root / "specs")
    return root


def run(root, monkeypatch, *args):
    monkeypatch.chdir(root)
    monkeypatch.setenv("MITSPEC_CACHE", str(root / "cache.sqlite"))
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("spec", [p.stem for p in CANONICAL])
def test_every_command_on_a_bundled_spec(project, monkeypatch, spec):
    path = f"specs/{spec}.mit"
    checked = run(project, monkeypatch, "check", path)
    assert checked.exit_code == 0 and ": ok (" in checked.output
    assert run(project, monkeypatch, "compile", path).exit_code == 0
    plan = json.loads((project / "build" / spec / "plan.json").read_text())
    shown = run(project, monkeypatch, "show", f"build/{spec}")
    assert shown.exit_code == 0, shown.output
    for contrast in plan["contrasts"]:  # every declared contrast is listed, whatever its kind
        assert f"  {contrast['name']} " in shown.output
    ran = run(project, monkeypatch, "run", f"build/{spec}", *MODELS)
    assert ran.exit_code == 0, ran.output
    reported = run(project, monkeypatch, "report", f"build/{spec}")
    assert reported.exit_code == 0, reported.output
    html = (project / "build" / spec / "report.html").read_text()
    for contrast in plan["contrasts"]:
        assert f"<h2>{contrast['name']} " in html


@pytest.mark.parametrize("spec", [p.stem for p in CANONICAL])
def test_the_grammar_baselines_score_or_skip_every_bundled_spec(project, monkeypatch, spec):
    """The default run's treatment of the spec-aware baselines: scored where the spec
    declares motifs it places (or, for the oracle, a grammar), skipped with a reason where not."""
    from mitspec.models.registry import resolve
    from mitspec.scores.cache import NoCache
    from mitspec.scores.run import read_skipped, run_plan

    assert run(project, monkeypatch, "compile", f"specs/{spec}.mit").exit_code == 0
    plan = project / "build" / spec
    out = project / "grammar_runs" / spec
    out.mkdir(parents=True)
    run_plan(plan, [resolve(m) for m in ("oracle", "oracle_near", "motif_scan", "pa_pwm")], out, NoCache())
    skipped = read_skipped(out)
    sigma70 = "minus35" in (project / "specs" / f"{spec}.mit").read_text()
    assert ("pa_pwm" in skipped) != sigma70
    # spacing.mit places literals but declares its grammar, which the oracle scores; the
    # published spec's sequences are given whole, with no elements to read
    assert ("oracle" in skipped) == (spec == "mit_sigma70_published")
    assert ("motif_scan" in skipped) == (spec in ("spacing", "mit_sigma70_published"))


EXPECTING = [p.stem for p in CANONICAL if "\nexpect " in p.read_text()]


def test_the_bundled_specs_state_expectations():
    assert {"mit_sigma70", "spacing", "ctcf_orientation", "nucleosome_phasing", "core_promoter",
            "translation_initiation"} <= set(EXPECTING)


@pytest.mark.parametrize("spec", EXPECTING)
def test_the_oracle_passes_every_expectation_of_a_bundled_spec(project, monkeypatch, spec):
    """The oracle scores the grammar each spec declares: it is the positive control, so it
    must pass every expectation the spec states (else the spec asks what it cannot show)."""
    out = project / "expect_runs" / spec
    result = run(project, monkeypatch, "run", f"specs/{spec}.mit", "-m", "oracle", "-o", str(out), "--no-audit")
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["expectations"] and all(e["control"] == "pass" for e in doc["expectations"]), \
        [(e["text"], e["results"]["oracle"]) for e in doc["expectations"] if e["control"] != "pass"]
