"""Edit operations of class bodies: one module per operation, each defining `OP` (see
`base.EditOp`): its AST node, parse functions, check and the apply of each IR it makes.

A new operation is a new module here, its rule in grammar/mit.lark (named in `_op`) and
its name in `MODULES`; the parser, the checker and the compiler read `OPS`, and docs/language.md
lists them (`reference_table`). tests/test_tables.py and tests/test_docs.py fail while a
piece is missing.
"""
from __future__ import annotations

from importlib import import_module
from typing import Union

from .base import ApplyError, EditOp
from .insert import GapOp  # the ops that sweeps expand and the compiler samples by name
from .place import Place
from .revcomp import RevCompOp
from .shuffle import ShuffleOp

#: the registry: one module name per op, in the order docs/language.md lists them
MODULES = ("place", "mutate", "shuffle", "revcomp", "use", "move", "swap", "insert", "delete", "erase", "origin")
OPS: tuple[EditOp, ...] = tuple(import_module(f"{__name__}.{name}").OP for name in MODULES)

BY_NODE: dict[type, EditOp] = {op.node: op for op in OPS}
PARSERS: dict = {rule: parse for op in OPS for rule, parse in op.parsers.items()}
APPLY: dict = {ir_type: apply for op in OPS for ir_type, apply in op.apply.items()}

Node = Union[tuple(BY_NODE)]  # an edit statement's AST node
OpIR = Union[tuple(APPLY)]  # what a check produces and the compiler applies


def reference_table() -> str:
    """The Markdown table of docs/language.md's "Edit operations" (tests/test_docs.py
    checks that the page holds exactly this): one row per op, in registry order."""
    rows = ["| `" + op.usage.replace("|", "\\|") + f"` | {op.doc} |" for op in OPS]  # a pipe in a cell: \\|
    return "\n".join(["| usage | what it does |", "|---|---|", *rows])


__all__ = ["MODULES", "OPS", "BY_NODE", "PARSERS", "APPLY", "Node", "OpIR", "ApplyError", "EditOp", "GapOp", "Place",
           "RevCompOp", "ShuffleOp"]
