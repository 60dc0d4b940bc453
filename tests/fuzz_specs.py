"""Mutation fuzzing of the bundled specs: what a spec from someone else may look like.

Each case takes a bundled spec and applies a few mutations (tokens deleted, duplicated
and swapped; lines deleted, duplicated and swapped; numbers replaced by huge, negative,
zero, fractional, inf and NaN values; junk, unicode and unbalanced braces inserted;
deep nesting; names replaced by reserved words), then parses, checks and compiles it in
a child process (from a forkserver) with a memory ceiling and a time limit. The only acceptable outcomes are
a compiled plan and a MitspecError.

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
         "random", "motifs", "gap", "copies", "origin", "arm5", "tata", "uas_1", "import", "file")
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


def compile_source(source: str, max_bases: int = 10**7) -> None:
    # named as if it sat in specs/, so the files the bundled specs read (imports, PWMs, genomes) resolve
    compile_program(check(parse(source, str(ROOT / "specs" / "fuzz.mit")), Limits(max_bases=max_bases)))


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
        _CONTEXT.set_forkserver_preload(["tests.fuzz_specs"])  # by name: run as a script, __name__ is __main__
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
    import random

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    started = time.perf_counter()
    for _ in range(args.cases):
        name = rnd.choice(sorted(SPECS))
        mutations = [(rnd.choice(OPS), rnd.random(), rnd.random(), rnd.randrange(1 << 16))
                     for _ in range(rnd.randint(1, 4))]
        source = mutate(SPECS[name], mutations)
        result = outcome(source)
        kind = result if result in ("ok", "spec-error", "hang", "bomb") else "exception"
        counts[kind] += 1
        first.setdefault(result, source)
    seconds = time.perf_counter() - started
    print(f"{args.cases} cases in {seconds:.0f} s (seed {args.seed}):")
    for kind in ("ok", "spec-error", "exception", "hang", "bomb"):
        print(f"  {kind:<11}{counts[kind]:>7}")
    for result, source in first.items():
        if result not in ("ok", "spec-error"):
            print(f"\n{result}\n--- first case ---\n{source}")


if __name__ == "__main__":
    main()
