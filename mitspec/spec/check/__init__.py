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
from .classes import Classes, Limits
from .contrasts import Contrasts
from .diagnostics import Diagnostics
from .imports import Imports, resolve_definitions
from .ops import Ops
from .positions import Positions
from .scope import Scope
from .sweeps import RESERVED as SWEEP_TARGETS

RESERVED = {"all": "it means the whole sequence in regions", "end": "it means the sequence's end in positions",
            "random": "it means a random placement", **SWEEP_TARGETS}


def check(spec: ast.Spec, limits: Limits = Limits(), data_dir: str | None = None) -> ir.Program:
    """Resolve and validate a parsed spec. Raises `SpecErrors` listing every problem found.
    Files the spec reads (PWMs, genomes, imports) must lie inside `data_dir` (default:
    the spec's directory)."""
    diag = Diagnostics(spec.source)
    scope = Scope(spec, diag, RESERVED, data_dir)
    scope.check_header(limits.max_length)
    Imports(scope).load_all()
    scope.collect_names()
    motifs = resolve_definitions(scope)
    positions = Positions(scope)
    classes = Classes(scope, Ops(scope, motifs, positions), limits).check_all()
    contrasts = Contrasts(scope).check_all(classes)
    if diag.errors:
        raise SpecErrors(diag.errors, spec.source, spec.path)
    return ir.Program(scope.title, scope.seed, scope.length, tuple(classes), tuple(contrasts), dict(scope.tables),
                      dict(scope.layouts), tuple(scope.inputs))


def load(path, limits: Limits = Limits(), data_dir: str | None = None) -> ir.Program:
    from ..parser import parse_file

    return check(parse_file(path), limits, data_dir)


def check_source(source: str, path: str = "<spec>") -> ir.Program:
    from ..parser import parse

    return check(parse(source, path))
