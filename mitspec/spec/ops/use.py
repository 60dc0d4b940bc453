"""`use TABLE [rows] cycle|random`: each instance picks a row of a motif table."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import rng
from ...text import did_you_mean
from .. import ast
from ..layout import ClassState
from ..errors import Span
from .base import EditOp


@dataclass(frozen=True, slots=True)
class Use:
    table: ast.Name
    rows: tuple[ast.Name, ...] | None
    mode: str  # "cycle" or "random"
    span: Span


@dataclass(frozen=True, slots=True)
class UseOp:
    table: str
    rows: tuple[int, ...]  # indices into the table's rows
    mode: str  # "cycle" | "random"


def parse(t, span: Span, table, *rest) -> Use:
    """`rest`: the rows listed (when written) and the pick mode."""
    return Use(t.name(table), rest[0] if len(rest) == 2 else None, str(rest[-1]), span)


PARSERS = {"use": parse, "row_list": lambda t, span, *names: tuple(t.name(x) for x in names)}


def check(edits, op: Use, state: ClassState, class_overlap: bool) -> UseOp:
    table = edits.scope.tables.get(op.table.text)
    if table is None:
        if op.table.text not in edits.scope.defs or not isinstance(edits.scope.defs[op.table.text], ast.Table):
            edits.scope.undefined(op.table, ast.Table, "table")
        edits.skip()  # the table has errors, already reported
    if op.rows is None:
        rows = tuple(range(len(table.row_names)))
    else:
        picked = []
        for r in op.rows:
            if r.text not in table.row_names:
                edits.diag.fail(f"table `{table.name}` has no row `{r.text}`", r.span,
                                did_you_mean(r.text, table.row_names, "rows"))
            picked.append(table.row_names.index(r.text))
        rows = tuple(picked)
    use = UseOp(table.name, rows, op.mode)
    state.tables[table.name] = use
    return use


def apply(op: UseOp, chunk, key) -> None:
    choices = np.array(op.rows, dtype=np.int64)
    if op.mode == "cycle":
        chunk.picks[op.table] = choices[chunk.rows.astype(np.int64) % len(choices)]
    else:
        chunk.picks[op.table] = choices[rng.below(key, chunk.rows, 1, len(choices))[:, 0]]


OP = EditOp("use", Use, PARSERS, check, {UseOp: apply}, "pick a row of a motif table per instance",
            usage="use TABLE [rows] cycle | random")
