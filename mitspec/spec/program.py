"""The checked program: what `check` hands to the compiler. Names are resolved, positions
are integers (0-based, half-open), and every motif has a fixed length."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


# ---- motifs: samplers, each of a fixed length ------------------------------------------
@dataclass(frozen=True, slots=True)
class LiteralMotif:
    text: str

    @property
    def length(self) -> int:
        return len(self.text)


@dataclass(frozen=True, slots=True)
class IupacMotif:
    """Each position drawn uniformly from the bases its IUPAC code allows."""

    pattern: str

    @property
    def length(self) -> int:
        return len(self.pattern)


@dataclass(frozen=True, slots=True)
class ChoiceMotif:
    options: tuple[MotifIR, ...]
    weights: tuple[float, ...]

    @property
    def length(self) -> int:
        return self.options[0].length


@dataclass(frozen=True, slots=True)
class RevCompMotif:
    inner: MotifIR

    @property
    def length(self) -> int:
        return self.inner.length


@dataclass(frozen=True, slots=True)
class ColumnMotif:
    """The value of `table.column` in the row the instance picked with `use`."""

    table: str
    column: str
    length: int


@dataclass(frozen=True, slots=True)
class PwmMotif:
    """Each position drawn from its column's probabilities (A, C, G, T); with `min_score`,
    only sites whose log-odds score (log2 p / 0.25, summed) reaches it are kept; with
    `max_score`, only those that do not exceed it (weak sites)."""

    name: str
    probs: tuple[tuple[float, float, float, float], ...]
    min_score: float | None = None
    max_score: float | None = None

    @property
    def length(self) -> int:
        return len(self.probs)


@dataclass(frozen=True, slots=True)
class LinkedMotif:
    """The bases an instance holds at start..start+length when the statement runs (an
    element placed earlier in the class): hairpin arms, inverted repeats."""

    element: str
    start: int
    length: int


MotifIR = Union[LiteralMotif, IupacMotif, ChoiceMotif, RevCompMotif, ColumnMotif, PwmMotif, LinkedMotif]


@dataclass(frozen=True, slots=True)
class IidBackground:
    """Independent bases with probabilities (A, C, G, T)."""

    probs: tuple[float, float, float, float]

    def describe(self) -> dict:
        return {"kind": "iid", "probs": dict(zip("ACGT", self.probs))}


@dataclass(frozen=True, slots=True)
class GenomeSource:
    """A bundled genome (`name`), or a user's FASTA file: `name` as the spec wrote the
    path, `path` where it was found, `sha256` of its bytes."""

    name: str
    path: str | None = None
    sha256: str | None = None

    def describe(self) -> dict:
        return {"genome": self.name} if self.path is None else {"file": self.name, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class GenomeBackground:
    """Windows of a genome: uniform start, either strand (or forward only), no N, AT
    fraction within [at_low, at_high]. `reserve`: how many bases of the genome's own
    continuation past each window the class's indels consume (drawn with the window)."""

    source: GenomeSource
    at_low: float = 0.0
    at_high: float = 1.0
    strands: str = "both"
    reserve: int = 0

    def __post_init__(self):
        if isinstance(self.source, str):  # a bundled genome by name
            object.__setattr__(self, "source", GenomeSource(self.source))

    def describe(self) -> dict:
        return {"kind": "genome", **self.source.describe(), "at": [self.at_low, self.at_high], "strands": self.strands,
                **({"reserve": self.reserve} if self.reserve else {})}


@dataclass(frozen=True, slots=True)
class MarkovBackground:
    """Sequences drawn from an order-k Markov chain trained on a genome (both strands)."""

    order: int
    source: GenomeSource

    def __post_init__(self):
        if isinstance(self.source, str):
            object.__setattr__(self, "source", GenomeSource(self.source))

    def describe(self) -> dict:
        return {"kind": "markov", "order": self.order, **self.source.describe()}


@dataclass(frozen=True, slots=True)
class ChainBackground:
    """A first-order Markov chain from parameters: transitions[x][y] = P(next base y |
    base x) over A, C, G, T; the first base is drawn from `initial`, the chain's stationary
    distribution, so every position has the same base composition."""

    transitions: tuple[tuple[float, float, float, float], ...]
    initial: tuple[float, float, float, float]
    order = 1

    def describe(self) -> dict:
        return {"kind": "markov", "order": 1, "initial": dict(zip("ACGT", self.initial)),
                "transitions": {x: dict(zip("ACGT", row)) for x, row in zip("ACGT", self.transitions)}}


@dataclass(frozen=True, slots=True)
class GivenBackground:
    """Sequences given in a FASTA file, taken whole: instance i of class X is the record
    whose id (the header's first word, up to any `|`) is X's id for i (`X_007`). `path`
    where the file was found, `sha256` of its bytes."""

    file: str
    path: str
    sha256: str

    def describe(self) -> dict:
        return {"kind": "given", "file": self.file, "sha256": self.sha256}


BackgroundIR = Union[IidBackground, GenomeBackground, MarkovBackground, ChainBackground, GivenBackground]


# ---- features and steps (the IR of each edit operation is in spec/ops) -------------------
@dataclass(frozen=True, slots=True)
class Feature:
    """An element of a sequence: where it sits and what made it (a motif name, "shuffle").
    A randomly placed element (`within` = (lo, hi, its length)) sits somewhere inside
    lo..hi, per instance; start..end is then that whole window."""

    name: str
    start: int
    end: int
    strand: str  # "+", "-", or "." for regions without orientation
    source: str
    within: tuple[int, int, int] | None = None
    revcomp_of: str | None = None  # placed as `revcomp(X)`: the motif or element X (a hairpin's other arm)

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def inside(self, start: int, end: int) -> bool:
        return start <= self.start and self.end <= end


@dataclass(frozen=True, slots=True)
class Fill:
    """Where fresh background bases come from: the class's background model (iid: drawn
    independently; markov: the chain continued from the bases before them); a genome
    background's fresh bases are the genome's continuation past the window, read from
    `tail_at` on (the class state counts how many earlier edits used)."""

    background: BackgroundIR
    tail_at: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    """One operation and where it was written: (class that declared it, index in its body).

    The origin names the random stream, so an `independent` class re-running its
    parent's recipe draws fresh values rather than copying the parent's."""

    origin: str
    index: int | str  # a statement's index; "index.k" for the k-th copy one statement places
    op: object  # an IR op of spec/ops (ops.OpIR)


@dataclass(frozen=True, slots=True)
class ClassIR:
    name: str
    title: str
    n: int
    parent: str | None
    independent: bool
    background: BackgroundIR
    background_root: str  # instances i of classes with the same root share background i
    steps: tuple[Step, ...]  # what to run on top of the starting sequences
    features: tuple[Feature, ...]  # the final layout of every instance
    group: str | None = None  # a swept class's own name; its conditions are named group[level]
    condition: dict | None = field(default=None, hash=False)  # {"sweep": target, "level": value, ...}
    origin: tuple[str, int] | None = None  # (what, position) levels and plots read relative to

    @property
    def stream(self) -> str:
        """The name random draws are keyed by: all levels of a sweep share their draws."""
        return self.group or self.name


@dataclass(frozen=True, slots=True)
class TableIR:
    name: str
    columns: tuple[str, ...]
    row_names: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]  # values[row][column]


@dataclass(frozen=True, slots=True)
class ContrastIR:
    name: str
    kind: str  # win_rate | cohens_d | magnitude | ratio
    args: dict = field(hash=False)

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind, **self.args}


@dataclass(frozen=True, slots=True)
class RuleIR:
    """A rule of the declared grammar (see spec/check/rules.py for each kind's meaning)."""

    kind: str  # spacing | position | orientation | period | cooperative
    names: tuple[str, ...]
    value: float | None  # preferred spacing / position / period (bp), or the strand (+1, -1)
    tolerance: float | None = None
    phase: float | None = None
    within: int | None = None
    weight: float = 4.0  # bits the oracle adds when the rule holds exactly

    def describe(self) -> dict:
        return {"rule": self.kind, "names": list(self.names), "value": self.value, "tolerance": self.tolerance,
                "phase": self.phase, "within": self.within, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class ExpectIR:
    """An expectation on a declared contrast (see spec/check/expectations.py)."""

    kind: str  # direction | above | below | peak | periodic
    contrast: str
    low: float | None = None
    high: float | None = None
    text: str = ""  # as written, for the report

    def describe(self) -> dict:
        return {"kind": self.kind, "contrast": self.contrast, "low": self.low, "high": self.high, "text": self.text}


@dataclass(frozen=True, slots=True)
class Program:
    title: str
    seed: int
    length: int
    classes: tuple[ClassIR, ...]  # parents before children, otherwise in source order
    contrasts: tuple[ContrastIR, ...]
    tables: dict = field(hash=False)
    layouts: dict = field(default_factory=dict, hash=False)  # name -> slot -> (start, end or None)
    inputs: tuple = ()  # files and databases the spec read: {"kind", "path" or "id", "sha256", ...}
    roles: dict = field(default_factory=dict, hash=False)  # role -> (start, end or None) from `role` statements
    motifs: dict = field(default_factory=dict, hash=False)  # declared motif name -> MotifIR (what grammar scorers read)
    rules: tuple[RuleIR, ...] = ()  # the declared grammar (`grammar { ... }`)
    expectations: tuple[ExpectIR, ...] = ()  # `expect ...`

    @property
    def total(self) -> int:
        return sum(c.n for c in self.classes)
