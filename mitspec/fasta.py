"""FASTA in and out."""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import MitspecError
from .io import atomic_write

_ALLOWED = set("ACGTN")


class FastaError(MitspecError):
    pass


@dataclass(frozen=True)
class Record:
    id: str  # first word of the header
    sequence: str  # upper-cased


def read_fasta(path: Path) -> list[Record]:
    """Records in file order. Raises FastaError naming file:line for malformed input."""
    records: list[Record] = []
    header, chunks, header_line = None, [], 0
    path = Path(path)
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # gzip, whatever the file is called
            data = gzip.decompress(data)
        lines = data.decode("utf-8").split("\n")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise FastaError(f"{path} cannot be read ({exc})") from None
    except UnicodeDecodeError:
        raise FastaError(f"{path} is not a text FASTA file") from None
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            if header is not None:
                records.append(_record(path, header, chunks, header_line))
            words = line[1:].split()
            if not words:
                raise FastaError(f"{path}:{number}: a FASTA header needs an id after `>`")
            header, chunks, header_line = words[0], [], number
            continue
        if header is None:
            raise FastaError(f"{path}:{number}: sequence before the first `>` header; is this a FASTA file?")
        seq = "".join(c.upper() if c.isascii() else c for c in line)
        bad = set(seq) - _ALLOWED
        if bad:
            col = next(i for i, c in enumerate(seq, 1) if c in bad)
            letter = seq[col - 1]
            if bad - set("RYSWKMBDHVU"):
                why = "is this protein or other text? sequences are written with A, C, G, T and N"
            elif letter == "U":
                why = "U is RNA: write T"
            else:
                why = f"{letter} is an IUPAC ambiguity code: write N for an unknown base"
            raise FastaError(f"{path}:{number}:{col}: `{line[col - 1]}` is not a nucleotide (A, C, G, T or N); {why}")
        chunks.append(seq)
    if header is not None:
        records.append(_record(path, header, chunks, header_line))
    if not records:
        raise FastaError(f"{path} holds no FASTA records")
    seen = set()
    for r in records:
        if r.id in seen:
            raise FastaError(f"{path}: id {r.id!r} appears twice; ids (first word of each header) must be unique")
        seen.add(r.id)
    return records


@lru_cache(maxsize=4)
def _given(path: str, sha256: str) -> dict[str, str]:
    return {r.id.split("|")[0]: r.sequence for r in read_fasta(Path(path))}


def read_given(path: str, sha256: str) -> dict[str, str]:
    """id -> sequence of a given-sequences file (id: a header's first word up to any `|`),
    cached by the file's sha256. Raises FastaError."""
    return _given(path, sha256)


def _record(path: Path, header: str, chunks: list[str], line: int) -> Record:
    if not chunks:
        raise FastaError(f"{path}:{line}: record {header!r} has no sequence")
    return Record(header, "".join(chunks))


def write_plan_fasta(sequences, path: Path) -> None:
    """One record per plan sequence: `>id class=C parent=P`, sequence on one line."""
    import polars as pl  # here: `mitspec score` reads FASTA without loading polars
    header = pl.format(">{} class={}", pl.col("id"), pl.col("class"))
    header = pl.when(pl.col("parent").is_not_null()).then(
        pl.format("{} parent={}", header, pl.col("parent"))).otherwise(header)
    text = sequences.select(pl.concat_str([header, pl.col("sequence")], separator="\n")).to_series()
    atomic_write(path, lambda p: p.write_text("\n".join(text.to_list()) + "\n", encoding="ascii"))
