"""Compression strategies: turn a history into a shorter one, counted with the real tokenizer.

Every strategy returns a `CompressionPlan` (a preview): what happens to each message and the
prompt's tokens before and after. Nothing changes until the plan is applied. Every strategy
keeps the system prompt, pinned messages and the newest prompt, and each kept message its
role and pin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.core.compression.plan import (  # noqa: F401  (the names strategies and their callers share)
    CompressionPlan,
    PlanItem,
    Tokenizer,
    build_plan,
    is_protected,
    newest_prompt,
    unchanged,
)
from app.core.compression.sliding_window import sliding_window
from app.core.compression.summary_text import SUMMARY_PREFIX, summary_problem, transcript, without_markers
from app.core.compression.truncation import MIDDLE_MARKER, MIN_KEPT_TOKENS, TRUNCATIONS, cut_text, truncate  # noqa: F401
from app.core.conversations.conversation import Message
from app.core.errors import UsageError

STRATEGIES = ("head", "tail", "middle", "sliding", "summarize", "hybrid")
SUMMARIZING = ("summarize", "hybrid")

Summarizer = Callable[[Sequence[Message], Sequence[Message]], tuple[str, int]]
"""(prefix to keep, messages to summarize) -> (summary text, tokens the model read and wrote)."""


def mergeable(message: Message) -> bool:
    """An earlier summary, unpinned: a new summary takes it in rather than stacking on it."""
    return message.summary and not message.pinned


def _old_part(messages: Sequence[Message], keep_turns: int) -> list[int]:
    """Positions to summarize: unprotected messages and earlier summaries before the last `keep_turns` turns."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    start_recent = users[-min(max(1, keep_turns), len(users))] if users else len(messages) - 1
    return [i for i in range(start_recent) if mergeable(messages[i]) or not is_protected(messages[i], i)]


def summarize(tok: Tokenizer, messages: Sequence[Message], summarizer: Summarizer,
              keep_turns: int = 1, strategy: str = "summarize") -> CompressionPlan:
    """Older turns, and any earlier summary, become one summary message; the last `keep_turns` turns stay."""
    old = _old_part(messages, keep_turns)
    if all(mergeable(messages[i]) for i in old):
        return unchanged(strategy, tok, messages)
    old_set = set(old)
    prefix = [m for i, m in enumerate(messages) if is_protected(m, i) and i not in old_set]
    replaced = [messages[i] for i in old]
    text, spent = summarizer(prefix, replaced)
    text = without_markers(text)
    problem = summary_problem(len(tok.content_ids(text)), len(tok.content_ids(transcript(replaced))), text)
    if problem:
        return unchanged(strategy, tok, messages, problem, spent)
    summary = Message("system", SUMMARY_PREFIX + text, summary=True)
    after = []
    for i, m in enumerate(messages):
        if i == old[0]:
            after.append(summary)
        if i not in old_set:
            after.append(m)
    plan = build_plan(strategy, tok, messages, after, {i: ("summarize", 0) for i in old}, spent)
    if plan.tokens_after >= plan.tokens_before:
        return unchanged(strategy, tok, messages, (
            f"refused: with the summary the prompt would be {plan.tokens_after:,} tokens, no shorter than "
            f"{plan.tokens_before:,}; sliding or a truncation would work"), spent)
    return plan


def hybrid(tok: Tokenizer, messages: Sequence[Message], summarizer: Summarizer, target: int,
           keep_turns: int = 2) -> CompressionPlan:
    """A summary of the old part plus the last `keep_turns` turns verbatim; cut further if still too long."""
    plan = summarize(tok, messages, summarizer, keep_turns, strategy="hybrid")
    if plan.problem or plan.tokens_after <= target:
        return plan
    recut = truncate(tok, plan.after, target, "middle", protect_last=True)
    actions = {i.index: (i.action, i.tokens_after) for i in plan.items if i.action != "keep"}
    # map the cut messages of the new history back onto the old one
    old_index = {m.id: i for i, m in enumerate(messages)}
    for item in recut.items:
        if item.action == "cut" and plan.after[item.index].id in old_index:
            actions[old_index[plan.after[item.index].id]] = ("cut", item.tokens_after)
    return build_plan("hybrid", tok, messages, recut.after, actions, plan.summary_tokens, recut.problem)


def compress(strategy: str, tok: Tokenizer, messages: Sequence[Message], target: int,
             summarizer: Summarizer | None = None, keep_turns: int = 2, index: int | None = None,
             protect_last: bool = False) -> CompressionPlan:
    """`protect_last` keeps the newest message (a prompt waiting for its reply) as it is."""
    if strategy in TRUNCATIONS:
        return truncate(tok, messages, target, strategy, index, protect_last)
    if strategy == "sliding":
        return sliding_window(tok, messages, target)
    if strategy in SUMMARIZING:
        if summarizer is None:
            raise UsageError(f"{strategy} needs the loaded model")
        if strategy == "summarize":
            return summarize(tok, messages, summarizer, keep_turns=1)
        return hybrid(tok, messages, summarizer, target, keep_turns)
    raise UsageError(f"unknown compression strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
