"""`table NAME (col, ...) { row "VALUE" ... }` -> TableIR (every column one length)."""
from __future__ import annotations

from .. import ast
from .. import program as ir
from .diagnostics import Invalid
from .motifs import Motifs


def check_table(node: ast.Table, motifs: Motifs) -> ir.TableIR | None:
    diag, ok = motifs.diag, True
    columns = [c.text for c in node.columns]
    for i, c in enumerate(node.columns):
        if c.text in columns[:i]:
            diag.error(f"duplicate column `{c.text}`", c.span, "give each column its own name")
            ok = False
    if not node.rows:
        diag.error(f"table `{node.name.text}` has no rows", node.span,
                   'add rows as `NAME "VALUE" ...`, one value per column')
        return None
    seen: dict[str, ast.Row] = {}
    values = []
    for row in node.rows:
        if row.name.text in seen:
            diag.error(f"duplicate row `{row.name.text}` in table `{node.name.text}`", row.name.span,
                       f"first at line {seen[row.name.text].span.line}")
            ok = False
        seen[row.name.text] = row
        if len(row.values) != len(columns):
            diag.error(f"row `{row.name.text}` has {len(row.values)} values for {len(columns)} columns "
                       f"({', '.join(columns)})", row.span, "give one quoted sequence per column")
            ok = False
            continue
        try:
            values.append(tuple(motifs.literal_motif(v).text for v in row.values))
        except Invalid:
            ok = False
    if not ok:
        return None
    for j, column in enumerate(columns):
        lengths = {len(v[j]) for v in values}
        if len(lengths) > 1:
            diag.error(f"column `{column}` mixes lengths ({', '.join(map(str, sorted(lengths)))} bp)",
                       node.columns[j].span, "every value in a column must have the same length")
            ok = False
    if not ok:
        return None
    return ir.TableIR(node.name.text, tuple(columns), tuple(r.name.text for r in node.rows), tuple(values))
