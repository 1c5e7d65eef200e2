"""What a user sees when the server fails: one clear line, and nothing of the conversation lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.errors import ServerAuthError
from app.core.events import Notice, StopReason
from fixtures.servers import free_port
from server_sessions import SETTINGS, at_token, server_session


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL)


def test_no_server_at_the_address_is_one_line_and_exit_1():
    proc = run_cli("run", "--server", f"http://127.0.0.1:{free_port()}", "--prompt", "hi")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "no server answers at http://127.0.0.1:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_address_that_is_not_a_model_server_says_so(tmp_path):
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from fixtures.servers import RunningServer, wait_for_health

        wait_for_health(RunningServer(f"http://127.0.0.1:{port}", web, tmp_path / "none"), "/")
        proc = run_cli("run", "--server", f"http://127.0.0.1:{port}", "--prompt", "hi")
        assert proc.returncode == 1
        assert "is this a model server?" in proc.stderr and proc.stderr.count("\n") == 1
    finally:
        web.terminate()
        web.wait()


def test_the_server_going_away_mid_reply_keeps_the_partial_reply_and_reconnects(start_server):
    server = start_server(metrics=False)
    events: list = []
    session = server_session(server.url, settings=SETTINGS.with_overrides(max_tokens=200))
    session.sink = at_token(events, 3, lambda: (server.process.kill(), server.process.wait()))
    try:
        result = session.submit("Tell me a long story about a cat.")
        assert result.reason is StopReason.SERVER_LOST
        reply = session.conversation.messages[-1]
        assert reply.role == "assistant" and reply.content == result.reply and len(result.reply) > 0
        assert reply.metrics["cut_off"] == "server"
        errors = [e.message for e in events if isinstance(e, Notice) and e.severity == "error"]
        assert any("closed the connection" in m and "partial reply is kept" in m for m in errors)
        port = int(server.url.rsplit(":", 1)[1])
        start_server(metrics=False, port=port)
        session.sink = events.append
        again = session.submit("Are you back?")
        assert again.reason in (StopReason.EOG, StopReason.MAX_TOKENS) and again.reply
        assert [m.role for m in session.conversation.messages][-4:] == ["user", "assistant", "user", "assistant"]
    finally:
        session.close()


def test_the_monitor_reports_the_server_offline_and_back(start_server):
    from app.core.engine.server.client import ServerClient
    from app.core.engine.server.monitor import ServerMonitor
    from app.core.engine.server.options import ServerOptions

    server = start_server(metrics=True)
    session = server_session(server.url)
    notes: list = []
    options = ServerOptions(server.url, timeout=2)
    monitor = ServerMonitor(options, session.engine.facts, 0, notes.append)
    client = ServerClient(options)
    try:
        status = monitor.poll(client)
        assert status.online and status.total_slots == 1 and status.slots_busy == 0 and status.requests_deferred == 0
        port = int(server.url.rsplit(":", 1)[1])
        server.stop()
        status = monitor.poll(client)
        assert not status.online and "no server answers" in status.problem
        start_server(metrics=True, port=port)
        assert monitor.poll(client).online
        assert [n.severity for n in notes] == ["error", "information"] and "answers again" in notes[-1].message
    finally:
        client.close()
        session.close()


def test_a_server_that_stops_sending_times_out_with_the_partial_reply_kept(start_server):
    server = start_server(metrics=False)
    events: list = []
    session = server_session(server.url, settings=SETTINGS.with_overrides(max_tokens=200), timeout=1.0)
    session.sink = at_token(events, 2, lambda: os.kill(server.process.pid, signal.SIGSTOP))
    try:
        result = session.submit("Tell me a long story about a dog.")
        assert result.reason is StopReason.SERVER_LOST and result.reply
        assert any("sent nothing for 1 s" in e.message for e in events if isinstance(e, Notice))
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        session.close()


def test_a_refused_key_is_named_by_its_variable_and_never_written_anywhere(start_server, tmp_path, monkeypatch):
    key = "sekrit-key-4711"
    server = start_server(api_key=key, metrics=False, slot_save_path=tmp_path)
    with pytest.raises(ServerAuthError, match="api_key_env"):
        server_session(server.url)
    monkeypatch.setenv("CW_KEY", "wrong-key")
    with pytest.raises(ServerAuthError, match=r"refused the key in \$CW_KEY \(HTTP 401\)") as refused:
        server_session(server.url, api_key_env="CW_KEY")
    assert "wrong-key" not in str(refused.value)
    monkeypatch.setenv("CW_KEY", key)
    from app.core.conversations.autosave import Autosave

    session = server_session(server.url, api_key_env="CW_KEY")
    session.autosave = Autosave()
    try:
        session.submit("Hello")
        session.save_snapshot("keyed")
    finally:
        session.close()
    proc = run_cli("snapshots", "export", "keyed")
    assert proc.returncode == 0 and key not in proc.stdout
    written = [p for root in ("XDG_DATA_HOME", "XDG_CONFIG_HOME") for p in Path(os.environ[root]).rglob("*") if p.is_file()]
    written += [p for p in tmp_path.glob("contextwatch-*.bin")]  # the slot file the snapshot names
    assert any(p.suffix == ".json" for p in written)
    for path in written:
        assert key.encode() not in path.read_bytes(), path
