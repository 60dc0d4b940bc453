"""docs/robustness.md's "Input limits" table is where users read the limits: it must state
the values that mitspec/limits.py enforces."""

import re
from pathlib import Path

from mitspec import limits

PAGE = Path(__file__).resolve().parents[1] / "docs" / "robustness.md"


def _limits_table() -> dict[str, str]:
    text = PAGE.read_text()
    section = text.split("## Input limits", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", section, flags=re.M)
    return {name: value for name, value in rows if not set(name) <= {"-"} and name != "input"}


def _mib(n_bytes: int) -> str:
    return f"{n_bytes >> 30} GiB" if n_bytes >= 1 << 30 else f"{n_bytes >> 20} MiB"


def test_the_documented_limits_table_states_the_enforced_values():
    table = _limits_table()
    expected = {
        "a spec, and each library it imports": _mib(limits.SPEC_BYTES),
        "diagnostics per spec": f"{limits.DIAGNOSTICS_PER_FILE} shown",
        "re-parsing to find syntax errors after the first": _mib(limits.RECOVERY_BYTES),
        "a FASTA file": _mib(limits.FASTA_BYTES),
        "a genome file": _mib(limits.GENOME_BYTES),
        "a count-matrix file": _mib(limits.MATRIX_BYTES),
        "plan.json, manifest.json, a score file in JSON": _mib(limits.JSON_BYTES),
        "a score table in CSV, TSV or Parquet": _mib(limits.TABLE_BYTES),
    }
    for row, value in expected.items():
        matches = [v for name, v in table.items() if name.startswith(row)]
        assert matches, f"docs/robustness.md's limits table lacks a row for {row!r}"
        assert matches[0].startswith(value), f"docs/robustness.md says {matches[0]!r} for {row!r}; limits.py: {value}"
    assert f"at most {limits.QUOTED_LINE_CHARS} characters" in table["diagnostics per spec"]
