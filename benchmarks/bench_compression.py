"""Re-evaluation after a sliding-window compression against re-evaluating everything.

A 2,000-token history behind a 300-token system prompt on n_ctx 4096; the sliding window
drops the oldest turns. Our side keeps the system prompt in the KV cache and evaluates the
rest; the other side clears the cache and evaluates the whole compressed prompt.

Run: python -m benchmarks.bench_compression [--runs N]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import median, model_path, quiet_llama, table, write_section


def build_history():
    from app.core.conversations.conversation import Message

    system = Message("system", ("You are a meticulous assistant who answers with care and cites facts. " * 24).strip(),
                     pinned=True)
    messages = [system]
    for i in range(13):
        messages.append(Message("user", f"Question {i}: describe river {i}, its length, its towns and its history. " * 2))
        messages.append(Message("assistant", f"River {i} runs through valley {i}, past old mills and bridges. " * 5))
    return messages


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    quiet_llama()
    from app.core.config.settings import Settings
    from app.core.session.session import Session

    session = Session(Settings(n_ctx=4096, auto_compress=False), model_path())
    session.load()
    engine = session.engine
    messages = build_history()
    session.load_history(messages)
    system_tokens = len(engine.prompt_ids([messages[0].as_chat()], add_generation_prompt=False))
    history_tokens = len(engine.prompt_ids([m.as_chat() for m in messages], add_generation_prompt=False))
    ours, full = [], []
    for _ in range(args.runs):
        session.load_history(messages)
        session.resync()
        plan = session.preview_compression("sliding", target=history_tokens // 2)
        sync = session.apply_compression(plan)
        ours.append((sync.seconds, sync.reused, sync.evaluated, sync.reused + sync.evaluated))
        engine.reset()
        ids = engine.prompt_ids([m.as_chat() for m in plan.after], add_generation_prompt=False)
        t0 = time.perf_counter()
        again = engine.sync(ids)
        full.append((time.perf_counter() - t0, again.reused, again.evaluated, len(ids)))
        session.conversation.checkpoints.clear()
    session.close()
    t_ours = median(r[0] for r in ours)
    t_full = median(r[0] for r in full)
    rows = [
        ["sliding window, KV prefix kept", f"{t_ours * 1000:.0f}", ours[0][1], ours[0][2], ours[0][3]],
        ["re-evaluate everything", f"{t_full * 1000:.0f}", full[0][1], full[0][2], full[0][3]],
    ]
    body = (
        f"SmolLM2-135M Q4_1, n_ctx 4096, system prompt {system_tokens} tokens, history {history_tokens} tokens, "
        f"sliding window down to half; {args.runs} alternated runs, medians.\n\n"
        + table(["side", "ms", "tokens reused", "tokens evaluated", "prompt tokens after"], rows)
        + f"\n\nSpeed-up: {t_full / t_ours:.2f}x. Target: only the changed part is evaluated "
        f"(evaluated = prompt after - reused; the {system_tokens}-token system prompt is never evaluated again)."
    )
    write_section("compression", "Re-evaluation after compression", "python -m benchmarks.bench_compression", body)
    print(body)
    return {"ours_s": t_ours, "full_s": t_full, "reused": ours[0][1], "evaluated": ours[0][2]}


if __name__ == "__main__":
    main()
