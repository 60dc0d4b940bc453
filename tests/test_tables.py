"""Exhaustiveness: each layer's dispatch table covers exactly its node types, so a new
node type cannot fall through to some other type's code."""
import typing

from mitspec.plan.compile import APPLY, SAMPLERS
from mitspec.spec import ast
from mitspec.spec import program as ir
from mitspec.spec.check import RESERVED
from mitspec.spec.check.motifs import Motifs
from mitspec.spec.check.ops import Ops
from mitspec.spec.check.sweeps import TARGETS


def test_checker_has_one_entry_per_ast_op():
    ops = Ops.__new__(Ops)
    Ops.__init__(ops, type("S", (), {"diag": None})(), None, None)
    assert set(ops.table) == set(typing.get_args(ast.Op))


def test_motif_resolver_covers_every_motif_expression():
    motifs = Motifs.__new__(Motifs)
    Motifs.__init__(motifs, type("S", (), {"diag": None})())
    assert set(motifs._by_node) == set(typing.get_args(ast.MotifExpr))


def test_compiler_applies_every_ir_op_and_samples_every_motif():
    assert set(APPLY) == set(typing.get_args(ir.OpIR))
    assert set(SAMPLERS) == set(typing.get_args(ir.MotifIR))


def test_sweep_targets_are_reserved_words():
    assert set(TARGETS) <= set(RESERVED)


def test_every_motif_function_has_a_usage_line_and_a_resolver():
    from mitspec.spec.check.motifs import MOTIF_FUNCS

    motifs = Motifs.__new__(Motifs)
    Motifs.__init__(motifs, type("S", (), {"diag": None})())
    assert set(motifs._by_func) == set(MOTIF_FUNCS)
