"""Semantic checks: `ast.Spec` -> `program.Program`, or `SpecErrors` listing every problem.

The checker resolves names, evaluates positions, and simulates each class's layout
statically (all motifs have fixed lengths, so every instance of a class has the same
element coordinates). It keeps going after an error so one run reports them all.
Its parts, in the order they run: scope (header, names) -> backgrounds, motifs,
tables, layouts (positions) -> classes (ops, sweeps) -> contrasts.
"""
from __future__ import annotations

from .. import ast
from .. import program as ir
from ..errors import SpecErrors
from .backgrounds import Backgrounds
from .classes import Classes, Limits
from .contrasts import Contrasts
from .diagnostics import Diagnostics, Invalid
from .motifs import Motifs
from .ops import Ops
from .positions import Positions
from .scope import Scope
from .sweeps import RESERVED as SWEEP_TARGETS
from .tables import check_table

RESERVED = {"all": "it means the whole sequence in regions", **SWEEP_TARGETS}


def check(spec: ast.Spec, limits: Limits = Limits()) -> ir.Program:
    """Resolve and validate a parsed spec. Raises `SpecErrors` listing every problem found."""
    diag = Diagnostics(spec.source)
    scope = Scope(spec, diag, RESERVED)
    scope.check_header(limits.max_length)
    scope.collect_names()
    backgrounds = Backgrounds(diag, scope.length)
    for node in scope.of(ast.Background):
        try:
            resolved = backgrounds.resolve(node.expr)
        except Invalid:
            continue
        if scope.defs.get(node.name.text) is node:
            scope.backgrounds[node.name.text] = resolved
    motifs = Motifs(scope)
    for node in scope.of(ast.Motif):
        motifs.define(node.name.text)
    for node in scope.of(ast.Table):
        table = check_table(node, motifs)
        if table is not None and scope.defs.get(node.name.text) is node:
            scope.tables[node.name.text] = table
    positions = Positions(scope)
    for node in scope.of(ast.Layout):
        scope.layouts[node.name.text] = positions.check_layout(node)
    classes = Classes(scope, Ops(scope, motifs, positions), limits).check_all()
    contrasts = Contrasts(scope).check_all(classes)
    if diag.errors:
        raise SpecErrors(diag.errors, spec.source, spec.path)
    return ir.Program(scope.title, scope.seed, scope.length, tuple(classes), tuple(contrasts), dict(scope.tables),
                      dict(scope.layouts))


def load(path, limits: Limits = Limits()) -> ir.Program:
    from ..parser import parse_file

    return check(parse_file(path), limits)


def check_source(source: str, path: str = "<spec>") -> ir.Program:
    from ..parser import parse

    return check(parse(source, path))
