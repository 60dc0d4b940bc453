"""Edit operations of class bodies: one module per operation, each defining `OP` (see
`base.EditOp`): its AST node, parse functions, check and the apply of each IR it makes.

A new operation is a new module here, its rule in grammar/mit.lark (named in `_op`) and
its line below; the parser, the checker and the compiler read `OPS`, and docs/language.md
lists them (`reference_table`). tests/test_tables.py and tests/test_docs.py fail while a
piece is missing.
"""
from __future__ import annotations

from typing import Union

from . import delete, erase, insert, move, mutate, origin, place, revcomp, shuffle, swap, use
from .base import ApplyError, EditOp

OPS: tuple[EditOp, ...] = tuple(m.OP for m in (place, mutate, shuffle, revcomp, use, move, swap, insert, delete,
                                                erase, origin))

BY_NODE: dict[type, EditOp] = {op.node: op for op in OPS}
PARSERS: dict = {rule: parse for op in OPS for rule, parse in op.parsers.items()}
APPLY: dict = {ir_type: apply for op in OPS for ir_type, apply in op.apply.items()}

Node = Union[tuple(BY_NODE)]  # an edit statement's AST node
OpIR = Union[tuple(APPLY)]  # what a check produces and the compiler applies

# the names other modules use
Place, Insert, Move, Swap = place.Place, insert.Insert, move.Move, swap.Swap
PlaceOp, RandomPlaceOp, MutateOp = place.PlaceOp, place.RandomPlaceOp, mutate.MutateOp
ShuffleOp, ShuffleOutsideOp, RevCompOp = shuffle.ShuffleOp, shuffle.ShuffleOutsideOp, revcomp.RevCompOp
MoveOp, RotateOp, PermuteOp = move.MoveOp, move.RotateOp, move.PermuteOp
GapOp, InsertOp, DeleteOp, EraseOp, UseOp = insert.GapOp, insert.InsertOp, delete.DeleteOp, erase.EraseOp, use.UseOp



def reference_table() -> str:
    """The Markdown table of docs/language.md's "Edit operations" (tests/test_docs.py
    checks that the page holds exactly this): one row per op, in registry order."""
    rows = ["| `" + op.usage.replace("|", "\\|") + f"` | {op.doc} |" for op in OPS]  # a pipe in a cell: \\|
    return "\n".join(["| usage | what it does |", "|---|---|", *rows])


__all__ = ["OPS", "BY_NODE", "PARSERS", "APPLY", "Node", "OpIR", "ApplyError", "EditOp"]
