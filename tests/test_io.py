"""The shared file helpers: bounded reads that refuse special files before opening them
for long, gzip that stops at a limit, JSON that says what is wrong, text made inert for
terminals, and writes that fail with a sentence and leave the old file whole."""
import errno
import gzip
import os
import resource
import subprocess
import sys

import pytest

from mitspec.errors import MitspecError
from mitspec.io import OutputError, atomic_write, gunzip, loads_json, printable, read_input, unreadable_path


class Refused(MitspecError):
    pass


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.fa"
    os.mkfifo(path)  # nobody ever writes to it: opening it for reading the usual way blocks forever
    return path


def test_a_fifo_is_refused_without_waiting_for_a_writer(fifo):
    with pytest.raises(Refused, match="is a FIFO, not a regular file"):
        read_input(fifo, 100, Refused, "genome file")
    assert unreadable_path(fifo) == "is a FIFO, not a regular file"


@pytest.mark.parametrize("path, said", [("/dev/zero", "is a device"), ("/", "is a directory"),
                                        ("a\0b.fa", "contains a NUL byte")])
def test_devices_directories_and_nul_bytes_are_refused(path, said):
    with pytest.raises(Refused, match=said):
        read_input(path, 100, Refused)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    with pytest.raises(Refused, match="over"):
        read_input(path, 100, Refused)
    assert read_input(path, 101, Refused) == b"x" * 101


def test_gunzip_reads_every_member_and_stops_at_the_limit():
    data = gzip.compress(b"A" * 1000) + gzip.compress(b"C" * 10)
    assert gunzip(data, 1010, Refused) == b"A" * 1000 + b"C" * 10
    with pytest.raises(Refused, match="expands to over"):
        gunzip(data, 1009, Refused)
    with pytest.raises(Refused, match="truncated"):
        gunzip(data[:20], 10_000, Refused)


def _bomb_child():
    """In a child under a 512 MiB address-space ceiling: a 4 GiB gzip bomb
    (a few hundred kB on disk) must be refused at a 64 MiB limit, not decompressed."""
    bomb = gzip.compress(bytes(64 << 20)) * 64  # 64 gzip members of 64 MiB of zeros each
    resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))
    try:
        gunzip(bomb, 64 << 20, Refused)
    except Refused as exc:
        print("refused:", exc)


def test_a_gzip_bomb_costs_no_more_than_the_limit():
    code = "import tests.test_io as t; t._bomb_child()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "refused: file expands to over 64 MiB" in done.stdout, done.stderr


@pytest.mark.parametrize("text, said", [
    ("[" * 100_000, "nests too deeply"),
    ('{"p": NaN}', "NaN is not a JSON number"),
    ('{"p": Infinity}', "Infinity is not a JSON number"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
    ("{", "is not valid JSON"),
])
def test_json_problems_are_one_sentence(text, said):
    with pytest.raises(Refused, match=said):
        loads_json(text, "plan.json", "recompile it", Refused)


def test_printable_escapes_what_would_drive_a_terminal_or_start_a_line():
    assert printable("a\x1b[2Jb\rc\nd\u2028") == "a\\x1b[2Jb\\x0dc\\x0ad\\u2028"
    assert printable("a\nb\tc\x07", lines=True) == "a\nb\tc\\x07"
    assert printable("plain MES_synthetic") == "plain MES_synthetic"


def test_a_refused_write_is_a_sentence_and_the_old_file_survives(tmp_path, monkeypatch):
    target = tmp_path / "scores.parquet"
    target.write_bytes(b"old")

    def full(path):
        path.write_bytes(b"new, half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputError, match="No space left on device"):
        atomic_write(target, full)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]  # no temporary file left behind

    def polars_full(path):  # polars words the same fault in its own exception
        raise RuntimeError("I/O error: No space left on device (os error 28)")

    with pytest.raises(OutputError, match="No space left on device"):
        atomic_write(target, polars_full)


def test_an_unwritable_directory_is_a_sentence(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(OutputError, match="Permission denied"):
        atomic_write(tmp_path / "report.md", lambda p: p.write_text("x"))


def test_a_bug_in_the_writer_is_not_dressed_up_as_a_user_error(tmp_path):
    def buggy(path):
        raise KeyError("column")

    with pytest.raises(KeyError):
        atomic_write(tmp_path / "x", buggy)
