"""Fuzzing the spec pipeline: what a spec from someone else may look like.

Each case takes a bundled spec and applies a few mutations (tokens deleted, duplicated
and swapped; lines deleted, duplicated and swapped; numbers replaced by huge, negative,
zero, fractional, inf and NaN values; junk, unicode and unbalanced braces inserted;
deep nesting; names replaced by reserved words), then parses, checks and compiles it in
a child process (from a forkserver) with a memory ceiling and a time limit. Half the cases
are instead generated from the grammar (SpecGenerator), naming hostile files (a FIFO, a
gzip bomb, a link to /dev/zero, ...) beside copies of the bundled data. The only
acceptable outcomes are a compiled plan and a MitspecError.

    python benchmarks/fuzz_specs.py --cases 10000 [--seed 0]     # counts per outcome
(the suite runs a few hundred cases through hypothesis: tests/test_fuzz.py)
"""
from __future__ import annotations

import argparse
import re
import resource
import signal
import time
import traceback
from collections import Counter
from pathlib import Path

# imported here, in the parent, so that each forked case starts with them loaded
from mitspec.errors import MitspecError
from mitspec.plan.compile import compile_program
from mitspec.spec.check import Limits, check
from mitspec.spec.parser import _parser, parse

_parser()  # build the grammar tables once
ROOT = Path(__file__).resolve().parent.parent
SPECS = {p.stem: p.read_text() for p in sorted((ROOT / "specs").glob("*.mit"))}
TOKEN = re.compile(r'"[^"\n]*"|#[^\n]*|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|\.\.|->|\s+|.',
                   re.S)
NUMBERS = ("0", "1", "2", "15", "17", "99", "100", "101", "0.5", "1.0", "3.5", "1e-300", "1e400", "inf", "nan", "-1",
           "1000000", "1000000000", "100000000", "99999999999999999999", "9" * 5000)
JUNK = ("{", "}", "(", ")", "[", "]", "\u00df", "\u2028", "\f", "\x0b", "\u00e9", "\x00", "'", '"', "..", "->", ",",
        "=", "#", "\t", "\r\n", ";", "+", "-")
NAMES = ("all", "spacer", "none", "at_content", "orientation", "x" * 300, "minus10", "A", "E", "sigma70", "end",
         "random", "motifs", "gap", "copies", "origin", "arm5", "tata", "uas_1", "import", "file", "background",
         "period", "phase", "push", "hop", "swap", "t3")
NESTS = ("revcomp(", "choice(", "[")
OPS = ("delete", "duplicate", "swap", "number", "junk", "line", "nest", "garbage", "name")
MEMORY_CEILING = 2 << 30  # bytes of address space a case may use
TIME_LIMIT = 5  # seconds a case may take


def mutate(source: str, mutations: list[tuple[str, float, float, int]]) -> str:
    """Apply (op, where in [0, 1), another place in [0, 1), choice) mutations in order."""
    toks = TOKEN.findall(source)
    for op, where, other, choice in mutations:
        if not toks:
            break
        i, j = int(where * len(toks)), int(other * len(toks))
        if op == "delete":
            del toks[i]
        elif op == "duplicate":
            toks.insert(i, toks[i])
        elif op == "swap":
            toks[i], toks[j] = toks[j], toks[i]
        elif op == "number":
            numbers = [k for k, t in enumerate(toks) if t[:1].isdigit()]
            if numbers:
                toks[numbers[int(where * len(numbers))]] = NUMBERS[choice % len(NUMBERS)]
        elif op == "junk":
            toks.insert(i, JUNK[choice % len(JUNK)])
        elif op == "line":
            lines = "".join(toks).split("\n")
            a, b = int(where * len(lines)), int(other * len(lines))
            if choice % 3 == 0:
                del lines[a]
            elif choice % 3 == 1:
                lines.insert(a, lines[a])
            else:
                lines[a], lines[b] = lines[b], lines[a]
            toks = TOKEN.findall("\n".join(lines))
        elif op == "nest":
            opener = NESTS[choice % len(NESTS)]
            depth = (10, 100, 5000)[choice % 3]
            closer = "]" if opener == "[" else ")"
            toks.insert(i, opener * depth + ('"A"' if closer == ")" else "") + closer * depth)
        elif op == "garbage":
            alphabet = "ACGT{}()n=[]x0 .\n"
            toks.insert(i, "".join(alphabet[(choice * (k + 7)) % len(alphabet)] for k in range(1 + choice % 23)))
        else:  # name
            names = [k for k, t in enumerate(toks) if re.match(r"[A-Za-z_]", t)]
            if names:
                toks[names[int(where * len(names))]] = NAMES[choice % len(NAMES)]
    return "".join(toks)


class SpecGenerator:
    """Random specs from the grammar itself (mit.lark, as Lark compiled it): each rule is
    expanded at random; past `depth`, only the expansions that end soonest are taken, so
    every spec is finite. Terminals are drawn from pools that name what the bundled specs
    define and the hostile files in `hostile_data_dir`, so specs get past the parser often."""

    NAMES = ("bg", "A", "B", "C", "m", "m2", "L", "box", "minus35", "minus10", "up", "ext10", "core", "T", "all",
             "end", "random", "none", "spacer", "at_content", "sigma70", "x" * 70, "iid", "uniform", "genome",
             "markov", "given", "pwm", "jaspar", "iupac", "choice", "revcomp", "consensus", "at", "file", "strands",
             "min_score", "weights", "reference", "low", "high", "composition", "position", "correct", "wrong")
    INTS = ("0", "1", "2", "5", "10", "17", "30", "59", "60", "100", "1000", "99999999", "9" * 25)
    NUMBERS = ("0.5", "0.0", "1.0", "0.3", "0.8", "1e-300", "1e400", "2.5", "17")
    STRINGS = ("TATAAT", "TTGACA", "A", "N", "ACGTRYKM", "", "TGT", "AAAAAAGAG", "ecoli_mg1655", "saureus_n315",
               "data/saureus_40kb.fa.gz", "motifs/MA0139.2.jaspar", "lib/ecoli.mit", "data/mit_paper/sequences.fasta",
               "hostile/fifo.fa", "hostile/dir.fa", "hostile/bomb.fa.gz", "hostile/empty.fa", "hostile/binary.jaspar",
               "hostile/dev.fa", "nul\0byte.fa", "../../../etc/passwd", "/etc/passwd", "<img src=x onerror=alert(1)>",
               "\x1b[2J\x1b]0;owned\x07", "a\rb", "MA0139", "both", "forward", "x" * 300)

    def __init__(self):
        parser = _parser()
        self.rules: dict[str, list[list[tuple[str, bool]]]] = {}
        for rule in parser.rules:
            self.rules.setdefault(rule.origin.name, []).append([(s.name, s.is_term) for s in rule.expansion])
        self.patterns = {t.name: t.pattern for t in parser.terminals}
        self.height = {name: float("inf") for name in self.rules}  # fewest levels to a string of terminals
        changed = True
        while changed:
            changed = False
            for name, expansions in self.rules.items():
                best = min(1 + max((self.height[s] for s, term in e if not term), default=0) for e in expansions)
                if best < self.height[name]:
                    self.height[name], changed = best, True

    def _terminal(self, name: str, rnd) -> str:
        pattern = self.patterns[name]
        if pattern.type == "str":
            return pattern.value
        pools = {"NAME": self.NAMES, "INT": self.INTS, "NUMBER": self.NUMBERS, "SIGN": ("+", "-"),
                 "PICK": ("cycle", "random")}
        if name == "STRING":
            return '"' + rnd.choice(self.STRINGS) + '"'
        return rnd.choice(pools[name])

    def generate(self, rnd, depth: int = 9, max_tokens: int = 600) -> str:
        """One spec of 1-8 statements, each `_statement` expanded with `rnd` (a random.Random)."""
        return "\n".join(self.expand("_statement", rnd, depth, max_tokens // 4) for _ in range(rnd.randint(1, 8)))

    def expand(self, symbol: str, rnd, depth: int, max_tokens: int) -> str:
        out: list[str] = []
        stack = [(symbol, False, 0)]
        while stack and len(out) < max_tokens:
            name, term, level = stack.pop()
            if term:
                out.append(self._terminal(name, rnd))
                out.append("\n" if out[-1] in ("}", ")") and rnd.random() < 0.5 else " ")
                continue
            expansions = self.rules[name]
            if level >= depth or len(out) > max_tokens // 2:
                lowest = min(1 + max((self.height[s] for s, t in e if not t), default=0) for e in expansions)
                expansions = [e for e in expansions
                              if 1 + max((self.height[s] for s, t in e if not t), default=0) == lowest]
            expansion = rnd.choice(expansions)
            stack.extend((s, t, level + 1) for s, t in reversed(expansion))
        return "".join(out)


HEADER = 'benchmark "generated" seed 7 length 60\nbackground bg = iid(at=0.5)\nmotif m = "TATAAT"\n'


def generated_spec(seed: int) -> str:
    """A grammar-generated spec; half of them after a valid header, so checks past the
    header (classes, ops, contrasts) see them."""
    import random

    rnd = random.Random(seed)
    body = _generator().generate(rnd)
    return HEADER + body if rnd.random() < 0.5 else body


_GENERATOR = None


def _generator() -> SpecGenerator:
    global _GENERATOR
    if _GENERATOR is None:
        _GENERATOR = SpecGenerator()
    return _GENERATOR


def hostile_data_dir(root: Path) -> Path:
    """A copy of specs/ (so the bundled specs' imports, matrices and genomes resolve) with a
    `hostile/` folder of files no spec should be able to hang or blow up on: a FIFO nobody
    writes to, a directory, a gzip bomb (80 MiB of zeros, 80 kB on disk), an empty file,
    binary junk and a link to /dev/zero. Returns the copy's directory."""
    import gzip
    import os
    import shutil

    specs = root / "specs"
    if not specs.exists():
        shutil.copytree(ROOT / "specs", specs)
        hostile = specs / "hostile"
        hostile.mkdir()
        os.mkfifo(hostile / "fifo.fa")
        (hostile / "dir.fa").mkdir()
        (hostile / "bomb.fa.gz").write_bytes(gzip.compress(b">x\n" + bytes(80 << 20)))
        (hostile / "empty.fa").write_bytes(b"")
        (hostile / "binary.jaspar").write_bytes(bytes(range(256)) * 8)
        os.symlink("/dev/zero", hostile / "dev.fa")
    return specs


def compile_source(source: str, max_bases: int = 10**7, specs: str | None = None) -> None:
    # named as if it sat in specs/ (or a copy of it), so the files the bundled specs read resolve
    where = Path(specs) if specs else ROOT / "specs"
    compile_program(check(parse(source, str(where / "fuzz.mit")), Limits(max_bases=max_bases)))


def _case(source: str, run, time_limit: int, conn) -> None:
    """In the child: limits first, then the case; sends back "ok", "spec-error", "bomb" or
    "exception: ...". A hang is the alarm's SIGALRM (or the parent's kill)."""
    result = "ok"
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))
        signal.alarm(time_limit)
        try:
            run(source)
        except MitspecError:
            result = "spec-error"
    except MemoryError:
        result = "bomb"
    except BaseException as exc:  # noqa: BLE001 - anything else is what we look for
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        result = f"exception: {type(exc).__name__}: {str(exc)[:120]} @ {Path(frame.filename).name}:{frame.lineno}"
    conn.send(result)


_CONTEXT = None


def _context():
    """Children come from a forkserver: a single-threaded process with mitspec loaded, so a
    case never inherits a lock another thread of the test runner held at fork time."""
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing

        _CONTEXT = multiprocessing.get_context("forkserver")
        # by name (run as a script, __name__ is __main__); the CLI and file fuzzers too, so no case imports them
        _CONTEXT.set_forkserver_preload(["tests.fuzz_specs", "tests.fuzz_files", "mitspec.cli"])
    return _CONTEXT


def outcome(source: str, run=compile_source, time_limit: int = TIME_LIMIT) -> str:
    """`run(source)` (parse, check and compile) in a child process with a memory ceiling and
    a time limit: "ok", "spec-error", "hang", "bomb" or "exception: TYPE: message @ file:line"."""
    context = _context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_case, args=(source, run, time_limit, send))
    child.start()
    send.close()
    child.join(time_limit + 10)
    if child.is_alive():  # stuck where even the alarm could not end it
        child.kill()
        child.join()
        return "hang"
    try:
        return receive.recv()
    except EOFError:  # the child died without a word: killed by a signal, or exited
        pass
    if child.exitcode == -signal.SIGALRM:
        return "hang"
    return "bomb" if child.exitcode in (-signal.SIGKILL, -signal.SIGSEGV) else f"exception: exit code {child.exitcode}"


def main() -> None:
    import functools
    import random
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    specs = str(hostile_data_dir(Path(tempfile.mkdtemp(prefix="fuzz-specs-"))))
    run = functools.partial(compile_source, specs=specs)
    counts: dict[str, Counter[str]] = {"mutated": Counter(), "generated": Counter()}
    first: dict[str, str] = {}
    started = time.perf_counter()
    for k in range(args.cases):
        if k % 2 == 0:  # a bundled spec, mutated
            name = rnd.choice(sorted(SPECS))
            mutations = [(rnd.choice(OPS), rnd.random(), rnd.random(), rnd.randrange(1 << 16))
                         for _ in range(rnd.randint(1, 4))]
            kind, source = "mutated", mutate(SPECS[name], mutations)
        else:  # a spec from the grammar, reading the hostile files too
            kind, source = "generated", generated_spec(rnd.randrange(1 << 32))
        result = outcome(source, run=run)
        counts[kind][result if result in ("ok", "spec-error", "hang", "bomb") else "exception"] += 1
        first.setdefault(result, source)
    seconds = time.perf_counter() - started
    print(f"{args.cases} cases in {seconds:.0f} s (seed {args.seed}), each under {MEMORY_CEILING >> 30} GiB "
          f"of address space and {TIME_LIMIT} s:")
    for kind, c in counts.items():
        print(f"  {kind:<10}" + "  ".join(f"{o} {c[o]}" for o in ("ok", "spec-error", "exception", "hang", "bomb")))
    for result, source in first.items():
        if result not in ("ok", "spec-error"):
            print(f"\n{result}\n--- first case ---\n{source}")


if __name__ == "__main__":
    main()
