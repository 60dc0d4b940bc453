"""The spec's namespace: the header, every top-level name, and what each resolved to."""
from __future__ import annotations

import os
from pathlib import Path

from ...io import printable, resolve_inside, sha256_file, unreadable_path
from ...limits import INPUT_LIMITS, LIMIT_HINTS
from ...text import did_you_mean
from .. import ast
from .. import program as ir
from ..errors import Span
from .diagnostics import Diagnostics

_KINDS = {ast.Background: "background", ast.Motif: "motif", ast.Table: "table", ast.Layout: "layout",
          ast.ClassDef: "class"}
CONTRAST_NODES = (ast.WinRate, ast.Magnitude, ast.Ratio, ast.Effect)


def kind_of(node) -> str:
    return _KINDS.get(type(node), "definition")


class Scope:
    """Top-level definitions by name, and what the checker resolved them to so far.
    `reserved`: words that mean something in the language and so cannot name anything."""

    def __init__(self, spec: ast.Spec, diag: Diagnostics, reserved: dict[str, str], data_dir: str | None = None,
                 root_dir: Path | None = None):
        self.spec, self.diag, self.reserved = spec, diag, reserved
        self.base_dir = Path(spec.path).parent if spec.path and not spec.path.startswith("<") else Path(".")
        self.data_dir = Path(data_dir) if data_dir is not None else self.base_dir
        self.root_dir = root_dir or self.base_dir  # the importing spec's directory: input paths read from it
        self.defs: dict[str, ast.Statement] = {}
        self.motifs: dict[str, ir.MotifIR | None] = {}  # None: the definition has errors
        self.backgrounds: dict[str, ir.BackgroundIR] = {}
        self.tables: dict[str, ir.TableIR] = {}
        self.layouts: dict[str, dict[str, tuple[int, int | None]]] = {}
        self.layout_origins: dict[str, str] = {}  # layout -> its origin slot
        self.imported: dict[str, ast.Import] = {}  # name -> the import that brought it
        self.inputs: list[dict] = []  # files the spec reads: {"kind", "path", "sha256"}
        self.title, self.seed, self.length = "", 0, 0

    def of(self, kind) -> list:
        return [s for s in self.spec.statements if isinstance(s, kind)]

    def names_of(self, kind: type) -> list[str]:
        return [n for n, s in self.defs.items() if isinstance(s, kind)]

    def check_header(self, max_length: int) -> None:
        heads = self.of(ast.Benchmark)
        if not heads:
            self.diag.error("missing `benchmark` header", Span(1, 1, 1, 2),
                            'start the spec with: benchmark "NAME" seed 42 length 100')
            return
        for extra in heads[1:]:
            self.diag.error("a spec has one `benchmark` header", extra.span, f"the first is at line {heads[0].span.line}")
        head = heads[0]
        if head.length is None:
            self.diag.error("the benchmark needs a sequence length", head.span, "add `length 100` to the header")
        elif head.length.value <= 0:
            self.diag.error("length must be a positive number of bases", head.length.span,
                            "every sequence of the benchmark has this many bases, e.g. `length 100`")
        elif head.length.value > max_length:
            self.diag.error(f"length {head.length.value:,} is over the limit of {max_length:,} bp", head.length.span,
                            "gLMs score far shorter windows; raise the limit with --max-length if you mean it")
        else:
            self.length = head.length.value
        if head.seed is not None and head.seed.value >= 2**63:
            self.diag.error("seed must be below 2^63", head.seed.span, "any integer from 0 to 2^63 - 1 will do")
        self.title = head.title.text
        self.seed = head.seed.value if head.seed is not None else 0

    def check_reserved(self, name: ast.Name, what: str = "name") -> bool:
        """False (with an error) when `name` is a reserved word."""
        meaning = self.reserved.get(name.text)
        if meaning is None:
            return True
        self.diag.error(f"`{name.text}` is reserved ({meaning})", name.span, f"pick another {what}")
        return False

    def collect_names(self) -> None:
        for node in self.spec.statements:
            if isinstance(node, (ast.Benchmark, ast.Import, ast.Role, ast.Rules, ast.Expect, *CONTRAST_NODES)):
                continue
            name = node.name.text
            if not self.check_reserved(node.name):
                continue
            if name in self.imported:
                where = self.imported[name]
                self.diag.error(f"`{name}` is defined here and imported by line {where.span.line}", where.span,
                                f"rename it here (line {node.name.span.line}) or in {where.path.text}")
                continue
            if name in self.defs:
                first = self.defs[name]
                self.diag.error(f"`{name}` is already defined (as a {kind_of(first)} at line {first.name.span.line})",
                                node.name.span, "give each background, motif, table, layout and class its own name")
                continue
            self.defs[name] = node

    def input_file(self, path: ast.Literal, kind: str) -> tuple[str, str]:
        """(where, sha256) of a file the spec reads: relative to the spec's directory and
        inside the data directory (`--data-dir`, default the spec's own). Recorded in
        `inputs` (the plan lists them)."""
        if not path.text:
            self.diag.fail("empty file path", path.span, 'e.g. "data/region.fa.gz", relative to the spec file')
        if "\0" in path.text:
            self.diag.fail("a file path cannot contain a NUL byte (\\0)", path.span, "remove it from the path")
        if len(path.text) > 4096 or any(len(part) > 255 for part in Path(path.text).parts):
            self.diag.fail("the file path is too long for a file system", path.span,
                           "file names have at most 255 characters, paths 4096")
        found = resolve_inside(self.data_dir, os.path.relpath(self.base_dir / path.text, self.data_dir))
        if found is None or Path(path.text).is_absolute():
            self.diag.fail(f'"{path.text}" lies outside the data directory {self.data_dir.resolve()}', path.span,
                           "keep data beside the spec (paths are relative to it), or allow a wider --data-dir")
        problem = unreadable_path(found)
        if problem:
            self.diag.fail(f'"{printable(path.text)}" {problem}', path.span, "name a file")
        size = found.stat().st_size if found.exists() else 0
        limit = INPUT_LIMITS[kind]
        if size > limit:
            self.diag.fail(f'"{printable(path.text)}" is {size:,} bytes, over the {limit >> 20} MiB limit for a {kind} file',
                           path.span, LIMIT_HINTS[kind])
        try:
            digest = sha256_file(found)
        except OSError as exc:
            self.diag.fail(f'cannot read "{path.text}" ({exc.strerror or exc})', path.span,
                           f"paths are relative to the spec's directory ({self.base_dir.resolve()})")
        shown = Path(os.path.relpath(found, self.root_dir.resolve())).as_posix()
        record = {"kind": kind, "path": shown, "sha256": digest}
        if record not in self.inputs:
            self.inputs.append(record)
        return str(found), digest

    def undefined(self, name: ast.Name | ast.Ref, kind: type, what: str):
        """Fail for a name that does not resolve to a `kind`: undefined, or another kind."""
        text = name.text if isinstance(name, ast.Name) else name.dotted
        head = text.split(".")[0]
        node = self.defs.get(head)
        hint = did_you_mean(head, self.names_of(kind), f"{what}es" if what.endswith("s") else f"{what}s")
        if node is not None and not isinstance(node, kind):
            self.diag.fail(f"`{head}` is a {kind_of(node)}, not a {what}", name.span, hint)
        self.diag.fail(f"undefined {what} `{text}`", name.span, hint)
