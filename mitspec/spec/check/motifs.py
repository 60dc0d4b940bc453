"""Motif expressions -> fixed-length samplers (MotifIR): literals, names, table columns,
iupac(), choice(), revcomp()."""
from __future__ import annotations

from ...sequence import BASES, IUPAC
from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..errors import Span
from ..layout import ClassState
from .backgrounds import PROB_TOLERANCE, arity, probability
from .diagnostics import Invalid
from .scope import Scope

MAX_MOTIF_DEPTH = 64  # motifs defined in terms of motifs ... (each level is a few stack frames)
MOTIF_FUNCS = {"iupac": "iupac(\"AAAAAARNR\")", "choice": "choice(m1, m2, ..., weights=[...])",
               "revcomp": "revcomp(motif or element)", "pwm": 'pwm("motifs/gata.jaspar", min_score=8.0, max_score=12.0)',
               "jaspar": 'jaspar("MA0139", min_score=10.0, max_score=14.0)', "consensus": "consensus(pwm_motif)"}


class Motifs:
    def __init__(self, scope: Scope):
        self.scope, self.diag = scope, scope.diag
        self._by_node = {ast.Literal: self.literal_motif, ast.Ref: self.motif_ref, ast.Call: self.motif_call}
        self._by_func = {"iupac": self.iupac, "revcomp": self.revcomp, "choice": self.choice,
                         "pwm": self.pwm_file, "jaspar": self.jaspar, "consensus": self.consensus}

    def define(self, name: str, stack: tuple[str, ...] = ()) -> ir.MotifIR | None:
        """The motif named `name`, resolved once: a definition with errors is reported
        once however often it is used (later uses get None)."""
        if name in self.scope.motifs:
            return self.scope.motifs[name]
        node = self.scope.defs.get(name)
        if not isinstance(node, ast.Motif):
            return None
        if len(stack) >= MAX_MOTIF_DEPTH:
            self.diag.error(f"motif `{stack[0]}` is defined through more than {MAX_MOTIF_DEPTH} other motifs",
                            self.scope.defs[stack[0]].name.span, "define it more directly")
            return None
        if name in stack:
            cycle = " -> ".join((*stack[stack.index(name):], name))
            self.diag.error(f"motif `{name}` is defined in terms of itself ({cycle})", node.name.span,
                            "one of these motifs must be a sequence, iupac() or choice()")
            return None
        try:
            motif = self.resolve(node.expr, None, (*stack, name))
        except Invalid:
            motif = None
        self.scope.motifs[name] = motif
        return motif

    def resolve(self, expr: ast.MotifExpr, state: ClassState | None, stack=()) -> ir.MotifIR:
        handler = self._by_node.get(type(expr))
        if handler is None:
            self.diag.fail("expected a motif", expr.span,
                           'a motif is "ACGT", a motif name, or iupac()/choice()/revcomp()')
        return handler(expr, state, stack)

    def letters(self, lit: ast.Literal, allowed, what: str, hint) -> str:
        """The literal upper-cased; fails at the first letter outside `allowed`, pointing at it.
        Letters are upper-cased one by one (`"ß".upper()` is two letters, not a code)."""
        if not lit.text:
            self.diag.fail("empty motif", lit.span, 'a motif has at least one base, e.g. "TATAAT"')
        upper = [c.upper() if c.isascii() else c for c in lit.text]
        for i, letter in enumerate(upper):
            if letter not in allowed:
                col = lit.span.column + 1 + i  # +1 skips the opening quote
                self.diag.fail(f"`{lit.text[i]}` is not {what}", Span(lit.span.line, col, lit.span.line, col + 1),
                               hint(letter, lit.text.upper()))
        return "".join(upper)

    def literal_motif(self, lit: ast.Literal, state=None, stack=()) -> ir.LiteralMotif:
        return ir.LiteralMotif(self.letters(
            lit, BASES, "a nucleotide",
            lambda letter, text: f'`{letter}` is an IUPAC code; use iupac("{text}") to sample it' if letter in IUPAC
            else "motifs are written with A, C, G and T"))

    def motif_ref(self, ref: ast.Ref, state: ClassState | None, stack, link: bool = False) -> ir.MotifIR:
        """A motif by name; inside a class, an element placed earlier in it (`link`: even
        when a motif has the same name) stands for the bases placed there."""
        head = ref.parts[0].text
        node = self.scope.defs.get(head)
        if state is not None and len(ref.parts) == 1 and (link or not isinstance(node, ast.Motif)):
            element = state.feature(head)
            if element is not None:
                if element.within is not None:
                    self.diag.fail(f"`{head}` is placed at random, so its bases cannot be reused", ref.span,
                                   "link to an element with a fixed place")
                return ir.LinkedMotif(head, element.start, element.end - element.start)
        if len(ref.parts) == 2 and isinstance(node, ast.Table):
            return self.column(ref, state)
        if len(ref.parts) > 1 or not isinstance(node, ast.Motif):
            self.scope.undefined(ref, ast.Motif, "motif")
        motif = self.define(head, stack)
        if motif is None:
            raise Invalid
        return motif

    def column(self, ref: ast.Ref, state: ClassState | None) -> ir.ColumnMotif:
        head, column = ref.parts[0].text, ref.parts[1].text
        table = self.scope.tables.get(head)
        if table is None:
            raise Invalid  # the table itself has errors, already reported
        if column not in table.columns:
            self.diag.fail(f"table `{head}` has no column `{column}`", ref.parts[1].span,
                           did_you_mean(column, table.columns, "columns"))
        if state is None:
            self.diag.fail(f"`{ref.dotted}` depends on the table row, so it can only be used inside a class",
                           ref.span, f"place it directly in a class body after `use {head} cycle`")
        if head not in state.tables:
            self.diag.fail(f"no row of `{head}` is selected here", ref.span,
                           f"add `use {head} cycle` (or `use {head} random`) earlier in the class")
        col = table.columns.index(column)
        return ir.ColumnMotif(head, column, len(table.values[0][col]))

    def motif_call(self, call: ast.Call, state, stack) -> ir.MotifIR:
        func = call.func.text
        handler = self._by_func.get(func)
        if handler is None:
            self.diag.fail(f"unknown motif function `{func}`", call.func.span, did_you_mean(func, MOTIF_FUNCS, "functions"))
        return handler(call, state, stack, MOTIF_FUNCS[func])

    def iupac(self, call: ast.Call, state, stack, usage: str) -> ir.IupacMotif:
        arity(self.diag, call, 1, (), usage)
        arg = call.args[0]
        if not isinstance(arg, ast.Literal):
            self.diag.fail("iupac() takes a string", arg.span, f"usage: {usage}")
        return ir.IupacMotif(self.letters(arg, IUPAC, "an IUPAC nucleotide code",
                                          lambda *_: "IUPAC codes: A C G T R Y S W K M B D H V N"))

    def revcomp(self, call: ast.Call, state, stack, usage: str) -> ir.RevCompMotif:
        """The reverse complement of a motif, or of the bases placed for an element of the
        class (`place revcomp(arm5) at 34 as arm3`: a hairpin's second arm)."""
        arity(self.diag, call, 1, (), usage)
        arg = self.motif_arg(call.args[0], usage)
        if isinstance(arg, ast.Ref):
            return ir.RevCompMotif(self.motif_ref(arg, state, stack, link=True))
        return ir.RevCompMotif(self.resolve(arg, state, stack))

    # ---- position weight matrices ----
    def text(self, value: ast.Value, message: str, hint: str) -> str:
        """A string argument's text, or a diagnostic."""
        if not isinstance(value, ast.Literal):
            self.diag.fail(message, value.span, hint)
        return value.text

    def pwm_file(self, call: ast.Call, state, stack, usage: str) -> ir.PwmMotif:
        from ...pwm import PwmError, read_pwm

        arity(self.diag, call, 1, ("min_score", "max_score", "format"), usage)
        path, kw = call.args[0], {k.name.text: k.value for k in call.kwargs}
        self.text(path, "pwm() takes a file path as a string", f"usage: {usage}")
        fmt = self.text(kw["format"], "`format` is a string", 'e.g. format="meme"') if "format" in kw else None
        found, _ = self.scope.input_file(path, "pwm")
        try:
            counts = read_pwm(found, fmt)
        except PwmError as exc:
            self.diag.fail(str(exc), path.span, exc.hint)
        return self.weighted(path.text, counts, kw.get("min_score"), call, kw.get("max_score"))

    def jaspar(self, call: ast.Call, state, stack, usage: str) -> ir.PwmMotif:
        from ...pwm import PwmError, jaspar_counts

        arity(self.diag, call, 1, ("min_score", "max_score", "release"), usage)
        matrix, kw = call.args[0], {k.name.text: k.value for k in call.kwargs}
        self.text(matrix, "jaspar() takes a matrix ID as a string", f"usage: {usage}")
        release = self.text(kw["release"], "`release` is a string", 'e.g. release="JASPAR2026"') if "release" in kw else None
        try:
            found, counts = jaspar_counts(matrix.text, release)
        except PwmError as exc:
            self.diag.fail(str(exc), matrix.span, exc.hint)
        self.scope.inputs.append({"kind": "jaspar", "id": found["id"], "release": found["release"],
                                  "name": found["name"]})
        return self.weighted(found["id"], counts, kw.get("min_score"), call, kw.get("max_score"))

    def weighted(self, name: str, counts, min_score: ast.Value | None, call: ast.Call,
                 max_score: ast.Value | None = None) -> ir.PwmMotif:
        """A matrix motif; `min_score` keeps strong sites, `max_score` weak ones (log2 odds
        against uniform bases); at least 1 drawn site in 1,000 must fall within them."""
        from ...pwm import SCORE_BIN, acceptance, best_score, probabilities

        probs = probabilities(counts)
        bounds = {}
        for word, value in (("min_score", min_score), ("max_score", max_score)):
            if value is not None:
                if not isinstance(value, ast.Number):
                    self.diag.fail(f"`{word}` is a number (log2 odds against uniform bases)", value.span,
                                   f"e.g. {word}=8.0")
                bounds[word] = value.value
        threshold, ceiling = bounds.get("min_score"), bounds.get("max_score")
        best = best_score(probs)
        if threshold is not None and threshold > best + 1e-9:
            self.diag.fail(f"min_score={threshold:g} is above the best site's score ({best:.2f})", min_score.span,
                           f"choose a threshold up to {best:.2f}")
        if threshold is not None and ceiling is not None and ceiling < threshold:
            self.diag.fail(f"max_score={ceiling:g} is below min_score={threshold:g}", max_score.span,
                           "max_score bounds the sites from above: give it a larger value")
        if bounds:
            above_floor = acceptance(probs, threshold) if threshold is not None else 1.0
            above_ceiling = acceptance(probs, ceiling + SCORE_BIN) if ceiling is not None else 0.0
            share = above_floor - above_ceiling
            if share < 1e-3:
                where = min_score if threshold is not None else max_score
                shown = ", ".join(f"{k}={v:g}" for k, v in bounds.items())
                self.diag.fail(f"only {max(share, 0):.2g} of sites drawn from this matrix score within {shown}",
                               where.span, "widen the bounds (at least 1 site in 1,000 must fall within them)")
        return ir.PwmMotif(name, probs, threshold, ceiling)

    def consensus(self, call: ast.Call, state, stack, usage: str) -> ir.LiteralMotif:
        arity(self.diag, call, 1, (), usage)
        inner = self.resolve(self.motif_arg(call.args[0], usage), state, stack)
        if not isinstance(inner, ir.PwmMotif):
            self.diag.fail("consensus() takes a matrix motif (pwm() or jaspar())", call.args[0].span, f"usage: {usage}")
        return ir.LiteralMotif("".join(BASES[max(range(4), key=column.__getitem__)] for column in inner.probs))

    def choice(self, call: ast.Call, state, stack, usage: str) -> ir.ChoiceMotif:
        diag = self.diag
        if not call.args:
            diag.fail("choice() needs at least one alternative", call.span, f"usage: {usage}")
        for k in call.kwargs:
            if k.name.text != "weights":
                diag.fail(f"choice() has no argument `{k.name.text}`", k.name.span, f"usage: {usage}")
        options = tuple(self.resolve(self.motif_arg(a, usage), state, stack) for a in call.args)
        lengths = {o.length for o in options}
        if len(lengths) > 1:
            diag.fail(f"choice() alternatives differ in length ({', '.join(map(str, sorted(lengths)))} bp)", call.span,
                      "every alternative must have the same length so element positions stay fixed")
        weights = tuple(1.0 / len(options) for _ in options)
        if call.kwargs:
            wlist = call.kwargs[0].value
            if not isinstance(wlist, ast.ListValue):
                diag.fail("weights must be a list of numbers", wlist.span, "weights=[0.5, 0.25, 0.25]")
            if len(wlist.items) != len(options):
                diag.fail(f"{len(wlist.items)} weights for {len(options)} alternatives", wlist.span,
                          "give one weight per alternative, in the same order")
            weights = tuple(probability(diag, w, "weight") for w in wlist.items)
            if abs(sum(weights) - 1.0) > PROB_TOLERANCE:
                diag.fail(f"weights sum to {sum(weights):g}, not 1", wlist.span,
                          f"adjust them so they add up to 1 (off by {sum(weights) - 1:+.6g})")
        return ir.ChoiceMotif(options, weights)

    def motif_arg(self, value: ast.Value, usage: str) -> ast.MotifExpr:
        if isinstance(value, (ast.Literal, ast.Ref, ast.Call)):
            return value
        self.diag.fail("expected a motif", value.span, f"usage: {usage}")
