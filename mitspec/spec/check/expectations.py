"""Expectations: `expect ...` -> ExpectIRs, what a model that learned the declared grammar
must show, judged per model after scoring (metrics/expectations.py):

- `expect NAME`: the contrast's own direction (a win rate above 1/2; a signed effect above 0);
- `expect X > Y`: the same, for the win-rate contrast the spec declares of X over Y;
- `expect NAME > V` / `expect NAME < V`: a threshold on the contrast's value;
- `expect peak(NAME) in A..B`: a profile's peak level lies in A..B;
- `expect periodicity(NAME)`: a periodicity contrast finds its period.

Checked against the declared grammar where they meet: a peak expected over a gap sweep
must contain the spacing the grammar prefers for those two elements.
"""
from __future__ import annotations

import re

from .. import ast
from .. import program as ir
from .classes import condition_error, find_condition
from .diagnostics import Invalid
from .scope import CONTRAST_NODES, Scope
from .sweeps import GAP_ALIASES

SIGNED = ("win_rate", "cohens_d", "magnitude", "ratio", "interaction", "effect_ratio", "correlate")
GAP = re.compile(r"gap\((\w+),\s*(\w+)\)")


def _text(x) -> str:
    return x.text if isinstance(x, (ast.Name, ast.ClassRef, ast.Number)) else str(x)


class Expectations:
    def __init__(self, scope: Scope):
        self.scope, self.diag = scope, scope.diag

    def check_all(self, classes: list[ir.ClassIR], contrasts: list[ir.ContrastIR],
                  rules: list[ir.RuleIR]) -> list[ir.ExpectIR]:
        self.classes, self.rules = classes, rules
        self.contrasts = {c.name: c for c in contrasts}
        out = []
        for node in self.scope.of(ast.Expect):
            try:
                found = self.check(node)
            except Invalid:
                continue
            if found in out:
                self.diag.error("this expectation is already declared", node.span, "declare each one once")
                continue
            out.append(found)
        return out

    def _contrast(self, name: ast.Name, kinds: tuple[str, ...], how: str) -> ir.ContrastIR:
        c = self.contrasts.get(name.text)
        if c is None and name.text in {n.name.text for n in self.scope.of(CONTRAST_NODES)}:
            raise Invalid  # declared, with its own diagnostic: one error, not two
        if c is None:
            shown = ", ".join(self.contrasts) or "none"
            self.diag.fail(f"no contrast `{name.text}` is declared", name.span,
                           f"expectations are about declared contrasts: {shown}")
        if c.kind not in kinds:
            self.diag.fail(f"`{name.text}` is a {c.kind} contrast, which {how} cannot judge", name.span,
                           {"profile": "expect a profile's peak: `expect peak(NAME) in A..B`",
                            "periodicity": "expect a periodicity: `expect periodicity(NAME)`"}.get(
                               c.kind, "expect its direction: `expect NAME`"))
        return c

    def _class_name(self, ref) -> str:
        if isinstance(ref, ast.ClassRef):
            found = find_condition(ref, [c for c in self.classes if c.group])
            if found is None:
                self.diag.fail(*condition_error(ref, self.classes))
            return found.name
        return ref.text

    def check(self, node: ast.Expect) -> ir.ExpectIR:
        written = self.diag.text(node.span)
        if node.kind == "pair":
            better, worse = self._class_name(node.subject), self._class_name(node.other)
            match = [c for c in self.contrasts.values()
                     if c.kind == "win_rate" and c.args["better"] == better and c.args["worse"] == worse]
            if not match:
                self.diag.fail(f"no win-rate contrast of {better} over {worse} is declared", node.span,
                               f"declare one: `contrast NAME = {_text(node.subject)} > {_text(node.other)} paired`")
            return ir.ExpectIR("direction", match[0].name, text=written)
        if not isinstance(node.subject, ast.Name):
            self.diag.fail("a threshold is about a contrast, not a class", node.subject.span,
                           "e.g. `expect CM > 0.5`; to compare classes write `expect E > D`")
        if node.kind == "direction":
            c = self._contrast(node.subject, SIGNED, "a direction")
            return ir.ExpectIR("direction", c.name, text=written)
        if node.kind in ("above", "below"):
            c = self._contrast(node.subject, SIGNED, "a threshold")
            low = node.low.value if node.low else None
            high = node.high.value if node.high else None
            return ir.ExpectIR(node.kind, c.name, low, high, written)
        if node.kind == "periodic":
            c = self._contrast(node.subject, ("periodicity",), "`periodicity(...)`")
            return ir.ExpectIR("periodic", c.name, text=written)
        c = self._contrast(node.subject, ("profile",), "`peak(...)`")
        low, high = node.low.value, node.high.value
        if low > high:
            self.diag.fail(f"the range {low:g}..{high:g} is empty", node.span, "write the lower level first")
        self._against_grammar(c, low, high, node)
        return ir.ExpectIR("peak", c.name, low, high, written)

    def _against_grammar(self, c: ir.ContrastIR, low: float, high: float, node: ast.Expect) -> None:
        """A peak expected over a gap sweep must contain the spacing the grammar declares."""
        group = [k for k in self.classes if k.group == c.args["group"]]
        sweep = (group[0].condition or {}).get("sweep", "") if group else ""
        pair = GAP_ALIASES.get(sweep) or (GAP.fullmatch(sweep).groups() if GAP.fullmatch(sweep) else None)
        if pair is None:
            return
        for rule in self.rules:
            if rule.kind == "spacing" and rule.names == tuple(pair) and not low <= rule.value <= high:
                self.diag.error(f"the grammar prefers a spacing of {rule.value:g} between {pair[0]} and {pair[1]}, "
                                f"outside the expected peak {low:g}..{high:g}", node.span,
                                "make the expectation and the declared grammar agree")
