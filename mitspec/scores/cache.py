"""Content-addressed score cache in SQLite, shared by every plan and run.

key = sha256(scorer identity, sequence): the identity already hashes the model file,
tokenizer, scoring mode and provider. Each batch is one transaction, so a run that is
killed loses at most the batch in flight and the next run resumes from the rest.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
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
    """The cache at `path`. A file that is not a readable cache (junk, truncated, another
    program's) is set aside as `<name>.corrupt-<time>` with a one-line warning and a new
    cache is started: it only holds what can be recomputed, so nothing is lost but time."""

    def __init__(self, path: Path | None = None, warn: Callable[[str], None] | None = None):
        self.path = Path(path) if path else default_cache_path()
        self.warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
        self._db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as exc:
                if not self._broken(exc):
                    raise
                self._set_aside(exc)
                self._db = self._open()
        except (OSError, sqlite3.Error) as exc:  # a read-only or full directory: score without a cache
            self._give_up(exc)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)  # waits for another run's transaction
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            db.commit()
            db.execute("SELECT key FROM scores LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _set_aside(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                os.replace(part, f"{aside}{suffix}")
        self.warn(f"the score cache {self.path} was unreadable ({exc}); set it aside as {aside.name} "
                  "and started a new one")

    def _recover(self, exc: Exception) -> None:
        """A cache found broken in use: set it aside and go on with a new, empty one."""
        try:
            self._db.close()
        except sqlite3.Error:
            pass
        self._set_aside(exc)
        self._db = self._open()

    def _broken(self, exc: sqlite3.DatabaseError) -> bool:
        """A damaged file (set it aside), as opposed to a healthy cache that cannot be used
        now: busy with another run, on a full disk, in a read-only place (OperationalError)."""
        return not isinstance(exc, sqlite3.OperationalError)

    def _give_up(self, exc: Exception) -> None:
        """Go on without the cache (every score is recomputed next time), saying why once;
        the cache file itself is left untouched."""
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
        self._db = None
        self.warn(f"the score cache {self.path} cannot be used ({exc}); scoring without it "
                  "(nothing is lost but time; --no-cache says this up front)")

    def get_many(self, keys: list[bytes]) -> dict[bytes, tuple[float, float | None, int]]:
        found = {}
        if self._db is None:
            return found
        try:
            for lo in range(0, len(keys), _CHUNK):
                part = keys[lo:lo + _CHUNK]
                marks = ",".join("?" * len(part))
                for key, score, per_nt, tokens in self._db.execute(
                        f"SELECT key, score, per_nt, tokens FROM scores WHERE key IN ({marks})", part):
                    found[key] = (score, per_nt, tokens)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            if self._broken(exc):
                self._recover(exc)
            else:
                self._give_up(exc)
            return {}
        return found

    def put_many(self, rows: Iterable[tuple[bytes, float, float | None, int]]) -> None:
        rows = list(rows)
        for attempt in (1, 2):  # the second, if any, on a fresh cache
            if self._db is None:
                return
            try:
                with self._db:  # one transaction: all of the batch or none of it
                    self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)", rows)
                return
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise
                if attempt == 2 or not self._broken(exc):
                    self._give_up(exc)  # disk full, read-only: the scores still reach the run's output
                    return
                self._recover(exc)

    def __len__(self) -> int:
        return 0 if self._db is None else self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
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
