"""The next turn's time to first token after a history change: KV shift, the exact prefix-kept path, starting over.

A 2,000-token history behind a 300-token system prompt on n_ctx 4096.

Sliding window: the oldest turns are dropped down to half. With kv_shift "auto" the cached tokens
after the dropped turns are moved down and only the question is evaluated; with "off" the system
prompt stays in the KV cache and the rest is evaluated again; the third side clears the cache and
evaluates the whole compressed prompt.

Deleting one message in the middle: kv_shift "auto" against "off".

Every side starts from the whole history evaluated exactly in the cache, applies the change and asks
the next question; its time runs from the change to the first token of the reply.

Run: python -m benchmarks.bench_compression [--runs N]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import alternate, median, model_path, quiet_llama, table, write_section

QUESTION = "Which of those rivers would you follow first, and why?"
DELETED = 14  # the assistant reply of the seventh of thirteen turns


def build_history():
    from app.core.conversations.conversation import Message

    system = Message("system", ("You are a meticulous assistant who answers with care and cites facts. " * 24).strip(),
                     pinned=True)
    messages = [system]
    for i in range(13):
        messages.append(Message("user", f"Question {i}: describe river {i}, its length, its towns and its history. " * 2))
        messages.append(Message("assistant", f"River {i} runs through valley {i}, past old mills and bridges. " * 5))
    return messages


class NextTurn:
    """One session; each side puts the whole history in the cache, changes it, and times the next turn."""

    def __init__(self, session, messages):
        self.session = session
        self.messages = messages
        self.first: list[float] = []
        self.deleted_tokens = 0
        session.sink = lambda e: self.first.append(e.t) if type(e).__name__ == "TokenEvent" else None
        self.history_tokens = len(session.engine.prompt_ids([m.as_chat() for m in messages],
                                                            add_generation_prompt=False))

    def whole_history(self) -> None:
        session = self.session
        session.change_settings({"kv_shift": "off"})
        session.load_history(self.messages)
        session.resync()
        session.conversation.checkpoints.clear()
        session.deleted = None

    def timed(self, kv_shift: str, change) -> tuple[float, object, object]:
        """(seconds from the change to the first token, the change's SyncResult, the turn's SyncResult)."""
        from app.core.engine.sampling import SamplingParams

        self.session.change_settings({"kv_shift": kv_shift})
        self.first.clear()
        t0 = time.perf_counter()
        sync = change()
        turn = self.session.submit(QUESTION, SamplingParams(temperature=0.0, max_tokens=1))
        return self.first[0] - t0, sync, turn.sync

    def sliding(self, kv_shift: str, from_scratch: bool = False):
        self.whole_history()
        plan = self.session.preview_compression("sliding", target=self.history_tokens // 2)

        def change():
            if from_scratch:
                self.session.engine.reset()
            return self.session.apply_compression(plan)

        return self.timed(kv_shift, change)

    def delete(self, kv_shift: str):
        self.whole_history()
        deleted = self.session.conversation.messages[DELETED]
        assert deleted.role == "assistant"
        self.deleted_tokens = deleted.tokens
        return self.timed(kv_shift, lambda: self.session.delete_message(DELETED))


def row(label: str, runs) -> list:
    change, turn = runs[0][1], runs[0][2]
    return [label, f"{median(r[1].seconds for r in runs) * 1000:.0f}", f"{median(r[0] for r in runs) * 1000:.0f}",
            change.reused, change.shifted, change.evaluated, change.kept + change.evaluated, turn.evaluated]


def paired(slow, fast) -> float:
    return median(s[0] / f[0] for s, f in zip(slow, fast))


HEADERS = ["side", "change's sync ms", "change to first token ms", "tokens reused", "tokens shifted",
           "tokens evaluated", "prompt tokens after", "question tokens evaluated"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    quiet_llama()
    from app.core.config.settings import Settings
    from app.core.session.session import Session

    session = Session(Settings(n_ctx=4096, auto_compress=False), model_path(), record_growth=False)
    session.load()
    bench = NextTurn(session, build_history())
    system_tokens = len(session.engine.prompt_ids([bench.messages[0].as_chat()], add_generation_prompt=False))
    shift, exact, full = alternate(args.runs, lambda: bench.sliding("auto"), lambda: bench.sliding("off"),
                                   lambda: bench.sliding("off", from_scratch=True))
    del_shift, del_exact = alternate(args.runs, lambda: bench.delete("auto"), lambda: bench.delete("off"))
    session.close()
    for runs, shifted in ((shift, True), (exact, False), (full, False), (del_shift, True), (del_exact, False)):
        assert all((r[1].shifted > 0) == shifted for r in runs), "a side did not take the path it names"

    t = {name: median(r[0] for r in runs) for name, runs in
         (("shift", shift), ("exact", exact), ("full", full), ("del_shift", del_shift), ("del_exact", del_exact))}
    sync_exact, sync_full = median(r[1].seconds for r in exact), median(r[1].seconds for r in full)
    rows = [row("sliding window, KV shifted (kv_shift auto)", shift),
            row("sliding window, KV prefix kept (kv_shift off)", exact),
            row("re-evaluate everything", full)]
    body = (
        f"SmolLM2-135M Q4_1, n_ctx 4096, system prompt {system_tokens} tokens, history {bench.history_tokens} tokens, "
        f"sliding window down to half. Every side starts with the whole history evaluated exactly in the KV cache, "
        f"applies the sliding window and asks the next question (greedy, one token); {args.runs} runs a side, "
        f"alternated, the order reversed every round; medians.\n\n"
        + table(HEADERS, rows)
        + f"\n\nTime to the first token of the next turn: shift {t['full'] / t['shift']:.1f}x faster than "
        f"re-evaluating everything (median of paired ratios {paired(full, shift):.1f}x; target >= 10x), "
        f"{t['exact'] / t['shift']:.1f}x faster than the exact prefix-kept path (paired {paired(exact, shift):.1f}x). "
        f"The exact path's sync alone: {sync_full / sync_exact:.2f}x faster than re-evaluating everything "
        f"(target: only the changed part is evaluated; the {system_tokens}-token system prompt is never evaluated "
        f"again)."
    )
    cmd = "python -m benchmarks.bench_compression" + (f" --runs {args.runs}" if args.runs != 5 else "")
    write_section("compression", "Re-evaluation after compression", cmd, body)
    print(body)
    delete_body = (
        f"SmolLM2-135M Q4_1, n_ctx 4096, the same {bench.history_tokens}-token history; message {DELETED} of "
        f"{len(bench.messages)} (an assistant reply in the middle, {bench.deleted_tokens} tokens) is deleted, then the next "
        f"question is asked (greedy, one token). Every side starts with the whole history evaluated exactly in the "
        f"KV cache; {args.runs} runs a side, alternated, the order reversed every round; medians.\n\n"
        + table(HEADERS, [row("delete, KV shifted (kv_shift auto)", del_shift),
                          row("delete, KV prefix kept (kv_shift off)", del_exact)])
        + f"\n\nTime to the first token of the next turn: shift {t['del_exact'] / t['del_shift']:.1f}x faster than "
        f"exact (median of paired ratios {paired(del_exact, del_shift):.1f}x). Target: >= 10x."
    )
    write_section("delete_message", "The next turn after deleting a message in the middle",
                  cmd, delete_body)
    print(delete_body)
    return {"ours_s": sync_exact, "full_s": sync_full, "shift_ttft_s": t["shift"], "exact_ttft_s": t["exact"],
            "full_ttft_s": t["full"], "delete_shift_ttft_s": t["del_shift"], "delete_exact_ttft_s": t["del_exact"]}


if __name__ == "__main__":
    main()
