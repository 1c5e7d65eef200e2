"""llama.log is rotated: past its size cap it becomes llama.log.1 (one old file is kept)."""

from __future__ import annotations

import pytest

from app.core.engine.llama import log as llama_log


@pytest.fixture
def fresh_log(monkeypatch, tmp_path):
    monkeypatch.setattr(llama_log, "_state", {"path": None, "fh": None, "echo": False, "callback": None, "size": 0})
    monkeypatch.setattr(llama_log, "ROTATE_BYTES", 1000)
    yield tmp_path / "llama.log"
    if llama_log._state["fh"] is not None:
        llama_log._state["fh"].close()


def test_a_large_log_is_moved_aside_when_opened(fresh_log):
    fresh_log.write_bytes(b"old\n" * 400)
    llama_log.open_log(fresh_log)
    assert llama_log.old_log_path(fresh_log).read_bytes() == b"old\n" * 400
    assert fresh_log.read_bytes() == b""
    assert oct(fresh_log.stat().st_mode & 0o777) == "0o600"


def test_a_small_log_is_appended_to(fresh_log):
    fresh_log.write_bytes(b"kept\n")
    llama_log.open_log(fresh_log)
    llama_log.write(b"more\n")
    assert fresh_log.read_bytes() == b"kept\nmore\n"
    assert not llama_log.old_log_path(fresh_log).exists()


def test_the_writer_rotates_while_it_writes_and_keeps_one_old_file(fresh_log):
    llama_log.open_log(fresh_log)
    for i in range(100):
        llama_log.write(f"line {i:03d} ".encode() + b"x" * 80 + b"\n")
    old = llama_log.old_log_path(fresh_log)
    assert fresh_log.stat().st_size <= 1000 + 100 and old.stat().st_size <= 1000 + 100
    assert b"line 099" in fresh_log.read_bytes()
    assert sorted(p.name for p in fresh_log.parent.iterdir()) == ["llama.log", "llama.log.1"]


def test_text_since_a_mark_survives_a_rotation(fresh_log):
    llama_log.open_log(fresh_log)
    llama_log.write(b"y" * 900)
    mark = llama_log.mark()
    llama_log.write(b"z" * 200)
    llama_log.write(b"after the rotation\n")
    assert llama_log.text_since(mark) == "after the rotation\n"
