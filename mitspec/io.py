"""File helpers every layer shares: atomic writes, canonical JSON, hashes, JSON reads."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """mitspec's per-user cache directory: $XDG_CACHE_HOME/mitspec or ~/.cache/mitspec."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mitspec"


def private_dir(path: Path) -> Path | None:
    """`path` as a directory only this user can write (created 0700), or None when that
    cannot be had: on a system without POSIX owners, when it or its parent belongs to
    someone else or others may write to it. For files that are loaded as code (pickles)."""
    if not hasattr(os, "getuid"):
        return None
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        mine, parent = path.stat(), path.parent.stat()
    except OSError:
        return None
    uid = os.getuid()
    if mine.st_uid != uid or mine.st_mode & 0o077:
        return None
    if parent.st_uid not in (uid, 0) or parent.st_mode & 0o022:
        return None
    return path


def private_file(path: Path) -> bool:
    """True when `path` is absent, or a regular file of this user's that others cannot write."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


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


def resolve_inside(directory: Path, name: str) -> Path | None:
    """`directory / name` resolved, or None when it would leave `directory` (an absolute
    path, `..`, or a symlink leading out). For file names read from files others wrote."""
    path = Path(name)
    if path.is_absolute() or path.drive:
        return None
    root = Path(directory).resolve()
    resolved = (root / path).resolve()
    return resolved if resolved == root or root in resolved.parents else None
