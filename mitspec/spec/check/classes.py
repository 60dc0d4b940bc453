"""Classes: derivation order, sizes, backgrounds, and the static run of each body."""
from __future__ import annotations

from dataclasses import dataclass, replace

from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..layout import ClassState, GivenFill
from .diagnostics import Invalid
from .edits import Edits
from .scope import Scope, kind_of
from .sweeps import Sweeps

EXTRA_STEP_BASE = 1000  # step indices of operations a sweep level appends after the body


@dataclass(frozen=True)
class Limits:
    """The most a plan may hold, checked before anything is drawn (a typo such as
    n=1000000000 should be a diagnostic, not an allocation of 100 GB). `mitspec compile
    --max-bases ...` raises them knowingly."""

    max_sequences: int = 10**7
    max_bases: int = 10**8  # sequences x length, over the whole plan
    max_length: int = 10**5  # bp per sequence


def refilled(step: ir.Step, background: ir.BackgroundIR) -> ir.Step:
    """`step` with its fresh bases drawn from `background` (for an edit that has a Fill)."""
    fill = getattr(step.op, "fill", None)
    if fill is None or fill.background == background:
        return step
    return replace(step, op=replace(step.op, fill=replace(fill, background=background)))


def with_reserves(built: list[tuple[ir.ClassIR, ClassState]]) -> list[ir.ClassIR]:
    """The classes, with each genome background drawing as much of the genome's
    continuation past its windows as the classes sharing those windows use."""
    need: dict[str, int] = {}
    for cls, state in built:
        need[cls.background_root] = max(need.get(cls.background_root, 0), state.consumed)
    out = []
    for cls, _ in built:
        reserve = need[cls.background_root]
        if reserve and isinstance(cls.background, ir.GenomeBackground):
            cls = replace(cls, background=replace(cls.background, reserve=reserve))
        out.append(cls)
    return out


def level_values(cls: ir.ClassIR) -> list:
    """The level of each sweep a condition class stands for."""
    c = cls.condition or {}
    return list(c["levels"]) if "levels" in c else [c.get("level")]


def _same_level(key: ast.Number | ast.Name, value) -> bool:
    if isinstance(key, ast.Number):
        return not isinstance(value, str) and float(value) == key.value
    return isinstance(value, str) and value == key.text


def find_condition(ref: ast.ClassRef, classes: list[ir.ClassIR]) -> ir.ClassIR | None:
    """The condition of swept class `ref.name` whose levels are `ref.keys` (numbers compare
    as numbers: S[87] and S[87.0] are one level; with an origin, S[+28] is 28 past it)."""
    for cls in classes:
        if cls.group != ref.name.text:
            continue
        values = level_values(cls)
        if len(values) == len(ref.keys) and all(_same_level(k, v) for k, v in zip(ref.keys, values)):
            return cls
    return None


def condition_error(ref: ast.ClassRef, classes: list[ir.ClassIR]) -> tuple:
    """(message, span, hint) for a class reference that names no condition."""
    group = [c for c in classes if c.group == ref.name.text]
    if not group:
        return (f"`{ref.name.text}` has no sweep, so `{ref.text}` names nothing", ref.span,
                f"refer to the class as `{ref.name.text}`")
    width = len(level_values(group[0]))
    if width != len(ref.keys):
        return (f"`{ref.name.text}` has {width} sweep{'s' if width > 1 else ''}, so a condition names {width} "
                f"level{'s' if width > 1 else ''}", ref.span, f"e.g. {group[0].name}")
    names = [c.name for c in group]
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return (f"`{ref.name.text}` has no condition {ref.text}", ref.span, f"conditions: {shown}")


class Classes:
    def __init__(self, scope: Scope, ops: Edits, limits: Limits = Limits()):
        self.scope, self.diag, self.ops, self.limits = scope, scope.diag, ops, limits
        self.sweeps = Sweeps(ops, self.simulate)

    def check_all(self) -> list[ir.ClassIR]:
        nodes = {c.name.text: c for c in self.scope.of(ast.ClassDef) if self.scope.defs.get(c.name.text) is c}
        done: dict[str, list[tuple[ir.ClassIR, ClassState]]] = {}
        order = self.order(nodes)
        sequences, over_budget = 0, False
        for name in order:
            node = nodes[name]
            parent = None
            if node.parent:
                built = done.get(node.parent.name.text if isinstance(node.parent, ast.ClassRef) else node.parent.text)
                if built is None:
                    continue  # the parent failed; its errors are already reported
                if isinstance(node.parent, ast.ClassRef):
                    parent = self.condition(node.parent, built)
                    if parent is None:
                        continue
                elif built[0][0].group is not None:
                    first = built[0][0].name
                    self.diag.error(f"`{node.parent.text}` is swept, so it cannot be a parent", node.parent.span,
                                    f"derive from one of its conditions (`from {first}`), or put the sweep in this class")
                    continue
                else:
                    parent = built[0]
            try:
                done[name] = self.check_class(node, parent)
            except Invalid:
                continue
            sequences += sum(c.n for c, _ in done[name])
            if not over_budget:
                over_budget = self.over_budget(node, sequences)
        built = [pair for n in order if n in done for pair in done[n]]
        return with_reserves(built)

    def condition(self, ref: ast.ClassRef, built: list) -> tuple | None:
        """The (ClassIR, ClassState) of the condition `ref` names, or None with an error."""
        found = find_condition(ref, [cls for cls, _ in built])
        if found is None:
            self.diag.error(*condition_error(ref, [cls for cls, _ in built]))
            return None
        return next(b for b in built if b[0] is found)

    def over_budget(self, node: ast.ClassDef, sequences: int) -> bool:
        """True (with an error at the class that crosses it) once the plan exceeds its limits."""
        limits, length = self.limits, self.scope.length
        if sequences > limits.max_sequences:
            self.diag.error(f"with class `{node.name.text}` the plan holds {sequences:,} sequences, over the limit of "
                            f"{limits.max_sequences:,}", node.name.span,
                            "lower n (or the sweep's levels), or raise the limit with --max-sequences")
            return True
        if sequences * length > limits.max_bases:
            self.diag.error(f"with class `{node.name.text}` the plan holds {sequences * length:,} bases "
                            f"({sequences:,} x {length:,} bp), over the limit of {limits.max_bases:,}", node.name.span,
                            "lower n or the length, or raise the limit with --max-bases")
            return True
        return False

    def order(self, nodes: dict[str, ast.ClassDef]) -> list[str]:
        """Parents before children, otherwise source order; reports cycles and unknown parents."""
        order: list[str] = []
        state: dict[str, str] = {}
        error = self.diag.error

        for start in nodes:  # walk up each class's ancestry (iteratively: chains may be long)
            chain: list[str] = []
            name = start
            while state.get(name) != "done":
                if name in chain:
                    cycle = " -> ".join((*chain[chain.index(name):], name))
                    error(f"class `{name}` derives from itself ({cycle})", nodes[name].parent.span,
                          "a class must start from a root class that has `on BACKGROUND`")
                    break
                chain.append(name)
                node = nodes[name]
                if node.parent is None:
                    break
                parent = node.parent.name.text if isinstance(node.parent, ast.ClassRef) else node.parent.text
                if parent not in nodes:
                    other = self.scope.defs.get(parent)
                    error(f"undefined class `{parent}`" if other is None else f"`{parent}` is a {kind_of(other)}, not a class",
                          node.parent.span, did_you_mean(parent, nodes, "classes"))
                    break
                name = parent
            for name in reversed(chain):  # ancestors first
                state[name] = "done"
                order.append(name)
        return order

    def background_of(self, node: ast.ClassDef, parent) -> tuple[ir.BackgroundIR | None, bool]:
        """The class's background (its own, or its parent's) and whether `on` was valid."""
        scope, diag, name = self.scope, self.diag, node.name.text
        if node.on is not None:
            if parent is not None and not node.independent:
                diag.error(f"class `{name}` shares its parent's backgrounds, so it cannot choose one", node.on.span,
                           "add `independent` to draw fresh backgrounds, or remove `on ...`")
                return None, False
            background = scope.backgrounds.get(node.on.text)
            if background is None:
                if node.on.text in scope.defs and isinstance(scope.defs[node.on.text], ast.Background):
                    return None, False  # the background has errors, already reported
                try:
                    scope.undefined(node.on, ast.Background, "background")
                except Invalid:
                    return None, False
            return background, True
        if parent is None:
            known = scope.names_of(ast.Background)
            diag.error(f"class `{name}` needs a background", node.name.span,
                       f"add `on NAME`; backgrounds: {', '.join(known)}" if known
                       else "define one (`background bg = iid(at=0.5)`) and add `on bg`")
            return None, False
        return parent[0].background, True

    def check_class(self, node: ast.ClassDef, parent: tuple[ir.ClassIR, ClassState] | None):
        diag, name, ok = self.diag, node.name.text, True
        n = node.n.value if node.n is not None else None
        if node.n is None:
            hint = f"add `n={parent[0].n}`" if parent else "add `n=100` after the class name"
            diag.error(f"class `{name}` needs a size", node.name.span, hint)
            ok = False
        elif n <= 0:
            diag.error(f"n must be positive, got {n}", node.n.span, "n is the number of sequences in the class")
            ok = False
        elif n > self.limits.max_sequences:
            diag.error(f"n={n:,} is over the limit of {self.limits.max_sequences:,} sequences", node.n.span,
                       "lower it, or raise the limit with --max-sequences")
            ok = False
        if parent is not None and not node.independent and n is not None and n > parent[0].n:
            diag.error(f"class `{name}` has n={n} but its parent `{parent[0].name}` has only {parent[0].n} instances",
                       node.n.span, "a derived class edits its parent's instances one for one; lower n, or add `independent`")
            ok = False
        background, valid = self.background_of(node, parent)
        ok &= valid
        if node.independent and parent is None:
            diag.error("`independent` only applies to a derived class", node.span, "add `from PARENT`, or remove `independent`")
            ok = False
        if isinstance(background, ir.GivenBackground) and n is not None and (parent is None or node.independent):
            ok &= self.given_records_exist(node, background, n)
        sweeps = [op for op in node.ops if isinstance(op, ast.Sweep)]
        ops = [(i, op) for i, op in enumerate(node.ops) if not isinstance(op, ast.Sweep)]
        if not sweeps:
            result = self.simulate(node, parent, ops, background, n)  # reports the body's errors too
            if not ok:
                raise Invalid
            return [result]
        if not ok:
            raise Invalid
        return self.sweeps.expand(node, parent, ops, background, n, sweeps)

    def given_records_exist(self, node: ast.ClassDef, background: ir.GivenBackground, n: int) -> bool:
        """A class on given sequences takes records NAME_000 .. NAME_{n-1}: all must be there."""
        from ...fasta import read_given

        name = node.name.text
        records = read_given(background.path, background.sha256)
        # past the file's own record count every name is missing: look no further (n may be huge)
        looked = min(n, len(records) + 1)
        missing = [f"{name}_{i:03d}" for i in range(looked) if f"{name}_{i:03d}" not in records]
        count = len(missing) + (n - looked)
        if count:
            held = sum(1 for r in records if r.rsplit("_", 1)[0] == name)
            self.diag.error(f'"{background.file}" lacks {count:,} of class `{name}`\'s {n:,} records '
                            f"(first: {missing[0]})", (node.n or node.name).span,
                            f"records are named by the plan's ids ({name}_000, {name}_001, ...); the file holds "
                            f"{held} for `{name}`")
            return False
        return True

    def simulate(self, node: ast.ClassDef, parent, ops, background, n: int, level=None, extra=None):
        """Run the class body statically: (ClassIR, final state). `level` is (title part,
        label, condition record) for a sweep condition; `extra(state)` returns operations
        to append."""
        name = node.name.text
        state = parent[1].copy() if parent else ClassState()
        # an independent class re-runs its parent's recipe on its own backgrounds, edits'
        # fresh bases included
        steps = [refilled(step, background) for step in parent[0].steps] if parent and node.independent else []
        own: list[ir.Step] = []
        ok = True
        state.background = background
        for index, op in ops:
            try:
                produced = self.ops.check(op, state, node.allow_overlap)
            except Invalid:
                ok = False
                continue
            except GivenFill:
                self.diag.error("this edit needs fresh background bases, and a given-sequences background has no model "
                                "to draw them from", op.span, "use place, mutate, shuffle, revcomp, insert or move on "
                                "given sequences")
                ok = False
                continue
            if isinstance(produced, list):  # copies placed by one statement: a stream each
                own += [ir.Step(name, index if k == 0 else f"{index}.{k}", p) for k, p in enumerate(produced)]
            elif produced is not None:
                own.append(ir.Step(name, index, produced))
        if ok and extra is not None:
            own += [ir.Step(name, EXTRA_STEP_BASE + k, op_ir) for k, op_ir in enumerate(extra(state))]
        if not ok:
            raise Invalid
        root = name if parent is None or node.independent else parent[0].background_root
        title = node.title.text if node.title else name
        full = name if level is None else f"{name}[{level[1]}]"
        condition = None if level is None else level[2]
        cls = ir.ClassIR(full, title if level is None else f"{title} [{level[0]}]", n,
                         parent[0].name if parent else None, node.independent, background, root,
                         tuple(steps + own), tuple(sorted(state.features, key=lambda f: (f.start, f.end, f.name))),
                         None if level is None else name, condition, state.origin)
        return cls, state
