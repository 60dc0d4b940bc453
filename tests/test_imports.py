"""`import "lib.mit"`: another file's definitions, checked on its own, with clashes,
cycles and its errors reported at the import's line:col."""
import pytest

from mitspec.plan.compile import compile_program
from mitspec.sequence import decode_rows
from mitspec.spec.check import load
from mitspec.spec.errors import SpecErrors

LIB = ('background bg = iid(at=0.5)\nmotif tata = "TATAAA"\nmotif gata = pwm("m/g.pfm")\n'
       'layout core { tata at 30..36  tss at 60  origin tss }\n'
       'class Ignored n=5 on bg { }\ncontrast ignored = Ignored > Ignored paired\n')


@pytest.fixture
def project(tmp_path):
    (tmp_path / "lib" / "m").mkdir(parents=True)
    (tmp_path / "lib" / "m" / "g.pfm").write_text("1 8 0\n1 1 1\n7 0 1\n1 1 8\n")
    (tmp_path / "lib" / "promoters.mit").write_text(LIB)
    return tmp_path


def _spec(project, body: str):
    path = project / "s.mit"
    path.write_text('benchmark "i" seed 1 length 100\nimport "lib/promoters.mit"\n' + body)
    return path


def test_imports_bring_definitions_not_classes(project):
    program = load(_spec(project, "class C n=4 on bg { place tata at core.tata  place gata at 70 }\n"))
    assert [c.name for c in program.classes] == ["C"]  # not `Ignored`
    assert decode_rows(compile_program(program)["C"].codes[:, 30:36]) == ["TATAAA"] * 4
    assert program.classes[0].origin == ("core.tss", 60)  # the layout's origin came along
    kinds = {(i["kind"], i["path"]) for i in program.inputs}
    # the library's own file path is relative to the library; the plan lists it relative to the spec
    assert kinds == {("import", "lib/promoters.mit"), ("pwm", "lib/m/g.pfm")}


def _errors(path):
    with pytest.raises(SpecErrors) as info:
        load(path)
    return info.value.errors


def test_name_clash_is_an_error_at_the_import(project):
    (err,) = _errors(_spec(project, 'motif tata = "TATAAT"\nclass C n=1 on bg { }\n'))
    assert "`tata` is defined here and imported by line 2" in err.message and err.span.line == 2


def test_cycles_and_broken_libraries_are_errors_at_the_import(project):
    (project / "lib" / "a.mit").write_text('import "b.mit"\nmotif a = "A"\n')
    (project / "lib" / "b.mit").write_text('import "a.mit"\nmotif b = "C"\n')
    path = project / "s.mit"
    path.write_text('benchmark "i" length 10\nimport "lib/a.mit"\n')
    (err,) = _errors(path)
    assert err.span.line == 2 and "import cycle: a.mit -> b.mit -> a.mit" in err.message
    (project / "lib" / "bad.mit").write_text('motif m = iupac("AXA")\n')
    path.write_text('benchmark "i" length 10\nimport "lib/bad.mit"\n')
    (err,) = _errors(path)
    assert err.span.line == 2 and "line 1:19: `X` is not an IUPAC nucleotide code" in err.message
    path.write_text('benchmark "i" length 10\nimport "lib/missing.mit"\n')
    (err,) = _errors(path)
    assert 'cannot read "lib/missing.mit"' in err.message
