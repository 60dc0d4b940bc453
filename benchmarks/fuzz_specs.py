"""Fuzz the spec pipeline at scale: mutated bundled specs, counts per outcome.

The mutations and the sandboxed runner are tests/fuzz_specs.py (the suite runs a few
hundred of them through hypothesis); this script runs many and reports what happened:

    python benchmarks/fuzz_specs.py --cases 10000 [--seed 0]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz_specs import main  # noqa: E402

if __name__ == "__main__":
    main()
