"""File helpers every layer shares: atomic writes, canonical JSON, hashes, JSON reads."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import zlib
from pathlib import Path

from .errors import MitspecError



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


class OutputError(MitspecError):
    """An output that cannot be written: a full disk, a read-only or foreign directory."""


_WRITE_FAULTS = ("No space left on device", "Disk quota exceeded", "Read-only file system", "Permission denied")


def atomic_write(path: Path, write) -> None:
    """Write via a temporary file in the same directory, then rename over `path`:
    readers see the old file or the new one, never half of one. A write the system
    refuses (disk full, read-only, no permission) is an OutputError naming the file;
    the old file, if any, is left as it was."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; plans and reports are meant to be shared
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            next((fault for fault in _WRITE_FAULTS if fault in str(exc)), None)  # polars words them, too
        if why is None or not isinstance(exc, Exception):
            raise
        raise OutputError(f"cannot write {printable(str(path))}: {why}; free space or write elsewhere (-o DIR)") from None


def _size(n: int) -> str:
    return f"{n >> 30} GiB" if n >= 1 << 30 and not n % (1 << 30) else \
        f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n >> 10} KiB"


def read_input(path, limit: int, error: type[Exception], what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes, else `error` with one sentence.
    A path with a NUL byte, a FIFO, a device or a directory is refused before anything is
    read (a FIFO opens without blocking, so nothing waits for a writer); the size is
    checked before reading and again while reading (a file that grows)."""
    shown = printable(str(path))
    if "\0" in str(path):
        raise error(f"the {what} path {shown!r} contains a NUL byte")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"cannot read {what} {shown}: {exc.strerror or exc}") from None
    kind = _not_regular(os.fstat(fd).st_mode)
    if kind:
        os.close(fd)
        raise error(f"{what} {shown} is {kind}, not a regular file")
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(fd).st_size > limit:
            raise error(f"{what} {shown} is over {_size(limit)}, the limit for a {what}")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read {what} {shown}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{what} {shown} is over {_size(limit)}, the limit for a {what}")
    return data


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
        "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket or other special file"


def unreadable_path(path) -> str | None:
    """Why `path` can never be read as a data file ("contains a NUL byte", "is a FIFO, not a
    regular file", ...), found without opening it; None for a regular file or a missing one
    (whose error comes when it is read)."""
    if "\0" in str(path):
        return "contains a NUL byte"
    try:
        kind = _not_regular(os.stat(path).st_mode)
    except OSError:
        return None
    return f"is {kind}, not a regular file" if kind else None


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def gunzip(data: bytes, limit: int, error: type[Exception], what: str = "file") -> bytes:
    """`data` decompressed (every gzip member), refused as soon as the output passes `limit`
    bytes: a small file that expands to gigabytes costs at most `limit` of memory."""
    out = bytearray()
    chunk = 1 << 20
    while data:
        inflate = zlib.decompressobj(wbits=31)
        try:
            while True:
                out += inflate.decompress(data, chunk)
                if len(out) > limit:
                    raise error(f"{what} expands to over {_size(limit)}, the limit for a {what}")
                data = inflate.unconsumed_tail
                if inflate.eof or not data:
                    break
            if not inflate.eof:
                raise error(f"{what} is a truncated gzip file")
        except zlib.error as exc:
            raise error(f"{what} is not a readable gzip file ({exc})") from None
        data = inflate.unused_data.lstrip(b"\0")  # concatenated members; trailing zero padding is allowed
    return bytes(out)


def loads_json(text: str | bytes, where: str, fix: str, error: type[Exception]):
    """JSON as Python objects, or `error`: not UTF-8, not JSON, NaN or Infinity (not JSON
    either), or nested past what the decoder can take (its RecursionError)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise error(f"{where} is not UTF-8 text; {fix}") from None

    def constant(name):
        raise ValueError(f"{name} is not a JSON number")

    try:
        return json.loads(text, parse_constant=constant)
    except RecursionError:
        raise error(f"{where} nests too deeply to be read; {fix}") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise error(f"{where} is not valid JSON ({printable(str(exc))[:200]}); {fix}") from None


def read_json(path: Path, missing: str, fix: str, error: type[Exception], limit: int = 256 << 20):
    """A JSON file's content; a missing, oversized or undecodable file raises `error` with
    one sentence: `missing` (the whole message) or "PATH is not valid JSON (...); FIX"."""
    path = Path(path)
    if not path.exists():
        raise error(missing)
    return loads_json(read_input(path, limit, error, "JSON file"), str(path), fix, error)


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
_CONTROL_KEEP_LINES = {c: v for c, v in _CONTROL.items() if c not in (0x09, 0x0A)}


def printable(text: str, lines: bool = False) -> str:
    """`text` with control characters (terminal escapes, \\r, NUL, U+2028...) written as
    `\\xNN`: text from a file can neither move a terminal's cursor nor start a new line.
    lines=True keeps \\n and \\t."""
    return str(text).translate(_CONTROL_KEEP_LINES if lines else _CONTROL)


def resolve_inside(directory: Path, name: str) -> Path | None:
    """`directory / name` resolved, or None when it would leave `directory` (an absolute
    path, `..`, or a symlink leading out) or cannot be resolved (too long, a symlink loop,
    a NUL byte). For file names read from files others wrote."""
    if "\0" in str(name):
        return None
    path = Path(name)
    if path.is_absolute() or path.drive:
        return None
    try:
        root = Path(directory).resolve()
        resolved = (root / path).resolve()
    except (OSError, RuntimeError):  # a name too long for the system, a symlink loop
        return None
    return resolved if resolved == root or root in resolved.parents else None
