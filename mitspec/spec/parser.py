"""Source text -> `ast.Spec`. Lark does the parsing; `_ToAst` builds typed nodes."""
from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from ..io import cache_dir, private_dir, private_file, read_input
from ..limits import RECOVERY_BYTES, SPEC_BYTES
from . import ast
from . import ops as edit_ops
from .errors import Span, SpecError, SpecErrors, source_lines

_FRIENDLY = {
    "NAME": "a name",
    "INT": "an integer",
    "NUMBER": "a number",
    "STRING": 'a "string"',
    "SIGN": "`+` or `-`",
    "PICK": "`cycle` or `random`",
    "$END": "end of file",
}


@lru_cache(maxsize=1)
def grammar_text() -> str:
    return resources.files("mitspec").joinpath("grammar/mit.lark").read_text(encoding="utf-8")


def grammar_cache() -> Path | None:
    """Where Lark may keep its parse tables: a file in a directory only this user can
    write, or None. Lark unpickles that file before checking it, so it must never live
    where someone else can plant one (Lark's own `cache=True` uses the shared temp dir)."""
    import lark

    directory = private_dir(cache_dir() / "grammar")
    if directory is None:
        return None
    path = directory / f"mit-lark-{lark.__version__}.cache"
    return path if private_file(path) else None


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # A private cache saves building the LALR tables (~60 ms, more than checking a spec).
    cache = grammar_cache()
    parser = Lark(grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                  maybe_placeholders=False, cache=str(cache) if cache else False)
    if cache is not None and cache.exists():
        cache.chmod(0o600)
    return parser


def _span(meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _name(tok: Token) -> ast.Name:
    return ast.Name(str(tok), _tok_span(tok))


def _string(tok: Token) -> ast.Literal:
    return ast.Literal(str(tok)[1:-1], _tok_span(tok))


MAX_DIGITS = 19  # integers below 10^19: every seed (< 2^63) and far beyond any size or position


def _too_large(tok: Token) -> SpecError:
    shown = str(tok) if len(str(tok)) <= 24 else f"{str(tok)[:20]}... ({len(str(tok))} digits)"
    return SpecError(f"the number {shown} is too large", _tok_span(tok),
                     "sizes, positions and seeds are far smaller; check for a typo")


class _Option(tuple):
    """(keyword, value, span) of an option such as `seed 42`, `n=100`, `allow overlap`."""


class _Target(tuple):
    """(name, args or None) of one sweep target."""


def _option(word: str, value, span: Span) -> _Option:
    return _Option((word, value, span))


class _Leaves:
    """Tokens -> ast leaves and option collection, for the transformer and for the parse
    functions of edit operations (spec/ops). Errors (a number too large, an option given
    twice) are collected in `errors`, not raised, so one parse reports them all."""

    def __init__(self, errors: list[SpecError]):
        self.errors = errors

    def int(self, tok: Token) -> ast.Int:
        """An INT token, refused (with an error) past MAX_DIGITS instead of building a huge int."""
        if len(str(tok)) > MAX_DIGITS:
            self.errors.append(_too_large(tok))
            return ast.Int(0, _tok_span(tok))
        return ast.Int(int(tok), _tok_span(tok))

    def number(self, tok: Token) -> ast.Number:
        """A NUMBER token as a finite float (1e400 would be inf)."""
        value = float(tok)
        if not math.isfinite(value):
            self.errors.append(_too_large(tok))
            value = 0.0
        return ast.Number(value, str(tok), _tok_span(tok))

    name = staticmethod(_name)
    string = staticmethod(_string)
    option = staticmethod(_option)

    @staticmethod
    def is_option(item) -> bool:
        return isinstance(item, _Option)

    @staticmethod
    def is_token(item) -> bool:
        return isinstance(item, Token)

    def options(self, items) -> dict:
        """{keyword: value} of the options among `items`; one given twice is an error."""
        found: dict[str, _Option] = {}
        for item in items:
            if not isinstance(item, _Option):
                continue
            word, _, span = item
            if word in found:
                first = found[word][2]
                self.errors.append(SpecError(f"`{word}` is given twice", span,
                                             f"the first is at line {first.line}, column {first.column}; keep one"))
                continue
            found[word] = item
        return {word: value for word, (_, value, _) in found.items()}


class _ToAst(Transformer):
    """Lark tree -> ast nodes. One method per grammar rule; the rules of edit operations
    are their modules' parse functions (spec/ops, added below). Options that the grammar
    lets repeat (`seed 1 seed 2`, `n=10 n=20`, a keyword argument twice) are collected in
    `errors`: each option is given once."""

    def __init__(self):
        super().__init__()
        self.errors: list[SpecError] = []
        self._leaves = _Leaves(self.errors)

    def _int(self, tok: Token) -> ast.Int:
        return self._leaves.int(tok)

    def _number(self, tok: Token) -> ast.Number:
        return self._leaves.number(tok)

    def _options(self, items) -> dict:
        return self._leaves.options(items)

    def start(self, meta, children):
        return tuple(children)

    # header
    def benchmark(self, meta, ch):
        opts = self._options(ch[1:])
        return ast.Benchmark(_string(ch[0]), opts.get("seed"), opts.get("length"), _span(meta))

    def seed(self, meta, ch):
        return _option("seed", self._int(ch[0]), _span(meta))

    def length(self, meta, ch):
        return _option("length", self._int(ch[0]), _span(meta))

    # values
    def literal(self, meta, ch):
        return _string(ch[0])

    def number(self, meta, ch):
        return self._number(ch[0])

    def ref(self, meta, ch):
        return ast.Ref(tuple(_name(t) for t in ch), _span(meta))

    def list(self, meta, ch):
        return ast.ListValue(tuple(ch), _span(meta))

    def kwarg(self, meta, ch):
        return ast.KwArg(_name(ch[0]), ch[1], _span(meta))

    def posarg(self, meta, ch):
        return ch[0]

    def call(self, meta, ch):
        args = tuple(c for c in ch[1:] if not isinstance(c, ast.KwArg))
        named = self._options(_option(k.name.text, k, k.name.span) for k in ch[1:] if isinstance(k, ast.KwArg))
        kwargs = tuple(named.values())
        return ast.Call(_name(ch[0]), args, kwargs, _span(meta))

    # definitions
    def background(self, meta, ch):
        return ast.Background(_name(ch[0]), ch[1], _span(meta))

    def motif(self, meta, ch):
        return ast.Motif(_name(ch[0]), ch[1], _span(meta))

    def table(self, meta, ch):
        names = [c for c in ch if isinstance(c, Token)]
        rows = tuple(c for c in ch if isinstance(c, ast.Row))
        return ast.Table(_name(names[0]), tuple(_name(t) for t in names[1:]), rows, _span(meta))

    def row(self, meta, ch):
        return ast.Row(_name(ch[0]), tuple(_string(t) for t in ch[1:]), _span(meta))

    def import_(self, meta, ch):
        return ast.Import(_string(ch[0]), _span(meta))

    def layout(self, meta, ch):
        origins = [c for c in ch[1:] if isinstance(c, _Option)]
        self._options(origins)  # one origin per layout
        return ast.Layout(_name(ch[0]), tuple(c for c in ch[1:] if isinstance(c, ast.Slot)),
                          origins[0][1] if origins else None, _span(meta))

    def role(self, meta, ch):
        return ast.Role(_name(ch[0]), ch[1], _span(meta))

    def layout_origin(self, meta, ch):
        return _option("origin", _name(ch[0]), _span(meta))

    def slot(self, meta, ch):
        where = ch[1]
        if isinstance(where, ast.RangeRegion):
            return ast.Slot(_name(ch[0]), where.start, where.end, _span(meta))
        return ast.Slot(_name(ch[0]), where, None, _span(meta))

    # positions
    def absolute(self, meta, ch):
        return self._int(ch[0])

    def offset(self, meta, ch):
        value = self._int(ch[1]).value
        return -value if str(ch[0]) == "-" else value

    def seq_end(self, meta, ch):
        return ast.End(_span(meta))

    def pos(self, meta, ch):
        return ast.Position(ch[0], tuple(ch[1:]), _span(meta))

    def range(self, meta, ch):
        return ast.RangeRegion(ch[0], ch[1], _span(meta))

    def whole(self, meta, ch):
        return ast.WholeRegion(_span(meta))

    def slice(self, meta, ch):
        return ast.SliceRegion(ch[0], self._int(ch[1]), self._int(ch[2]), _span(meta))

    def outside(self, meta, ch):
        return ast.OutsideRegion(_span(meta))

    def region(self, meta, ch):
        node = ch[0]
        return ast.RefRegion(node, node.span) if isinstance(node, ast.Ref) else node

    # classes
    def count(self, meta, ch):
        return _option("n", self._int(ch[0]), _span(meta))

    def on(self, meta, ch):
        return _option("on", _name(ch[0]), _span(meta))

    def parent(self, meta, ch):
        return _option("from", self._class(ch[0]), _span(meta))

    def independent(self, meta, ch):
        return _option("independent", True, _span(meta))

    def allow_overlap(self, meta, ch):
        return _option("allow overlap", True, _span(meta))

    def class_def(self, meta, ch):
        name = _name(ch[0])
        rest = ch[1:]
        title = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":
            title, rest = _string(rest[0]), rest[1:]
        opts = self._options(rest)
        ops = tuple(c for c in rest if not isinstance(c, _Option))
        return ast.ClassDef(
            name, title, opts.get("n"), opts.get("on"), opts.get("from"),
            bool(opts.get("independent")), bool(opts.get("allow overlap")), ops, _span(meta),
        )

    def strand(self, meta, ch):
        return _option("strand", str(ch[0]), _span(meta))

    def alias(self, meta, ch):
        return _option("as", _name(ch[0]), _span(meta))

    def signed(self, meta, ch):
        number = self._number(ch[1])
        value = -number.value if str(ch[0]) == "-" else number.value
        return ast.Number(value, f"{ch[0]}{number.text}", _span(meta))

    def level_expr(self, meta, ch):
        """A bare name is a level name (`none`, `forward`); anything else is a position."""
        base, offsets = ch[0], tuple(ch[1:])
        if isinstance(base, ast.Ref) and len(base.parts) == 1 and not offsets:
            return base.parts[0]
        return ast.Position(base, offsets, _span(meta))

    def target(self, meta, ch):
        return _Target((_name(ch[0]), None))

    def target_call(self, meta, ch):
        return _Target((_name(ch[0]), tuple(_name(t) for t in ch[1:])))

    def sweep_list(self, meta, ch):
        return tuple(ch)

    def sweep_range(self, meta, ch):
        start, stop, *step = ch
        step = self._number(step[0]) if step else None
        return ast.SweepRange(start, stop, step, _span(meta))

    def motif_levels(self, meta, ch):
        return ast.MotifLevels(tuple(ch), _span(meta))

    def sweep(self, meta, ch):
        targets = [c for c in ch if isinstance(c, _Target)]
        rest = ch[len(targets):]
        (target, args), levels = targets[0], rest[0]
        return ast.Sweep(target, args, levels, len(rest) > 1, _span(meta), tuple(targets[1:]))

    # class references
    def _class(self, item):
        return item if isinstance(item, ast.ClassRef) else _name(item)

    def level_word(self, meta, ch):
        return _name(ch[0])

    def class_ref(self, meta, ch):
        return ast.ClassRef(_name(ch[0]), tuple(ch[1:]), _span(meta))



    # contrasts
    def contrast(self, meta, ch):
        kind, args = ch[1]
        return kind(_name(ch[0]), *args, _span(meta))

    def pairing(self, meta, ch):
        return "index" if ch else "lineage"

    def by_index(self, meta, ch):
        return True

    def win_rate(self, meta, ch):
        return ast.WinRate, (self._class(ch[0]), self._class(ch[1]), ch[2] if len(ch) > 2 else None)

    def magnitude(self, meta, ch):
        return ast.Magnitude, (self._class(ch[0]), self._class(ch[1]), self._class(ch[2]))

    def ratio(self, meta, ch):
        return ast.Ratio, (_name(ch[0]), _name(ch[1]))

    def effect(self, meta, ch):
        return ast.Effect, (ch[0],)

    # the declared grammar
    def rules(self, meta, ch):
        return ast.Rules(tuple(ch), _span(meta))

    def _rule(self, kind, meta, names, value, extras):
        opts = self._options(extras)
        return ast.Rule(kind, tuple(_name(t) for t in names), value, opts.get("tolerance"), opts.get("phase"),
                        opts.get("within"), opts.get("weight"), _span(meta))

    def spacing_rule(self, meta, ch):
        return self._rule("spacing", meta, ch[:2], ch[2], ch[3:])

    def position_rule(self, meta, ch):
        return self._rule("position", meta, ch[:1], ch[1], ch[2:])

    def orientation_rule(self, meta, ch):
        strand = ast.Number(-1.0 if str(ch[1]) == "-" else 1.0, str(ch[1]), _tok_span(ch[1]))
        return self._rule("orientation", meta, ch[:1], strand, ch[2:])

    def period_rule(self, meta, ch):
        return self._rule("period", meta, ch[:1], ch[1], ch[2:])

    def cooperative_rule(self, meta, ch):
        return self._rule("cooperative", meta, ch[:2], None, ch[2:])

    def tolerance(self, meta, ch):
        return _option("tolerance", ch[0], _span(meta))

    def phase(self, meta, ch):
        return _option("phase", ch[0], _span(meta))

    def within(self, meta, ch):
        return _option("within", self._int(ch[0]), _span(meta))

    def weight(self, meta, ch):
        return _option("weight", ch[0], _span(meta))

    # expectations
    def expect(self, meta, ch):
        kind, subject, other, low, high = ch[0]
        return ast.Expect(kind, subject, other, low, high, _span(meta))

    def expect_contrast(self, meta, ch):
        return "direction", _name(ch[0]), None, None, None

    def expect_above(self, meta, ch):
        left, right = ch
        if isinstance(right, ast.Number):
            return "above", self._class(left), None, right, None
        return "pair", self._class(left), self._class(right), None, None

    def expect_below(self, meta, ch):
        return "below", _name(ch[0]), None, None, ch[1]

    def expect_peak(self, meta, ch):
        return "peak", _name(ch[0]), None, ch[1], ch[2]

    def expect_periodic(self, meta, ch):
        return "periodic", _name(ch[0]), None, None, None


def _op_rule(parse):
    def method(self, meta, ch):
        return parse(self._leaves, _span(meta), *ch)
    return method


for _rule, _parse in edit_ops.PARSERS.items():
    assert not hasattr(_ToAst, _rule), f"grammar rule {_rule} has two parse functions"
    setattr(_ToAst, _rule, _op_rule(_parse))
_ToAst = v_args(meta=True)(_ToAst)


def _describe_expected(names) -> str:
    parser = _parser()
    words = []
    for name in sorted(set(names)):
        if name in _FRIENDLY:
            words.append(_FRIENDLY[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            words.append(name)
            continue
        words.append(f"`{pattern.value}`" if pattern.type == "str" else name.lower())
    words = sorted(set(words))
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _lines_to_eof(source: str) -> list[str]:
    """Lines up to the last one with text (a final newline opens no line to point at)."""
    lines = source_lines(source)
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


STATEMENT_KEYWORDS = ("benchmark", "import", "role", "background", "motif", "table", "layout", "class", "contrast",
                      "grammar", "expect")
MAX_SYNTAX_ERRORS = 20


def _unclosed_brace(source: str, offset: int) -> tuple[int, int] | None:
    """(line, column) of the innermost `{` still open at `offset`, outside strings and comments."""
    stack: list[tuple[int, int]] = []
    line, col, in_string, in_comment = 1, 0, False, False
    for ch in source[:offset]:
        col += 1
        if ch == "\n":
            line, col, in_string, in_comment = line + 1, 0, False, False
        elif in_comment:
            continue
        elif ch == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch == "#":
            in_comment = True
        elif ch == "{":
            stack.append((line, col))
        elif ch == "}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _offset(source: str, line: int, column: int) -> int:
    lines = source.split("\n")
    return sum(len(x) + 1 for x in lines[:line - 1]) + column - 1


def _with_brace_hint(error: SpecError, source: str, offset: int) -> SpecError:
    brace = _unclosed_brace(source, offset)
    if brace is None:
        return error
    where = f"the `{{` at line {brace[0]}, column {brace[1]} is not closed"
    return SpecError(error.message, error.span, f"{error.hint}; {where}" if error.hint else where)


MAX_NESTING = 32  # calls and lists within calls and lists


def _too_deep(tree: Tree) -> Tree | None:
    """The first call or list nested deeper than MAX_NESTING, found without recursion (the
    tree is turned into AST nodes recursively, so depth must be bounded before that)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in ("call", "list"):
            depth += 1
            if depth > MAX_NESTING:
                return node
        stack.extend((child, depth) for child in node.children if isinstance(child, Tree))
    return None


def _syntax_error(exc: UnexpectedInput, source: str) -> SpecError:
    line, col = max(exc.line, 1), max(exc.column, 1)
    if isinstance(exc, UnexpectedCharacters):
        char = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else ""
        hint = "this character has no meaning here; comments start with #"
        if char == '"':
            hint = "string literals open and close with `\"` on the same line"
        elif char == "'":
            hint = 'strings use double quotes: "TATAAT"'
        return SpecError(f"unexpected character `{char}`", Span(line, col, line, col + 1), hint)
    expected = _describe_expected(exc.expected if isinstance(exc, UnexpectedEOF) else (exc.accepts or exc.expected))
    if isinstance(exc, UnexpectedEOF) or exc.token.type == "$END":
        lines = _lines_to_eof(source)
        last = len(lines)
        error = SpecError("unexpected end of file", Span(last, len(lines[-1]) + 1, last, len(lines[-1]) + 2),
                          f"expected {expected}")
        return _with_brace_hint(error, source, len(source))
    tok = exc.token
    span = Span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(str(tok)))
    error = SpecError(f"unexpected `{tok}`", span, f"expected {expected}")
    if str(tok) in STATEMENT_KEYWORDS:  # a statement began where the last one had not ended
        return _with_brace_hint(error, source, _offset(source, tok.line, tok.column))
    return error


def _statement_starts(text: str) -> list[int]:
    """Offsets of lines that start with a top-level keyword (a statement's likely start)."""
    starts, offset = [], 0
    for line in text.split("\n"):
        if line.split(" ", 1)[0].split("{", 1)[0] in STATEMENT_KEYWORDS:
            starts.append(offset)
        offset += len(line) + 1
    return starts


def _blank_failed_statement(text: str, exc: UnexpectedInput) -> str | None:
    """`text` with the statement holding the syntax error blanked out (spaces; newlines
    kept, so every position stays put), to look for more errors; None when nothing is left."""
    if isinstance(exc, UnexpectedEOF) or getattr(getattr(exc, "token", None), "type", None) == "$END":
        return None
    at = _offset(text, max(exc.line, 1), max(exc.column, 1))
    starts = _statement_starts(text)
    before = [s for s in starts if s <= at]
    if before and before[-1] == at:  # the error is a statement keyword: the one before it is broken
        before = before[:-1]
    start = before[-1] if before else 0
    after = [s for s in starts if s > at]
    end = after[0] if after else len(text)
    if end <= start:
        return None
    return text[:start] + "".join(c if c == "\n" else " " for c in text[start:end]) + text[end:]


def parse(source: str, path: str = "<spec>") -> ast.Spec:
    """Parse .mit source. Raises `SpecErrors` (with file:line:col) on syntax errors: after
    one, the statement holding it is set aside and the rest is parsed again, so each broken
    statement is reported (up to MAX_SYNTAX_ERRORS)."""
    errors: list[SpecError] = []
    text = source
    tree = None
    budget = RECOVERY_BYTES  # re-parsing a large file many times is what a hostile spec would ask for
    while text is not None:
        try:
            tree = _parser().parse(text)
            break
        except UnexpectedInput as exc:
            errors.append(_syntax_error(exc, source))
            budget -= len(text)
            text = _blank_failed_statement(text, exc) if len(errors) < MAX_SYNTAX_ERRORS and budget > 0 else None
    if errors:
        raise SpecErrors(errors, source, path) from None
    too_deep = _too_deep(tree)
    if too_deep is not None:
        raise SpecErrors([SpecError(f"expressions nest deeper than {MAX_NESTING} levels", _span(too_deep.meta),
                                    "write the inner parts as their own named motifs")], source, path)
    builder = _ToAst()
    try:
        statements = builder.transform(tree)
    except VisitError as exc:  # a bug in _ToAst, not in the user's spec
        raise exc.orig_exc from None
    if builder.errors:
        raise SpecErrors(builder.errors, source, path)
    return ast.Spec(statements, path, source)


class _Unreadable(Exception):
    pass


def read_spec(path: str | Path) -> str:
    """A spec's text; a file that is not UTF-8, not a regular file or over limits.SPEC_BYTES
    is reported like any other spec error."""
    try:
        data = read_input(path, SPEC_BYTES, _Unreadable, "spec")
    except _Unreadable as exc:
        raise SpecErrors([SpecError(str(exc), Span(1, 1, 1, 1), "give a .mit text file" if "over" not in str(exc)
                                    else "split it: `import` a library of motifs and backgrounds")], "", str(path)) from None
    path = Path(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecErrors([SpecError("not UTF-8 text", Span(line, col, line, col + 1),
                                    "save the spec as UTF-8")], "", str(path)) from None


def parse_file(path: str | Path) -> ast.Spec:
    return parse(read_spec(path), str(path))
