"""Turn 10 of a 2,000-token conversation: our TTFT against llama-cpp-python's create_chat_completion.

Both sides hold exactly the first nine turns in their KV cache (the same token ids), so the figure
is what a chat costs per turn: render, tokenize, reuse the prefix, evaluate the new message, sample
the first token.

Run: python -m benchmarks.bench_multiturn [--runs N]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import alternate, median, model_path, quiet_llama, raw_llama, table, write_section

SYSTEM = "You are a helpful assistant."
TURN_10 = "Thanks. Which of those lighthouses would you visit first, and why?"


def history(n_turns: int = 9) -> list[dict]:
    messages = [{"role": "system", "content": SYSTEM}]
    for i in range(n_turns):
        messages.append({"role": "user", "content": f"Tell me about lighthouse number {i}, its keeper and its light. " * 3})
        messages.append({"role": "assistant", "content": f"Lighthouse {i} stands on a cape; its keeper trims the wick nightly. " * 9})
    return messages


def raw_ttft(llm, messages, nine_turns: list[int]) -> float:
    """`nine_turns`: the history's token ids, exactly what our side holds in its cache too."""
    if llm.n_tokens < len(nine_turns) or llm.input_ids[: len(nine_turns)].tolist() != nine_turns:
        llm.reset()
        llm.eval(nine_turns)
    llm.n_tokens = len(nine_turns)  # the next call keeps this prefix and drops the rest of the cache
    t0 = time.perf_counter()
    for chunk in llm.create_chat_completion(messages=messages + [{"role": "user", "content": TURN_10}],
                                            max_tokens=1, temperature=0.0, stream=True):
        if chunk["choices"][0]["delta"].get("content") is not None:
            return time.perf_counter() - t0
    return time.perf_counter() - t0


def our_ttft(session, messages) -> float:
    from app.core.conversations.conversation import Conversation, Message
    from app.core.engine.sampling import SamplingParams

    session.conversation = Conversation([Message(m["role"], m["content"]) for m in messages])
    session.resync()  # nine turns in the cache
    first: list[float] = []
    session.sink = lambda e: first.append(e.t) if type(e).__name__ == "TokenEvent" and not first else None
    t0 = time.perf_counter()
    session.submit(TURN_10, SamplingParams(temperature=0.0, max_tokens=1))
    return first[0] - t0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    quiet_llama()
    from app.core.config.settings import Settings
    from app.core.session.session import Session

    path = model_path()
    session = Session(Settings(n_ctx=4096, auto_compress=False, system_prompt=SYSTEM), path, record_growth=False)
    session.load()
    llm = raw_llama(session.engine)
    messages = history()
    tokens = len(session.engine.prompt_ids(messages + [{"role": "user", "content": TURN_10}]))
    nine_turns = session.engine.prompt_ids(messages, add_generation_prompt=False)
    raw_ttft(llm, messages, nine_turns), our_ttft(session, messages)  # warm-up
    raw, ours = alternate(args.runs, lambda: raw_ttft(llm, messages, nine_turns), lambda: our_ttft(session, messages))
    session.close()
    r, o = median(raw), median(ours)
    body = (
        f"SmolLM2-135M Q4_1, n_ctx 4096; turn 10 of a conversation of {tokens:,} tokens (both sides run on the "
        f"session's Llama object, and its KV cache holds exactly the nine turns before it at the start of each run); {args.runs} runs a side, alternated, the order reversed every round; medians.\n\n"
        + table(["side", "TTFT ms", "ratio vs create_chat_completion"],
                [["create_chat_completion(stream=True)", f"{r * 1000:.1f}", "1.000"],
                 ["ContextWatch session.submit", f"{o * 1000:.1f}", f"{o / r:.3f}"]])
        + "\n\nTarget: ratio <= 1.0."
    )
    write_section("multiturn", "Multi-turn TTFT against create_chat_completion", "python -m benchmarks.bench_multiturn", body)
    print(body)
    return {"ratio": o / r}


if __name__ == "__main__":
    main()
