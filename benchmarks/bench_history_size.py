"""Giving a long history its token costs: work that grows with the message count, not its square.

Histories of short alternating messages behind a system prompt are given their costs from
nothing, as `run --history` and opening a kept conversation do: each message's part rendered
on its own after its neighbours, against every prefix rendered and tokenized whole (how it was
done before, and still the fallback for templates whose parts do not add up). The ratios say
how the time grows when the history grows: about 10x for 10x the messages, where the whole
prefixes grow 9x for 3x.

Run: python -m benchmarks.bench_history_size [--runs N]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import alternate, median, model_path, quiet_llama, table, write_section

OURS = (400, 1200, 4000)
PREFIXES = (400, 1200)  # 4,000 whole prefixes take over a minute


def history(n: int):
    from app.core.conversations.conversation import Message

    return [Message("system", "You are a helpful assistant.")] + [
        Message(("user", "assistant")[i % 2], f"message {i} ok") for i in range(n)
    ]


class Counting:
    """The engine, counting template renders and tokenizer calls."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self.renders = self.tokenizations = 0

    def render(self, *args, **kwargs):
        self.renders += 1
        return self._engine.render(*args, **kwargs)

    def tokenize(self, *args, **kwargs):
        self.tokenizations += 1
        return self._engine.tokenize(*args, **kwargs)

    def rendered_ids(self, text):
        self.tokenizations += 1
        return self._engine.rendered_ids(text)

    def __getattr__(self, name):
        return getattr(self._engine, name)


def build(engine, n: int, prefixes: bool):
    from app.core.engine.prompt_tokens import PromptTokens

    messages = history(n)
    counting = Counting(engine)
    prompt = PromptTokens(counting)
    chat = [m.as_chat() for m in messages]
    keys = [(m.role, m.content) for m in messages]
    t0 = time.perf_counter()
    if prefixes:
        prompt._extend_by_prefixes(keys, chat, lambda done, total: None)
    else:
        prompt.build(messages, add_generation_prompt=False)
    return time.perf_counter() - t0, counting.renders, counting.tokenizations, len(prompt._ids)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    quiet_llama()
    from app.core.engine.llama.engine import LlamaEngine
    from app.core.engine.load_options import LoadOptions

    engine = LlamaEngine()
    engine.load(LoadOptions(path=model_path(), n_ctx=512))
    sides = [(n, False) for n in OURS] + [(n, True) for n in PREFIXES]
    results = alternate(args.runs, *[lambda n=n, p=p: build(engine, n, p) for n, p in sides])
    engine.close()
    seconds = {side: median(r[0] for r in runs) for side, runs in zip(sides, results)}
    rows = []
    for (n, prefixes), runs in zip(sides, results):
        base = seconds[(OURS[0] if not prefixes else PREFIXES[0], prefixes)]
        _, renders, tokenizations, tokens = runs[0]
        rows.append(["every prefix whole" if prefixes else "parts on their own", f"{n:,}", f"{tokens:,}",
                     f"{renders:,}", f"{tokenizations:,}", f"{seconds[(n, prefixes)] * 1000:.0f}",
                     f"{seconds[(n, prefixes)] / base:.1f}x"])
    body = (
        f"SmolLM2-135M Q4_1 tokenizer and chat template; a system prompt and N short alternating messages, "
        f"costs built from nothing; {args.runs} alternated runs, medians.\n\n"
        + table(["side", "messages", "tokens", "renders", "tokenizer calls", "ms", "time vs the side's smallest"], rows)
        + "\n\nTarget: 10x the messages takes about 10x the time (linear), not 100x."
    )
    write_section("history_size", "Token costs of a long history", "python -m benchmarks.bench_history_size", body)
    print(body)
    return {f"{'prefixes' if p else 'parts'}_{n}": s for (n, p), s in seconds.items()}


if __name__ == "__main__":
    main()
