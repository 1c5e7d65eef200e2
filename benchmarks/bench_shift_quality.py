"""What KV shifting costs in output: the next 64 greedy tokens after a sliding window, shifted against exact.

Shifted K/V values are not those of a fresh evaluation: the kept tail was computed while the
dropped turns were still in front of it. Twelve conversations on different topics and of different
lengths are written by the model itself (fixed questions, greedy replies with a repeat penalty, so
they come out the same every run). Each one is put whole into the KV cache, evaluated exactly; the
sliding window drops its oldest turns down to half; the next question is answered with 64 greedy
tokens (no penalty) on each side:

- shift: kv_shift "auto", the cached tokens after the dropped turns are moved down;
- exact: kv_shift "off", the system prompt is kept and the rest evaluated again;
- from scratch: the cache cleared and the whole compressed prompt evaluated, a control that shows
  how far exact itself is from starting over.

Per conversation: the share of positions where shift and exact picked the same token, and the
first position where they differ. Every side gets the same prompt ids (checked), the exact side
shifted nothing and the shift side shifted something (checked).

Run: python -m benchmarks.bench_shift_quality [--runs N]  (N conversations, at least 10 for the issue's figure)
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.common import median, model_path, quiet_llama, table, write_section

N_TOKENS = 64

# (topic, system prompt, questions, the question asked after the sliding window, reply cap while writing)
CONVERSATIONS = (
    ("bread", "You are a friendly baking teacher.",
     ("How do I make a simple loaf of white bread?", "Why does dough need to rise twice?",
      "What does kneading actually do to the dough?", "My bread came out dense. What went wrong?",
      "Can I use whole wheat flour instead?", "How do I know when the bread is baked through?"),
     "What is the most important tip you would give a beginner baker?", 50),
    ("solar system", "You are an astronomy guide for curious students.",
     ("Which planet is closest to the Sun?", "Why is Venus hotter than Mercury?", "What are Saturn's rings made of?",
      "How long does light from the Sun take to reach Earth?", "What is the asteroid belt?"),
     "Which planet would be the hardest to visit, and why?", 65),
    ("guitar", "You are a patient music teacher.",
     ("I just bought an acoustic guitar. Where do I start?", "How do I tune it by ear?",
      "Which chords should I learn first?", "My fingertips hurt. Is that normal?"),
     "How much should I practise each day?", 45),
    ("rome", "You are a historian who explains things clearly.",
     ("How did the Roman Republic begin?", "Who was Julius Caesar?", "Why did the Republic become an empire?",
      "What was daily life like for a Roman citizen?", "How did the Romans build their roads?",
      "What were the main causes of the fall of the Western Roman Empire?", "What did Rome leave behind for Europe?"),
     "If you could visit Rome in one year of its history, which would it be?", 60),
    ("tomatoes", "You are an experienced gardener.",
     ("When should I plant tomatoes?", "How often should I water them?", "Why are the leaves turning yellow?",
      "Should I prune the side shoots?", "How do I save seeds for next year?"),
     "What is the biggest mistake new tomato growers make?", 35),
    ("python", "You are a senior Python developer who mentors juniors.",
     ("What is the difference between a list and a tuple?", "When should I use a dictionary?",
      "How do I read a file line by line?", "What is a list comprehension?", "How do exceptions work?",
      "What does the with statement do?", "How do I write a unit test?", "What is a virtual environment for?"),
     "Which Python habit saves the most time in the long run?", 55),
    ("marathon", "You are a running coach.",
     ("I want to run my first marathon in six months. Is that realistic?", "How many days a week should I run?",
      "What should I eat before a long run?", "How do I avoid knee pain?"),
     "What should I do in the last week before the race?", 75),
    ("photosynthesis", "You are a biology teacher.",
     ("What is photosynthesis?", "Why are leaves green?", "What role does water play in it?",
      "What happens to plants at night?", "How is photosynthesis different in cacti?", "Why does it matter for us?"),
     "Explain photosynthesis to a ten year old.", 45),
    ("budget", "You are a careful personal finance adviser.",
     ("How do I start a monthly budget?", "How much should I keep in an emergency fund?",
      "Should I pay off debt or save first?", "What is compound interest?", "How can I cut my grocery bill?"),
     "What is one rule of money everyone should follow?", 60),
    ("chess", "You are a chess coach for club players.",
     ("What is the point of the opening?", "Why should I control the centre?", "What is castling for?",
      "How do I stop losing pieces to forks?", "What is a good opening for white as a beginner?",
      "How should I study endgames?", "How do I get better at calculating?"),
     "What should I think about before every move?", 40),
    ("volcanoes", "You are a geologist who loves to explain the Earth.",
     ("How does a volcano form?", "What is the difference between magma and lava?",
      "Why do some volcanoes explode and others do not?", "Can scientists predict eruptions?"),
     "Which volcano would you most like to study, and why?", 70),
    ("japan", "You are a well travelled trip planner.",
     ("I have ten days in Japan. Which cities should I visit?", "Is the rail pass worth it?",
      "What food should I try in Osaka?", "How do I behave politely in a temple?", "What is the best season to go?",
      "How much cash should I carry?"),
     "Plan my first day in Tokyo.", 50),
)


def write_conversation(session, system: str, questions, cap: int):
    """The model answers each question greedily (a repeat penalty keeps a small model from looping)."""
    from app.core.conversations.conversation import Message
    from app.core.engine.sampling import SamplingParams

    session.change_settings({"kv_shift": "off"})
    session.load_history([Message("system", system, pinned=True)])
    for question in questions:
        session.submit(question, SamplingParams(temperature=0.0, repeat_penalty=1.1, max_tokens=cap))
    return list(session.conversation.messages)


class Side:
    """One way of answering after the sliding window; records the turn's prompt ids and the tokens picked."""

    def __init__(self, session):
        self.session = session
        self.tokens: list[int] = []
        self.syncs: list[tuple[list[int], object]] = []
        session.sink = lambda e: self.tokens.append(e.token_id) if type(e).__name__ == "TokenEvent" else None
        engine_sync = session.engine.sync

        def recorded(ids, *args, **kwargs):
            result = engine_sync(ids, *args, **kwargs)
            self.syncs.append((list(ids), result))
            return result

        session.engine.sync = recorded  # an instance attribute, so the session's calls go through it

    def run(self, messages, follow_up: str, kv_shift: str, from_scratch: bool = False):
        """(the compression's SyncResult, the turn's prompt ids, the tokens picked, tokens before and after)."""
        from app.core.engine.sampling import SamplingParams

        session = self.session
        session.change_settings({"kv_shift": "off"})
        session.load_history(messages)
        if not from_scratch:
            session.resync()  # the whole history, evaluated exactly
        session.conversation.checkpoints.clear()
        before = len(session.engine.prompt_ids([m.as_chat() for m in messages], add_generation_prompt=False))
        plan = session.preview_compression("sliding", target=before // 2)
        if not plan.changed:
            sys.exit(f"the sliding window drops nothing from a {before}-token history")
        session.change_settings({"kv_shift": kv_shift})
        if from_scratch:
            session.engine.reset()
        change = session.apply_compression(plan)
        self.tokens.clear()
        self.syncs.clear()
        session.submit(follow_up, SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=N_TOKENS))
        (ids, _), = self.syncs
        cached = session.engine.cached_ids()
        assert cached[: len(ids)] == ids, "the cache does not hold the turn's prompt"
        return change, ids, list(self.tokens), (before, plan.tokens_after)


def compare(a: list[int], b: list[int]) -> tuple[float, int | None]:
    """(share of positions with the same token, first position that differs or None); a missing token differs."""
    n = max(len(a), len(b))
    same = sum(1 for x, y in zip(a, b) if x == y)
    first = next((i for i in range(n) if i >= len(a) or i >= len(b) or a[i] != b[i]), None)
    return (same / n if n else 1.0), first


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=len(CONVERSATIONS), help="how many conversations")
    args = parser.parse_args(argv)
    quiet_llama()
    from app.core.config.settings import Settings
    from app.core.session.session import Session

    session = Session(Settings(n_ctx=4096, auto_compress=False), model_path(), record_growth=False)
    session.load()
    rows, shares, firsts, control = [], [], [], []
    for k, (topic, system, questions, follow_up, cap) in enumerate(CONVERSATIONS[: args.runs]):
        messages = write_conversation(session, system, questions, cap)
        side = Side(session)
        ways = [("shift", "auto", False), ("exact", "off", False)]
        if k % 2:
            ways.reverse()
        ways.append(("scratch", "off", True))  # last: it needs no whole history in the cache before it
        out = {name: side.run(messages, follow_up, kv_shift, scratch) for name, kv_shift, scratch in ways}
        del session.engine.sync
        shift, exact, scratch = out["shift"], out["exact"], out["scratch"]
        assert shift[1] == exact[1] == scratch[1], "the sides were given different prompt ids"
        assert shift[0].shifted > 0, "the shift side did not shift"
        assert exact[0].shifted == 0 and exact[0].evaluated > 0, "the exact side did not evaluate again"
        assert scratch[0].reused == 0 and scratch[0].shifted == 0, "the control side kept some of the cache"
        share, first = compare(shift[2], exact[2])
        control_share, control_first = compare(exact[2], scratch[2])
        shares.append(share)
        firsts.append(first)
        control.append(control_share)
        before, after = shift[3]
        rows.append([topic, len(questions), f"{before:,}", f"{after:,}", shift[0].shifted, exact[0].evaluated,
                     f"{len(shift[2])}/{len(exact[2])}", f"{share:.0%}", "none" if first is None else first,
                     f"{control_share:.0%}", "none" if control_first is None else control_first])
        print(f"{topic}: shift vs exact {share:.0%}, first difference {first}; exact vs scratch {control_share:.0%}",
              file=sys.stderr, flush=True)
    session.close()
    agreeing = sum(1 for f in firsts if f is None)
    body = (
        f"SmolLM2-135M Q4_1, n_ctx 4096. {len(rows)} conversations written by the model itself (fixed questions, "
        "greedy replies with repeat penalty 1.1, capped at 35-75 tokens each), each put whole into the KV cache "
        "(evaluated exactly); the sliding window drops the oldest turns down to half; the next question gets "
        f"{N_TOKENS} greedy tokens (no penalty, an end of generation ends a side early) with kv_shift auto (shift) "
        "and off (exact), and from an empty cache (scratch, a control). Every side is given the same prompt ids "
        "(checked); the exact side shifted nothing, the shift side shifted the kept turns (checked). Share: "
        "positions with the same token over the longer side's tokens; first difference: its position (0-based), "
        "or none.\n\n"
        + table(["conversation", "turns", "tokens before", "after the window", "tokens shifted",
                 "exact evaluated", "tokens shift/exact", "shift = exact", "first difference",
                 "exact = scratch", "first difference (exact vs scratch)"], rows)
        + f"\n\nShift against exact: mean share of identical tokens {sum(shares) / len(shares):.1%}, median "
        f"{median(shares):.1%}; {agreeing} of {len(rows)} conversations agree on every token. Exact against "
        f"scratch: mean {sum(control) / len(control):.1%}, median {median(control):.1%}. Measured, no target: "
        "what kv_shift \"auto\" costs in output, against \"off\"."
    )
    cmd = "python -m benchmarks.bench_shift_quality" + (f" --runs {args.runs}" if args.runs != len(CONVERSATIONS) else "")
    write_section("shift_quality", "What KV shifting costs in output", cmd, body)
    print(body)
    return {"mean_share": sum(shares) / len(shares), "median_share": median(shares), "all_agree": agreeing}


if __name__ == "__main__":
    main()
