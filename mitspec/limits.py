"""Every size limit on what mitspec reads, in one place (docs/robustness.md, "Input limits", lists them).

Each is enforced before memory is spent on the input: a file's size is checked before it
is read, a gzip file is refused as soon as its output passes the limit, and a spec's
diagnostics stop at a count and quote a bounded piece of each line."""

SPEC_BYTES = 1 << 20  # a spec, and each library it imports
DIAGNOSTICS_PER_FILE = 50  # errors shown per spec; the rest are counted
QUOTED_LINE_CHARS = 120  # characters of a source line a diagnostic quotes around its column
RECOVERY_BYTES = 4 << 20  # spec text re-parsed, in all, to find syntax errors after the first
FASTA_BYTES = 64 << 20  # a FASTA file (given sequences, `score --fasta`, `metrics --fasta`), uncompressed
GENOME_BYTES = 64 << 20  # a genome FASTA (`genome(file=)`, `markov(k, file=)`), uncompressed
MATRIX_BYTES = 10 << 20  # a count-matrix file (`pwm(...)`)
JSON_BYTES = 256 << 20  # plan.json, manifest.json, a score file in JSON
TABLE_BYTES = 1 << 30  # a score table in CSV, TSV or Parquet

INPUT_LIMITS = {"import": SPEC_BYTES, "pwm": MATRIX_BYTES, "genome": GENOME_BYTES, "sequences": FASTA_BYTES}
LIMIT_HINTS = {
    "import": "split the library into smaller files",
    "pwm": "give a file with one count matrix",
    "genome": "a bacterial genome is 1-13 Mb and a yeast one 12 Mb; cut a larger genome to the regions you need",
    "sequences": "give the sequences of this benchmark only",
}
