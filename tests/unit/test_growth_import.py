"""Claude Code usage logs: a generated fixture with known growth, malformed lines and repeated imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.core.errors import UsageError
from app.core.growth.claude_import import import_claude_logs
from app.core.growth.records import TurnRecord
from app.core.growth.store import GrowthStore


def user(session: str | None, at: str, content, uuid: str) -> dict:
    entry = {"type": "user", "uuid": uuid, "timestamp": at, "message": {"role": "user", "content": content}}
    if session:
        entry["sessionId"] = session
    return entry


def assistant(session: str | None, at: str, msg: str, fresh: int, read: int, created: int, out: int = 50,
              uuid: str | None = None) -> dict:
    usage = {"input_tokens": fresh, "cache_read_input_tokens": read, "cache_creation_input_tokens": created,
             "output_tokens": out}
    entry = {"type": "assistant", "timestamp": at,
             "message": {"id": msg, "model": "claude-test", "role": "assistant", "usage": usage}}
    if session:
        entry["sessionId"] = session
    if uuid:
        entry["uuid"] = uuid
    return entry


def write_jsonl(path, lines) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")


@pytest.fixture
def logs(tmp_path):
    """Session alpha: contexts 1000, 3000, 2500 (growth +1000, +2000, -500), written out of order.
    Session beta (no sessionId, so named after its file, no uuids): 500, 4500 (+500, +4000),
    its second reply written as two lines of one message. Three malformed lines."""
    root = tmp_path / "logs"
    write_jsonl(root / "proj" / "alpha.jsonl", [
        {"type": "summary", "summary": "not an entry we read"},
        user("alpha", "2025-03-01T10:00:00Z", "first question", "u1"),
        assistant("alpha", "2025-03-01T10:10:05Z", "m3", 2500, 0, 0, uuid="a3"),
        assistant("alpha", "2025-03-01T10:00:05Z", "m1", 100, 0, 900, uuid="a1"),
        user("alpha", "2025-03-01T10:05:00Z", [{"type": "text", "text": "read all files"}], "u2"),
        user("alpha", "2025-03-01T10:07:00Z", [{"type": "tool_result", "content": "..."}], "u3"),
        assistant("alpha", "2025-03-01T10:05:05Z", "m2", 10, 1000, 1990, uuid="a2"),
        "{not json",
        "",
        {"type": "assistant", "sessionId": "alpha", "uuid": "bad1", "timestamp": "2025-03-01T10:06:00Z",
         "message": {"id": "mx", "model": "claude-test"}},
    ])
    write_jsonl(root / "beta.jsonl", [
        user(None, "2025-03-02T11:00:00+00:00", "hi", "u4"),
        assistant(None, "2025-03-02T11:00:02+00:00", "b1", 500, 0, 0),
        user(None, "2025-03-02T11:01:00+00:00", "paste this log", "u5"),
        assistant(None, "2025-03-02T11:01:02+00:00", "b2", 4000, 500, 0, out=1),
        assistant(None, "2025-03-02T11:01:03+00:00", "b2", 4000, 500, 0, out=300),
        assistant(None, "2025-03-02T11:02:00+00:00", "b3", "12", 0, 0),
    ])
    return root


def summary(store: GrowthStore) -> list[tuple]:
    return [(r.prompt, r.turn_index, r.context_before, r.context_after, r.growth, r.growth_pct)
            for r in store.top_growth(limit=None, min_growth=None)]


EXPECTED = [
    ("paste this log", 2, 500, 4500, 4000, 800.0),
    ("read all files", 2, 1000, 3000, 2000, 200.0),
    ("first question", 1, 0, 1000, 1000, None),
    ("hi", 1, 0, 500, 500, None),
    ("read all files", 3, 3000, 2500, -500, pytest.approx(-500 / 30)),
]


def test_known_growth_values(logs):
    with GrowthStore() as store:
        report = import_claude_logs(store, [logs])
        assert (report.files, report.sessions, report.imported, report.duplicates, report.malformed, report.merged) == (
            2, 2, 5, 0, 3, 1)
        assert summary(store) == EXPECTED
        beta = store.top_growth(limit=1)[0]
        assert (beta.output_tokens, beta.reused, beta.evaluated, beta.model, beta.source) == (
            300, 500, 4000, "claude-test", "claude-code")
        stats = store.session_stats()
        assert (stats.turns, stats.average_growth, stats.largest_growth, stats.total_growth, stats.peak_context) == (
            5, 1400.0, 4000, 7000, 4500)
        alpha = store.find_session("alpha")
        assert store.session_stats(alpha).total_growth == 2500
        assert store.find_session("beta") != alpha


def test_repeated_import_adds_nothing(logs):
    with GrowthStore() as store:
        import_claude_logs(store, [logs])
        again = import_claude_logs(store, [logs, logs / "beta.jsonl"])
        assert (again.files, again.imported, again.duplicates, again.malformed) == (2, 0, 5, 3)
        assert summary(store) == EXPECTED
        assert len(store.sessions()) == 2


def test_appended_entries_grow_from_the_stored_ones(logs):
    with GrowthStore() as store:
        import_claude_logs(store, [logs])
        path = logs / "proj" / "alpha.jsonl"
        with path.open("a") as fh:
            fh.write(json.dumps(assistant("alpha", "2025-03-01T10:20:00Z", "m4", 2600, 0, 0, uuid="a4")) + "\n")
        report = import_claude_logs(store, [path])
        assert (report.imported, report.duplicates) == (1, 3)
        newest = store.top_growth(limit=1, sort="time", session_id=store.find_session("alpha"))[0]
        assert (newest.turn_index, newest.context_before, newest.context_after, newest.growth) == (4, 2500, 2600, 100)


def test_bad_paths_change_nothing(logs, tmp_path):
    (tmp_path / "empty").mkdir()
    with GrowthStore() as store:
        with pytest.raises(UsageError, match="no such file"):
            import_claude_logs(store, [logs, tmp_path / "missing.jsonl"])
        with pytest.raises(UsageError, match="no .jsonl files"):
            import_claude_logs(store, [tmp_path / "empty"])
        assert store.sessions() == []


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=120)


def test_cli_import_growth_and_stats(logs):
    first = cli("growth", "import", str(logs), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"files": 2, "sessions": 2, "imported": 5, "duplicates": 0, "malformed": 3,
                                        "merged": 1, "empty": 0}
    second = cli("growth", "import", str(logs / "beta.jsonl"))
    assert second.returncode == 0 and "Duplicates skipped:" in second.stdout

    growth = cli("growth", "--limit", "3", "--json")
    assert growth.returncode == 0, growth.stderr
    turns = json.loads(growth.stdout)["turns"]
    assert [(t["prompt"], t["context_before"], t["context_after"], t["growth"]) for t in turns] == [
        ("paste this log", 500, 4500, 4000), ("read all files", 1000, 3000, 2000), ("first question", 0, 1000, 1000)]

    stats = cli("stats", "--session", "alpha", "--json")
    assert stats.returncode == 0, stats.stderr
    body = json.loads(stats.stdout)
    assert {k: body["stats"][k] for k in ("turns", "largest_growth", "total_growth", "peak_context")} == {
        "turns": 3, "largest_growth": 2000, "total_growth": 2500, "peak_context": 3000}
    assert [s["external_id"] for s in body["sessions"]] == ["alpha"]

    table = cli("growth", "--min-growth", "1500")
    assert table.returncode == 0 and "paste this log" in table.stdout and "+4,000" in table.stdout
    assert "first question" not in table.stdout


@pytest.mark.parametrize("args", [
    ("growth", "--limit", "0"),
    ("growth", "import", "/no/such/file.jsonl"),
    ("stats", "--session", "42"),
    ("growth", "--session", "nope"),
])
def test_cli_bad_input_exits_2_with_one_line(args):
    proc = cli(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr and "error:" in proc.stderr.strip().splitlines()[-1]


def test_cli_growth_shows_shifted_tokens_and_full_context_shifts():
    with GrowthStore() as store:
        sid = store.start_session("smol", 4096)
        store.record_turn(sid, TurnRecord("plain turn", 1_700_000_000.0, "smol", 4096, 60, 10, 0, 70, reused=0,
                                          evaluated=60))
        store.record_turn(sid, TurnRecord("after a sliding window", 1_700_000_060.0, "smol", 4096, 1200, 500, 70, 1700,
                                          reused=30, evaluated=24, shifted=1146, context_shifts=2))
    body = cli("growth", "--json")
    assert body.returncode == 0, body.stderr
    turns = json.loads(body.stdout)["turns"]
    assert [(t["prompt"], t["reused"], t["shifted"], t["evaluated"], t["context_shifts"]) for t in turns] == [
        ("after a sliding window", 30, 1146, 24, 2), ("plain turn", 0, 0, 60, 0)]

    table = cli("growth").stdout.splitlines()
    assert table[0].split()[-3:] == ["SHIFTED", "FULL", "SHIFTS"]
    assert table[1].split()[-2:] == ["1,146", "2"] and table[2].split()[-2:] == ["0", "0"]
