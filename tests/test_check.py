"""Malformed specs: each must give its message at the right line:col, with a hint.

The expected column is found by locating the offending text in the spec (`needle`), so
each case states exactly which token the error must point at."""
import pytest

from mitspec.spec.check import check_source
from mitspec.spec.errors import SpecErrors

from .conftest import BASE

HEAD = 'benchmark "t" seed 1 length 100\nbackground bg = iid(at=0.5)\n'


def _with(extra: str) -> str:
    return BASE + extra


# (id, spec, line of the error, text the caret must start at, message fragment, hint fragment or None)
CASES = [
    ("syntax-missing-at", HEAD + "class C n=1 on bg { place \"A\" 5 }\n", 3, "5 }", "unexpected `5`", "expected"),
    ("syntax-unclosed-string", HEAD + 'motif m = "TATA\n', 3, '"TATA', "unexpected character", "same line"),
    ("syntax-single-quotes", HEAD + "motif m = 'TATA'\n", 3, "'TATA", "unexpected character `'`", "double quotes"),
    ("syntax-eof", HEAD + "class C n=1 on bg {\n", 3, "", "unexpected end of file", "expected"),
    ("missing-header", 'background bg = iid(at=0.5)\n', 1, "background", "missing `benchmark` header", "seed 42"),
    ("duplicate-header", BASE + 'benchmark "again" seed 2 length 100\n', 10, "benchmark", "one `benchmark` header", "line 1"),
    ("missing-length", 'benchmark "t" seed 1\nbackground bg = iid(at=0.5)\n', 1, "benchmark", "needs a sequence length", "length 100"),
    ("zero-length", 'benchmark "t" seed 1 length 0\n', 1, "0", "length must be a positive", None),
    ("duplicate-motif", _with('motif m35 = "TTGACT"\n'), 10, "m35 =", "`m35` is already defined (as a motif at line 3)", "its own name"),
    ("duplicate-across-kinds", _with('layout bg { a at 1 }\n'), 10, "bg {", "`bg` is already defined (as a background", None),
    ("undefined-motif", _with('class X n=1 on bg { place m53 at 10 }\n'), 10, "m53 at", "undefined motif `m53`", "did you mean `m35`?"),
    ("undefined-background", _with('class X n=1 on gb { }\n'), 10, "gb {", "undefined background `gb`", "did you mean `bg`?"),
    ("undefined-parent", _with('class X n=1 from CC { }\n'), 10, "CC {", "undefined class `CC`", "did you mean `C`?"),
    ("undefined-slot", _with('class X n=1 on bg { place m10 at L.m01 }\n'), 10, "m01", "layout `L` has no slot `m01`", "did you mean `m10`?"),
    ("undefined-element", _with('class X n=1 from C { place "TGT" at m01.start - 3 }\n'), 10, "m01.start", "nothing named `m01` is placed here", "did you mean `m10`?"),
    ("motif-not-placed", _with('class X n=1 on bg { place "TGT" at m10.start - 3 }\n'), 10, "m10.start", "nothing named `m10` is placed here", "not placed at this point"),
    ("bad-attribute", _with('class X n=1 from C { place "TGT" at m10.middle }\n'), 10, "middle", "unknown attribute `middle`", "`.start` or `.end`"),
    ("probabilities-sum", HEAD + 'background b2 = iid(A=0.3, C=0.2, G=0.2, T=0.2)\n', 3, "iid(A", "sum to 0.9, not 1", "off by -0.1"),
    ("probability-range", HEAD + 'background b2 = iid(at=1.5)\n', 3, "1.5", "`at` = 1.5 is not a probability", "[0, 1]"),
    ("iid-missing-base", HEAD + 'background b2 = iid(A=0.5, T=0.5)\n', 3, "iid(", "iid() is missing C, G", "all four"),
    ("iid-unknown-arg", HEAD + 'background b2 = iid(A=0.25, C=0.25, G=0.25, U=0.25)\n', 3, "U=", "unknown argument `U`", "known arguments"),
    ("unknown-background-func", HEAD + 'background b2 = idd(at=0.5)\n', 3, "idd", "unknown background `idd`", "did you mean `iid`?"),
    ("weights-sum", HEAD + 'motif m = choice("A", "C", weights=[0.5, 0.6])\n', 3, "[0.5", "weights sum to 1.1, not 1", None),
    ("weights-count", HEAD + 'motif m = choice("A", "C", weights=[1.0])\n', 3, "[1.0]", "1 weights for 2 alternatives", None),
    ("choice-lengths", HEAD + 'motif m = choice("AA", "CCC")\n', 3, "choice", "differ in length (2, 3 bp)", "same length"),
    ("n-zero", _with('class X n=0 on bg { }\n'), 10, "0 on", "n must be positive, got 0", None),
    ("n-missing", _with('class X on bg { }\n'), 10, "X on", "class `X` needs a size", "n=100"),
    ("n-exceeds-parent", _with('class X n=20 from C { }\n'), 10, "20 from", "has n=20 but its parent `C` has only 10", "independent"),
    ("derivation-cycle", _with('class X n=1 from Y { }\nclass Y n=1 from X { }\n'), 10, "Y {", "derives from itself (X -> Y -> X)", "root class"),
    ("self-derivation", _with('class X n=1 from X { }\n'), 10, "X {", "derives from itself (X -> X)", None),
    ("unknown-iupac", HEAD + 'motif up = iupac("AAAAAAZNR")\n', 3, 'Z', "`Z` is not an IUPAC nucleotide code", "A C G T R Y"),
    ("iupac-in-literal", HEAD + 'motif up = "AAAAAARNR"\n', 3, 'RNR', "`R` is not a nucleotide", 'iupac("AAAAAARNR")'),
    ("non-nucleotide-literal", HEAD + 'motif x = "TAXA"\n', 3, 'XA"', "`X` is not a nucleotide", "A, C, G and T"),
    ("arity-revcomp", HEAD + 'motif x = revcomp("AC", "GT")\n', 3, "revcomp", "revcomp() takes 1 argument, got 2", "usage: revcomp(motif or element)"),
    ("arity-iupac", HEAD + 'motif x = iupac()\n', 3, "iupac", "iupac() takes 1 argument, got 0", None),
    ("arity-cohens-d", _with('contrast M = cohens_d(C)\n'), 10, "cohens_d", "cohens_d() takes 2 arguments, got 1", "cohens_d(X, Y)"),
    ("unknown-motif-func", HEAD + 'motif x = revcmp("AC")\n', 3, "revcmp", "unknown motif function `revcmp`", "did you mean `revcomp`?"),
    ("out-of-bounds", _with('class X n=1 on bg { place m10 at 97 }\n'), 10, "place m10 at 97", "`m10` (6 bp) at 97..103 runs past the end of the sequence (length 100)", "half-open"),
    ("negative-position", _with('class X n=1 from C { place "TGT" at m35.start - 31 }\n'), 10, 'place "TGT"', "starts at -1, before the sequence", "0-based"),
    ("overlap", _with('class X n=1 from C { place "TGTG" at m10.start - 3 }\n'), 10, 'place "TGTG"', "`TGTG` (50..54) overlaps `m10` (53..59)", "allow overlap"),
    ("slot-length", _with('class X n=1 on bg { place "TGT" at L.m35 }\n'), 10, 'place "TGT"', 'motif `"TGT"` is 3 bp but slot `L.m35` spans 6 bp (30..36)', None),
    ("name-clash", _with('class X n=1 from C { place m35 at 5 }\n'), 10, "place m35 at 5", "an element named `m35` is already placed at 30..36", "as m35_2"),
    ("shuffle-cuts", _with('class X n=1 from C { shuffle 33..40 }\n'), 10, "shuffle 33", "shuffle 33..40 cuts element `m35` (30..36)", "whole element"),
    ("reversed-range", _with('class X n=1 from C { shuffle 40..33 }\n'), 10, "40..33", "region is empty or reversed (40..33)", None),
    ("revcomp-cuts", _with('class X n=1 from C { revcomp 50..56 }\n'), 10, "revcomp", "revcomp 50..56 cuts element `m10` (53..59)", "allow overlap"),
    ("bad-mutation", _with('class X n=1 from C { mutate 54 -> "GG" }\n'), 10, '"GG"', "`GG` is not a single nucleotide", "one IUPAC code"),
    ("mutation-out-of-bounds", _with('class X n=1 from C { mutate 100 -> "G" }\n'), 10, "100 ->", "mutation at 100..101 runs past the end", None),
    ("root-needs-background", _with('class X n=1 { }\n'), 10, "X n=1", "class `X` needs a background", "backgrounds: bg"),
    ("derived-with-on", _with('class X n=1 from C on bg { }\n'), 10, "bg {", "shares its parent's backgrounds", "independent"),
    ("independent-root", _with('class X n=1 on bg independent { }\n'), 10, "class X", "`independent` only applies to a derived class", None),
    ("table-arity", HEAD + 'table t (a, b) {\n  r1 "AC" "GT"\n  r2 "AC"\n}\n', 5, 'r2 "AC"', "row `r2` has 1 values for 2 columns (a, b)", None),
    ("table-duplicate-row", HEAD + 'table t (a) {\n  r1 "AC"\n  r1 "GT"\n}\n', 5, 'r1 "GT"', "duplicate row `r1` in table `t`", "line 4"),
    ("table-column-lengths", HEAD + 'table t (a) {\n  r1 "AC"\n  r2 "GTA"\n}\n', 3, "a)", "column `a` mixes lengths (2, 3 bp)", None),
    ("table-without-use", HEAD + 'table t (a) { r1 "AC" }\nclass X n=1 on bg { place t.a at 5 }\n', 4, "t.a", "no row of `t` is selected here", "use t cycle"),
    ("table-unknown-column", HEAD + 'table t (a) { r1 "AC" }\nclass X n=1 on bg { use t cycle place t.b at 5 }\n', 4, "b at", "table `t` has no column `b`", "known columns: `a`"),
    ("table-unknown-row", HEAD + 'table t (a) { r1 "AC" }\nclass X n=1 on bg { use t[r2] cycle }\n', 4, "r2]", "table `t` has no row `r2`", "did you mean `r1`?"),
    ("contrast-unknown-class", _with('contrast CSS = E > C paired\n'), 10, "E >", "undefined class `E`", None),
    ("contrast-no-pairing", _with('class D n=10 from C { }\ncontrast CSS = D > C\n'), 11, "contrast CSS", "say how `D > C` pairs instances", "paired by index"),
    ("contrast-lineage", _with('class D n=10 from C independent { }\ncontrast CSS = D > C paired\n'), 11, "contrast CSS", "do not share backgrounds", "paired by index"),
    ("contrast-duplicate", _with('class D n=10 from C { }\ncontrast X = D > C paired\ncontrast X = cohens_d(C, D)\n'), 12, "X = c", "contrast `X` is already declared (line 11)", None),
    ("ratio-of-unknown", _with('class D n=10 from C { }\ncontrast M = cohens_d(C, D)\ncontrast R = M / N\n'), 12, "N", "undefined contrast `N`", None),
    ("ratio-of-win-rate", _with('class D n=10 from C { }\ncontrast W = D > C paired\ncontrast M = cohens_d(C, D)\ncontrast R = W / M\n'), 13, "W /", "`W` is a win rate", "effect sizes"),
    ("layout-point-region", HEAD + 'layout P { x at 5 }\nclass X n=1 on bg { shuffle P.x }\n', 4, "P.x", "`P.x` is a point, not a region", "x at 5..END"),
    ("layout-without-slot", _with('class X n=1 on bg { place m10 at L }\n'), 10, "L }", "`L` is a layout; name one of its slots", "e.g. L.m35"),
    ("motif-cycle", HEAD + 'motif a = b\nmotif b = a\n', 3, "a =", "motif `a` is defined in terms of itself (a -> b -> a)", None),
    ("wrong-kind-for-motif", _with('class X n=1 on bg { place bg at 5 }\n'), 10, "bg at", "`bg` is a background, not a motif", None),
    # issue 12: options are given once; reserved words; contrasts of swept classes; ratio operands; genome windows
    ("repeated-seed", 'benchmark "x" seed 1 seed 2 length 100\n', 1, "seed 2", "`seed` is given twice", "keep one"),
    ("repeated-n", _with('class X n=10 n=20 on bg { }\n'), 10, "n=20", "`n` is given twice", "line 10, column 9"),
    ("repeated-kwarg", HEAD + 'background b2 = iid(at=0.5, at=0.6)\n', 3, "at=0.6", "`at` is given twice", "keep one"),
    ("repeated-shuffle-flag", _with('class X n=1 from C { shuffle 0..10 distinct distinct }\n'), 10, "distinct }", "`distinct` is given twice", None),
    ("reserved-definition", HEAD + 'motif spacer = "TATA"\n', 3, "spacer =", "`spacer` is reserved (a sweep target)", "another name"),
    ("reserved-element", _with('class X n=1 on bg { place m10 at 5 as orientation }\n'), 10, "orientation }", "`orientation` is reserved", "as orientation_element"),
    ("contrast-of-swept-class", _with('class S n=10 on bg { place m10 at 5  sweep m10 over [5, 20] }\ncontrast M = cohens_d(S, C)\n'), 11, "S, C", "`S` is swept into 2 conditions (S[5] ... S[20])", "profile(S, reference=LEVEL)"),
    ("win-rate-of-swept-class", _with('class S n=10 on bg { place m10 at 5  sweep m10 over [5, 20] }\ncontrast W = S > C paired by index\n'), 11, "S >", "`S` is swept into 2 conditions", None),
    ("ratio-of-profile", _with('class S n=10 on bg { place m10 at 5  sweep m10 over [5, 20] }\nclass D n=10 from C { }\n'
                               'contrast P = profile(S, reference=5)\ncontrast M = cohens_d(C, D)\ncontrast R = P / M\n'), 14, "P /",
     "`P` is a profile over a sweep", "effect sizes (cohens_d, magnitude)"),
    ("sweep-labels-collide", _with('class S n=2 on bg { sweep at_content over 0.3..0.300001 step 0.0000001 }\n'), 10, "0.3..",
     "levels 0.3 and 0.3000001 of this range are both named 0.3", "coarser step"),
    # issue 18: numbers are range-checked and the plan's size is checked before anything is drawn
    ("int-too-large", 'benchmark "x" seed ' + "9" * 5000 + ' length 100\n', 1, "999", "(5000 digits) is too large", "typo"),
    ("float-too-large", HEAD + 'background b2 = iid(at=1e400)\n', 3, "1e400", "the number 1e400 is too large", None),
    ("n-over-limit", _with('class X n=1000000000 on bg { }\n'), 10, "1000000000", "n=1,000,000,000 is over the limit of 10,000,000", "--max-sequences"),
    ("length-over-limit", 'benchmark "x" length 100000000\n', 1, "100000000", "length 100,000,000 is over the limit of 100,000 bp", "--max-length"),
    ("bases-over-limit", 'benchmark "x" length 100000\nbackground bg = uniform()\nclass A n=600 on bg { }\nclass B n=600 on bg { }\n',
     4, "B n=", "with class `B` the plan holds 120,000,000 bases (1,200 x 100,000 bp), over the limit of 100,000,000", "--max-bases"),
    ("sequences-over-limit-by-sweep", _with('class S n=2000 on bg { sweep at_content over 0..1 step 0.0002 }\n'), 10, "S n=",
     "with class `S` the plan holds 10,002,010 sequences, over the limit of 10,000,000", "--max-sequences"),
    ("genome-is-not-a-path", HEAD + 'background g = genome("../../../etc/passwd")\n', 3, '"../', "no bundled genome `../../../etc/passwd`", "known genomes"),
    ("genome-without-windows", HEAD + 'background g = genome("ecoli_mg1655", at=[0.99, 1.0])\n', 3, "[0.99", "no 100 bp window of `ecoli_mg1655` has its AT fraction in [0.99, 1]", "range from AT"),
]


@pytest.mark.parametrize("source,line,needle,message,hint", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_spec_reports_message_position_and_hint(source, line, needle, message, hint):
    with pytest.raises(SpecErrors) as info:
        check_source(source, "case.mit")
    errors = info.value.errors
    hit = [e for e in errors if message in e.message]
    assert hit, f"expected {message!r}, got {[e.message for e in errors]}"
    err = hit[0]
    text = source.splitlines()[line - 1] if line <= len(source.splitlines()) else ""
    expected_col = text.index(needle) + 1 if needle else len(text) + 1
    assert (err.span.line, err.span.column) == (line, expected_col)
    assert err.hint, "every diagnostic carries a hint"
    if hint is not None:
        assert hint in err.hint, f"hint {err.hint!r} lacks {hint!r}"
    rendered = info.value.render()
    assert f"case.mit:{line}:{expected_col}: error: " in rendered


def test_there_are_at_least_thirty_malformed_cases():
    assert len(CASES) >= 30


def test_all_errors_are_reported_in_one_pass():
    source = BASE + (
        'motif bad = "TAXA"\n'                         # line 10
        'class X n=0 on gb { place m53 at 10 }\n'      # line 11: three problems
        'contrast CSS = X > Y paired\n'                # line 12
    )
    with pytest.raises(SpecErrors) as info:
        check_source(source, "many.mit")
    positions = [(e.span.line, e.message) for e in info.value.errors]
    lines = [p[0] for p in positions]
    assert lines == sorted(lines)
    messages = " | ".join(m for _, m in positions)
    for fragment in ("`X` is not a nucleotide", "n must be positive", "undefined background `gb`",
                     "undefined motif `m53`", "undefined class `Y`"):
        assert fragment in messages
    assert info.value.render().endswith(f"{len(positions)} errors in many.mit")


def test_render_shows_source_line_and_caret_under_the_token():
    source = _with('class X n=1 on bg { place m53 at 10 }\n')
    with pytest.raises(SpecErrors) as info:
        check_source(source, "caret.mit")
    lines = info.value.render().splitlines()
    assert lines[0] == "caret.mit:10:27: error: undefined motif `m53`"
    assert lines[1] == "   10 | class X n=1 on bg { place m53 at 10 }"
    # the caret line starts with the same gutter width and underlines exactly `m53`
    assert lines[2] == "      | " + " " * 26 + "^^^"
    assert lines[3] == "  hint: did you mean `m35`?"


def test_valid_base_spec_checks_clean(base_spec):
    program = check_source(base_spec)
    (cls,) = program.classes
    assert [(f.name, f.start, f.end) for f in cls.features] == [("m35", 30, 36), ("m10", 53, 59)]


def test_placing_over_an_identical_span_replaces_the_element():
    program = check_source(_with('class D n=10 from C { place "TGTAAT" at L.m10 }\n'))
    d = {c.name: c for c in program.classes}["D"]
    assert [(f.name, f.source) for f in d.features] == [("m35", "m35"), ("m10", '"TGTAAT"')]


def test_allow_overlap_permits_partial_overlap():
    program = check_source(_with('class X n=1 from C { place "TGTG" at m10.start - 3 allow overlap }\n'))
    x = {c.name: c for c in program.classes}["X"]
    assert ("TGTG", 50, 54) in [(f.name, f.start, f.end) for f in x.features]


def test_revcomp_mirrors_features_inside_the_region():
    # region 30..59 mirrored: new_start = 30 + 59 - end. m10 53..59 -> 30..36, m35 30..36 -> 53..59
    program = check_source(_with('class X n=1 from C { revcomp 30..59 }\n'))
    x = {c.name: c for c in program.classes}["X"]
    assert {(f.name, f.start, f.end, f.strand) for f in x.features} == {("m10", 30, 36, "-"), ("m35", 53, 59, "-")}


def test_layout_slots_may_refer_to_earlier_slots():
    # -35 at 30..36 plus a 17 bp spacer puts -10 at 36 + 17 = 53
    program = check_source(HEAD + 'motif m = "TATAAT"\nlayout P { a at 30..36  b at a.end + 17 }\n'
                           'class X n=1 on bg { place m at P.b }\n')
    assert [(f.start, f.end) for f in program.classes[0].features] == [(53, 59)]


def test_the_language_tour_in_the_docs_is_a_valid_spec():
    """docs/language.md's tour must stay true: it is checked as a spec."""
    from .conftest import ROOT

    text = (ROOT / "docs" / "language.md").read_text()
    example = text.split("# The `.mit` language")[1].split("```text\n")[1].split("```")[0]
    program = check_source(example, "docs/language.md")
    assert [c.name for c in program.classes] == ["A", "B", "C", "D", "E", "H", "K", "R", "P"]


def test_the_any_grammar_tour_in_the_docs_checks_and_compiles(tmp_path):
    """docs/language.md's second example (Any regulatory grammar) was never checked and had
    drifted (a gap sweep that deleted an element, so its conditions named nothing). It is
    checked here with the files it names stood in for: the bundled library, the shipped
    S. aureus stretch as `data/chrIV.fa.gz`, a small GATA matrix, and the shipped CTCF
    matrix for `jaspar(...)` (an optional extra), after a header and the names it assumes."""
    import shutil

    from mitspec.plan.compile import compile_program

    from .conftest import ROOT, SPECS

    text = (ROOT / "docs" / "language.md").read_text()
    block = text.split("## Any regulatory grammar")[1].split("```text\n")[1].split("```")[0]
    for folder in ("lib", "motifs", "data"):
        (tmp_path / folder).mkdir()
    shutil.copy(SPECS / "lib" / "ecoli.mit", tmp_path / "lib")
    shutil.copy(SPECS / "motifs" / "MA0139.2.jaspar", tmp_path / "motifs")
    shutil.copy(SPECS / "data" / "saureus_40kb.fa.gz", tmp_path / "data" / "chrIV.fa.gz")
    (tmp_path / "motifs" / "gata.jaspar").write_text(
        ">GATA\nA [ 20 90 0 95 5 80 ]\nC [ 30 2 0 1 5 5 ]\nG [ 30 5 100 2 5 10 ]\nT [ 20 3 0 2 85 5 ]\n")
    assert 'jaspar("MA0139", min_score=12)' in block
    block = block.replace('jaspar("MA0139", min_score=12)', 'pwm("motifs/MA0139.2.jaspar", min_score=12)')
    head = ('benchmark "tour" seed 1 length 150\nbackground bg = iid(at=0.5)\n'
            'motif stem6 = iupac("SSSSSS")\nmotif stem8 = iupac("SSSSSSSS")\n')
    program = check_source(head + block, str(tmp_path / "tour.mit"))
    assert [c.group or c.name for c in program.classes] == ["G"] * 6 + ["P"] * 5 + ["E"] + ["H"] * 3
    assert [c.name for c in program.classes if c.group == "P"][0] == "P[+18]"
    built = compile_program(program)
    assert all(b.codes.shape[1] == 150 for b in built.values())


def _errors(source: str) -> list:
    with pytest.raises(SpecErrors) as info:
        check_source(source, "case.mit")
    return info.value.errors


def test_a_mistake_shared_by_every_sweep_level_is_reported_once_without_a_level():
    """Before issue 12 this printed one identical error per level (3 here)."""
    errors = _errors(_with('class S n=10 on bg { place m10 at 5  place nope at 20  sweep m10 over [0, 40, 80] }\n'))
    assert [e.message for e in errors] == ["undefined motif `nope`"]


def test_a_mistake_of_some_levels_says_which_level():
    errors = _errors(_with('class S n=10 on bg { place m10 at 5  sweep m10 over [0, 95, 97] }\n'))
    # one mistake (the levels run past the end), its coordinates shown as at the first level
    assert [e.message.split(": ")[0] for e in errors] == ["at m10 = 95, 97"]
    assert "`m10` (6 bp) at 95..101 runs past the end" in errors[0].message
    assert errors[0].message.endswith("(as at 95; the others alike)")


def test_one_message_from_several_but_not_all_levels_lists_them():
    from mitspec.spec.check.diagnostics import Diagnostics
    from mitspec.spec.errors import Span

    diag, found, here = Diagnostics(""), {}, Span(1, 1, 1, 2)
    for label, broken in (("a", True), ("b", False), ("c", True)):
        with diag.per_level("x", label, found):
            if broken:
                diag.error("it breaks", here, "fix it")
    diag.flush_levels("x", found, ["a", "b", "c"])
    assert [e.message for e in diag.errors] == ["at x = a, c: it breaks"]


def test_a_bad_motif_definition_is_reported_once_however_often_it_is_used():
    errors = _errors(HEAD + 'motif bad = iupac("AZ")\nclass X n=1 on bg { place bad at 5  place bad at 20 }\n'
                     'class Y n=1 on bg { place bad at 50 }\n')
    assert [e.message for e in errors] == ["`Z` is not an IUPAC nucleotide code"]


def test_a_shuffled_region_with_a_reserved_name_gets_a_free_element_name():
    program = check_source(HEAD + 'layout L { spacer at 36..53 }\nclass X n=1 on bg { shuffle L.spacer }\n')
    assert [f.name for f in program.classes[0].features] == ["spacer_shuffled"]


def test_letters_are_upper_cased_one_by_one():
    """Issue 19: iupac("ß") became "SS" ("ß".upper() is two letters), a valid code."""
    errors = _errors(HEAD + 'motif m = iupac("Aß")\n')
    assert [e.message for e in errors] == ["`ß` is not an IUPAC nucleotide code"]
    assert errors[0].span.column == len('motif m = iupac("A') + 1


@pytest.mark.parametrize("separator", ["\f", "\v", "\u2028", "\x1c", "\x85"])
def test_lines_are_counted_as_the_parser_counts_them(separator):
    """Issue 19: a comment holding \\f, \\v or U+2028 made element names come from the wrong line."""
    source = HEAD + f"# a comment{separator}with a break in it\n" + 'class X n=1 on bg { place "TATAAT" at 5 }\n'
    (cls,) = check_source(source).classes
    assert [f.name for f in cls.features] == ["TATAAT"] and cls.features[0].source == '"TATAAT"'
    with pytest.raises(SpecErrors) as info:
        check_source(source.replace("place", "place nope at 5 place"), "case.mit")
    assert "   4 | class X n=1 on bg { place nope at 5" in info.value.render()


def test_deep_nesting_is_a_diagnostic_not_a_recursion_error():
    """Issue 18: deep nesting raised RecursionError."""
    deep = "revcomp(" * 5000 + '"A"' + ")" * 5000
    errors = _errors(HEAD + f"motif m = {deep}\n")
    assert [e.message for e in errors] == ["expressions nest deeper than 32 levels"]
    assert errors[0].span.line == 3 and errors[0].span.column == len("motif m = ") + 32 * len("revcomp(") + 1


def test_long_derivation_and_motif_chains_do_not_recurse():
    classes = "".join(f"class C{i} n=1 from C{i - 1} {{ }}\n" for i in range(1, 3000))
    program = check_source(HEAD + 'class C0 n=1 on bg { }\n' + classes)
    assert len(program.classes) == 3000 and program.classes[-1].background_root == "C0"
    motifs = "".join(f"motif m{i} = m{i + 1}\n" for i in range(100)) + 'motif m100 = "A"\n'
    errors = _errors(HEAD + motifs)
    assert errors[0].message == "motif `m0` is defined through more than 64 other motifs"


def test_limits_can_be_raised_knowingly():
    from mitspec.spec.check import Limits
    from mitspec.spec.parser import parse

    source = 'benchmark "x" length 100000\nbackground bg = uniform()\nclass A n=600 on bg { }\nclass B n=600 on bg { }\n'
    from mitspec.spec.check import check

    program = check(parse(source), Limits(max_bases=2 * 10**8))
    assert program.total == 1200


NEW = 'benchmark "t" seed 1 length 100\nbackground bg = iid(at=0.5)\nmotif m = "ACGTAC"\n'


@pytest.mark.parametrize("line,needle,message", [
    ('class C n=1 on bg { place m at 10 as e  insert "AA" at 12 }', "insert", "inserting at 12 splits `e` (10..16)"),
    ("class C n=1 on bg { erase nothing }", "nothing", "nothing named `nothing` is placed here"),
    ("class C n=1 on bg { place m at 10 as e  move e by 0 }", "by 0", "`move ... by 0` does nothing"),
    ("class C n=1 on bg { place m at 10 as e  move e by 90 }", "move", "runs past the end of the sequence"),
    ("class C n=1 on bg { origin 100 }", "100", "origin at 100..101 runs past the end"),
    ("class C n=1 on bg { place m at 10 as a  place m at 14 as b allow overlap  sweep gap(a, b) over [3] }",
     "sweep", "overlap, so there is no gap between them"),
    ("class C n=1 on bg { place m at 10 as a  sweep copies(a) over [1] }", "a)", "no `place` in class `C` lists several"),
    ("class C n=1 on bg { place m at 10 as a  sweep gap(a) over [1] }", "gap", "gap() takes 2 element names"),
    ("class C n=1 on bg { place m at 10 as a  sweep gaps(a, a) over [1] }", "gaps", "unknown sweep target `gaps(...)`"),
    ("class C n=1 on bg { place m at 10 as a  sweep at_content over [a.end + 1] }", "a.end",
     "`at_content` levels are numbers, not positions"),
    ("class C n=1 on bg { place m at 10 as end }", "end }", "`end` is reserved"),
    ("class C n=1 on bg { place m at random(10..14) }", "random(", "no room to place `m` (6 bp) at random in 10..14"),
    ("class C n=1 on bg { place m at 10, 40 as a  place m at 20 as a_1 }", "place m at 20",
     "an element named `a_1` is already placed"),
])
def test_new_constructs_report_where_and_why(line, needle, message):
    with pytest.raises(SpecErrors) as info:
        check_source(NEW + line + "\n")
    hit = [e for e in info.value.errors if message in e.message]
    assert hit, [e.message for e in info.value.errors]
    assert (hit[0].span.line, hit[0].span.column) == (4, line.index(needle) + 1) and hit[0].hint


def test_a_hint_listing_classes_spells_them_classes():
    """The hint read "known classs"."""
    errors = _errors(HEAD + 'class Alpha n=1 on bg { }\nclass Beta n=1 on bg { }\ncontrast W = Q > Alpha paired\n')
    assert any("known classes" in (e.hint or "") for e in errors), [e.hint for e in errors]


GRAMMAR_BASE = """benchmark "g" seed 1 length 60
background bg = iid(at=0.5)
motif ww = "AAT"
class S "s" n=4 on bg { place "TTGACA" at 5 as a  place "TATAAT" at 28 as b  place ww at 40, 50
  sweep gap(a, b) over 15..19 }
contrast SP = profile(S, reference=17)
contrast W = S[17] > S[15] paired
"""


def test_declared_grammar_and_expectations_reach_the_program():
    program = check_source(GRAMMAR_BASE + "grammar { spacing a .. b = 17 +/- 1  orientation b = -  period ww = 10.5 "
                           "cooperative a, b within 40 weight 2 }\nexpect peak(SP) in 16..18\nexpect S[17] > S[15]\n"
                           "expect W > 0.6\n")
    assert [(r.kind, r.names, r.value, r.tolerance, r.weight) for r in program.rules] == [
        ("spacing", ("a", "b"), 17.0, 1.0, 4.0), ("orientation", ("b",), -1.0, None, 4.0),
        ("period", ("ww",), 10.5, None, 4.0), ("cooperative", ("a", "b"), None, None, 2.0)]
    assert [(e.kind, e.contrast, e.low, e.high) for e in program.expectations] == [
        ("peak", "SP", 16.0, 18.0), ("direction", "W", None, None), ("above", "W", 0.6, None)]


@pytest.mark.parametrize("text, message", [
    ("grammar { spacing a .. c = 17 }", "no class places an element `c`"),
    ("grammar { spacing a .. a = 17 }", "a spacing rule relates two different elements"),
    ("grammar { period zz = 10.5 }", "no class places copies of a motif `zz`"),
    ("grammar { period ww = 0 }", "a period must be positive"),
    ("grammar { orientation a = + weight 0 }", "a weight of 0 makes the rule do nothing"),
    ("grammar { orientation a = +  orientation a = - }", "this orientation rule is already declared"),
    ("expect nothing", "no contrast `nothing` is declared"),
    ("expect periodicity(SP)", "`SP` is a profile contrast, which `periodicity(...)` cannot judge"),
    ("expect SP", "`SP` is a profile contrast, which a direction cannot judge"),
    ("expect S[15] > S[17]", "no win-rate contrast of S[15] over S[17] is declared"),
    ("expect S[99] > S[17]", "`S` has no condition S[99]"),
    ("expect peak(SP) in 18..16", "the range 18..16 is empty"),
    ("grammar { spacing a .. b = 17 }\nexpect peak(SP) in 18..19",
     "the grammar prefers a spacing of 17 between a and b, outside the expected peak 18..19"),
])
def test_grammar_and_expectation_mistakes_are_diagnostics(text, message):
    assert any(message in e.message for e in _errors(GRAMMAR_BASE + text + "\n")), [e.message for e in
                                                                                   _errors(GRAMMAR_BASE + text + "\n")]


def test_roles_a_spec_may_bind_are_the_ones_scorers_read():
    """Issue 30, point 5: the checker held its own table of sigma70 roles. It now takes the
    table from its caller (the CLI and the API pass the registry's, built from what each
    baseline declares it reads); a role no scorer reads is an error that lists them."""
    from click.testing import CliRunner

    from mitspec.cli import main
    from mitspec.models.registry import roles

    assert list(roles()) == ["minus35", "minus10", "up", "ext10"]  # declared by the sigma70 baselines
    spec = HEAD + "layout L { a at 20..26 }\nrole box = L.a\nclass C n=1 on bg { place \"TTGACA\" at L.a }\n"
    with pytest.raises(SpecErrors) as caught:
        check_source_with_roles(spec, {"minus35": "the -35 box"})
    [error] = caught.value.errors
    assert "no scorer reads a role `box`" in error.message and error.hint == "roles: minus35 (the -35 box)"
    assert check_source_with_roles(spec, {"box": "a box some scorer reads"}).roles == {"box": (20, 26)}
    assert check_source(spec).roles == {"box": (20, 26)}  # no table: the spec layer binds any name
    with CliRunner().isolated_filesystem():
        open("r.mit", "w").write(spec)
        out = CliRunner().invoke(main, ["check", "r.mit"])
    assert out.exit_code == 2 and "no scorer reads a role `box`" in out.output
    assert "minus35 (the sigma70 -35 box)" in out.output and "Traceback" not in out.output


def check_source_with_roles(source: str, roles: dict):
    from mitspec.spec.check import check
    from mitspec.spec.parser import parse

    return check(parse(source, "<spec>"), roles=roles)
