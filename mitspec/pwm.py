"""Position weight matrices: reading count matrices (Biopython's `Bio.motifs` parsers),
JASPAR's offline releases (the `pyjaspar` package), and the numbers the checker and
sampler need. A matrix is (length, 4) counts over A, C, G, T."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from .errors import MitspecError
from .io import printable, read_input
from .limits import MATRIX_BYTES

UNIFORM_SHARE = 0.01  # pseudocount: probabilities are 0.99 x column frequencies + 0.01 x 1/4
SCORE_BIN = 0.01  # bits; the grid the acceptance probability of a min_score is computed on
FORMATS = {".jaspar": "jaspar", ".pfm": "pfm", ".meme": "minimal", ".transfac": "transfac", ".dat": "transfac",
           ".txt": "pfm", ".counts": "pfm"}
DEFAULT_RELEASE = "JASPAR2026"
MAX_COUNT = 1e9  # sites behind one column; JASPAR's largest matrices count thousands
MAX_COLUMNS = 200


class PwmError(MitspecError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def read_pwm(path: str | Path, fmt: str | None = None) -> np.ndarray:
    """The first motif of a JASPAR, MEME (minimal or full), TRANSFAC or plain count
    matrix file: (length, 4) float counts. `fmt` is a Bio.motifs format name; by default
    it follows the file's extension."""
    from Bio import motifs

    path = Path(path)
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise PwmError(f"cannot tell the matrix format of {path.name}",
                       f"name it .jaspar, .meme, .transfac or .pfm, or pass format=\"{'|'.join(sorted(set(FORMATS.values())))}\"")
    raw = read_input(path, MATRIX_BYTES, PwmError, "matrix file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PwmError(f"{printable(path.name)} is not UTF-8 text", "give a text count-matrix file") from None
    if fmt == "pfm":
        rows = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ">"))]
        if len(rows) != 4:
            raise PwmError(f"{printable(path.name)} has {len(rows)} rows of counts; a .pfm matrix has 4 (A, C, G, T)",
                           "one row per base, one column per position")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Biopython's warnings would print before our one sentence
            found = list(motifs.parse(io.StringIO(text), fmt))
        if not found:
            raise PwmError(f"{path.name} holds no motif", "give a file with one count matrix")
        return counts_of(found[0], path.name)
    except PwmError:
        raise
    except Exception as exc:  # noqa: BLE001 - Bio.motifs raises bare Exception (and worse) on malformed files
        raise PwmError(f"{path.name} is not a readable {fmt} matrix ({exc})",
                       "check the file, or name its format with format=\"...\"") from None


def counts_of(motif, where: str) -> np.ndarray:
    length = motif.length or 0
    if not 0 < length <= MAX_COLUMNS:
        raise PwmError(f"{where}: the matrix has {length} columns", f"matrices have 1 to {MAX_COLUMNS} columns")
    counts = np.array([[float(motif.counts[b][j]) for b in "ACGT"] for j in range(motif.length)])
    if counts.size == 0 or not np.isfinite(counts).all() or (counts < 0).any() or (counts.sum(axis=1) <= 0).any():
        raise PwmError(f"{where}: the matrix has empty or negative columns", "every column needs positive counts")
    if counts.max() > MAX_COUNT:
        raise PwmError(f"{where}: a count of {counts.max():.3g} is not a count of binding sites",
                       f"counts are at most {MAX_COUNT:.0e}; give counts or frequencies")
    return counts


def jaspar_counts(matrix_id: str, release: str | None = None) -> tuple[dict, np.ndarray]:
    """({id, name, release}, counts) of a JASPAR matrix from pyjaspar's offline SQLite
    copy. An ID without a version (MA0139) takes the latest version in that release."""
    try:
        from pyjaspar import jaspardb
    except ImportError:
        raise PwmError("jaspar() needs the pyjaspar package, which ships JASPAR offline",
                       "pip install 'mitspec[jaspar]', or export the matrix to a file and use pwm(\"...\")") from None
    release = release or DEFAULT_RELEASE
    try:
        db = jaspardb(release=release)
    except Exception as exc:  # pyjaspar raises plain exceptions for unknown releases
        raise PwmError(f"pyjaspar has no release {release} ({exc})", f"e.g. release=\"{DEFAULT_RELEASE}\"") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjaspar warns (to stderr) before returning None for an unknown ID
        motif = db.fetch_motif_by_id(matrix_id)
    if motif is None:
        raise PwmError(f"{release} has no matrix {matrix_id}", "JASPAR IDs look like MA0139 or MA0139.2")
    found = {"id": f"{motif.base_id}.{motif.version}", "name": motif.name, "release": release}
    return found, counts_of(motif, matrix_id)


def smoothed(freqs) -> np.ndarray:
    """Frequencies (w, 4) with the documented pseudocount: 0.99 f + 0.01 / 4."""
    return (1 - UNIFORM_SHARE) * np.asarray(freqs, dtype=np.float64) + UNIFORM_SHARE / 4


def probabilities(counts: np.ndarray) -> tuple[tuple[float, float, float, float], ...]:
    """Column probabilities with the documented pseudocount (rounded to 12 digits so the
    plan does not depend on float noise in a parser)."""
    probs = smoothed(counts / counts.sum(axis=1, keepdims=True))
    return tuple(tuple(round(float(p), 12) for p in column) for column in probs)


def log_odds(probs) -> np.ndarray:
    """(length, 4) log2(p / 0.25)."""
    return np.log2(np.asarray(probs, dtype=np.float64) / 0.25)


def best_score(probs) -> float:
    return float(log_odds(probs).max(axis=1).sum())


def consensus(probs) -> str:
    return "".join("ACGT"[int(i)] for i in np.asarray(probs).argmax(axis=1))


def acceptance(probs, threshold: float) -> float:
    """P(score >= threshold) for a site drawn from the matrix itself, on a SCORE_BIN grid
    (scores rounded down per column, so the value is a lower bound)."""
    scores = np.floor(log_odds(probs) / SCORE_BIN).astype(np.int64)
    low = int(scores.min(axis=1).sum())
    dist = np.zeros(int(scores.max(axis=1).sum()) - low + 1)
    dist[0] = 1.0
    offset = 0  # dist[i] is P(score = offset + low-so-far + i), built column by column
    width = 1
    for column, p in zip(scores, np.asarray(probs)):
        shift = column - column.min()
        new = np.zeros(width + int(shift.max()))
        for b in range(4):
            new[shift[b]:shift[b] + width] += p[b] * dist[:width]
        width = len(new)
        dist[:width] = new
        offset += int(column.min())
    cut = int(np.ceil(threshold / SCORE_BIN)) - offset
    return float(dist[max(cut, 0):width].sum()) if cut < width else 0.0
