"""Parser: grammar is the single source of syntax; tree -> typed AST with positions."""
import dataclasses
import os

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from mitspec.spec import ast
from mitspec.spec.errors import SpecErrors
from mitspec.spec.parser import grammar_text, parse, parse_file

from .conftest import CANONICAL, ROOT


def test_package_grammar_is_the_top_level_grammar():
    assert grammar_text() == (ROOT / "grammar" / "mit.lark").read_text(encoding="utf-8")


def test_every_canonical_spec_parses():
    assert CANONICAL, "specs/*.mit missing"
    for path in CANONICAL:
        spec = parse_file(path)
        kinds = {type(s) for s in spec.statements}
        assert {ast.Benchmark, ast.ClassDef} <= kinds


def test_nodes_are_immutable_and_carry_positions():
    spec = parse('benchmark "t" seed 7 length 50\n\nmotif  up = iupac("AAAAAARNR")\n')
    motif = spec.statements[1]
    assert isinstance(motif, ast.Motif)
    assert (motif.name.text, motif.name.span.line, motif.name.span.column) == ("up", 3, 8)
    assert motif.expr.func.text == "iupac" and motif.expr.args[0].text == "AAAAAARNR"
    try:
        motif.name = None  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("AST nodes must be frozen")


def test_positions_with_offsets_and_ranges():
    spec = parse('benchmark "t" length 100\nclass C n=1 on b { place "TGT" at m10.start - 3 + 1  shuffle a.end..b.start }')
    place, shuffle = spec.statements[1].ops
    assert place.at[0].base.dotted == "m10.start" and place.at[0].offsets == (-3, 1)
    assert isinstance(shuffle.region, ast.RangeRegion)
    assert shuffle.region.start.base.dotted == "a.end" and shuffle.region.end.base.dotted == "b.start"


def test_keywords_are_only_keywords_where_expected():
    # `n`, `on`, `at`, `all` are keywords in some places and plain names in others
    spec = parse('benchmark "t" length 10\nmotif on = "A"\nclass n n=1 on on { place on at 0 as at }')
    cls = spec.statements[2]
    assert cls.name.text == "n" and cls.on.text == "on" and cls.ops[0].alias.text == "at"


def test_comments_and_semicolons_are_optional_separators():
    a = parse('benchmark "t" length 10 # header\nclass C n=1 on b { place m at 1; place m at 3 }')
    b = parse('benchmark "t" length 10\nclass C n=1 on b {\n  place m at 1\n  place m at 3\n}')
    assert len(a.statements[1].ops) == len(b.statements[1].ops) == 2


def test_contrast_forms():
    spec = parse('benchmark "t" length 10\ncontrast A = E > D paired\ncontrast B = E > D paired by index\n'
                 'contrast C = E > D\ncontrast M = D -> E toward C\ncontrast R = X / Y\ncontrast D = cohens_d(C, D)')
    kinds = [(type(s).__name__, getattr(s, "pairing", None)) for s in spec.statements[1:]]
    assert kinds == [("WinRate", "lineage"), ("WinRate", "index"), ("WinRate", None),
                     ("Magnitude", None), ("Ratio", None), ("Effect", None)]


@given(st.text(alphabet="ACGTRYN", min_size=1, max_size=30), st.integers(0, 10**6))
def test_literal_and_number_values_survive_parsing(motif, seed):
    spec = parse(f'benchmark "t" seed {seed} length 10\nmotif m = iupac("{motif}")')
    assert spec.statements[0].seed.value == seed
    assert spec.statements[1].expr.args[0].text == motif


@given(st.floats(min_value=0, max_value=1, allow_nan=False).map(lambda x: round(x, 6)))
def test_probabilities_parse_to_their_value(p):
    spec = parse(f"benchmark \"t\" length 10\nbackground b = iid(at={p!r})")
    assert spec.statements[1].expr.kwargs[0].value.value == p


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list('benchmark class motif {}()=."ACGT 0123456789\n#;-+>/[],')),
               max_size=80))
def test_arbitrary_input_gives_spec_errors_never_crashes(source):
    try:
        parse(source, "fuzz.mit")
    except SpecErrors as exc:
        for err in exc.errors:
            assert err.span.line >= 1 and err.span.column >= 1 and err.hint
            assert exc.render().startswith("fuzz.mit:")


class _Plant:
    """Unpickling this touches `marker`: stands for code an attacker wants run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def _fresh_parser(monkeypatch, cache_home, tmp):
    from mitspec.spec import parser

    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)
    parser._parser.cache_clear()
    try:
        return parser._parser(), parser.grammar_cache()
    finally:
        parser._parser.cache_clear()


def test_grammar_tables_are_never_kept_in_the_shared_temp_dir(tmp_path, monkeypatch):
    """Issue 19: Lark's cache=True kept a pickle at a predictable name in the shared temp
    dir and unpickled whatever was there. Tables now go to a private per-user directory."""
    shared = tmp_path / "tmp"
    shared.mkdir()
    parser, cache = _fresh_parser(monkeypatch, tmp_path / "home-cache", shared)
    assert list(shared.iterdir()) == []
    assert cache is not None and cache.exists() and cache.parent.stat().st_mode & 0o777 == 0o700
    assert cache.stat().st_mode & 0o777 == 0o600
    parser.parse('benchmark "x" length 10\n')


def _plant(path, marker):
    import pickle

    path.write_bytes(b"0\n" + pickle.dumps(_Plant(marker)))


def test_a_cache_others_can_write_is_not_loaded(tmp_path, monkeypatch):
    import os

    home = tmp_path / "home-cache"
    (home / "mitspec" / "grammar").mkdir(parents=True)
    os.chmod(home / "mitspec" / "grammar", 0o777)  # someone else could have put a file here
    _, cache = _fresh_parser(monkeypatch, home, tmp_path)
    assert cache is None
    import lark

    marker = tmp_path / "pwned"
    _plant(home / "mitspec" / "grammar" / f"mit-lark-{lark.__version__}.cache", marker)
    _fresh_parser(monkeypatch, home, tmp_path)
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_a_planted_cache_file_of_another_user_is_not_loaded(tmp_path, monkeypatch):
    import lark

    home = tmp_path / "home-cache"
    directory = home / "mitspec" / "grammar"
    directory.mkdir(parents=True, mode=0o700)
    os.chmod(directory, 0o700)
    planted = directory / f"mit-lark-{lark.__version__}.cache"
    marker = tmp_path / "pwned"
    _plant(planted, marker)
    os.chown(planted, 65534, 65534)
    _, cache = _fresh_parser(monkeypatch, home, tmp_path)
    assert cache is None and not marker.exists()


def test_a_missing_brace_points_at_the_unclosed_one():
    """Issue 19: a missing `}` said only "unexpected `class`"."""
    source = ('benchmark "x" length 100\nbackground bg = uniform()\n'
              'class A n=1 on bg {\n  place "TATA" at 5\n'
              'class B n=1 on bg { place "TATA" at 9 }\n')
    with pytest.raises(SpecErrors) as info:
        parse(source, "brace.mit")
    first = info.value.errors[0]
    assert first.message == "unexpected `class`" and (first.span.line, first.span.column) == (5, 1)
    assert "the `{` at line 3, column 19 is not closed" in first.hint


def test_every_broken_statement_is_reported_not_only_the_first():
    """Issue 19: only the first syntax error was reported."""
    source = ('benchmark "x" length 100\n'
              'motif a = "TATA" "TT"\n'        # line 2: two strings
              'motif b = "GG"\n'
              'class C n=1 on bg { place a at }\n'  # line 4: no position
              'contrast X = C >> D\n')          # line 5
    with pytest.raises(SpecErrors) as info:
        parse(source, "many.mit")
    assert [e.span.line for e in info.value.errors] == [2, 4, 5]


def test_an_unclosed_brace_at_the_end_of_file_is_named():
    with pytest.raises(SpecErrors) as info:
        parse('benchmark "x" length 10\nlayout L {\n  a at 1\n', "eof.mit")
    (error,) = info.value.errors
    assert error.message == "unexpected end of file" and "the `{` at line 2, column 10 is not closed" in error.hint


offsets = st.lists(st.tuples(st.sampled_from("+-"), st.integers(0, 500)), max_size=3)
atoms = st.one_of(st.just("end"), st.sampled_from(["core.tss", "tata.end", "e.start"]))  # a number takes no offsets


def _written(atom: str, offs) -> str:
    return atom + "".join(f" {sign} {value}" for sign, value in offs)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.tuples(atoms, offsets), st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 3)),
                          st.integers(-1000, 1000), st.sampled_from(["none", "forward", "cons"])),
                min_size=1, max_size=6))
def test_sweep_levels_parse_to_what_was_written(levels):
    """Numbers (signed too), names, and positions (`end`, refs, offsets) as sweep levels."""
    from mitspec.spec import ast as A

    written = []
    for level in levels:
        if isinstance(level, tuple):
            written.append(_written(*level))
        elif isinstance(level, int) and level < 0:
            written.append(f"-{-level}")
        else:
            written.append(str(level))
    spec = parse(f'benchmark "t" length 10\nclass C n=1 on b {{ sweep x over [{", ".join(written)}] }}\n')
    (sweep,) = spec.statements[1].ops
    assert len(sweep.levels) == len(levels)
    for got, level in zip(sweep.levels, levels):
        if isinstance(level, tuple):
            atom, offs = level
            assert isinstance(got, A.Position)
            assert got.offsets == tuple(v if s == "+" else -v for s, v in offs)
            base = got.base
            if atom == "end":
                assert isinstance(base, A.End)
            else:
                assert base.dotted == atom
        elif isinstance(level, str):
            assert isinstance(got, A.Name) and got.text == level
        else:
            assert isinstance(got, A.Number) and got.value == level


def test_new_statements_parse_into_typed_nodes():
    from mitspec.spec import ast as A

    spec = parse('benchmark "t" length 100\nimport "lib/x.mit"\nlayout L { tss at 60  origin tss }\n'
                 'class C n=1 on b { place m at 1, 20, 40 as s  place m at random(10..30)  insert "AC" at end - 5\n'
                 '  delete 3..5 allow overlap  erase s_1  origin L.tss  move s_2 by -3  move s_3 to 70\n'
                 '  sweep gap(s_2, s_3) over 1..9 step 2  sweep s_2 over motifs [m, "TTG", revcomp(m)] }\n'
                 'class D n=1 from C[1, TTG] { }\ncontrast w = C[+1, m] > D paired\n')
    _, imp, layout, c, d, w = spec.statements
    assert isinstance(imp, A.Import) and imp.path.text == "lib/x.mit"
    assert layout.origin.text == "tss"
    place, rand, ins, dele, erase, origin, by, to, gap, swap = c.ops
    assert [p.base.value for p in place.at] == [1, 20, 40] and place.random == ()
    assert rand.at == () and rand.random[0].start.base.value == 10
    assert isinstance(ins.at.base, A.End) and ins.at.offsets == (-5,)
    assert dele.allow_overlap and (dele.region.start.base.value, dele.region.end.base.value) == (3, 5)
    assert erase.element.text == "s_1" and origin.at.base.dotted == "L.tss"
    assert by.by.value == -3 and by.to is None and to.to.base.value == 70 and to.by is None
    assert gap.target.text == "gap" and [a.text for a in gap.args] == ["s_2", "s_3"]
    assert isinstance(swap.levels, A.MotifLevels) and len(swap.levels.motifs) == 3
    assert d.parent.text == "C[1, TTG]" and w.better.text == "C[+1, m]"


def test_swap_push_hop_slices_background_and_linked_sweeps_parse_into_typed_nodes():
    from mitspec.spec import ast as A

    spec = parse('benchmark "t" length 100\n'
                 'class C n=1 on b { place m at random(1..30), random(40..80) as r  swap a, L.core\n'
                 '  move L.core by 5 push  move a by -4 hop allow overlap  revcomp s3[0..5]  shuffle background dinucleotide\n'
                 '  sweep gap(a, b), gap(b, c) over 1..9  sweep phase(ww) over [0, 2.5] }\n')
    (c,) = spec.statements[1:]
    rand, swap, push, hop, rc, shuffle, linked, phase = c.ops
    assert [w.start.base.value for w in rand.random] == [1, 40] and rand.alias.text == "r"
    assert swap.first.dotted == "a" and swap.second.dotted == "L.core" and not swap.allow_overlap
    assert push.element.dotted == "L.core" and push.by.value == 5 and push.mode == "push" and not push.allow_overlap
    assert hop.by.value == -4 and hop.mode == "hop" and hop.allow_overlap
    assert isinstance(rc.region, A.SliceRegion) and (rc.region.lo.value, rc.region.hi.value) == (0, 5)
    assert isinstance(shuffle.region, A.OutsideRegion) and shuffle.dinucleotide and not shuffle.distinct
    assert linked.target.text == "gap" and [(t.text, [a.text for a in args]) for t, args in linked.linked] == [
        ("gap", ["b", "c"])]
    assert phase.target.text == "phase" and [x.value for x in phase.levels] == [0, 2.5]


def test_a_semicolon_may_end_any_statement():
    """docs/language.md says `;` between statements is optional; at top level it was a syntax error."""
    spec = parse('benchmark "s" seed 1 length 10; background bg = iid(at=0.5);\n'
                 'class A n=1 on bg { place "A" at 0; }; contrast W = A > A paired;', "s.mit")
    assert [type(s).__name__ for s in spec.statements] == ["Benchmark", "Background", "ClassDef", "WinRate"]


def test_error_recovery_reparses_a_bounded_amount_of_text(monkeypatch):
    """A 389 KB spec with 25 errors was parsed 20 times whole (25 s). Recovery now stops
    once it has re-parsed RECOVERY_BYTES in all: here 3 x the spec, so three parses and three errors
    (of 40) are found."""
    from mitspec.spec import parser as p

    broken = "".join(f"motif m{i} = = \"A\"\n" for i in range(40))
    source = 'benchmark "s" seed 1 length 10\n' + broken + "# " + "x" * 10_000 + "\n"
    monkeypatch.setattr(p, "RECOVERY_BYTES", 3 * len(source))
    parses = []
    real = p._parser()

    class Counting:
        def parse(self, text):
            parses.append(len(text))
            return real.parse(text)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(p, "_parser", Counting)
    with pytest.raises(SpecErrors) as info:
        parse(source, "s.mit")
    assert len(parses) == 3 and len(info.value.errors) == 3
