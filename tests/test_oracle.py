"""The grammar-aware baselines on specs whose answer is known by construction."""
import numpy as np
import pytest

from mitspec.planview import PlanView
from mitspec.models.baselines.oracle import PAIRED, UNPAIRED, Grammar, MotifScan, log_odds
from mitspec.plan.build import build
from mitspec.plan.store import load_plan
from mitspec.scores.cache import NoCache
from mitspec.scores.run import run_plan

SPEC = '''benchmark "g" seed 4 length 60
background bg = iid(at=0.5)
motif box = "TTGACA"
motif arm = iupac("SSSSSS")
class I n=30 on bg { place box at 10  place arm at 30 as arm5  place revcomp(arm5) at 40 as arm3 }
class B n=30 from I { mutate box.start + 2 -> "C" }
class U n=30 from I { shuffle arm3 distinct }
class M n=30 from I { move box to 50 }
class R n=30 on bg { place box at random(5..55) }
'''


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    import polars as pl

    from mitspec.models.registry import resolve

    root = tmp_path_factory.mktemp("g")
    (root / "g.mit").write_text(SPEC)
    build(root / "g.mit", root / "p")
    run_plan(root / "p", [resolve(n) for n in ("oracle", "oracle_near", "motif_scan")], root / "p", NoCache())
    scores = pl.read_parquet(root / "p" / "scores.parquet")
    return load_plan(root / "p"), {(m, c): part["score"].to_numpy() for (m, c), part in scores.group_by("model", "class")}


def test_the_oracle_reads_each_motif_where_the_class_places_it(scored):
    plan, s = scored
    box = log_odds([[float(b == x) for x in "ACGT"] for b in "TTGACA"])[np.arange(6), [3, 3, 2, 0, 1, 0]].sum()
    pairing = 6 * PAIRED  # arm3 is the reverse complement of arm5 in every instance
    intact = s[("oracle", "I")]
    arm = plan.meta["spec"]["motifs"]["arm"]
    assert arm[0] == [0.0, 0.5, 0.5, 0.0]  # S: C or G, half each
    arm_score = 6 * float(np.log2((0.99 * 0.5 + 0.0025) / 0.25))  # every S base, whichever it drew
    assert intact == pytest.approx(box + arm_score + pairing)
    # one mismatched box base costs log2(.9925/.25) - log2(.0025/.25) = 1.99 + 6.64 bits
    assert s[("oracle", "B")] == pytest.approx(intact - (float(np.log2(0.9925 / 0.25)) - float(np.log2(0.0025 / 0.25))))
    assert (s[("oracle", "U")] < intact).all()  # the shuffled arm no longer pairs
    # the oracle follows the box to where class M moved it; the position-blind scan cannot tell
    assert s[("oracle", "M")] == pytest.approx(intact)
    assert s[("motif_scan", "M")] == pytest.approx(s[("motif_scan", "I")])
    assert s[("oracle", "R")] == pytest.approx(box)  # found wherever it was drawn


def test_unpaired_bases_cost_what_the_pseudocount_says():
    # log2((0.99 + 0.0025) / 0.25) = log2(3.97) and log2(0.0025 / 0.25) = log2(0.01), by hand
    assert PAIRED == pytest.approx(1.9891, abs=1e-4) and UNPAIRED == pytest.approx(-6.6439, abs=1e-4)


def test_grammar_scorers_say_what_they_cannot_read():
    feature = {"name": "x", "start": 0, "end": 4, "strand": "+", "source": '"ACGT"'}
    plan = PlanView.from_meta({"spec": {"motifs": {}}, "classes": [{"name": "C", "features": [feature]}]})
    assert "no class places" in Grammar().unmet(plan)
    assert "declares no motif" in MotifScan().unmet(plan)
    assert "older mitspec" in Grammar().unmet(PlanView.from_meta({"spec": {}, "classes": []}))


def test_a_linked_arm_is_recorded_by_what_it_pairs_with_not_by_its_text(tmp_path):
    """Issue 30: the oracle found an arm's partner by re-parsing the feature's source text
    (`revcomp(arm5)`), so `revcomp( arm5 )` or a moved, pushed or mirrored arm could lose
    it. The plan records `revcomp_of` and the oracle reads that: an arm hopped over by
    another element keeps its partner, and a half-unpaired arm scores between."""
    from mitspec.models.baselines.oracle import element_model

    (tmp_path / "h.mit").write_text('benchmark "h" seed 2 length 60\nbackground bg = iid(at=0.5)\n'
                                    'motif arm = iupac("NNNNNNNN")\nmotif box = "TTGACA"\n'
                                    'class I n=20 on bg { place arm at 5 as a5  place revcomp( a5 ) at 17 as a3\n'
                                    '  place revcomp(box) at 40 as rbox }\n'
                                    'class H n=20 from I { move rbox by -23 hop }\n'
                                    'class P n=20 from I { revcomp a3[0..4] }\n')
    plan = load_plan(build(tmp_path / "h.mit", tmp_path / "h").out_dir)
    features = {c["name"]: {f["name"]: f for f in c["features"]} for c in plan.meta["classes"]}
    assert features["I"]["a3"]["revcomp_of"] == "a5" and "revcomp_of" not in features["I"]["a5"]
    assert features["H"]["a3"]["revcomp_of"] == "a5" and features["H"]["a3"]["start"] == 23  # hopped by 6
    motifs, view = plan.meta["spec"]["motifs"], PlanView.from_meta(plan.meta)
    held = {f.name: f for f in view.cls("H").features}
    assert element_model(held["rbox"], motifs, held) == {"kind": "motif", "motif": "box", "revcomp": True}
    assert element_model(held["a3"], motifs, held) == {"kind": "pair", "partner": "a5"}
    oracle = Grammar().for_plan(view)
    scores = {name: oracle.for_class(view, name).score(
        plan.sequences.filter(plan.sequences["class"] == name)["sequence"].to_list()).score for name in "IHP"}
    assert np.allclose(scores["H"], scores["I"])  # the same elements, paired the same, rearranged
    # reverse-complementing 4 bases of a fully paired arm can only unpair some (all but 1 in 16 change)
    assert (scores["P"] <= scores["I"] + 1e-9).all() and (scores["P"] < scores["I"]).mean() > 0.5
