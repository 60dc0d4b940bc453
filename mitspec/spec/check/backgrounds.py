"""`background NAME = iid(...) | uniform() | genome(...) | markov(...)` -> BackgroundIR."""
from __future__ import annotations

from ...sequence import BASES
from ...text import did_you_mean
from .. import ast
from .. import program as ir
from .diagnostics import Diagnostics

PROB_TOLERANCE = 1e-6
CHAIN_ARGS = ("gc", "at", "cpg", "transitions")
MAX_MARKOV_ORDER = 8
BACKGROUND_FUNCS = {"iid": "iid(A=.., C=.., G=.., T=..) or iid(at=..)", "uniform": "uniform()",
                    "genome": 'genome("ecoli_mg1655", at=[0.3, 0.7], strands="both") or genome(file="data/x.fa.gz", ...)',
                    "markov": 'markov(5, "ecoli_mg1655"), markov(5, file="data/x.fa.gz"), markov(gc=0.6, cpg=0.8) '
                              'or markov(transitions=[[...A row], [C], [G], [T]])',
                    "given": 'given("data/sequences.fasta"): records named by the plan\'s ids (A_000, ...)'}


def probability(diag: Diagnostics, value: ast.Value, what: str) -> float:
    if not isinstance(value, ast.Number):
        diag.fail(f"`{what}` must be a number", value.span, "write a decimal such as 0.25")
    if not 0.0 <= value.value <= 1.0:
        diag.fail(f"`{what}` = {value.text} is not a probability", value.span, "probabilities lie in [0, 1]")
    return value.value


def stationary(rows) -> tuple[float, ...] | None:
    """The chain's stationary base composition pi (pi P = pi, sum 1), solved exactly in
    rationals (each float's exact binary value), so it is the same on every machine; None
    when the chain has more than one (some bases never reach others)."""
    from fractions import Fraction

    n = len(rows)
    for replaced in range(n):
        # pi (P - I) = 0 is n equations of rank n - 1: swap one for sum(pi) = 1
        system = [[Fraction(rows[j][i]) - (i == j) for j in range(n)] + [Fraction(0)] for i in range(n)]
        system[replaced] = [Fraction(1)] * n + [Fraction(1)]
        for col in range(n):
            pivot = next((r for r in range(col, n) if system[r][col] != 0), None)
            if pivot is None:
                break
            system[col], system[pivot] = system[pivot], system[col]
            for r in range(n):
                if r != col and system[r][col] != 0:
                    factor = system[r][col] / system[col][col]
                    system[r] = [x - factor * y for x, y in zip(system[r], system[col])]
        else:
            return tuple(float(system[i][n] / system[i][i]) for i in range(n))
    return None


def arity(diag: Diagnostics, call: ast.Call, n: int, kwargs: tuple[str, ...], usage: str | None = None) -> None:
    if len(call.args) != n:
        diag.fail(f"{call.func.text}() takes {n} argument{'s' if n != 1 else ''}, got {len(call.args)}",
                  call.span, f"usage: {usage}" if usage else f"`{call.func.text}()` takes {n} arguments")
    for k in call.kwargs:
        if k.name.text not in kwargs:
            diag.fail(f"{call.func.text}() has no argument `{k.name.text}`", k.name.span,
                      f"usage: {usage}" if usage else "remove it")


class Backgrounds:
    def __init__(self, scope):
        self.scope, self.diag, self.length = scope, scope.diag, scope.length

    def resolve(self, call: ast.Call) -> ir.BackgroundIR:
        diag, func = self.diag, call.func.text
        if func not in BACKGROUND_FUNCS:
            diag.fail(f"unknown background `{func}`", call.func.span, did_you_mean(func, BACKGROUND_FUNCS, "backgrounds"))
        if func == "uniform":
            arity(diag, call, 0, ())
            return ir.IidBackground((0.25, 0.25, 0.25, 0.25))
        if func == "genome":
            return self.genome(call)
        if func == "given":
            return self.given(call)
        if func == "markov" and not call.args and any(k.name.text in CHAIN_ARGS for k in call.kwargs):
            return self.chain(call)
        if func == "markov":
            usage = BACKGROUND_FUNCS["markov"]
            from_file = any(k.name.text == "file" for k in call.kwargs)
            arity(diag, call, 1 if from_file else 2, ("file",) if from_file else (), usage)
            order = call.args[0]
            if not isinstance(order, ast.Number) or order.value != int(order.value) or not 0 <= order.value <= MAX_MARKOV_ORDER:
                diag.fail(f"the Markov order must be an integer from 0 to {MAX_MARKOV_ORDER}", order.span, f"usage: {usage}")
            source = self.source(call, call.args[1] if not from_file else None, usage)
            return ir.MarkovBackground(int(order.value), source)
        return self.iid(call)

    def iid(self, call: ast.Call) -> ir.IidBackground:
        diag = self.diag
        if call.args:
            diag.fail("iid() takes named probabilities", call.args[0].span,
                      "write iid(A=0.28, C=0.22, G=0.22, T=0.28) or iid(at=0.56)")
        kw = {k.name.text: k for k in call.kwargs}
        if set(kw) & {"at", "gc"}:
            if len(kw) != 1:
                diag.fail("give either `at=` or per-base probabilities, not both", call.span,
                          "iid(at=0.56) or iid(A=0.28, C=0.22, G=0.22, T=0.28)")
            (key, arg), = kw.items()
            value = probability(diag, arg.value, key)
            at = value if key == "at" else 1.0 - value
            return ir.IidBackground((at / 2, (1 - at) / 2, (1 - at) / 2, at / 2))
        for key, arg in kw.items():
            if key in ("cpg", "transitions"):
                diag.fail(f"iid() draws every base independently, so it takes no `{key}`", arg.name.span,
                          "a CpG or dinucleotide target needs a chain: markov(gc=0.6, cpg=0.8) or "
                          "markov(transitions=[[...], [...], [...], [...]])")
            if key not in BASES:
                diag.fail(f"unknown argument `{key}` to iid()", arg.name.span,
                          did_you_mean(key, [*BASES, "at", "gc"], "arguments") or "use A, C, G, T, or at=")
        missing = [b for b in BASES if b not in kw]
        if missing:
            diag.fail(f"iid() is missing {', '.join(missing)}", call.span,
                      "give all four of A, C, G, T (they must sum to 1), or use iid(at=...)")
        probs = tuple(probability(diag, kw[b].value, b) for b in BASES)
        total = sum(probs)
        if abs(total - 1.0) > PROB_TOLERANCE:
            diag.fail(f"base probabilities sum to {total:g}, not 1", call.span,
                      f"adjust them so A+C+G+T = 1 (off by {total - 1:+.6g})")
        return ir.IidBackground(probs)

    def chain(self, call: ast.Call) -> ir.ChainBackground:
        """A first-order chain from parameters: `markov(gc=G, cpg=R)` (or at=) has GC fraction
        G and CpG observed/expected ratio R, the CG deficit (or excess) spread over the 2 x 2
        exchanges that keep every base's frequency (docs/language.md); `markov(transitions=
        [...])` takes the 4 x 4 matrix, rows A, C, G, T."""
        diag, usage = self.diag, BACKGROUND_FUNCS["markov"]
        kw = {k.name.text: k for k in call.kwargs}
        for key, arg in kw.items():
            if key not in CHAIN_ARGS:
                diag.fail(f"markov() from parameters has no argument `{key}`", arg.name.span, f"usage: {usage}")
        if "transitions" in kw:
            if len(kw) != 1:
                diag.fail("give either `transitions=` or a composition (gc=, cpg=), not both", call.span,
                          f"usage: {usage}")
            return self.transitions(kw["transitions"].value)
        if "cpg" not in kw or len(set(kw) & {"gc", "at"}) != 1:
            diag.fail("markov() from a composition takes `gc=` (or `at=`) and `cpg=`", call.span,
                      "e.g. markov(gc=0.6, cpg=0.8): GC fraction 0.6, CpG at 0.8 of the count expected from it")
        key = "gc" if "gc" in kw else "at"
        gc = probability(diag, kw[key].value, key)
        gc = gc if key == "gc" else 1.0 - gc
        ratio_arg = kw["cpg"].value
        if not isinstance(ratio_arg, ast.Number):
            diag.fail("`cpg` must be a number", ratio_arg.span, "the CpG observed/expected ratio, e.g. cpg=0.25")
        ratio, at = ratio_arg.value, (1.0 - gc) / 2
        c = g = gc / 2
        high = 1.0 / g if g > 0 else 1.0
        if not 0 < gc < 1 or not 0 <= ratio <= high:
            diag.fail(f"no first-order chain has GC {gc:g} and a CpG ratio of {ratio:g}", ratio_arg.span,
                      f"with GC {gc:g} the ratio runs from 0 to {high:.3g}; GC must lie strictly inside 0..1")
        probs = (at, c, g, at)
        pairs = [[probs[x] * probs[y] for y in range(4)] for x in range(4)]
        # CG gets `moved` less; each 2 x 2 exchange (CG -, CX +, YG +, YX -) keeps every row
        # and column sum, so the base composition stays; spread in proportion to p(Y) p(X)
        moved = (1.0 - ratio) * c * g
        others_x, others_y = (0, 1, 3), (0, 2, 3)  # X != G, Y != C
        total = sum(probs[x] * probs[y] for x in others_x for y in others_y)
        pairs[1][2] -= moved
        for x in others_x:
            for y in others_y:
                share = moved * probs[x] * probs[y] / total
                pairs[1][x] += share
                pairs[y][2] += share
                pairs[y][x] -= share
        rows = tuple(tuple(max(0.0, v) / probs[x] for v in pairs[x]) for x in range(4))
        rows = tuple(tuple(v / sum(row) for v in row) for row in rows)
        return ir.ChainBackground(rows, probs)

    def transitions(self, value: ast.Value) -> ir.ChainBackground:
        diag = self.diag
        if not isinstance(value, ast.ListValue) or len(value.items) != 4:
            diag.fail("`transitions` is a list of four rows (from A, C, G, T)", value.span,
                      "e.g. transitions=[[0.3, 0.2, 0.2, 0.3], [0.35, 0.25, 0.05, 0.35], [...], [...]]")
        rows = []
        for base, row in zip(BASES, value.items):
            if not isinstance(row, ast.ListValue) or len(row.items) != 4:
                diag.fail(f"the row from {base} needs four probabilities (to A, C, G, T)", row.span,
                          "e.g. [0.3, 0.2, 0.2, 0.3]")
            probs = [probability(diag, x, f"{base} -> {to}") for x, to in zip(row.items, BASES)]
            if abs(sum(probs) - 1.0) > PROB_TOLERANCE:
                diag.fail(f"the row from {base} sums to {sum(probs):g}, not 1", row.span,
                          f"adjust it so it sums to 1 (off by {sum(probs) - 1:+.6g})")
            rows.append(tuple(probs))
        pi = stationary(rows)
        if pi is None or min(pi) < 0:
            diag.fail("this chain has more than one long-run composition (some bases never lead to others)",
                      value.span, "give every base a path to every other, e.g. no row that only repeats its base")
        return ir.ChainBackground(tuple(rows), pi)

    def source(self, call: ast.Call, name: ast.Value | None, usage: str) -> ir.GenomeSource:
        """A bundled genome by name, or a user's FASTA / gzip FASTA (`file=`), read now so
        a file that is not FASTA is a diagnostic here and its sha256 goes in the plan."""
        from ...genomes import GENOMES, GenomeError, load_genome

        if name is not None:
            if not isinstance(name, ast.Literal):
                self.diag.fail("name the genome as a string", name.span, f"usage: {usage}")
            if name.text not in GENOMES:
                self.diag.fail(f"no bundled genome `{name.text}`", name.span,
                               did_you_mean(name.text, GENOMES, "genomes") or 'or read your own with file="..."')
            return ir.GenomeSource(name.text)
        path = next(k.value for k in call.kwargs if k.name.text == "file")
        if not isinstance(path, ast.Literal):
            self.diag.fail("`file` is a path in quotes", path.span, 'e.g. file="data/chrIV.fa.gz"')
        found, digest = self.scope.input_file(path, "genome")
        source = ir.GenomeSource(path.text, found, digest)
        try:
            codes = load_genome(source)
        except GenomeError as exc:
            self.diag.fail(str(exc), path.span, "give a FASTA or gzip FASTA file of A, C, G, T (N for unknown)")
        if not (codes < 4).any():
            self.diag.fail(f'"{path.text}" holds no A, C, G or T', path.span, "give a FASTA file with sequence")
        return source

    def given(self, call: ast.Call) -> ir.GivenBackground:
        """Sequences given whole in a FASTA file: every record must be the benchmark's
        length and of A, C, G, T only (classes check that their records exist)."""
        from ...fasta import FastaError, read_given

        usage = BACKGROUND_FUNCS["given"]
        arity(self.diag, call, 1, (), usage)
        path = call.args[0]
        if not isinstance(path, ast.Literal):
            self.diag.fail("`given` takes a FASTA file's path in quotes", path.span, f"usage: {usage}")
        found, digest = self.scope.input_file(path, "sequences")
        background = ir.GivenBackground(path.text, found, digest)
        try:
            records = read_given(found, digest)
        except FastaError as exc:
            self.diag.fail(str(exc), path.span, "give a FASTA file of the sequences, one record each")
        for rid, seq in records.items():
            if len(seq) != self.length:
                self.diag.fail(f'record {rid} of "{path.text}" is {len(seq)} bp, not the benchmark\'s {self.length}',
                               path.span, "every given sequence must have the benchmark's length")
            if "N" in seq:
                self.diag.fail(f'record {rid} of "{path.text}" holds N', path.span,
                               "a plan's sequences are A, C, G and T only")
        return background

    def genome(self, call: ast.Call) -> ir.GenomeBackground:
        diag, usage = self.diag, BACKGROUND_FUNCS["genome"]
        from_file = any(k.name.text == "file" for k in call.kwargs)
        arity(diag, call, 0 if from_file else 1, ("at", "strands", "file") if from_file else ("at", "strands"), usage)
        name = self.source(call, None if from_file else call.args[0], usage)
        kw = {k.name.text: k.value for k in call.kwargs}
        low, high = 0.0, 1.0
        if "at" in kw:
            at = kw["at"]
            if not isinstance(at, ast.ListValue) or len(at.items) != 2:
                diag.fail("`at` takes a range [low, high]", at.span, "e.g. at=[0.4, 0.7]")
            low, high = (probability(diag, x, "at") for x in at.items)
            if low > high:
                diag.fail(f"the AT range [{low:g}, {high:g}] is empty", at.span, "write [low, high] with low <= high")
            self.windows_exist(name, low, high, at)
        elif from_file:
            self.windows_exist(name, 0.0, 1.0, call)
        strands = "both"
        if "strands" in kw:
            value = kw["strands"]
            if not isinstance(value, ast.Literal) or value.text not in ("both", "forward"):
                diag.fail('`strands` is "both" or "forward"', value.span, f"usage: {usage}")
            strands = value.text
        return ir.GenomeBackground(name, low, high, strands)

    def windows_exist(self, genome: ir.GenomeSource, low: float, high: float, where: ast.ListValue) -> None:
        """Fail when no N-free window of the benchmark's length has its AT fraction in
        [low, high] (the sampler's own criterion), instead of failing while compiling."""
        import numpy as np

        from ...genomes import window_at_counts

        if self.length <= 0:
            return
        counts = window_at_counts(genome, self.length)
        at = np.arange(len(counts)) / self.length
        if counts.sum() == 0:
            self.diag.fail(f"genome `{genome.name}` has no {self.length} bp window without N", where.span,
                           "use a shorter sequence length or another genome")
        if not counts[(at >= low - 1e-12) & (at <= high + 1e-12)].any():
            present = at[counts > 0]
            self.diag.fail(f"no {self.length} bp window of `{genome.name}` has its AT fraction in [{low:g}, {high:g}]",
                           where.span, f"its windows range from AT {present.min():.3f} to {present.max():.3f}")
