"""Files the user controls are read with a cap: never more than the cap plus one byte, never a hang."""

from __future__ import annotations

import os

import pytest

from app.core.files.bounded_read import FileLimitError, read_capped


def test_a_file_within_the_cap_is_read_whole(tmp_path):
    path = tmp_path / "small"
    path.write_bytes(b"x" * 1000)
    assert read_capped(path, limit=1000) == b"x" * 1000


def test_a_file_past_the_cap_is_refused_by_its_size(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(b"x" * 1001)
    with pytest.raises(FileLimitError, match="too large"):
        read_capped(path, limit=1000)


def test_an_endless_device_is_refused_after_the_cap():
    with pytest.raises(FileLimitError, match=r"/dev/zero: too large \(more than 1.00 KiB\)"):
        read_capped("/dev/zero", limit=1024)


def test_a_named_pipe_with_no_writer_is_refused_at_once(tmp_path):
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(FileLimitError, match="a pipe, not a file"):
        read_capped(fifo)


def test_a_pipe_may_be_allowed_as_with_process_substitution():
    read_end, write_end = os.pipe()
    os.write(write_end, b"[]")
    os.close(write_end)
    try:
        assert read_capped(f"/dev/fd/{read_end}", allow_pipe=True) == b"[]"
    finally:
        os.close(read_end)
