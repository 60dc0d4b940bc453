"""File helpers every layer shares: atomic writes, canonical JSON, hashes, JSON reads."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def canonical_json(obj) -> str:
    """Sorted keys, one space indent, no NaN: the same object always gives the same bytes."""
    return json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, write) -> None:
    """Write via a temporary file in the same directory, then rename over `path`:
    readers see the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; plans and reports are meant to be shared
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path, missing: str, fix: str, error: type[Exception]):
    """A JSON file's content; a missing or undecodable file raises `error` with one sentence:
    `missing` (the whole message) or "PATH is not valid JSON (...); FIX"."""
    path = Path(path)
    if not path.exists():
        raise error(missing)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path} is not valid JSON ({exc}); {fix}") from None
