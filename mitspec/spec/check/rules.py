"""The declared grammar: `grammar { ... }` -> RuleIRs, the rules the `oracle` scores.

Each rule names elements (feature names any class places) or, for `period`, a motif:

- spacing A .. B = G +/- T: the bases from the end of A to the start of B, preferred G;
- position A = P +/- T: A's start relative to its class's origin (absolute without one);
- orientation A = + | -: the strand A reads on;
- period M = P [phase F]: copies of motif M (elements placed from it) sit in helical phase,
  copy i at F + k P from the first copy (or from the origin, when F is given);
- cooperative A, B [within D]: a bonus when both are present (and at most D bases apart).

A tolerance T (bp, default 0) is the width of the preference: the oracle adds
weight x exp(-(deviation / max(T, 0.5))^2 / 2), weight 4 bits unless given (a consensus
6-mer scores about 12).
"""
from __future__ import annotations

from .. import ast
from .. import program as ir
from .diagnostics import Invalid
from .scope import Scope

DEFAULT_WEIGHT = 4.0


class Rules:
    def __init__(self, scope: Scope):
        self.scope, self.diag = scope, scope.diag

    def check_all(self, classes: list[ir.ClassIR]) -> list[ir.RuleIR]:
        elements = {f.name for c in classes for f in c.features}
        sources = {f.source for c in classes for f in c.features}
        self.elements, self.motif_names = elements, set(self.scope.motifs) | {s for s in sources if s.isidentifier()}
        out, seen = [], {}
        for block in self.scope.of(ast.Rules):
            for node in block.rules:
                key = (node.kind, tuple(n.text for n in node.names))
                if key in seen:
                    self.diag.error(f"this {node.kind} rule is already declared (line {seen[key].span.line})",
                                    node.span, "declare each rule once")
                    continue
                seen[key] = node
                try:
                    out.append(self.check(node))
                except Invalid:
                    pass
        return out

    def check(self, node: ast.Rule) -> ir.RuleIR:
        names = tuple(n.text for n in node.names)
        if node.kind == "period":
            if names[0] not in self.motif_names:
                self.diag.fail(f"no class places copies of a motif `{names[0]}`", node.names[0].span,
                               "a period rule names the motif its copies are placed from, e.g. `period ww = 10.5`")
        else:
            for name in node.names:
                if name.text not in self.elements:
                    shown = ", ".join(sorted(self.elements)[:8]) or "none"
                    self.diag.fail(f"no class places an element `{name.text}`", name.span,
                                   f"rules name elements (`place M at P as NAME`); elements: {shown}")
        if node.kind in ("spacing", "cooperative") and names[0] == names[1]:
            self.diag.fail(f"a {node.kind} rule relates two different elements", node.span, "e.g. `spacing a .. b = 17`")
        value = node.value.value if node.value is not None else None
        if node.kind == "period" and not value > 0:
            self.diag.fail("a period must be positive", node.value.span, "e.g. `period ww = 10.5` (bp per helical turn)")
        tolerance = self._non_negative(node.tolerance, "a tolerance")
        weight = self._non_negative(node.weight, "a weight")
        if weight == 0:
            self.diag.fail("a weight of 0 makes the rule do nothing", node.weight.span, "drop the rule, or weigh it")
        return ir.RuleIR(node.kind, names, value, tolerance, node.phase.value if node.phase else None,
                         node.within.value if node.within else None, DEFAULT_WEIGHT if weight is None else weight)

    def _non_negative(self, number: ast.Number | None, what: str) -> float | None:
        if number is None:
            return None
        if number.value < 0:
            self.diag.fail(f"{what} cannot be negative", number.span, "bases and bits count from 0")
        return number.value
