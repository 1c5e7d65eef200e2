"""Time to first token after restoring a snapshot with its KV state, against re-evaluating it.

Run: python -m benchmarks.bench_restore [--runs N]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import median, model_path, quiet_llama, table, write_section

SIZES = (1000, 2000, 4000)
FOLLOW_UP = "Thanks. Now answer in one word: done?"


def conversation_of(engine, target: int):
    from app.core.conversations.conversation import Conversation, Message

    conv = Conversation([Message("system", "You are a helpful assistant.", pinned=True)])
    i = 0
    while len(engine.prompt_ids(conv.as_chat(), add_generation_prompt=False)) < target:
        conv.messages.append(Message("user", f"Tell me about lighthouse number {i} and its keeper. " * 3))
        conv.messages.append(Message("assistant", f"Lighthouse {i} stands on a rocky cape; its keeper logs ships. " * 5))
        i += 1
    return conv


def ttft(session, sink_times) -> float:
    from app.core.engine.sampling import SamplingParams

    sink_times.clear()
    t0 = time.perf_counter()
    session.submit(FOLLOW_UP, SamplingParams(temperature=0.0, max_tokens=1))
    return sink_times[0] - t0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    quiet_llama()
    from app.core.config.settings import Settings
    from app.core.session.session import Session
    from app.core.snapshots.store import SnapshotStore

    times: list[float] = []
    sink = lambda e: times.append(e.t) if type(e).__name__ == "TokenEvent" else None  # noqa: E731
    session = Session(Settings(n_ctx=8192), model_path(), sink=sink)
    session.load()
    store = SnapshotStore()
    rows, summary = [], {}
    for size in SIZES:
        conv = conversation_of(session.engine, size)
        session.conversation = conv
        session.resync()
        name = f"bench-{size}"
        session.save_snapshot(name, store)
        restored, reevaluated, tokens = [], [], 0
        for _ in range(args.runs):
            session.engine.reset()
            info = session.restore_snapshot(name, store)
            tokens = info.tokens
            restored.append(info.seconds + ttft(session, times))
            session.conversation = conversation_of(session.engine, size)
            session.engine.reset()
            reevaluated.append(ttft(session, times))
        store.delete(name)
        r, e = median(restored), median(reevaluated)
        summary[size] = e / r
        rows.append([f"{tokens:,}", f"{r * 1000:.0f}", f"{e * 1000:.0f}", f"{e / r:.1f}x"])
    session.close()
    body = (
        f"SmolLM2-135M Q4_1, n_ctx 8192. A conversation of about 1k, 2k and 4k tokens is saved; then, "
        f"{args.runs} times each, alternated: restore the snapshot with its KV state and ask a follow-up "
        "(time = restore + time to first token), or clear the cache and ask the same follow-up on the same "
        "conversation (time to first token, which re-evaluates everything); medians.\n\n"
        + table(["tokens", "restore + TTFT ms", "re-evaluate TTFT ms", "speed-up"], rows)
        + "\n\nTarget: >= 20x faster at 2k tokens."
    )
    write_section("restore", "Snapshot restore against re-evaluation", "python -m benchmarks.bench_restore", body)
    print(body)
    return summary


if __name__ == "__main__":
    main()
