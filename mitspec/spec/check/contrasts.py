"""Contrasts: what the plan asks the metrics stage to compute. Each kind declares its
operands (`mitspec.contrasts`); this part turns the spec's syntax into operands,
resolves each by its type and hands them to the kind."""
from __future__ import annotations

from ...contrasts import KINDS, ContrastKind
from ...contrasts.base import CLASS, COVARIATE, EFFECT, GROUP, LEVEL, RAW, Checks
from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..errors import Span
from .classes import condition_error, find_condition
from .diagnostics import Diagnostics, Invalid
from .scope import CONTRAST_NODES, Scope

# the kinds a spec writes as a call, `contrast X = kind(...)` (the others have syntax of their own)
EFFECT_FUNCS = {name: kind.usage for name, kind in KINDS.items() if kind.usage.startswith(f"{name}(")}


class _Checks(Checks):
    def __init__(self, diag: Diagnostics, span: Span, spans: dict[str, Span]):
        self.diag, self.span, self.spans = diag, span, spans

    def fail(self, message: str, hint: str, at: str | None = None):
        self.diag.fail(message, self.spans.get(at, self.span) if at else self.span, hint)


def _syntax(node) -> tuple[str, list, dict, ast.Call | None]:
    """(kind name, positional operands, keyword operands, the call if written as one)."""
    if isinstance(node, ast.WinRate):
        return "win_rate", [node.better, node.worse], {"pairing": node.pairing}, None
    if isinstance(node, ast.Magnitude):
        return "magnitude", [node.start, node.end, node.toward], {}, None
    if isinstance(node, ast.Ratio):
        return "ratio", [node.numerator, node.denominator], {}, None
    call = node.call
    return call.func.text, list(call.args), {k.name.text: k for k in call.kwargs}, call


class Contrasts:
    def __init__(self, scope: Scope):
        self.scope, self.diag = scope, scope.diag

    def check_all(self, classes: list[ir.ClassIR]) -> list[ir.ContrastIR]:
        self.by_name = {c.name: c for c in classes}
        self.swept = [c for c in classes if c.group is not None]
        nodes = self.scope.of(CONTRAST_NODES)
        self.declared = {n.name.text: n for n in nodes}
        out: list[ir.ContrastIR] = []
        seen: dict[str, ast.Contrast] = {}
        for node in nodes:
            name = node.name.text
            if name in seen:
                self.diag.error(f"contrast `{name}` is already declared (line {seen[name].name.span.line})",
                                node.name.span, "give each contrast its own name")
                continue
            seen[name] = node
            try:
                out.append(self.check(node))
            except Invalid:
                pass
        return out

    def kind_of(self, node) -> ContrastKind | None:
        return KINDS.get(_syntax(node)[0])

    def check(self, node) -> ir.ContrastIR:
        func, args, kwargs, call = _syntax(node)
        kind = KINDS.get(func)
        if kind is None:
            self.diag.fail(f"unknown effect `{func}`", call.func.span, did_you_mean(func, EFFECT_FUNCS, "effects"))
        values, spans = self.bind(kind, args, kwargs, call, node)
        resolved: dict = {}
        failed = False
        for operand in kind.operands:
            value = values.get(operand.name)
            if value is None:
                resolved[operand.name] = None
                continue
            try:
                resolved[operand.name] = self.resolve(kind, operand, value, resolved)
            except Invalid:
                failed = True
        if failed:
            raise Invalid
        args_ir = kind.plan_args(resolved, _Checks(self.diag, node.span, spans))
        return ir.ContrastIR(node.name.text, kind.name, args_ir)

    def bind(self, kind: ContrastKind, args: list, kwargs: dict, call: ast.Call | None, node):
        """Operand name -> the syntax written for it (positional in order, then keywords)."""
        usage = f"usage: {kind.usage}"
        values: dict = {}
        if call is None:  # special syntax: the grammar fixed the operands
            for operand, value in zip([o for o in kind.operands if o.type != RAW], args):
                values[operand.name] = value
            values.update({k: v for k, v in kwargs.items() if v is not None})
            return values, {k: v.span for k, v in values.items() if hasattr(v, "span")}
        positional = kind.positional
        keywords = {o.name: o for o in kind.keywords}
        if len(args) != len(positional):
            n = len(positional)
            self.diag.fail(f"{kind.name}() takes {n} argument{'s' if n != 1 else ''}, got {len(args)}", call.span, usage)
        for operand, value in zip(positional, args):
            values[operand.name] = value
        for key, kwarg in kwargs.items():
            if key not in keywords:
                self.diag.fail(f"{kind.name}() has no argument `{key}`", kwarg.name.span, usage)
            values[key] = kwarg.value
        missing = [o.name for o in kind.keywords if o.required and o.name not in values]
        if missing:
            self.diag.fail(f"{kind.name}() is missing {', '.join(missing)}", call.span, usage)
        return values, {k: v.span for k, v in values.items()}

    def resolve(self, kind: ContrastKind, operand, value, resolved: dict):
        usage = f"usage: {kind.usage}"
        if operand.type == RAW:
            return value
        if operand.type == CLASS:
            if isinstance(value, ast.ClassRef):
                found = find_condition(value, self.swept)
                if found is None:
                    self.diag.fail(*condition_error(value, self.swept))
                return found
            return self.class_ref(self.single_name(value, "expected a class name", usage))
        if operand.type == GROUP:
            return self.sweep_group(self.single_name(value, "expected the name of a swept class", usage),
                                    operand.plain)
        if operand.type == LEVEL:
            group = resolved.get(operand.of)
            if group is None:
                raise Invalid  # the group did not resolve; already reported
            return self.level_of(group, value, usage)
        if operand.type == EFFECT:
            return self.effect_ref(self.single_name(value, "expected a contrast name", usage))
        assert operand.type == COVARIATE
        if not (isinstance(value, ast.Ref) and value.dotted in operand.choices):
            self.diag.fail(f"scores can be correlated with {', '.join(f'`{c}`' for c in operand.choices)}",
                           value.span, usage)
        return value.dotted

    def single_name(self, value, message: str, usage: str) -> ast.Name:
        if isinstance(value, ast.Name):
            return value
        if isinstance(value, ast.Ref) and len(value.parts) == 1:
            return value.parts[0]
        self.diag.fail(message, value.span, usage)

    def class_ref(self, name: ast.Name) -> ir.ClassIR:
        if name.text in self.by_name:
            return self.by_name[name.text]
        levels = [c.name for c in self.swept if c.group == name.text]
        if levels:
            self.diag.fail(f"`{name.text}` is swept into {len(levels)} conditions ({levels[0]} ... {levels[-1]}); "
                           "this contrast compares two single classes", name.span,
                           f"name one condition ({levels[0]}), or compare its levels with "
                           f"profile({name.text}, reference=LEVEL)")
        if isinstance(self.scope.defs.get(name.text), ast.ClassDef):
            raise Invalid  # the class has errors, already reported
        self.scope.undefined(name, ast.ClassDef, "class")

    def sweep_group(self, name: ast.Name, plain: bool = False) -> list[ir.ClassIR]:
        """The conditions of a swept class, in level order (`plain`: or a class without a
        sweep, as a group of one)."""
        group = [c for c in self.swept if c.group == name.text]
        if group:
            return group
        if plain and name.text in self.by_name:
            return [self.by_name[name.text]]
        node = self.scope.defs.get(name.text)
        if isinstance(node, ast.ClassDef):
            if any(isinstance(op, ast.Sweep) for op in node.ops):
                raise Invalid  # the class has errors, already reported
            self.diag.fail(f"class `{name.text}` has no sweep", name.span, "add `sweep ... over [...]` to it")
        self.scope.undefined(name, ast.ClassDef, "class")

    def level_of(self, group: list[ir.ClassIR], value, usage: str) -> str:
        """A level of the group, given as a number, a name or a condition (`S[87]`) -> the
        condition class name."""
        if isinstance(value, ast.ClassRef):
            ref = value
        elif isinstance(value, ast.Number):
            ref = ast.ClassRef(ast.Name(group[0].group, value.span), (value,), value.span)
        elif isinstance(value, ast.Ref) and len(value.parts) == 1:
            ref = ast.ClassRef(ast.Name(group[0].group, value.span), (value.parts[0],), value.span)
        else:
            self.diag.fail("expected a sweep level", value.span, usage)
        found = find_condition(ref, group) if ref.name.text == group[0].group else None
        if found is None:
            levels = [c.name[len(c.group) + 1:-1] for c in group]
            shown = ", ".join(levels[:8]) + (", ..." if len(levels) > 8 else "")
            self.diag.fail(f"`{group[0].group}` has no level {ref.text[len(ref.name.text) + 1:-1]}", value.span,
                           f"levels: {shown}")
        return found.name

    def effect_ref(self, name: ast.Name) -> str:
        other = self.declared.get(name.text)
        if other is None:
            self.diag.fail(f"undefined contrast `{name.text}`", name.span,
                           did_you_mean(name.text, self.declared, "contrasts"))
        kind = self.kind_of(other)
        if kind is None:
            raise Invalid  # an unknown kind, already reported
        if not kind.effect:
            effects = ", ".join(k.name for k in KINDS.values() if k.effect)
            self.diag.fail(f"`{name.text}` is a {kind.label}", name.span,
                           f"a ratio divides two effect sizes ({effects}), e.g. MES_synthetic / MES_natural")
        return name.text
