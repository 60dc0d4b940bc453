"""Sweeps and moves: one condition per level, every level on the same backgrounds."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitspec.plan.compile import compile_program
from mitspec.sequence import at_fraction, decode, decode_rows, revcomp_text
from mitspec.spec.check import check_source
from mitspec.spec.errors import SpecErrors

HEAD = 'benchmark "t" seed 9 length 100\nbackground bg = iid(at=0.55)\nmotif up = "AAAAAAGAG"\n'
BOXES = 'place "TTGACA" at 30 as minus35  place "TATAAT" at 53 as minus10'


def build(body: str):
    program = check_source(HEAD + body)
    return program, compile_program(program)


def test_position_sweep_moves_only_the_element():
    program, built = build('class P n=20 on bg { place "TGT" at 50 as ext10  place up at 15\n'
                           '  sweep up over [0, 15, 70, none] }\n')
    names = [c.name for c in program.classes]
    assert names == ["P[0]", "P[15]", "P[70]", "P[none]"]
    base = built["P[none]"].codes
    for level in (0, 15, 70):
        codes = built[f"P[{level}]"].codes
        assert decode_rows(codes[:, level:level + 9]) == ["AAAAAAGAG"] * 20
        outside = np.ones(100, dtype=bool)
        outside[level:level + 9] = False
        assert np.array_equal(codes[:, outside], base[:, outside])  # the same background everywhere else
    cond = {c.name: c.condition for c in program.classes}
    assert cond["P[70]"] == {"sweep": "up", "level": 70} and cond["P[none]"]["level"] == "none"


def test_spacer_sweep_inserts_and_deletes_before_the_ten():
    _, built = build(f"class S n=10 on bg {{ {BOXES}\n  sweep spacer over 15..19 }}\n")
    s15, s17, s19 = (decode_rows(built[f"S[{k}]"].codes) for k in (15, 17, 19))
    for a, b, c in zip(s15, s17, s19):
        assert b[53:59] == "TATAAT" and a[51:57] == "TATAAT" and c[55:61] == "TATAAT"
        # 15 bp: the last 2 spacer bases (51, 52) are deleted, the rest shifts left by 2
        assert a[:51] == b[:51] and a[51:98] == b[53:100]
        # 19 bp: 2 bases inserted at 53, everything after shifts right and the end is cut
        assert c[:53] == b[:53] and c[55:] == b[53:98]
    # inserted bases come from one keyed stream per instance, so 18's insertion is a
    # prefix of 19's: neighbouring levels differ by one base, not by a fresh background
    _, more = build(f"class S n=10 on bg {{ {BOXES}\n  sweep spacer over [18, 19] }}\n")
    for x, y in zip(decode_rows(more["S[18]"].codes), decode_rows(more["S[19]"].codes)):
        assert x[53] == y[53]


def test_orientation_sweep():
    program, built = build(f"class O n=10 on bg {{ {BOXES}\n"
                           "  sweep orientation over [forward, motifs_reversed, all_reversed, motifs_shuffled] }\n")
    fwd, mot, full, shuf = (decode_rows(built[f"O[{k}]"].codes)
                            for k in ("forward", "motifs_reversed", "all_reversed", "motifs_shuffled"))
    for f, m, a, s in zip(fwd, mot, full, shuf):
        assert m[30:36] == revcomp_text("TTGACA") and m[53:59] == revcomp_text("TATAAT")
        assert m[:30] + m[36:53] + m[59:] == f[:30] + f[36:53] + f[59:]
        assert a == revcomp_text(f)
        assert sorted(s[30:36]) == sorted("TTGACA") and s[30:36] != "TTGACA" and s[53:59] != "TATAAT"
    features = {c.name: {(x.name, x.start, x.end, x.strand) for x in c.features} for c in program.classes}
    assert features["O[all_reversed]"] == {("minus10", 41, 47, "-"), ("minus35", 64, 70, "-")}


def test_at_content_sweep_couples_levels():
    program, built = build("class T n=400 on bg { sweep at_content over 0.3..0.8 step 0.1 }\n")
    assert [c.name for c in program.classes] == [f"T[{x}]" for x in ("0.3", "0.4", "0.5", "0.6", "0.7", "0.8")]
    means = [at_fraction(built[c.name].codes).mean() for c in program.classes]
    # 40,000 bases per level: SD of the mean AT ~0.0025
    np.testing.assert_allclose(means, [0.3, 0.4, 0.5, 0.6, 0.7, 0.8], atol=0.012)
    # the same uniforms drive every level, so raising AT never turns an A/T into G/C
    low, high = built["T[0.3]"].codes, built["T[0.8]"].codes
    at_low = (low == 0) | (low == 3)
    assert ((high == 0) | (high == 3))[at_low].all()


def test_move_swaps_the_element_with_its_destination():
    program, built = build('class E n=10 on bg { place up at 15 }\nclass M n=10 from E { move up to 40 }\n')
    e, m = decode_rows(built["E"].codes), decode_rows(built["M"].codes)
    for a, b in zip(e, m):
        assert b[40:49] == "AAAAAAGAG" and b[15:24] == a[40:49] and b[:15] + b[24:40] + b[49:] == a[:15] + a[24:40] + a[49:]
        assert sorted(a) == sorted(b)  # composition unchanged
    assert [(f.name, f.start) for f in program.classes[1].features] == [("up", 40)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 91), min_size=1, max_size=5, unique=True), st.integers(0, 2**31))
def test_every_level_shares_the_background_outside_the_element(levels, seed):
    src = (f'benchmark "t" seed {seed} length 100\nbackground bg = iid(at=0.5)\n'
           f'class P n=5 on bg {{ place "ACGTACGTA" at 0 as e\n sweep e over [{", ".join(map(str, levels))}, none] }}\n')
    built = compile_program(check_source(src))
    base = built["P[none]"].codes
    for level in levels:
        codes = built[f"P[{level}]"].codes
        assert all(decode(r[level:level + 9]) == "ACGTACGTA" for r in codes)
        mask = np.ones(100, dtype=bool)
        mask[level:level + 9] = False
        assert np.array_equal(codes[:, mask], base[:, mask])


@pytest.mark.parametrize("body,message", [
    ('class P n=2 on bg { place up at 15  sweep up over [0, 95] }', "at up = 95: `up` (9 bp) at 95..104 runs past the end"),
    ('class P n=2 on bg { place up at 15  sweep upp over [0] }', "nothing in class `P` places an element named `upp`"),
    ('class P n=2 on bg { sweep at_content over [1.5] }', "AT fraction 1.5 is not in [0, 1]"),
    ('class P n=2 on bg { sweep orientation over [backwards] }', "unknown orientation `backwards`"),
    ('class P n=2 on bg { place up at 15  sweep spacer over [17] }', "sweeping the gap needs an element named `minus35`"),
    (f'class P n=2 on bg {{ {BOXES}  place "TGT" at 50 as ext10  sweep spacer over [14] }}', "deletes bases of `ext10`"),
    ('class P n=2 on bg { place up at 15  sweep up over [0, 0] }', "level 0 appears twice"),
    ('class P n=2 on bg { place up at 15  sweep up over [0]  sweep up over [5] }', "`up` is swept twice in this class"),
    ('class P n=2 on bg { place up at 15  sweep up over [0] }\nclass Q n=2 from P { }', "`P` is swept, so it cannot be a parent"),
    ('class P n=2 on bg { place up at 15  move up to 20 }', "would move onto itself"),
    ('class P n=2 on bg { place up at 15  place "TGT" at 40  move up to 35 }', "lands on `TGT` (40..43)"),
    ('class P n=2 on bg { place up at 15  sweep period(up) over [10] }', "no `place ... at A..B step S`"),
    ('class P n=2 on bg { place "AT" at 10..60 step 10  sweep period(AT) over [0.5, 10] }', "period 0.5 is not a number of bases of at least 1"),
    ('class P n=2 on bg { place "AT" at 10..60 step 10  sweep phase(AT) over [0, 50] }', "runs past the end"),
    ('class P n=2 on bg { place up at 15  sweep up, gap(a, b) over [0, 10] }', "`up` cannot be linked"),
    (f'class P n=2 on bg {{ {BOXES}  sweep gap(minus35, minus10), gap(minus35, minus10) over [17] }}', "is linked twice"),
    ('class P n=2 on bg { place up at 15  sweep phase(up, up) over [1] }', "phase() takes 1 element name"),
])
def test_sweep_and_move_errors(body, message):
    with pytest.raises(SpecErrors) as info:
        check_source(HEAD + body + "\n")
    assert any(message in e.message for e in info.value.errors), [e.message for e in info.value.errors]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 91), st.integers(0, 91), st.integers(0, 2**31))
def test_move_keeps_composition_and_lands_the_element(start, target, seed):
    if abs(start - target) < 9:
        return  # a move onto itself is an error (tested above)
    src = (f'benchmark "t" seed {seed} length 100\nbackground bg = iid(at=0.5)\n'
           f'class E n=6 on bg {{ place "ACGTTGCAT" at {start} as e }}\nclass M n=6 from E {{ move e to {target} }}\n')
    built = compile_program(check_source(src))
    for before, after in zip(decode_rows(built["E"].codes), decode_rows(built["M"].codes)):
        assert sorted(before) == sorted(after)
        assert after[target:target + 9] == "ACGTTGCAT" and after[start:start + 9] == before[target:target + 9]


# ---- gap(A, B), copies, motif swaps, factorials, levels as positions ---------------------
def test_gap_sweep_edits_before_the_downstream_element_whichever_is_named_first():
    one = build(f'class S n=10 on bg {{ {BOXES}\n  sweep gap(minus35, minus10) over [15, 19] }}\n')[1]
    other = build(f'class S n=10 on bg {{ {BOXES}\n  sweep gap(minus10, minus35) over [15, 19] }}\n')[1]
    alias = build(f'class S n=10 on bg {{ {BOXES}\n  sweep spacer over [15, 19] }}\n')[1]
    for level in ("15", "19"):
        assert np.array_equal(one[f"S[{level}]"].codes, other[f"S[{level}]"].codes)
        assert np.array_equal(one[f"S[{level}]"].codes, alias[f"S[{level}]"].codes)  # spacer is this gap
    rows = decode_rows(one["S[19]"].codes)
    assert all(r[30:36] == "TTGACA" and r[55:61] == "TATAAT" for r in rows)


def test_gap_sweep_on_a_markov_background_continues_the_chain():
    program = check_source('benchmark "t" seed 2 length 100\nbackground mk = markov(3, "ecoli_mg1655")\n'
                           'class S n=50 on mk { place "TTGACA" at 20 as a  place "TATAAT" at 40 as b\n'
                           '  sweep gap(a, b) over [4, 30] }\n')
    built = compile_program(program)
    short, long = decode_rows(built["S[4]"].codes), decode_rows(built["S[30]"].codes)
    assert all(s[30:36] == "TATAAT" and x[56:62] == "TATAAT" for s, x in zip(short, long))
    assert all(s[:30] == x[:30] for s, x in zip(short, long))  # upstream of the gap untouched


def test_copies_sweep_keeps_the_first_k_positions_with_stable_names():
    program, built = build('class C n=10 on bg { place up at 10, 40, 70  sweep copies(up) over 0..3 }\n')
    layouts = {c.name: [(f.name, f.start) for f in c.features] for c in program.classes}
    assert layouts["C[0]"] == [] and layouts["C[1]"] == [("up_1", 10)]
    assert layouts["C[3]"] == [("up_1", 10), ("up_2", 40), ("up_3", 70)]
    base = built["C[0]"].codes
    for k, starts in ((1, [10]), (2, [10, 40])):
        codes = built[f"C[{k}]"].codes
        mask = np.ones(100, dtype=bool)
        for s in starts:
            assert decode_rows(codes[:, s:s + 9]) == ["AAAAAAGAG"] * 10
            mask[s:s + 9] = False
        assert np.array_equal(codes[:, mask], base[:, mask])  # copies land on one shared background
    with pytest.raises(SpecErrors, match="no 4 copies"):
        build('class C n=10 on bg { place up at 10, 40, 70  sweep copies(up) over [4] }\n')


def test_factorial_of_two_sweeps_names_conditions_by_both_levels():
    program, built = build(f'class T n=10 on bg {{ {BOXES}  place "ATG" at 80 as start\n'
                           '  sweep gap(minus35, minus10) over [17, 20]\n  sweep start over motifs ["ATG", "GTG", up3] }\n'
                           .replace("up3", '"TTG"'))
    names = [c.name for c in program.classes]
    assert names == ["T[17, ATG]", "T[17, GTG]", "T[17, TTG]", "T[20, ATG]", "T[20, GTG]", "T[20, TTG]"]
    cond = program.classes[4].condition
    assert cond == {"sweeps": ["gap(minus35, minus10)", "start"], "levels": [20, "GTG"]}
    rows = decode_rows(built["T[20, GTG]"].codes)
    assert all(r[83:86] == "GTG" and r[56:62] == "TATAAT" for r in rows)  # start shifted by the 3 bp longer gap
    same = decode_rows(built["T[20, ATG]"].codes)
    assert all(a[:83] == b[:83] and a[86:] == b[86:] for a, b in zip(rows, same))


def test_levels_as_positions_read_relative_to_the_origin():
    source = ('layout core { tata at 30..36  tss at 60  origin tss }\n'
              'class P n=5 on bg { place "TATAAA" at core.tata  place "AGAC" at 80 as dpe\n'
              '  sweep dpe over core.tss + 18 .. core.tss + 28 step 5 }\n'
              'class Q n=5 on bg { place "AGAC" at 80 as dpe  origin 60  sweep dpe over [-10, 0, 18, end - 4] }\n'
              'contrast c = P[+18] > P[+23] paired\ncontrast p = profile(P, reference=28)\n')
    program, built = build(source)
    by_name = {c.name: c for c in program.classes}
    assert [c.name for c in program.classes] == ["P[+18]", "P[+23]", "P[+28]", "Q[-10]", "Q[0]", "Q[+18]", "Q[+36]"]
    assert [f.start for f in by_name["P[+23]"].features if f.name == "dpe"] == [83]
    assert [f.start for f in by_name["Q[-10]"].features] == [50]  # 10 bp before the origin at 60
    assert by_name["P[+18]"].condition == {"sweep": "dpe", "level": 18, "origin": {"at": "core.tss", "position": 60}}
    contrasts = {c.name: c.args for c in program.contrasts}
    assert contrasts["c"]["better"] == "P[+18]" and contrasts["p"]["reference"] == "P[+28]"


def test_a_condition_is_a_class_everywhere():
    program, built = build('class S n=10 on bg { place up at 15  sweep up over [15, 40] }\n'
                           'class D n=10 from S[40] { mutate up.start -> "C" }\n'
                           'contrast w = D > S[40] paired\ncontrast d = cohens_d(S[15], S[40])\n')
    d = next(c for c in program.classes if c.name == "D")
    assert d.parent == "S[40]"
    rows, parent = decode_rows(built["D"].codes), decode_rows(built["S[40]"].codes)
    assert all(r[40] == "C" and r[41:] == p[41:] and r[:40] == p[:40] for r, p in zip(rows, parent))
    for body, message in (
            ("contrast w = S[99] > S[15] paired\n", "`S` has no condition S[99]"),
            ("contrast w = S[15, 2] > S[40] paired\n", "`S` has 1 sweep, so a condition names 1 level"),
            ("class E n=5 from S[7] { }\n", "`S` has no condition S[7]"),
            ("class E n=5 from S { }\n", "derive from one of its conditions (`from S[15]`)")):
        with pytest.raises(SpecErrors) as info:
            build('class S n=10 on bg { place up at 15  sweep up over [15, 40] }\n' + body)
        assert any(message in e.message or message in (e.hint or "") for e in info.value.errors), info.value.errors


def test_end_is_the_sequence_length():
    program, built = build('class E n=5 on bg { place up at end - 9  place "AC" at end - 20 as two }\n')
    assert [(f.name, f.start, f.end) for f in program.classes[0].features] == [("two", 80, 82), ("up", 91, 100)]


def test_a_mistake_every_level_makes_with_its_own_coordinates_is_reported_once():
    """Before: one diagnostic per level (28 for an UP swept across the -35 box)."""
    with pytest.raises(SpecErrors) as info:
        build(f'class P n=2 on bg {{ {BOXES}  place up at 0  sweep up over 0..60 }}\n')
    overlaps = [e for e in info.value.errors if "overlaps `minus35`" in e.message]
    assert len(overlaps) == 1
    # up (9 bp) overlaps the -35 (30..36) from start 22 to 35: 14 levels, shown as at the first
    assert overlaps[0].message.startswith("at up = 22, 23, 24, 25, ..., 34, 35 (14 levels): `up` (22..31)")
    assert "(as at 22; the others alike)" in overlaps[0].message


@settings(max_examples=40, deadline=None)
@given(first=st.integers(0, 20), periods=st.lists(st.sampled_from([9, 9.5, 10, 10.5, 11, 12.25]), min_size=1,
       max_size=3, unique=True), phases=st.lists(st.sampled_from([0, 1, 2.5, 5, 7]), min_size=1, max_size=3,
       unique=True))
def test_period_and_phase_sweeps_set_the_step_and_offset_of_a_periodic_array(first, periods, phases):
    """`sweep period(m)`: level P places as many copies as the statement's own step gives
    (ceil((B - A) / S)), copy k at floor(A + k P + 0.5);
    `sweep phase(m)`: level F places the array's copies at floor(A + F + k S + 0.5), as many
    as without it. Every condition shares the class's background outside the copies."""
    import math

    stop = first + 60
    src = (f'benchmark "t" seed 3 length 100\nbackground bg = iid(at=0.5)\nmotif m = "GC"\n'
           f'class P n=4 on bg {{ place m at {first}..{stop} step 10.5  sweep period(m) over [{", ".join(map(str, periods))}] }}\n'
           f'class F n=4 on bg {{ place m at {first}..{stop} step 10.5  sweep phase(m) over [{", ".join(map(str, phases))}] }}\n')
    program = check_source(src)
    built = compile_program(program)
    starts = {c.name: [f.start for f in c.features] for c in program.classes}
    for period in periods:
        label = str(int(period)) if period == int(period) else f"{period:g}"
        assert starts[f"P[{label}]"] == [math.floor(first + k * period + 0.5) for k in range(math.ceil(60 / 10.5))]
    for phase in phases:
        label = str(int(phase)) if phase == int(phase) else f"{phase:g}"
        assert starts[f"F[{label}]"] == [math.floor(first + phase + k * 10.5 + 0.5) for k in range(math.ceil(60 / 10.5))]
        rows = decode_rows(built[f"F[{label}]"].codes)
        assert all(r[s:s + 2] == "GC" for r in rows for s in starts[f"F[{label}]"])


def test_linked_gap_sweep_sets_every_gap_to_the_level():
    """`sweep gap(a, b), gap(b, c) over ...`: at level L both gaps are L bp, the elements keep
    their bases, and the bases upstream of b are the base class's."""
    program, built = build('class P n=6 on bg { place "GGGG" at 10 as a  place "CCCC" at 30 as b  place "TTTT" at 50 as c\n'
                           '  sweep gap(a, b), gap(b, c) over 8..20 step 4 }\n')
    for level in (8, 12, 16, 20):
        cls = next(c for c in program.classes if c.name == f"P[{level}]")
        where = {f.name: f.start for f in cls.features}
        assert where == {"a": 10, "b": 14 + level, "c": 18 + 2 * level}
        assert cls.condition == {"sweep": "gap(a, b), gap(b, c)", "level": level}
        rows = decode_rows(built[cls.name].codes)
        assert all(r[10:14] == "GGGG" and r[where["b"]:where["b"] + 4] == "CCCC" and r[where["c"]:where["c"] + 4] == "TTTT"
                   for r in rows)
    first = decode_rows(built["P[8]"].codes)
    assert all(a[:14] == b[:14] for a, b in zip(first, decode_rows(built["P[20]"].codes)))


def test_a_gap_sweep_on_a_genome_with_an_unedited_level_is_warned_about():
    """Measured on specs/attenuator.mit (docs/language.md, Gaps): gLMs peaked at the one
    level without an indel junction. compile_program warns when a genome background's gap
    sweep has such a level, and not when every level is edited or the background is iid."""
    def warned(background: str, right: int, body: str = "") -> list[str]:
        warnings: list[str] = []
        compile_program(check_source(
            f'benchmark "w" seed 1 length 80\nbackground bg = {background}\n'
            f'class G n=3 on bg {{ place "GGGG" at 10 as a  place "CCCC" at {right} as b {body} '
            'sweep gap(a, b) over 4..8 }\n'), warnings=warnings)
        return [w for w in warnings if "layout as placed" in w]

    genome = 'genome("ecoli_mg1655", at=[0.3, 0.7])'
    # a (10..14) and b at 20: a 6 bp gap as placed, so level 6 of 4..8 is the unedited one
    assert warned(genome, 20, "insert background(3) at 60") == warned(genome, 20)  # the body's own indel is no level's
    assert warned(genome, 20) == ["class G: G[6] is the layout as placed, while the other levels insert or delete "
                                  "bases and so carry a junction with the genome's continuation; a model may prefer "
                                  "the unedited level for that alone. Place the elements so that every level is "
                                  "edited (e.g. the gap 1 bp below the lowest level)"]
    assert warned(genome, 17) == []  # gap 3: every level inserts
    assert warned("iid(at=0.5)", 20) == []  # iid fresh bases have no context to break
