"""Faults and long use: kill -9 while writing snapshots, private files, and a 300-turn soak."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from app.core.config.paths import data_dir
from app.core.config.settings import Settings
from app.core.growth.store import GrowthStore
from app.core.session.session import Session
from app.core.snapshots.store import SnapshotStore


def test_kill_9_while_writing_snapshots_leaves_no_corrupt_file(model_path):
    script = textwrap.dedent(f"""
        from pathlib import Path
        from app.core.session.session import Session
        from app.core.config.settings import Settings
        s = Session(Settings(n_ctx=2048, temperature=0.0, max_tokens=24), Path({str(model_path)!r}))
        s.load()
        s.submit("Tell me about the moon and the tides in some detail.")
        i = 0
        while True:
            s.save_snapshot("loop")
            s.save_snapshot(f"keep-{{i % 3}}")
            i += 1
            print(i, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    count = 0
    while count < 4:
        line = proc.stdout.readline()
        assert line, "the writer died on its own"
        count = int(line)
    time.sleep(0.013 * (count % 7))  # land somewhere inside a write
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    store = SnapshotStore()
    names = [i.name for i in store.list()]
    assert "loop" in names
    for name in names:
        manifest, blob = store.load(name)  # raises on a truncated blob or a bad checksum
        assert len(blob) == manifest["kv"]["bytes"]
    session = Session(Settings(n_ctx=2048, temperature=0.0, max_tokens=8), model_path)
    session.load()
    try:
        assert session.restore_snapshot("loop").kv_restored is True
    finally:
        session.close()


@pytest.mark.model
def test_every_file_and_folder_we_write_is_private(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "app", "run", "--prompt", "Hello", "--max-tokens", "4", "--save-snapshot", "modes"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    root = data_dir(create=False)
    seen = 0
    for folder, _dirs, files in os.walk(root):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
        for name in files:
            mode = stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
            assert mode == 0o600, f"{name} is {oct(mode)}"
            seen += 1
    assert seen >= 5  # log, snapshot manifest and blob, fingerprints, turn database


def test_soak_300_turns_with_auto_compression_on_1024_tokens(model_path, log_file):
    import psutil

    settings = Settings(n_ctx=1024, temperature=0.0, max_tokens=12, auto_compress=True, reply_reserve=128)
    session = Session(settings, model_path)
    session.load()
    process = psutil.Process()
    try:
        warm = None
        for turn in range(300):
            result = session.submit(f"Turn {turn}: give one short fact about the number {turn}.")
            assert result.total_tokens <= 1024
            assert session.engine.n_tokens <= 1024
            if turn == 30:
                warm = process.memory_info().rss
        growth = process.memory_info().rss - warm
        assert growth < 50 * 1024 * 1024, f"RSS grew {growth / 2**20:.1f} MiB after warm-up"
        assert session.stats.compressions >= 10
        session.save_snapshot("soak")
        sid = session.growth_session
    finally:
        session.close()
    store = GrowthStore()
    assert store.session_stats(sid).turns == 300
    store.close()
    with sqlite3.connect(data_dir() / "growth.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    manifest, blob = SnapshotStore().load("soak")
    assert len(blob) == manifest["kv"]["bytes"]
