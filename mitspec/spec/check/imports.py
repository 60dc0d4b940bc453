"""Definitions (backgrounds, motifs, tables, layouts) and `import "lib/x.mit"`, which
brings another file's definitions (not its classes or contrasts) into a spec.

An imported file is checked on its own terms (its paths are relative to it) with the
importing spec's header; its problems, a cycle of imports, and a name both files define
are errors at the import's line:col."""
from __future__ import annotations

from pathlib import Path

from .. import ast
from ..errors import SpecErrors
from .backgrounds import Backgrounds
from .diagnostics import Diagnostics, Invalid
from .motifs import Motifs
from .positions import Positions
from .scope import Scope
from .tables import check_table

LIBRARY = (ast.Background, ast.Motif, ast.Table, ast.Layout)
MAX_IMPORT_DEPTH = 16
SHOWN_ERRORS = 3


def resolve_definitions(scope: Scope) -> Motifs:
    """Backgrounds, motifs, tables and layouts of `scope`'s own statements."""
    backgrounds = Backgrounds(scope)
    for node in scope.of(ast.Background):
        try:
            resolved = backgrounds.resolve(node.expr)
        except Invalid:
            continue
        if scope.defs.get(node.name.text) is node:
            scope.backgrounds[node.name.text] = resolved
    motifs = Motifs(scope)
    for node in scope.of(ast.Motif):
        motifs.define(node.name.text)
    for node in scope.of(ast.Table):
        table = check_table(node, motifs)
        if table is not None and scope.defs.get(node.name.text) is node:
            scope.tables[node.name.text] = table
    positions = Positions(scope)
    for node in scope.of(ast.Layout):
        scope.layouts[node.name.text] = positions.check_layout(node)
    return motifs


class Imports:
    def __init__(self, scope: Scope, stack: tuple[Path, ...] = ()):
        self.scope, self.diag = scope, scope.diag
        here = Path(scope.spec.path).resolve() if not scope.spec.path.startswith("<") else None
        self.stack = stack or ((here,) if here else ())

    def load_all(self) -> None:
        for node in self.scope.of(ast.Import):
            try:
                self.load(node)
            except Invalid:
                continue

    def load(self, node: ast.Import) -> None:
        from ..parser import parse, read_spec

        scope, diag = self.scope, self.diag
        found, _ = scope.input_file(node.path, "import")
        path = Path(found)
        if path in self.stack:
            cycle = " -> ".join(p.name for p in (*self.stack[self.stack.index(path):], path))
            diag.fail(f"import cycle: {cycle}", node.span, "a library must not import what imports it")
        if len(self.stack) >= MAX_IMPORT_DEPTH:
            diag.fail(f"imports nest deeper than {MAX_IMPORT_DEPTH} files", node.span, "import the libraries directly")
        try:
            library = parse(read_spec(path), str(path))
        except SpecErrors as exc:
            self.report(node, exc.errors)
        kept = tuple(s for s in library.statements if isinstance(s, (ast.Import, *LIBRARY)))
        sub = Scope(ast.Spec(kept, str(path), library.source), Diagnostics(library.source), scope.reserved,
                    str(scope.data_dir), scope.root_dir)
        sub.title, sub.seed, sub.length = scope.title, scope.seed, scope.length
        Imports(sub, (*self.stack, path)).load_all()
        sub.collect_names()
        resolve_definitions(sub)
        if sub.diag.errors:
            self.report(node, sub.diag.errors)
        for name, definition in sub.defs.items():
            if name in scope.defs:
                first = scope.imported.get(name)
                where = f"also imported at line {first.span.line}" if first else "also defined in this spec"
                diag.error(f"`{name}` from {node.path.text} clashes with another definition ({where})", node.span,
                           "rename one of them; imports bring every background, motif, table and layout of a file")
                continue
            scope.defs[name] = definition
            scope.imported[name] = node
        for table in (("motifs", scope.motifs, sub.motifs), ("backgrounds", scope.backgrounds, sub.backgrounds),
                      ("tables", scope.tables, sub.tables), ("layouts", scope.layouts, sub.layouts),
                      ("origins", scope.layout_origins, sub.layout_origins)):
            _, into, source = table
            for name, value in source.items():
                into.setdefault(name, value)
        scope.inputs.extend(i for i in sub.inputs if i not in scope.inputs)

    def report(self, node: ast.Import, errors) -> None:
        shown = "; ".join(f"line {e.span.line}:{e.span.column}: {e.message}" for e in errors[:SHOWN_ERRORS])
        more = f" (and {len(errors) - SHOWN_ERRORS} more)" if len(errors) > SHOWN_ERRORS else ""
        self.diag.fail(f"{node.path.text} has errors: {shown}{more}", node.span,
                       f"fix them in {node.path.text} (line:col as given); a library holds definitions only")
