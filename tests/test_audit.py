"""The composition audit on constructed data where the answer is known, and on the
canonical benchmark with the baselines whose verdict the biology fixes."""
import numpy as np
import polars as pl
import pytest

from mitspec.metrics.audit import audit, composition, present, verdict, within_class_slopes
from mitspec.metrics.engine import MetricsConfig, compute, join_scores
from mitspec.metrics.io import metrics_document
from mitspec.models.registry import resolve
from mitspec.plan.build import build
from mitspec.plan.store import load_plan
from mitspec.report.render import terminal_summary
from mitspec.sequence import at_fraction

from .conftest import SPECS, plan_of

# E gains an AT-rich element over D on shared backgrounds; H is E with that element shuffled
# (same composition); each class is large enough that a real effect is clear.
SPEC = '''benchmark "audit" seed 3 length 80
background bg = iid(at=0.5)
class D n=120 on bg { place "GCGCGC" at 30 as site }
class E n=120 from D { place "TATAAT" at 30 as site }
class H n=120 from E { shuffle site distinct }
contrast GAIN = E > D paired
contrast ORDER = E > H paired
contrast SIZE = cohens_d(E, D)
'''


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return plan_of(tmp_path_factory.mktemp("audit"), SPEC)


def _run(plan, scores: dict[str, np.ndarray]):
    frame = pl.concat([pl.DataFrame({"id": plan.sequences["id"], "model": name, "score": values})
                       for name, values in scores.items()])
    config = MetricsConfig(resamples=400)
    table = compute(plan.meta, plan.sequences, frame, config)
    comp, rows = audit(plan.meta, plan.sequences, join_scores(plan.sequences, frame), table, config)
    return table, comp, {(r["contrast"], r["model"]): r for r in rows}


def _codes(plan):
    from mitspec.sequence import _ENCODE

    seqs = plan.sequences["sequence"].to_list()
    return _ENCODE[np.frombuffer("".join(seqs).encode(), dtype=np.uint8)].reshape(len(seqs), -1)


def test_a_pure_composition_scorer_is_explained_and_a_motif_reader_is_not(plan):
    codes = _codes(plan)
    at = at_fraction(codes)
    seqs = plan.sequences["sequence"].to_list()
    reads_the_box = np.array([float(s[30:36] == "TATAAT") for s in seqs])  # blind to composition elsewhere
    noise = np.random.default_rng(0).normal(size=(2, len(seqs)))  # reads nothing
    _, comp, rows = _run(plan, {"at_only": 3.0 * at - 1.0, "box": reads_the_box + 0.3 * noise[0] + 0.01 * at,
                                "noise": noise[1]})
    gain = next(c for c in comp if c["contrast"] == "GAIN")
    # TATAAT replaces GCGCGC: +6 A/T of 80 bases, by hand
    assert gain["paired"] and gain["at_diff"] == pytest.approx(6 / 80) and gain["at_low"] == pytest.approx(6 / 80)
    assert rows[("GAIN", "at_only")]["verdict"] == "explained by composition"
    assert rows[("GAIN", "at_only")]["slope_at"] == pytest.approx(3.0)
    assert rows[("GAIN", "box")]["verdict"] == "beyond composition"
    assert rows[("SIZE", "at_only")]["verdict"] == "explained by composition"
    assert rows[("SIZE", "box")]["verdict"] == "beyond composition"
    # E and H have the same bases in another order: no AT difference, nothing for composition to explain
    order = next(c for c in comp if c["contrast"] == "ORDER")
    assert order["at_diff"] == 0 and rows[("ORDER", "at_only")]["verdict"] == "inconclusive"
    assert rows[("ORDER", "box")]["verdict"] == "beyond composition"
    assert {r["verdict"] for k, r in rows.items() if k[1] == "noise"} == {"inconclusive"}


def test_composition_features_by_hand():
    seqs = pl.DataFrame({"id": ["a", "b"], "sequence": ["ACGTACGT", "CGCGAATT"]})
    comp = composition(seqs)
    assert comp.at.tolist() == [0.5, 0.5]
    # pairs of ACGTACGT: AC CG GT TA AC CG GT -> 2 CG of 7; CGCGAATT: CG GC CG GA AA AT TT -> 2 of 7
    assert comp.cpg.tolist() == pytest.approx([2 / 7, 2 / 7])
    assert comp.dinucleotides.sum(axis=1) == pytest.approx([1, 1])


def test_slopes_are_within_class():
    # two classes whose means differ by 10 at the same AT: a pooled fit would credit AT with it
    part = pl.DataFrame({"class": ["x"] * 3 + ["y"] * 3, "at": [0.1, 0.2, 0.3, 0.1, 0.2, 0.3],
                         "cpg": [0.0] * 6, "kmer": [0.0] * 6, "score": [1.0, 2.0, 3.0, 11.0, 12.0, 13.0]})
    assert within_class_slopes(part) == pytest.approx([10.0, 0.0, 0.0])


@pytest.mark.parametrize("raw,adjusted,expected", [
    ((0.6, 0.7, 0.01), (0.55, 0.65, 0.01), "beyond composition"),
    ((0.6, 0.7, 0.01), (0.45, 0.55, 0.4), "explained by composition"),
    ((0.45, 0.6, 0.3), (0.45, 0.6, 0.3), "inconclusive"),
    ((0.6, 0.7, 0.2), (0.55, 0.65, 0.2), "inconclusive"),  # intervals clear of 0.5 but q >= 0.05
    ((0.1, 0.2, 0.01), (0.1, 0.2, 0.01), "inconclusive"),  # below the null: not the declared effect
    ((0.45, 0.6, 0.3), (0.55, 0.65, 0.01), "inconclusive"),  # no raw effect: nothing to call beyond composition
])
def test_verdict_rules(raw, adjusted, expected):
    assert verdict(present(*raw, 0.5), present(*adjusted, 0.5)) == expected


@pytest.mark.slow
def test_canonical_css_verdicts_for_the_baselines(tmp_path):
    """MIT.md: pa_pwm reads the UP element and the extended -10 (beyond composition);
    at_content is composition itself, and markov is k-mer composition itself."""
    build(SPECS / "mit_sigma70.mit", tmp_path / "p")
    plan = load_plan(tmp_path / "p")
    seqs = plan.sequences["sequence"].to_list()
    scores = {m: resolve(m).for_plan(plan.meta).score(seqs).score for m in ("at_content", "markov", "pa_pwm")}
    table, comp, rows = _run(plan, scores)
    assert rows[("CSS", "pa_pwm")]["verdict"] == "beyond composition"
    assert rows[("CSS", "at_content")]["verdict"] == "explained by composition"
    assert rows[("CSS", "markov")]["verdict"] == "explained by composition"
    css = next(c for c in comp if c["contrast"] == "CSS")
    assert css["reproduced_by"] == ["at_content", "markov"] and css["at_diff"] > 0
    doc = metrics_document(plan.meta, table, MetricsConfig(resamples=400), None, list(scores),
                           (comp, list(rows.values())))  # schema-validated
    summary = terminal_summary(table, plan.meta, doc)
    assert "composition audit" in summary and "explained" in summary and "beyond" in summary


def test_composition_read_in_slices_equals_composition_read_whole(monkeypatch):
    """A 10^6-sequence plan is read COMPOSITION_POSITIONS bases at a time; the slicing must
    not change a number (here slices of 3 sequences against one slice of all)."""
    from mitspec.metrics import audit as audit_module

    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGTN"), p=[0.3, 0.2, 0.2, 0.28, 0.02], size=40)) for _ in range(10)]
    frame = pl.DataFrame({"id": [f"s{i}" for i in range(10)], "sequence": seqs})
    whole = composition(frame)
    monkeypatch.setattr(audit_module, "COMPOSITION_POSITIONS", 3 * 40)
    sliced = composition(frame)
    for a, b in zip(whole[1:], sliced[1:]):
        np.testing.assert_array_equal(a, b)
