"""FASTA in and out."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import MitspecError
from .io import atomic_write, gunzip, is_gzip, printable, read_input
from .limits import FASTA_BYTES


class FastaError(MitspecError):
    pass


@dataclass(frozen=True)
class Record:
    id: str  # first word of the header
    sequence: str  # upper-cased


_NOT_BASE = bytes(range(256)).translate(None, b"ACGTNacgtn")  # bytes.translate deletes the bases: what is left is bad
_WHY = {"U": "U is RNA: write T"}


def read_fasta(path: Path) -> list[Record]:
    """Records in file order. Raises FastaError naming file:line for malformed input, and
    for a file (or its gzip content) over limits.FASTA_BYTES, refused before it is read."""
    path = Path(path)
    data = read_input(path, FASTA_BYTES, FastaError, "FASTA file")
    if is_gzip(data):  # gzip, whatever the file is called
        data = gunzip(data, FASTA_BYTES, FastaError, f"FASTA file {printable(str(path))}")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise FastaError(f"{path} is not a text FASTA file") from None
    records: list[Record] = []
    header, chunks, header_line = None, [], 0
    for number, line in enumerate(data.split(b"\n"), 1):
        line = line.strip()
        if not line or line.startswith(b";"):
            continue
        if line.startswith(b">"):
            if header is not None:
                records.append(_record(path, header, chunks, header_line))
            words = line[1:].split()
            if not words:
                raise FastaError(f"{path}:{number}: a FASTA header needs an id after `>`")
            try:
                header = words[0].decode("utf-8")
            except UnicodeDecodeError:
                raise FastaError(f"{path}:{number}: the header is not UTF-8 text") from None
            chunks, header_line = [], number
            continue
        if header is None:
            raise FastaError(f"{path}:{number}: sequence before the first `>` header; is this a FASTA file?")
        if line.translate(None, _NOT_BASE) != line:  # not all bases: find the first bad one (rare path)
            raise _bad_letter(path, number, line)
        chunks.append(line.upper().decode("ascii"))
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


def _bad_letter(path: Path, number: int, line: bytes) -> FastaError:
    at = next(i for i, b in enumerate(line) if b not in b"ACGTNacgtn")
    col = len(line[:at].decode("ascii")) + 1
    text = line[at:at + 4].decode("utf-8", errors="replace")[:1]
    letter = text.upper()
    others = line.upper().translate(None, b"ACGTN")
    if not others.isascii() or others.translate(None, b"RYSWKMBDHVU"):
        why = "is this protein or other text? sequences are written with A, C, G, T and N"
    else:
        why = _WHY.get(letter, f"{letter} is an IUPAC ambiguity code: write N for an unknown base")
    return FastaError(f"{path}:{number}:{col}: `{printable(text)}` is not a nucleotide (A, C, G, T or N); {why}")


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
