"""Content-addressed score cache in SQLite, shared by every plan and run.

key = sha256(scorer identity, sequence): the identity already hashes the model file,
tokenizer, scoring mode and provider. Each batch is one transaction, so a run that is
killed loses at most the batch in flight and the next run resumes from the rest.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from ..io import cache_dir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
  key BLOB PRIMARY KEY,
  score REAL NOT NULL,
  per_nt REAL,
  tokens INTEGER NOT NULL
) WITHOUT ROWID
"""
_CHUNK = 900  # stay under SQLite's default limit on bound parameters


def default_cache_path() -> Path:
    if os.environ.get("MITSPEC_CACHE"):
        return Path(os.environ["MITSPEC_CACHE"])
    return cache_dir() / "scores.sqlite"


def cache_key(identity: str, sequence: str) -> bytes:
    return hashlib.sha256(f"{identity}\x1f{sequence}".encode()).digest()


class ScoreCache:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get_many(self, keys: list[bytes]) -> dict[bytes, tuple[float, float | None, int]]:
        found = {}
        for lo in range(0, len(keys), _CHUNK):
            part = keys[lo:lo + _CHUNK]
            marks = ",".join("?" * len(part))
            for key, score, per_nt, tokens in self._db.execute(
                    f"SELECT key, score, per_nt, tokens FROM scores WHERE key IN ({marks})", part):
                found[key] = (score, per_nt, tokens)
        return found

    def put_many(self, rows: Iterable[tuple[bytes, float, float | None, int]]) -> None:
        with self._db:  # one transaction: all of the batch or none of it
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)", rows)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]

    def close(self) -> None:
        self._db.close()


class NoCache:
    """`--no-cache`: nothing is read or written."""

    path = None

    def get_many(self, keys):
        return {}

    def put_many(self, rows):
        for _ in rows:
            pass

    def close(self):
        pass
