"""Fuzz the score files and plans mitspec reads, at scale: counts per outcome.

The cases and the runner are tests/fuzz_files.py (the suite runs a few dozen through
hypothesis); this script runs many and reports what happened:

    python benchmarks/fuzz_files.py --cases 10000 [--seed 0]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz_files import main  # noqa: E402

if __name__ == "__main__":
    main()
