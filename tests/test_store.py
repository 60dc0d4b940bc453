"""Plan files: schema-valid, byte-identical on recompile, tamper-evident, golden hashes."""
import hashlib
import json
import shutil

import polars as pl
import pytest

from mitspec.plan.build import build
from mitspec.plan.store import PlanError, load_plan, plan_hash, plan_schema, read_meta, validate

from .conftest import SPECS

# Golden plan hashes. A plan hash covers only what is scored (sequences, features,
# classes, contrasts, seed, length; not comments, paths or the compiler version), and
# every random draw is a splitmix64 hash of (seed, class, step, instance) mapped to
# bases by our own arithmetic, not by numpy's distribution code. So these values stay
# fixed across machines, numpy/polars releases and edits to comments; they change only
# when a spec's content, the draw algorithm or the plan format changes on purpose,
# and then this table must be updated in the same commit, saying why. The natural spec
# also depends on the bundled genome file, whose sha256 is checked on load.
GOLDEN = {
    "mit_sigma70": "34b80fa244cc5308d2a12e8b5fdec008640ff9e08f41d103b760fdc17a9c3ee8",
    "mit_sigma70_paper": "f1bf2977efab2aad5e8388319590bbac8db00610272d29e451f0d7d0ac05f337",
    "mit_sigma70_natural": "cf15a8f4bfed83628cfbabefe4b985d966142bffb3649a48b47456bca11599cb",
    "at_titration": "c4f0cdb07c64082e1f5e7624963eaec5d3eb496d61207432892c2dcdc01c792b",
    "positional_sweep": "0961fd489a19af130494e3b3b1ad26303f07be7734e1e1e4473508f2e2d6be45",
    "spacing": "a5094ceb8a686347bec3db0f5e1c8c83a30415c29ea49b6e2d9cf8e413e6737f",
    "strand": "c25a2646bf78cc6aaa753b05f67c4f793febdbef422419db069759e25bc4772d",
    "dinucleotide_control": "b81a71db54274f83b7a07f82effcf995e053484331870c15be6f95d10c159ada",
    "scramble_displaced": "d53d3e2efbb090f58f3e494e39aab25ef95dca2f5fb0a40e2ae00a47f1b0b08b",
}


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    root = tmp_path_factory.mktemp("plans")
    return {name: build(SPECS / f"{name}.mit", root / name) for name in GOLDEN}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_plan_hash(plans, name):
    assert plans[name].meta["plan_hash"] == GOLDEN[name]


@pytest.mark.parametrize("name", ["mit_sigma70", "mit_sigma70_paper"])
def test_canonical_plan_round_trip(plans, name):
    """spec -> plan on disk -> loaded plan holds MIT.md's 650 sequences with the right ids."""
    plan = load_plan(plans[name].out_dir)
    counts = dict(plan.sequences.group_by("class").len().iter_rows())
    assert counts == {"A": 100, "B": 100, "C": 100, "D": 100, "E": 100, "F": 50, "G": 50, "H": 50}
    assert plan.sequences["id"].to_list()[:2] == ["A_000", "A_001"]
    assert "E_007" in set(plan.sequences["id"])
    assert plan.sequences["sequence"].str.len_chars().unique().to_list() == [100]
    names = {c["name"] for c in plan.meta["contrasts"]}
    assert names == {"CSS", "SCR", "MES_synthetic", "MES_natural", "CM", "CIR"}
    assert plan.meta["spec"]["source"] == (SPECS / f"{name}.mit").read_text()


def test_matched_design_records_parents_and_shared_backgrounds(plans):
    seqs = load_plan(plans["mit_sigma70"].out_dir).sequences
    e7 = seqs.filter(pl.col("id") == "E_007").row(0, named=True)
    assert (e7["parent"], e7["background"]) == ("D_007", "C_007")
    h = seqs.filter(pl.col("class") == "H")
    assert h["parent"].to_list() == [f"E_{i:03d}" for i in range(50)]
    paper = load_plan(plans["mit_sigma70_paper"].out_dir).sequences
    e7 = paper.filter(pl.col("id") == "E_007").row(0, named=True)
    assert (e7["parent"], e7["background"]) == (None, "E_007")


def test_content_digest_matches_its_documented_definition(plans):
    """Recompute content_sha256 from the Parquet rows, following the schema's description."""
    plan = load_plan(plans["mit_sigma70"].out_dir)
    tables = plan.meta["tables"]
    h = hashlib.sha256()
    for cls in plan.meta["classes"]:
        rows = plan.sequences.filter(pl.col("class") == cls["name"])
        h.update(f"{cls['name']}\t{cls['n']}\n".encode())
        h.update("".join(s + "\n" for s in rows["sequence"]).encode())
        picks = rows["picks"].to_list()
        if picks[0] is not None:
            for table in sorted(tables):
                names = [r["name"] for r in tables[table]["rows"]]
                idx = [names.index(dict(p.split("=") for p in pick.split(";"))[table]) for pick in picks]
                h.update(f"{table}\n".encode())
                h.update(b"".join(i.to_bytes(4, "little", signed=True) for i in idx))
    assert h.hexdigest() == plan.meta["sequences"]["content_sha256"]


def test_recompiling_gives_byte_identical_files(tmp_path):
    a = build(SPECS / "mit_sigma70.mit", tmp_path / "a")
    b = build(SPECS / "mit_sigma70.mit", tmp_path / "b")
    for name in ("plan.json", "sequences.parquet"):
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes()


def test_plan_hash_ignores_comments_but_not_content(tmp_path):
    source = (SPECS / "mit_sigma70.mit").read_text()
    (tmp_path / "commented.mit").write_text("# a new comment\n" + source)
    (tmp_path / "reseeded.mit").write_text(source.replace("seed 42", "seed 43"))
    commented = build(tmp_path / "commented.mit", tmp_path / "c")
    reseeded = build(tmp_path / "reseeded.mit", tmp_path / "r")
    assert commented.meta["plan_hash"] == GOLDEN["mit_sigma70"]
    assert reseeded.meta["plan_hash"] != GOLDEN["mit_sigma70"]


def test_up_to_date_plans_are_skipped_and_stale_ones_rebuilt(tmp_path):
    spec = tmp_path / "s.mit"
    shutil.copy(SPECS / "mit_sigma70.mit", spec)
    assert build(spec, tmp_path / "out").fresh
    assert not build(spec, tmp_path / "out").fresh
    spec.write_text(spec.read_text() + "\n# edited\n")
    assert build(spec, tmp_path / "out").fresh
    (tmp_path / "out" / "sequences.parquet").write_bytes(b"junk")
    assert build(spec, tmp_path / "out").fresh


def test_tampered_plans_are_rejected(plans, tmp_path):
    src = plans["mit_sigma70"].out_dir
    dst = tmp_path / "p"
    shutil.copytree(src, dst)
    meta = json.loads((dst / "plan.json").read_text())
    meta["seed"] = 7
    (dst / "plan.json").write_text(json.dumps(meta))
    with pytest.raises(PlanError, match="edited after compiling"):
        read_meta(dst)
    shutil.copy(src / "plan.json", dst / "plan.json")
    (dst / "sequences.parquet").write_bytes((src / "sequences.parquet").read_bytes()[:-10])
    with pytest.raises(PlanError, match="does not match the hash"):
        load_plan(dst)
    (dst / "plan.json").write_text("{not json")
    with pytest.raises(PlanError, match="not valid JSON"):
        load_plan(dst)


def test_schema_rejects_unknown_keys_and_bad_values(plans):
    meta = json.loads((plans["mit_sigma70"].out_dir / "plan.json").read_text())
    validate(meta)
    for bad in ({**meta, "extra": 1}, {**meta, "seed": -1}, {**meta, "classes": []}):
        with pytest.raises(PlanError):
            validate(bad)
    assert plan_schema()["$schema"].endswith("2020-12/schema")


def test_no_partial_files_are_left_behind(plans):
    assert sorted(p.name for p in plans["mit_sigma70"].out_dir.iterdir()) == ["plan.json", "sequences.parquet"]


# ---- issue 19: a plan is data from someone else -------------------------------------------------
def _copy_plan(plans, tmp_path):
    dst = tmp_path / "p"
    shutil.copytree(plans["mit_sigma70"].out_dir, dst)
    return dst, json.loads((dst / "plan.json").read_text())


def _retable(dst, meta, frame):
    """Write an edited table and update plan.json's file hash, as a careful tamperer would."""
    frame.write_parquet(dst / "sequences.parquet")
    meta["sequences"]["file_sha256"] = hashlib.sha256((dst / "sequences.parquet").read_bytes()).hexdigest()
    (dst / "plan.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("edit", ["sequence", "background", "features", "rows"])
def test_an_edited_table_with_a_matching_file_hash_is_still_refused(plans, tmp_path, edit):
    """Before: updating file_sha256 together with the table passed show, metrics and run."""
    dst, meta = _copy_plan(plans, tmp_path)
    frame = pl.read_parquet(dst / "sequences.parquet")
    if edit == "sequence":
        frame = frame.with_columns(pl.when(pl.col("id") == "E_007").then(pl.lit("A" * 100))
                                   .otherwise(pl.col("sequence")).alias("sequence"))
    elif edit == "background":  # re-pair E with other D instances
        frame = frame.with_columns(pl.when(pl.col("class") == "E").then(pl.col("background").reverse().over("class"))
                                   .otherwise(pl.col("background")).alias("background"))
    elif edit == "features":
        frame = frame.with_columns(pl.when(pl.col("id") == "C_000").then(pl.col("features").list.head(1))
                                   .otherwise(pl.col("features")).alias("features"))
    else:
        frame = frame.head(600)
    _retable(dst, meta, frame)
    with pytest.raises(PlanError, match="edited after compiling|not this plan's sequence table"):
        load_plan(dst)


@pytest.mark.parametrize("path", ["/etc/passwd", "../../sequences.parquet", "sub/../../x.parquet"])
def test_the_sequence_table_must_sit_beside_plan_json(plans, tmp_path, path):
    """Before: an absolute or ../.. path was read, which also told whether files exist."""
    dst, meta = _copy_plan(plans, tmp_path)
    meta["sequences"]["path"] = path
    meta["plan_hash"] = plan_hash(meta)  # path is not part of the hash: only the location rule stops it
    (dst / "plan.json").write_text(json.dumps(meta))
    with pytest.raises(PlanError, match="outside the plan directory|does not match plan.schema.json"):
        load_plan(dst)


def test_the_location_rule_holds_without_the_schema(plans, tmp_path):
    from mitspec.plan.store import sequence_file

    dst, meta = _copy_plan(plans, tmp_path)
    meta["sequences"]["path"] = "../elsewhere.parquet"
    with pytest.raises(PlanError, match="outside the plan directory"):
        sequence_file(dst / "plan.json", meta)


def test_random_placements_are_recorded_per_row_and_tamper_evident(tmp_path):
    """Each row's features say where its randomly placed element landed; plan.json gives the
    window, and the content hash covers the starts, so moving one is refused."""
    spec = tmp_path / "r.mit"
    spec.write_text('benchmark "r" seed 5 length 60\nbackground bg = iid(at=0.5)\n'
                    'class R n=40 on bg { place "CCCC" at 5 as fixed  place "GGGGG" at random(20..50) as site }\n')
    result = build(spec, tmp_path / "p")
    (record,) = [f for f in result.meta["classes"][0]["features"] if f["name"] == "site"]
    assert record["random"] == [20, 50, 5] and (record["start"], record["end"]) == (20, 50)
    plan = load_plan(tmp_path / "p")
    starts = []
    for seq, features in zip(plan.sequences["sequence"], plan.sequences["features"]):
        site = [f for f in features if f["name"] == "site"][0]
        assert seq[site["start"]:site["end"]] == "GGGGG" and 20 <= site["start"] <= 45
        starts.append(site["start"])
    assert len(set(starts)) > 10
    assert build(spec, tmp_path / "again").meta["plan_hash"] == result.meta["plan_hash"]
    meta = json.loads((tmp_path / "p" / "plan.json").read_text())
    frame = plan.sequences.with_columns(pl.col("features").list.eval(
        pl.struct(pl.element().struct.field("name"), pl.element().struct.field("start") + 1,
                  pl.element().struct.field("end") + 1, pl.element().struct.field("strand"),
                  pl.element().struct.field("source"))))
    _retable(tmp_path / "p", meta, frame)
    with pytest.raises(PlanError, match="edited after compiling|outside"):
        load_plan(tmp_path / "p")
