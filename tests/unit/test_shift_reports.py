"""Shifted tokens and full-context shifts where a turn is written down: the growth recorder and the transcript."""

from __future__ import annotations

from types import SimpleNamespace

from app.core.conversations.transcript import to_markdown
from app.core.engine.results import SyncResult
from app.core.growth.recorder import GrowthRecorder


def turn_result(context_after: int, shifts: tuple = ()) -> SimpleNamespace:
    return SimpleNamespace(
        prompt_tokens=400, generated_tokens=300, total_tokens=700, context_after=context_after, shifts=shifts,
        sync=SyncResult(reused=16, evaluated=11, seconds=0.1, shifted=373, dropped=250),
        latency=SimpleNamespace(ttft_ms=12.0, decode_tps=80.0),
    )


def test_the_recorder_stores_shifted_tokens_full_context_shifts_and_the_context_left():
    events: list = []
    recorder = GrowthRecorder(events.append)
    recorder.open("smol", 512)
    recorder.record("long reply", "smol", 512, 100, turn_result(450, shifts=((200, 130), (380, 120))), None)
    recorder.record("plain", "smol", 512, 450, turn_result(0), "sliding")
    rows = recorder.store.top_growth(sort="time", min_growth=None)
    recorder.close()
    assert [(r.prompt, r.reused, r.shifted, r.evaluated, r.context_shifts, r.context_after) for r in rows] == [
        ("plain", 16, 373, 11, 0, 700), ("long reply", 16, 373, 11, 2, 450)]


def manifest(metrics: dict) -> dict:
    return {"name": "c", "conversation": {"messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello", "metrics": metrics}]}}


def test_the_transcript_shows_shifted_tokens_and_full_context_shifts():
    text = to_markdown(manifest({"prompt_tokens": 400, "reused": 16, "shifted": 373, "evaluated": 11,
                                 "context_shifts": 2, "shifted_at": 200, "shift_dropped": 250, "on_full": "shift"}))
    assert "KV 16 reused / 373 shifted / 11 evaluated" in text
    assert "full context: shift 2 times, first at reply token 200, 250 tokens dropped" in text

    plain = to_markdown(manifest({"reused": 16, "evaluated": 11}))
    assert "KV 16 reused / 11 evaluated" in plain and "shifted" not in plain and "full context" not in plain
