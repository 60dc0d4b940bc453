"""Semantic checks: `ast.Spec` -> `program.Program`, or `SpecErrors` listing every problem.

The checker resolves names, evaluates positions, and simulates each class's layout
statically (all motifs have fixed lengths, so every instance of a class has the same
element coordinates). It keeps going after an error so one run reports them all.
"""
from __future__ import annotations

from ..sequence import BASES, IUPAC
from . import ast
from . import program as ir
from .contrasts import ContrastChecks
from .errors import Span, SpecError, SpecErrors, did_you_mean
from .state import CONTRAST_TYPES, ClassState, Invalid, kind_of
from .sweeps import SweepChecks

PROB_TOLERANCE = 1e-6
MOTIF_FUNCS = {"iupac": "iupac(\"AAAAAARNR\")", "choice": "choice(m1, m2, ..., weights=[...])",
               "revcomp": "revcomp(motif)"}
BACKGROUND_FUNCS = {"iid": "iid(A=.., C=.., G=.., T=..) or iid(at=..)", "uniform": "uniform()",
                    "genome": 'genome("ecoli_mg1655", at=[0.3, 0.7], strands="both")',
                    "markov": 'markov(5, "ecoli_mg1655")'}
MAX_MARKOV_ORDER = 8


class Checker(SweepChecks, ContrastChecks):
    def __init__(self, spec: ast.Spec):
        self.spec = spec
        self.errors: list[SpecError] = []
        self.defs: dict[str, ast.Statement] = {}
        self.motifs: dict[str, ir.MotifIR] = {}
        self.backgrounds: dict[str, ir.IidBackground] = {}
        self.tables: dict[str, ir.TableIR] = {}
        self.layouts: dict[str, dict[str, tuple[int, int | None]]] = {}
        self.length = 0
        self.context = ""  # prefixed to messages while checking one level of a sweep

    # ---- helpers ------------------------------------------------------------------------
    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        self.errors.append(SpecError(self.context + message, span, hint))

    def fail(self, message: str, span: Span, hint: str | None = None):
        self.error(message, span, hint)
        raise Invalid

    def text(self, span: Span) -> str:
        lines = self.spec.source.splitlines()
        if span.line != span.end_line:
            return lines[span.line - 1][span.column - 1:]
        return lines[span.line - 1][span.column - 1:span.end_column - 1]

    def of(self, kind: type) -> list:
        return [s for s in self.spec.statements if isinstance(s, kind)]

    def names_of(self, kind: type) -> list[str]:
        return [n for n, s in self.defs.items() if isinstance(s, kind)]

    # ---- entry point --------------------------------------------------------------------
    def run(self) -> ir.Program:
        title, seed = self.check_header()
        self.collect_names()
        for node in self.of(ast.Background):
            try:
                self.backgrounds[node.name.text] = self.resolve_background(node.expr)
            except Invalid:
                pass
        for node in self.of(ast.Motif):
            self.define_motif(node.name.text, ())
        for node in self.of(ast.Table):
            self.check_table(node)
        for node in self.of(ast.Layout):
            self.check_layout(node)
        classes = self.check_classes()
        contrasts = self.check_contrasts(classes)
        if self.errors:
            raise SpecErrors(self.errors, self.spec.source, self.spec.path)
        return ir.Program(title, seed, self.length, tuple(classes), tuple(contrasts), dict(self.tables),
                          dict(self.layouts))

    # ---- header and namespace -------------------------------------------------------------
    def check_header(self) -> tuple[str, int]:
        heads = self.of(ast.Benchmark)
        if not heads:
            self.error("missing `benchmark` header", Span(1, 1, 1, 2),
                       'start the spec with: benchmark "NAME" seed 42 length 100')
            return "", 0
        for extra in heads[1:]:
            self.error("a spec has one `benchmark` header", extra.span,
                       f"the first is at line {heads[0].span.line}")
        head = heads[0]
        if head.length is None:
            self.error("the benchmark needs a sequence length", head.span, "add `length 100` to the header")
        elif head.length.value <= 0:
            self.error("length must be a positive number of bases", head.length.span,
                       "every sequence of the benchmark has this many bases, e.g. `length 100`")
        else:
            self.length = head.length.value
        if head.seed is not None and head.seed.value >= 2**63:
            self.error("seed must be below 2^63", head.seed.span, "any integer from 0 to 2^63 - 1 will do")
        return head.title.text, head.seed.value if head.seed is not None else 0

    def collect_names(self) -> None:
        for node in self.spec.statements:
            if isinstance(node, (ast.Benchmark, *CONTRAST_TYPES)):
                continue
            name = node.name.text
            if name in ("all",):
                self.error(f"`{name}` is reserved", node.name.span, "`all` means the whole sequence in regions; pick another name")
            if name in self.defs:
                first = self.defs[name]
                self.error(f"`{name}` is already defined (as a {kind_of(first)} at line {first.name.span.line})",
                           node.name.span, "give each background, motif, table, layout and class its own name")
                continue
            self.defs[name] = node

    # ---- backgrounds ------------------------------------------------------------------------
    def resolve_background(self, call: ast.Call) -> ir.IidBackground:
        func = call.func.text
        if func not in BACKGROUND_FUNCS:
            hint = did_you_mean(func, BACKGROUND_FUNCS, "backgrounds")
            self.fail(f"unknown background `{func}`", call.func.span, hint)
        if func == "uniform":
            self.arity(call, 0, ())
            return ir.IidBackground((0.25, 0.25, 0.25, 0.25))
        if func == "genome":
            return self.genome_background(call)
        if func == "markov":
            usage = BACKGROUND_FUNCS["markov"]
            self.arity(call, 2, (), usage)
            order, name = call.args
            if not isinstance(order, ast.Number) or order.value != int(order.value) or not 0 <= order.value <= MAX_MARKOV_ORDER:
                self.fail(f"the Markov order must be an integer from 0 to {MAX_MARKOV_ORDER}", order.span, f"usage: {usage}")
            return ir.MarkovBackground(int(order.value), self.genome_name(name, usage))
        kw = {k.name.text: k for k in call.kwargs}
        if call.args:
            self.fail("iid() takes named probabilities", call.args[0].span,
                      "write iid(A=0.28, C=0.22, G=0.22, T=0.28) or iid(at=0.56)")
        if set(kw) & {"at", "gc"}:
            if len(kw) != 1:
                self.fail("give either `at=` or per-base probabilities, not both", call.span,
                          "iid(at=0.56) or iid(A=0.28, C=0.22, G=0.22, T=0.28)")
            (key, arg), = kw.items()
            value = self.probability(arg.value, key)
            at = value if key == "at" else 1.0 - value
            return ir.IidBackground((at / 2, (1 - at) / 2, (1 - at) / 2, at / 2))
        for key, arg in kw.items():
            if key not in BASES:
                self.fail(f"unknown argument `{key}` to iid()", arg.name.span,
                          did_you_mean(key, [*BASES, "at", "gc"], "arguments") or "use A, C, G, T, or at=")
        missing = [b for b in BASES if b not in kw]
        if missing:
            self.fail(f"iid() is missing {', '.join(missing)}", call.span,
                      "give all four of A, C, G, T (they must sum to 1), or use iid(at=...)")
        probs = tuple(self.probability(kw[b].value, b) for b in BASES)
        total = sum(probs)
        if abs(total - 1.0) > PROB_TOLERANCE:
            self.fail(f"base probabilities sum to {total:g}, not 1", call.span,
                      f"adjust them so A+C+G+T = 1 (off by {total - 1:+.6g})")
        return ir.IidBackground(probs)

    def genome_name(self, value: ast.Value, usage: str) -> str:
        from ..genomes import GENOMES

        if not isinstance(value, ast.Literal):
            self.fail("name the genome as a string", value.span, f"usage: {usage}")
        if value.text not in GENOMES:
            self.fail(f"no bundled genome `{value.text}`", value.span, did_you_mean(value.text, GENOMES, "genomes"))
        return value.text

    def genome_background(self, call: ast.Call) -> ir.GenomeBackground:
        usage = BACKGROUND_FUNCS["genome"]
        self.arity(call, 1, ("at", "strands"), usage)
        name = self.genome_name(call.args[0], usage)
        kw = {k.name.text: k.value for k in call.kwargs}
        low, high = 0.0, 1.0
        if "at" in kw:
            at = kw["at"]
            if not isinstance(at, ast.ListValue) or len(at.items) != 2:
                self.fail("`at` takes a range [low, high]", at.span, "e.g. at=[0.4, 0.7]")
            low, high = (self.probability(x, "at") for x in at.items)
            if low > high:
                self.fail(f"the AT range [{low:g}, {high:g}] is empty", at.span, "write [low, high] with low <= high")
        strands = "both"
        if "strands" in kw:
            value = kw["strands"]
            if not isinstance(value, ast.Literal) or value.text not in ("both", "forward"):
                self.fail('`strands` is "both" or "forward"', value.span, f"usage: {usage}")
            strands = value.text
        return ir.GenomeBackground(name, low, high, strands)

    def probability(self, value: ast.Value, what: str) -> float:
        if not isinstance(value, ast.Number):
            self.fail(f"`{what}` must be a number", value.span, "write a decimal such as 0.25")
        if not 0.0 <= value.value <= 1.0:
            self.fail(f"`{what}` = {value.text} is not a probability", value.span, "probabilities lie in [0, 1]")
        return value.value

    def arity(self, call: ast.Call, n: int, kwargs: tuple[str, ...], usage: str | None = None) -> None:
        if len(call.args) != n:
            self.fail(f"{call.func.text}() takes {n} argument{'s' if n != 1 else ''}, got {len(call.args)}",
                      call.span, f"usage: {usage}" if usage else f"`{call.func.text}()` takes {n} arguments")
        for k in call.kwargs:
            if k.name.text not in kwargs:
                self.fail(f"{call.func.text}() has no argument `{k.name.text}`", k.name.span,
                          f"usage: {usage}" if usage else "remove it")

    # ---- motifs ---------------------------------------------------------------------------
    def define_motif(self, name: str, stack: tuple[str, ...]) -> ir.MotifIR | None:
        if name in self.motifs:
            return self.motifs[name]
        node = self.defs.get(name)
        if not isinstance(node, ast.Motif):
            return None
        if name in stack:
            cycle = " -> ".join((*stack[stack.index(name):], name))
            self.error(f"motif `{name}` is defined in terms of itself ({cycle})", node.name.span,
                       "one of these motifs must be a sequence, iupac() or choice()")
            return None
        try:
            motif = self.resolve_motif(node.expr, None, (*stack, name))
        except Invalid:
            return None
        self.motifs[name] = motif
        return motif

    def resolve_motif(self, expr: ast.MotifExpr, state: ClassState | None, stack=()) -> ir.MotifIR:
        if isinstance(expr, ast.Literal):
            return self.literal_motif(expr)
        if isinstance(expr, ast.Ref):
            return self.motif_ref(expr, state, stack)
        if isinstance(expr, ast.Call):
            return self.motif_call(expr, state, stack)
        self.fail("expected a motif", expr.span, 'a motif is "ACGT", a motif name, or iupac()/choice()/revcomp()')

    def letters(self, lit: ast.Literal, allowed, what: str, hint) -> str:
        """The literal upper-cased; fails at the first letter outside `allowed`, pointing at it."""
        text = lit.text.upper()
        if not text:
            self.fail("empty motif", lit.span, 'a motif has at least one base, e.g. "TATAAT"')
        for i, letter in enumerate(text):
            if letter not in allowed:
                col = lit.span.column + 1 + i  # +1 skips the opening quote
                self.fail(f"`{lit.text[i]}` is not {what}", Span(lit.span.line, col, lit.span.line, col + 1),
                          hint(letter, text))
        return text

    def literal_motif(self, lit: ast.Literal) -> ir.LiteralMotif:
        return ir.LiteralMotif(self.letters(
            lit, BASES, "a nucleotide",
            lambda letter, text: f'`{letter}` is an IUPAC code; use iupac("{text}") to sample it' if letter in IUPAC
            else "motifs are written with A, C, G and T"))

    def motif_ref(self, ref: ast.Ref, state: ClassState | None, stack) -> ir.MotifIR:
        head = ref.parts[0].text
        node = self.defs.get(head)
        if len(ref.parts) == 2 and isinstance(node, ast.Table):
            table = self.tables.get(head)
            if table is None:
                raise Invalid  # the table itself has errors, already reported
            column = ref.parts[1].text
            if column not in table.columns:
                self.fail(f"table `{head}` has no column `{column}`", ref.parts[1].span,
                          did_you_mean(column, table.columns, "columns"))
            if state is None:
                self.fail(f"`{ref.dotted}` depends on the table row, so it can only be used inside a class",
                          ref.span, f"place it directly in a class body after `use {head} cycle`")
            if head not in state.tables:
                self.fail(f"no row of `{head}` is selected here", ref.span,
                          f"add `use {head} cycle` (or `use {head} random`) earlier in the class")
            col = table.columns.index(column)
            return ir.ColumnMotif(head, column, len(table.values[0][col]))
        if len(ref.parts) > 1 or not isinstance(node, ast.Motif):
            if node is not None and not isinstance(node, ast.Motif):
                self.fail(f"`{head}` is a {kind_of(node)}, not a motif", ref.span,
                          did_you_mean(head, self.names_of(ast.Motif), "motifs"))
            self.fail(f"undefined motif `{ref.dotted}`", ref.span, did_you_mean(head, self.names_of(ast.Motif), "motifs"))
        motif = self.define_motif(head, stack)
        if motif is None:
            raise Invalid
        return motif

    def motif_call(self, call: ast.Call, state, stack) -> ir.MotifIR:
        func = call.func.text
        usage = MOTIF_FUNCS.get(func)
        if usage is None:
            self.fail(f"unknown motif function `{func}`", call.func.span, did_you_mean(func, MOTIF_FUNCS, "functions"))
        if func == "iupac":
            self.arity(call, 1, (), usage)
            arg = call.args[0]
            if not isinstance(arg, ast.Literal):
                self.fail("iupac() takes a string", arg.span, f"usage: {usage}")
            return ir.IupacMotif(self.letters(arg, IUPAC, "an IUPAC nucleotide code",
                                              lambda *_: "IUPAC codes: A C G T R Y S W K M B D H V N"))
        if func == "revcomp":
            self.arity(call, 1, (), usage)
            return ir.RevCompMotif(self.resolve_motif(self._motif_arg(call.args[0], usage), state, stack))
        # choice
        if not call.args:
            self.fail("choice() needs at least one alternative", call.span, f"usage: {usage}")
        for k in call.kwargs:
            if k.name.text != "weights":
                self.fail(f"choice() has no argument `{k.name.text}`", k.name.span, f"usage: {usage}")
        options = tuple(self.resolve_motif(self._motif_arg(a, usage), state, stack) for a in call.args)
        lengths = {o.length for o in options}
        if len(lengths) > 1:
            self.fail(f"choice() alternatives differ in length ({', '.join(map(str, sorted(lengths)))} bp)", call.span,
                      "every alternative must have the same length so element positions stay fixed")
        weights = tuple(1.0 / len(options) for _ in options)
        if call.kwargs:
            wlist = call.kwargs[0].value
            if not isinstance(wlist, ast.ListValue):
                self.fail("weights must be a list of numbers", wlist.span, "weights=[0.5, 0.25, 0.25]")
            if len(wlist.items) != len(options):
                self.fail(f"{len(wlist.items)} weights for {len(options)} alternatives", wlist.span,
                          "give one weight per alternative, in the same order")
            weights = tuple(self.probability(w, "weight") for w in wlist.items)
            if abs(sum(weights) - 1.0) > PROB_TOLERANCE:
                self.fail(f"weights sum to {sum(weights):g}, not 1", wlist.span,
                          f"adjust them so they add up to 1 (off by {sum(weights) - 1:+.6g})")
        return ir.ChoiceMotif(options, weights)

    def _motif_arg(self, value: ast.Value, usage: str) -> ast.MotifExpr:
        if isinstance(value, (ast.Literal, ast.Ref, ast.Call)):
            return value
        self.fail("expected a motif", value.span, f"usage: {usage}")

    # ---- tables ---------------------------------------------------------------------------
    def check_table(self, node: ast.Table) -> None:
        ok = True
        columns = [c.text for c in node.columns]
        for i, c in enumerate(node.columns):
            if c.text in columns[:i]:
                self.error(f"duplicate column `{c.text}`", c.span, "give each column its own name")
                ok = False
        if not node.rows:
            self.error(f"table `{node.name.text}` has no rows", node.span,
                       'add rows as `NAME "VALUE" ...`, one value per column')
            return
        seen: dict[str, ast.Row] = {}
        values = []
        for row in node.rows:
            if row.name.text in seen:
                self.error(f"duplicate row `{row.name.text}` in table `{node.name.text}`", row.name.span,
                           f"first at line {seen[row.name.text].span.line}")
                ok = False
            seen[row.name.text] = row
            if len(row.values) != len(columns):
                self.error(f"row `{row.name.text}` has {len(row.values)} values for {len(columns)} columns "
                           f"({', '.join(columns)})", row.span, "give one quoted sequence per column")
                ok = False
                continue
            try:
                values.append(tuple(self.literal_motif(v).text for v in row.values))
            except Invalid:
                ok = False
        if not ok:
            return
        for j, column in enumerate(columns):
            lengths = {v[j] and len(v[j]) for v in values}
            if len(lengths) > 1:
                self.error(f"column `{column}` mixes lengths ({', '.join(map(str, sorted(lengths)))} bp)",
                           node.columns[j].span, "every value in a column must have the same length")
                ok = False
        if ok:
            self.tables[node.name.text] = ir.TableIR(node.name.text, tuple(columns),
                                                     tuple(r.name.text for r in node.rows), tuple(values))

    # ---- layouts and positions -----------------------------------------------------------
    def check_layout(self, node: ast.Layout) -> None:
        slots: dict[str, tuple[int, int | None]] = {}
        pseudo = ClassState()
        for slot in node.slots:
            name = slot.name.text
            if name in slots:
                self.error(f"duplicate slot `{name}` in layout `{node.name.text}`", slot.name.span,
                           f"first at line {next(x.span.line for x in node.slots if x.name.text == name)}")
                continue
            try:
                start = self.position(slot.start, pseudo)
                end = self.position(slot.end, pseudo) if slot.end is not None else None
                self.bounds(start, end if end is not None else start + 1, slot.span, f"slot `{name}`")
            except Invalid:
                continue
            slots[name] = (start, end)
            pseudo.features.append(ir.Feature(name, start, end if end is not None else start, ".", "slot"))
        self.layouts[node.name.text] = slots

    def bounds(self, start: int, end: int, span: Span, what: str) -> None:
        if start < 0:
            self.fail(f"{what} starts at {start}, before the sequence", span, "positions are 0-based")
        if end <= start:
            self.fail(f"{what} is empty or reversed ({start}..{end})", span, "ranges are start..end with end > start")
        if self.length and end > self.length:
            self.fail(f"{what} at {start}..{end} runs past the end of the sequence (length {self.length})", span,
                      "positions are 0-based and ranges half-open")

    def locate(self, ref: ast.Ref, state: ClassState) -> tuple[int, int | None, str]:
        """A reference to a layout slot or a placed element -> (start, end or None, name)."""
        head = ref.parts[0].text
        parts = [p.text for p in ref.parts]
        if head in self.layouts and isinstance(self.defs.get(head), ast.Layout):
            slots = self.layouts[head]
            if len(parts) < 2:
                self.fail(f"`{head}` is a layout; name one of its slots", ref.span,
                          f"e.g. {head}.{next(iter(slots), 'slot')}")
            slot = parts[1]
            if slot not in slots:
                self.fail(f"layout `{head}` has no slot `{slot}`", ref.parts[1].span,
                          did_you_mean(slot, slots, "slots"))
            start, end = slots[slot]
            rest, name = parts[2:], slot
        else:
            feature = state.feature(head)
            if feature is None:
                if isinstance(self.defs.get(head), ast.Layout):
                    raise Invalid  # the layout has errors, already reported
                known = [f.name for f in state.features] + list(self.layouts)
                hint = did_you_mean(head, known, "elements or layouts")
                if isinstance(self.defs.get(head), ast.Motif):
                    hint = f"motif `{head}` is not placed at this point; positions refer to placed elements or layout slots"
                self.fail(f"nothing named `{head}` is placed here", ref.parts[0].span, hint)
            start, end, rest, name = feature.start, feature.end, parts[1:], feature.name
        if len(rest) > 1 or (rest and rest[0] not in ("start", "end")):
            bad = ref.parts[len(parts) - len(rest)]
            self.fail(f"unknown attribute `{bad.text}`", bad.span, "use `.start` or `.end`")
        if rest == ["start"]:
            return start, None, name
        if rest == ["end"]:
            if end is None:
                self.fail(f"`{name}` has no end", ref.span, f"declare the slot as a range: `{name} at {start}..END`")
            return end, None, name
        return start, end, name

    def position(self, pos: ast.Position, state: ClassState) -> int:
        if isinstance(pos.base, ast.Int):
            value = pos.base.value
        else:
            value = self.locate(pos.base, state)[0]
        return value + sum(pos.offsets)

    def region(self, region: ast.Region, state: ClassState) -> tuple[int, int, str]:
        if isinstance(region, ast.WholeRegion):
            return 0, self.length, "all"
        if isinstance(region, ast.RangeRegion):
            start, end = self.position(region.start, state), self.position(region.end, state)
            self.bounds(start, end, region.span, "region")
            return start, end, "region"
        start, end, name = self.locate(region.ref, state)
        if end is None:
            self.fail(f"`{region.ref.dotted}` is a point, not a region", region.span,
                      f"declare the slot as a range (`{name} at {start}..END`) or write START..END")
        return start, end, name

    # ---- classes -----------------------------------------------------------------------------
    def check_classes(self) -> list[ir.ClassIR]:
        nodes = {c.name.text: c for c in self.of(ast.ClassDef) if self.defs.get(c.name.text) is c}
        order = self.class_order(nodes)
        done: dict[str, list[tuple[ir.ClassIR, ClassState]]] = {}
        for name in order:
            node = nodes[name]
            parent = None
            if node.parent:
                built = done.get(node.parent.text)
                if built is None:
                    continue  # the parent failed; its errors are already reported
                if built[0][0].group is not None:
                    self.error(f"`{node.parent.text}` is swept, so it cannot be a parent", node.parent.span,
                               "derive from an unswept class, or put the sweep in this class")
                    continue
                parent = built[0]
            try:
                done[name] = self.check_class(node, parent)
            except Invalid:
                pass
        return [cls for n in order if n in done for cls, _ in done[n]]

    def class_order(self, nodes: dict[str, ast.ClassDef]) -> list[str]:
        """Parents before children, otherwise source order; reports cycles and unknown parents."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, path: tuple[str, ...]) -> bool:
            if state.get(name) == "done":
                return True
            node = nodes[name]
            if name in path:
                cycle = " -> ".join((*path[path.index(name):], name))
                self.error(f"class `{name}` derives from itself ({cycle})", node.parent.span,
                           "a class must start from a root class that has `on BACKGROUND`")
                return False
            ok = True
            if node.parent is not None:
                parent = node.parent.text
                if parent not in nodes:
                    other = self.defs.get(parent)
                    self.error(f"undefined class `{parent}`" if other is None else f"`{parent}` is a {kind_of(other)}, not a class",
                               node.parent.span, did_you_mean(parent, nodes, "classes"))
                    ok = False
                else:
                    ok = visit(parent, (*path, name))
            state[name] = "done"
            order.append(name)
            return ok

        for name in nodes:
            visit(name, ())
        return order

    def check_class(self, node: ast.ClassDef, parent: tuple[ir.ClassIR, ClassState] | None):
        name = node.name.text
        ok = True
        n = node.n.value if node.n is not None else None
        if node.n is None:
            hint = f"add `n={parent[0].n}`" if parent else "add `n=100` after the class name"
            self.error(f"class `{name}` needs a size", node.name.span, hint)
            ok = False
        elif n <= 0:
            self.error(f"n must be positive, got {n}", node.n.span, "n is the number of sequences in the class")
            ok = False
        if parent is not None and not node.independent and n is not None and n > parent[0].n:
            self.error(f"class `{name}` has n={n} but its parent `{parent[0].name}` has only {parent[0].n} instances",
                       node.n.span, "a derived class edits its parent's instances one for one; lower n, or add `independent`")
            ok = False
        background = None
        if node.on is not None:
            if parent is not None and not node.independent:
                self.error(f"class `{name}` shares its parent's backgrounds, so it cannot choose one",
                           node.on.span, "add `independent` to draw fresh backgrounds, or remove `on ...`")
                ok = False
            else:
                background = self.backgrounds.get(node.on.text)
                if background is None:
                    if node.on.text not in self.defs:
                        self.error(f"undefined background `{node.on.text}`", node.on.span,
                                   did_you_mean(node.on.text, self.names_of(ast.Background), "backgrounds"))
                    elif not isinstance(self.defs[node.on.text], ast.Background):
                        self.error(f"`{node.on.text}` is a {kind_of(self.defs[node.on.text])}, not a background", node.on.span,
                                   did_you_mean(node.on.text, self.names_of(ast.Background), "backgrounds"))
                    ok = False
        elif parent is None:
            known = self.names_of(ast.Background)
            self.error(f"class `{name}` needs a background", node.name.span,
                       f"add `on NAME`; backgrounds: {', '.join(known)}" if known
                       else "define one (`background bg = iid(at=0.5)`) and add `on bg`")
            ok = False
        if node.independent and parent is None:
            self.error("`independent` only applies to a derived class", node.span, "add `from PARENT`, or remove `independent`")
            ok = False
        if background is None and parent is not None:
            background = parent[0].background

        sweeps = [op for op in node.ops if isinstance(op, ast.Sweep)]
        for extra in sweeps[1:]:
            self.error("a class sweeps one thing", extra.span, "split the sweeps into separate classes")
            ok = False
        ops = [(i, op) for i, op in enumerate(node.ops) if not isinstance(op, ast.Sweep)]
        if not sweeps:
            result = self.simulate(node, parent, ops, background, n)  # reports the body's errors too
            if not ok:
                raise Invalid
            return [result]
        if not ok:
            raise Invalid
        return self.expand_sweep(node, parent, ops, background, n, sweeps[0])

    def simulate(self, node: ast.ClassDef, parent, ops, background, n: int, level=None, extra=None):
        """Run the class body statically: (ClassIR, final state). `level` names a sweep
        condition; `extra(state)` returns operations to append after the body."""
        name = node.name.text
        state = parent[1].copy() if parent else ClassState()
        steps = list(parent[0].steps) if parent and node.independent else []
        own: list[ir.Step] = []
        ok = True
        for index, op in ops:
            try:
                own.append(ir.Step(name, index, self.check_op(op, state, node.allow_overlap)))
            except Invalid:
                ok = False
        if ok and extra is not None:
            for k, op_ir in enumerate(extra(state)):
                own.append(ir.Step(name, 1000 + k, op_ir))
        if not ok:
            raise Invalid
        root = name if parent is None or node.independent else parent[0].background_root
        title = node.title.text if node.title else name
        full = name if level is None else f"{name}[{level[1]}]"
        condition = None if level is None else {"sweep": level[0], "level": level[2]}
        cls = ir.ClassIR(full, title if level is None else f"{title} [{level[0]} = {level[1]}]", n,
                         parent[0].name if parent else None, node.independent, background, root,
                         tuple(steps + own), tuple(sorted(state.features, key=lambda f: (f.start, f.end, f.name))),
                         None if level is None else name, condition)
        return cls, state

    def check_op(self, op: ast.Op, state: ClassState, class_overlap: bool) -> ir.OpIR:
        if isinstance(op, ast.Place):
            return self.check_place(op, state, class_overlap)
        if isinstance(op, ast.Mutate):
            at = self.position(op.at, state)
            self.bounds(at, at + 1, op.at.span, "mutation")
            code = op.base.text.upper()
            if len(code) != 1 or code not in IUPAC:
                self.fail(f"`{op.base.text}` is not a single nucleotide", op.base.span,
                          'write one base ("G") or one IUPAC code ("R")')
            return ir.MutateOp(at, code)
        if isinstance(op, ast.Sweep):
            self.fail("a sweep belongs in a class body", op.span)
        if isinstance(op, ast.Shuffle):
            start, end, label = self.region(op.region, state)
            if not (op.allow_overlap or class_overlap):
                self.cut_check(state, start, end, "shuffle", op.span)
            kept = [f for f in state.features if not f.overlaps(start, end)]
            name = label if label not in ("region", "all") else "shuffled"
            if any(f.name == name for f in kept):
                name = f"{name}_shuffled"
            state.features[:] = kept + [ir.Feature(name, start, end, ".", "shuffle")]
            return ir.ShuffleOp(start, end, op.distinct, op.dinucleotide)
        if isinstance(op, ast.RevComp):
            start, end, _ = self.region(op.region, state)
            if not (op.allow_overlap or class_overlap):
                self.cut_check(state, start, end, "revcomp", op.span)
            self.mirror(state, start, end)
            return ir.RevCompOp(start, end)
        if isinstance(op, ast.Move):
            return self.check_move(op, state, class_overlap)
        return self.check_use(op, state)

    def mirror(self, state: ClassState, start: int, end: int) -> None:
        """Reverse-complement start..end in the layout: elements inside are mirrored and
        change strand; elements the region cuts are dropped."""
        flip = {"+": "-", "-": "+", ".": "."}
        state.features[:] = [
            ir.Feature(f.name, start + end - f.end, start + end - f.start, flip[f.strand], f.source)
            if f.inside(start, end) else f
            for f in state.features if f.inside(start, end) or not f.overlaps(start, end)
        ]

    def check_move(self, op: ast.Move, state: ClassState, class_overlap: bool) -> ir.MoveOp:
        element = state.feature(op.element.text)
        if element is None:
            self.fail(f"nothing named `{op.element.text}` is placed here", op.element.span,
                      did_you_mean(op.element.text, [f.name for f in state.features], "elements"))
        length = element.end - element.start
        to = self.position(op.to, state)
        self.bounds(to, to + length, op.span, f"`{element.name}` moved")
        if element.overlaps(to, to + length):
            self.fail(f"`{element.name}` ({element.start}..{element.end}) would move onto itself ({to}..{to + length})",
                      op.span, f"move it at least {length} bp away")
        others = [f for f in state.features if f is not element]
        if not (op.allow_overlap or class_overlap):
            for f in others:
                if f.overlaps(to, to + length):
                    self.fail(f"moving `{element.name}` to {to}..{to + length} lands on `{f.name}` ({f.start}..{f.end})",
                              op.span, "pick a free window, or add `allow overlap` (the element it lands on is lost)")
        kept = [f for f in others if not f.overlaps(to, to + length)]
        state.features[:] = kept + [ir.Feature(element.name, to, to + length, element.strand, element.source)]
        return ir.MoveOp(element.start, to, length)

    def cut_check(self, state: ClassState, start: int, end: int, verb: str, span: Span) -> None:
        for f in state.features:
            if f.overlaps(start, end) and not f.inside(start, end):
                self.fail(f"{verb} {start}..{end} cuts element `{f.name}` ({f.start}..{f.end})", span,
                          "make the region cover the whole element or none of it, "
                          "or add `allow overlap` to drop the cut element")

    def check_place(self, op: ast.Place, state: ClassState, class_overlap: bool) -> ir.PlaceOp:
        motif = self.resolve_motif(op.motif, state)
        start = self.position(op.at, state)
        end = start + motif.length
        if isinstance(op.motif, ast.Ref):
            label = op.motif.parts[-1].text
        elif isinstance(op.motif, ast.Literal):
            label = op.motif.text.upper()
        else:
            label = self.text(op.motif.span)
        base = op.at.base
        slot_end = None
        if isinstance(base, ast.Ref) and not op.at.offsets and base.parts[0].text in self.layouts:
            s, slot_end, slot_name = self.locate(base, state)
            if len(base.parts) == 2:
                label = slot_name
            if slot_end is not None and len(base.parts) == 2 and slot_end - s != motif.length:
                self.fail(f"motif `{self.text(op.motif.span)}` is {motif.length} bp but slot `{base.dotted}` spans {slot_end - s} bp ({s}..{slot_end})",
                          op.span, "use a motif of the slot's length, or position it with an offset")
        name = op.alias.text if op.alias else label
        self.bounds(start, end, op.span, f"`{name}` ({motif.length} bp)")
        kept = [f for f in state.features if (f.start, f.end) != (start, end)]  # same span: replace
        if not (op.allow_overlap or class_overlap):
            for f in kept:
                if f.overlaps(start, end):
                    self.fail(f"`{name}` ({start}..{end}) overlaps `{f.name}` ({f.start}..{f.end})", op.span,
                              "move it, or add `allow overlap` to the place statement if that is intended")
        clash = next((f for f in kept if f.name == name), None)
        if clash is not None:
            self.fail(f"an element named `{name}` is already placed at {clash.start}..{clash.end}", op.span,
                      f"name this one with `as {name}_2`")
        source = self.text(op.motif.span)
        state.features[:] = kept + [ir.Feature(name, start, end, op.strand, source)]
        return ir.PlaceOp(start, motif, op.strand)

    def check_use(self, op: ast.Use, state: ClassState) -> ir.UseOp:
        table = self.tables.get(op.table.text)
        if table is None:
            node = self.defs.get(op.table.text)
            if node is None:
                self.fail(f"undefined table `{op.table.text}`", op.table.span,
                          did_you_mean(op.table.text, self.names_of(ast.Table), "tables"))
            if not isinstance(node, ast.Table):
                self.fail(f"`{op.table.text}` is a {kind_of(node)}, not a table", op.table.span,
                          did_you_mean(op.table.text, self.names_of(ast.Table), "tables"))
            raise Invalid  # the table has errors, already reported
        if op.rows is None:
            rows = tuple(range(len(table.row_names)))
        else:
            rows = []
            for r in op.rows:
                if r.text not in table.row_names:
                    self.fail(f"table `{table.name}` has no row `{r.text}`", r.span,
                              did_you_mean(r.text, table.row_names, "rows"))
                rows.append(table.row_names.index(r.text))
            rows = tuple(rows)
        use = ir.UseOp(table.name, rows, op.mode)
        state.tables[table.name] = use
        return use

def check(spec: ast.Spec) -> ir.Program:
    """Resolve and validate a parsed spec. Raises `SpecErrors` listing every problem found."""
    return Checker(spec).run()


def load(path) -> ir.Program:
    from .parser import parse_file

    return check(parse_file(path))


def check_source(source: str, path: str = "<spec>") -> ir.Program:
    from .parser import parse

    return check(parse(source, path))
