"""Semantic checks: `ast.Spec` -> `program.Program`, or `SpecErrors` listing every problem.

The checker resolves names, evaluates positions, and simulates each class's layout
statically (all motifs have fixed lengths, so every instance of a class has the same
element coordinates). It keeps going after an error so one run reports them all.
Its parts, in the order they run: scope (header, names) -> imports -> backgrounds,
motifs, tables, layouts (positions) -> roles -> classes (ops, sweeps) -> contrasts -> the
declared grammar (rules) -> expectations.
"""
from __future__ import annotations

from collections.abc import Mapping

from .. import ast
from .. import program as ir
from ..errors import Span, SpecErrors
from ..layout import ClassState
from .classes import Classes, Limits
from .contrasts import Contrasts
from .diagnostics import Diagnostics, Invalid
from .edits import Edits
from .expectations import Expectations
from .imports import Imports, resolve_definitions
from .positions import Positions
from .rules import Rules
from .scope import Scope
from .sweeps import RESERVED as SWEEP_TARGETS

RESERVED = {"all": "it means the whole sequence in regions", "end": "it means the sequence's end in positions",
            "random": "it means a random placement", **SWEEP_TARGETS}


def check(spec: ast.Spec, limits: Limits = Limits(), data_dir: str | None = None,
          roles: Mapping[str, str] | None = None) -> ir.Program:
    """Resolve and validate a parsed spec. Raises `SpecErrors` listing every problem found.
    Files the spec reads (PWMs, genomes, imports) must lie inside `data_dir` (default:
    the spec's directory). `roles`: the roles a `role` statement may bind (role -> what
    it is), which are the ones some scorer reads: the CLI and the API pass the model
    registry's `roles()`; None binds any name (the spec layer knows no scorer)."""
    diag = Diagnostics(spec.source)
    scope = Scope(spec, diag, RESERVED, data_dir)
    scope.check_header(limits.max_length)
    Imports(scope).load_all()
    scope.collect_names()
    motifs = resolve_definitions(scope)
    positions = Positions(scope)
    bound = check_roles(scope, positions, roles)
    classes = Classes(scope, Edits(scope, motifs, positions), limits).check_all()
    contrasts = Contrasts(scope).check_all(classes)
    rules = Rules(scope).check_all(classes)
    expectations = Expectations(scope).check_all(classes, contrasts, rules)
    if not scope.of(ast.ClassDef) and not diag.errors:  # said alone: other errors come first
        header = next(iter(scope.of(ast.Benchmark)), None)
        diag.error("the spec defines no class, so there is nothing to generate", header.span if header else
                   Span(1, 1, 1, 2), 'add one, e.g. `class A "name" n=100 on bg { place m at 10 }`')
    if diag.errors:
        raise SpecErrors(diag.errors, spec.source, spec.path)
    return ir.Program(scope.title, scope.seed, scope.length, tuple(classes), tuple(contrasts), dict(scope.tables),
                      dict(scope.layouts), tuple(scope.inputs), bound,
                      {name: m for name, m in scope.motifs.items() if m is not None}, tuple(rules), tuple(expectations))


def check_roles(scope: Scope, positions: Positions,
                known: Mapping[str, str] | None) -> dict[str, tuple[int, int | None]]:
    """`role NAME = LAYOUT.SLOT` statements -> role -> (start, end or None); `known`: the
    roles scorers read (None: any)."""
    roles: dict[str, tuple[int, int | None]] = {}
    for node in scope.of(ast.Role):
        name = node.name.text
        if known is not None and name not in known:
            scope.diag.error(f"no scorer reads a role `{name}`", node.name.span,
                             ("roles: " + ", ".join(f"{r} ({what})" for r, what in known.items())) if known
                             else "no scorer here reads roles; name the elements instead")
            continue
        if name in roles:
            scope.diag.error(f"role `{name}` is bound twice", node.name.span, "bind each role once")
            continue
        if len(node.slot.parts) != 2 or node.slot.parts[0].text not in scope.layouts:
            scope.diag.error(f"`{node.slot.dotted}` is not a layout slot", node.slot.span,
                             "bind a role to a slot: `role minus35 = LAYOUT.SLOT`")
            continue
        try:
            start, end, _ = positions.locate(node.slot, ClassState())
        except Invalid:
            continue
        roles[name] = (start, end)
    return roles


def load(path, limits: Limits = Limits(), data_dir: str | None = None,
         roles: Mapping[str, str] | None = None) -> ir.Program:
    from ..parser import parse_file

    return check(parse_file(path), limits, data_dir, roles)


def check_source(source: str, path: str = "<spec>") -> ir.Program:
    from ..parser import parse

    return check(parse(source, path))
