"""Exhaustiveness: each layer's dispatch table covers exactly its node types, so a new
node type cannot fall through to some other type's code."""
import typing

from mitspec.plan.compile import SAMPLERS
from mitspec.spec import ast
from mitspec.spec import ops
from mitspec.spec import program as ir
from mitspec.spec.check import RESERVED
from mitspec.spec.check.motifs import Motifs
from mitspec.spec.check.sweeps import TARGETS
from mitspec.spec.parser import _parser


def test_every_edit_op_is_one_module_with_its_rule_node_check_and_apply():
    """An edit operation is a module of spec/ops plus its grammar rule: the registry holds
    each once; its statement rule exists in the grammar and is an alternative of `_op`; it
    parses to its own node; every IR type it makes has an apply; and nothing else in the
    grammar falls through without a parse function."""
    grammar = _parser().rules
    rules = {r.origin.name for r in grammar}
    op_alternatives = {r.expansion[0].name for r in grammar if r.origin.name == "_op"}
    assert len({op.rule for op in ops.OPS}) == len(ops.OPS) == len(ops.BY_NODE)
    for op in ops.OPS:
        assert op.rule in rules and op.rule in op_alternatives and op.rule in op.parsers, op.rule
        assert all(rule in rules for rule in op.parsers), op.rule
        assert callable(op.check) and op.doc
    assert op_alternatives == {op.rule for op in ops.OPS} | {"sweep"}
    made = set(typing.get_args(ops.OpIR))
    assert made == set(ops.APPLY) and all(callable(f) for f in ops.APPLY.values())


def test_motif_resolver_covers_every_motif_expression():
    motifs = Motifs.__new__(Motifs)
    Motifs.__init__(motifs, type("S", (), {"diag": None})())
    assert set(motifs._by_node) == set(typing.get_args(ast.MotifExpr))


def test_compiler_samples_every_motif():
    assert set(SAMPLERS) == set(typing.get_args(ir.MotifIR))


def test_sweep_targets_are_reserved_words():
    assert set(TARGETS) <= set(RESERVED)


def test_every_motif_function_has_a_usage_line_and_a_resolver():
    from mitspec.spec.check.motifs import MOTIF_FUNCS

    motifs = Motifs.__new__(Motifs)
    Motifs.__init__(motifs, type("S", (), {"diag": None})())
    assert set(motifs._by_func) == set(MOTIF_FUNCS)


def test_every_figure_hook_draws_with_the_canvas_alone():
    """A kind draws its figures in its own module (ContrastKind.figures) with the report's
    Canvas primitives: called with an autospec of Canvas, a hook that reached for anything
    else would raise here. Profiles and correlations keep their figures (a kind that lost
    its hook fails the second assertion); keys are unique per contrast name."""
    from unittest import mock

    from mitspec.contrasts import KINDS
    from mitspec.report.figures import Canvas

    records = {"profile": {"name": "P", "group": "S", "classes": ["S[1]", "S[2]"], "reference": "S[1]"},
               "correlate": {"name": "R", "group": "S", "with": "at_content", "classes": ["S[1]", "S[2]"]}}
    drawn = {}
    for name, kind in KINDS.items():
        if kind.figures is None:
            continue
        assert name in records, f"kind {name} draws figures: add an example record of it to `records` above"
        canvas = mock.create_autospec(Canvas, instance=True)
        for method in ("profile", "heatmap", "scatter"):
            getattr(canvas, method).return_value = b"png"
        figures = kind.figures(canvas, records[name])
        assert all(isinstance(png, bytes) and name_key.endswith(records[name]["name"])
                   for name_key, _, png in figures), name
        drawn[name] = [key for key, _, _ in figures]
    assert drawn == {"profile": ["profile_P", "heatmap_P"], "correlate": ["scatter_R"]}
    assert [k for k, kind in KINDS.items() if kind.headline_is_level] == ["profile"]


def _package_modules(package) -> list:
    """Every module of a package (its files, not only those its __init__ imports)."""
    import importlib
    import pkgutil

    return [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]


def test_every_module_of_a_registry_package_is_registered():
    """Issue 30: a new op, contrast kind or baseline is a module of its package plus its
    name in the package's registry line (MODULES for ops and kinds, the import line for
    baselines). A module left out of that line would be dead
    code that no spec can reach (and, for a baseline, no run scores): this names it."""
    from mitspec import contrasts
    from mitspec.contrasts import KINDS
    from mitspec.models import baselines
    from mitspec.models.baselines import BASELINES
    from mitspec.models.baselines.common import Baseline

    loaded = dict(BASELINES)
    modules = {package.__name__: _package_modules(package) for package in (ops, contrasts, baselines)}
    for m in modules[ops.__name__]:
        assert m.__name__.endswith(".base") or getattr(m, "OP", None) in ops.OPS, \
            f"{m.__name__}: add its name to ops.MODULES"
    for m in modules[contrasts.__name__]:
        assert m.__name__.endswith(".base") or getattr(m, "KIND", None) in KINDS.values(), \
            f"{m.__name__}: add its name to contrasts.MODULES"
    assert BASELINES == loaded, ("baselines registered only once their module is imported: add "
                                 f"{sorted(set(BASELINES) - set(loaded))}'s module to baselines/__init__.py")

    def concrete(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith(baselines.__name__ + ".") and "name" in sub.__dict__:
                yield sub
            yield from concrete(sub)

    assert set(concrete(Baseline)) == {cls for cls, _ in BASELINES.values()}, \
        "a Baseline with a name of its own that is not passed to baseline()"
