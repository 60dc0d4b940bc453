"""Contrasts: what the plan asks the metrics stage to compute, checked against the classes."""
from __future__ import annotations

from . import ast
from . import program as ir
from .errors import did_you_mean
from .state import CONTRAST_TYPES, Invalid, level_label

EFFECT_FUNCS = {
    "cohens_d": "cohens_d(X, Y)",
    "correlate": "correlate(SWEPT_CLASS, at_content)",
    "profile": "profile(SWEPT_CLASS, reference=LEVEL)",
    "effect_ratio": "effect_ratio(composition=C, low=0.3, high=0.8, position=P, correct=15, wrong=70)",
}


class ContrastChecks:
    """Checker methods for contrasts; mixed into `Checker`."""

    def check_contrasts(self, classes: list[ir.ClassIR]) -> list[ir.ContrastIR]:
        by_name = {c.name: c for c in classes}
        self.swept = [c for c in classes if c.group is not None]
        declared = {c.name.text: c for c in self.of(CONTRAST_TYPES)}
        out: list[ir.ContrastIR] = []
        seen: dict[str, ast.Contrast] = {}
        for node in self.of(CONTRAST_TYPES):
            name = node.name.text
            if name in seen:
                self.error(f"contrast `{name}` is already declared (line {seen[name].name.span.line})", node.name.span,
                           "give each contrast its own name")
                continue
            seen[name] = node
            try:
                out.append(self.check_contrast(node, by_name, declared))
            except Invalid:
                pass
        return out

    def class_ref(self, name: ast.Name, by_name: dict[str, ir.ClassIR]) -> ir.ClassIR | None:
        if name.text in by_name:
            return by_name[name.text]
        if isinstance(self.defs.get(name.text), ast.ClassDef):
            return None  # the class has errors, already reported
        self.fail(f"undefined class `{name.text}`", name.span, did_you_mean(name.text, self.names_of(ast.ClassDef), "classes"))

    def check_contrast(self, node: ast.Contrast, by_name, declared) -> ir.ContrastIR:
        name = node.name.text
        if isinstance(node, ast.WinRate):
            better, worse = self.class_ref(node.better, by_name), self.class_ref(node.worse, by_name)
            if node.pairing is None:
                self.fail(f"say how `{node.better.text} > {node.worse.text}` pairs instances", node.span,
                          "add `paired` (instances share backgrounds) or `paired by index`")
            if better is None or worse is None:
                raise Invalid
            if better.name == worse.name:
                self.fail("a contrast compares two different classes", node.span, "e.g. `E > D paired`")
            if node.pairing == "lineage" and better.background_root != worse.background_root:
                self.fail(f"`{better.name}` and `{worse.name}` do not share backgrounds, so they cannot be paired "
                          "by lineage", node.span,
                          "derive one from the other (without `independent`), or write `paired by index`")
            return ir.ContrastIR(name, "win_rate", {"better": better.name, "worse": worse.name,
                                                    "pairing": node.pairing, "n_pairs": min(better.n, worse.n)})
        if isinstance(node, ast.Magnitude):
            refs = [self.class_ref(x, by_name) for x in (node.start, node.end, node.toward)]
            if None in refs:
                raise Invalid
            return ir.ContrastIR(name, "magnitude", {"start": refs[0].name, "end": refs[1].name, "toward": refs[2].name})
        if isinstance(node, ast.Ratio):
            for part in (node.numerator, node.denominator):
                other = declared.get(part.text)
                if other is None:
                    self.fail(f"undefined contrast `{part.text}`", part.span, did_you_mean(part.text, declared, "contrasts"))
                if isinstance(other, (ast.Ratio, ast.WinRate)):
                    self.fail(f"`{part.text}` is a {'ratio' if isinstance(other, ast.Ratio) else 'win rate'}",
                              part.span, "a ratio divides two effect sizes, e.g. MES_synthetic / MES_natural")
            return ir.ContrastIR(name, "ratio", {"numerator": node.numerator.text, "denominator": node.denominator.text})
        call = node.call
        usage = EFFECT_FUNCS.get(call.func.text)
        if usage is None:
            self.fail(f"unknown effect `{call.func.text}`", call.func.span, did_you_mean(call.func.text, EFFECT_FUNCS, "effects"))
        if call.func.text != "cohens_d":
            return self.check_curve(name, call, usage)
        self.arity(call, 2, (), usage)
        refs = []
        for arg in call.args:
            if not isinstance(arg, ast.Ref) or len(arg.parts) != 1:
                self.fail("expected a class name", arg.span, f"usage: {usage}")
            refs.append(self.class_ref(arg.parts[0], by_name))
        if None in refs:
            raise Invalid
        return ir.ContrastIR(name, call.func.text, {"first": refs[0].name, "second": refs[1].name})


    # ---- curves over sweeps ------------------------------------------------------------------
    def sweep_group(self, value: ast.Value, usage: str) -> list[ir.ClassIR]:
        """The conditions of a swept class, in level order."""
        if not isinstance(value, ast.Ref) or len(value.parts) != 1:
            self.fail("expected the name of a swept class", value.span, f"usage: {usage}")
        name = value.parts[0].text
        group = [c for c in self.swept if c.group == name]
        if not group:
            node = self.defs.get(name)
            if isinstance(node, ast.ClassDef):
                if any(isinstance(op, ast.Sweep) for op in node.ops):
                    raise Invalid  # the class has errors, already reported
                self.fail(f"class `{name}` has no sweep", value.span, "add `sweep ... over [...]` to it")
            self.fail(f"undefined class `{name}`", value.span, did_you_mean(name, self.names_of(ast.ClassDef), "classes"))
        return group

    def level_of(self, group: list[ir.ClassIR], value: ast.Value, usage: str) -> str:
        """A level of the group, given as a number or a name; returns the condition class name."""
        if isinstance(value, ast.Number):
            label = level_label(value.value)
        elif isinstance(value, ast.Ref) and len(value.parts) == 1:
            label = value.parts[0].text
        else:
            self.fail("expected a sweep level", value.span, f"usage: {usage}")
        for c in group:
            if c.name == f"{c.group}[{label}]":
                return c.name
        levels = [c.name[len(c.group) + 1:-1] for c in group]
        self.fail(f"`{group[0].group}` has no level {label}", value.span, f"levels: {', '.join(levels)}")

    def check_curve(self, name: str, call: ast.Call, usage: str) -> ir.ContrastIR:
        func = call.func.text
        if func == "correlate":
            self.arity(call, 2, (), usage)
            group = self.sweep_group(call.args[0], usage)
            covariate = call.args[1]
            if not (isinstance(covariate, ast.Ref) and covariate.dotted == "at_content"):
                self.fail("scores can be correlated with `at_content`", covariate.span, f"usage: {usage}")
            return ir.ContrastIR(name, "correlate", {"group": group[0].group, "with": "at_content",
                                                    "classes": [c.name for c in group]})
        if func == "profile":
            self.arity(call, 1, ("reference",), usage)
            group = self.sweep_group(call.args[0], usage)
            kw = {k.name.text: k.value for k in call.kwargs}
            reference = self.level_of(group, kw["reference"], usage) if "reference" in kw else group[0].name
            return ir.ContrastIR(name, "profile", {"group": group[0].group, "reference": reference,
                                                  "classes": [c.name for c in group]})
        self.arity(call, 0, ("composition", "low", "high", "position", "correct", "wrong"), usage)
        kw = {k.name.text: k.value for k in call.kwargs}
        missing = [k for k in ("composition", "low", "high", "position", "correct", "wrong") if k not in kw]
        if missing:
            self.fail(f"effect_ratio() is missing {', '.join(missing)}", call.span, f"usage: {usage}")
        comp, pos = self.sweep_group(kw["composition"], usage), self.sweep_group(kw["position"], usage)
        return ir.ContrastIR(name, "effect_ratio", {
            "composition": [self.level_of(comp, kw["low"], usage), self.level_of(comp, kw["high"], usage)],
            "position": [self.level_of(pos, kw["correct"], usage), self.level_of(pos, kw["wrong"], usage)]})
