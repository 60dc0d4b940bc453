"""What an edit operation is: its syntax node, how the parser builds it, how the checker
turns it into IR (updating the static layout), and how the compiler applies that IR,
in one record (`EditOp`), defined by one module per operation in this package.

The pieces an op module's functions are handed:
- parse(t, span, *children): the rule's children, one argument each (Lark's inline
  arguments, named in each function); `t` is the parser's transformer, whose helpers turn tokens
  into ast leaves (`t.int`, `t.number`, `t.name`, `t.string`) and collect options
  (`t.options(children)` -> {"allow overlap": True, "as": Name, "strand": "-", ...});
- check(edits, node, state, class_overlap): `edits` is the checker's context
  (spec/check/edits.py: positions, motifs, diagnostics and the layout helpers every edit
  shares); `state` the class's static layout, which the check updates as the compiled
  op will change every instance; returns an IR op, a list of them (one random stream
  each) or None;
- apply(op, chunk, key): edits `chunk.codes` (rows x length uint8) in place; the chunk
  also draws motifs (`chunk.motif(motif_ir, key)`) and fresh background bases
  (`chunk.fresh(fill, key, count, before)`), and holds `rows`, `picks`, `random`,
  `tail` and `tables` (plan/compile.py: Chunk).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...errors import MitspecError


class ApplyError(MitspecError):
    """An edit that cannot be applied to some instance (no free start left for a random
    placement, elements that overlap in some instance)."""


@dataclass(frozen=True)
class EditOp:
    """rule: the grammar rule of the statement (grammar/mit.lark); node: its AST type;
    parsers: grammar rule -> parse function (the statement's rule and its own sub-rules);
    check: node -> IR; apply: IR type -> the function that applies it; doc: what it does,
    in one line; usage: how a spec writes it (docs/language.md lists both)."""

    rule: str
    node: type
    parsers: dict[str, Callable] = field(hash=False)
    check: Callable
    apply: dict[type, Callable] = field(default_factory=dict, hash=False)
    doc: str = ""
    usage: str = ""
