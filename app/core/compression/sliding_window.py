"""The sliding window: the oldest turns go first; the system prompt, pins, summaries and the newest turn stay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.core.compression.plan import CompressionPlan, Tokenizer, build_plan, is_protected
from app.core.conversations.conversation import Message


def sliding_window(tok: Tokenizer, messages: Sequence[Message], target: int, keep_last: int = 1) -> CompressionPlan:
    """Drop the oldest unprotected messages until the prompt fits `target`; the last `keep_last` stay."""
    dropped: set[int] = set()
    last_droppable = len(messages) - keep_last
    order = [i for i, m in enumerate(messages) if not is_protected(m, i) and i < last_droppable]
    total = tok.prompt_tokens(messages)
    for i in order:
        if total <= target:
            break
        dropped.add(i)
        # each message's cost is its share of the rendered prompt, so the sum tracks the total
        total -= messages[i].tokens
    # a question and its reply are the unit of a chat: drop both, or keep the question when the reply must stay
    for i in sorted(dropped):
        nxt = i + 1
        if nxt >= len(messages) or messages[nxt].role != "assistant" or nxt in dropped:
            continue
        if nxt < last_droppable and not is_protected(messages[nxt], nxt):
            dropped.add(nxt)
        elif messages[i].role == "user":
            dropped.discard(i)
    after = [m for i, m in enumerate(messages) if i not in dropped]
    plan = build_plan("sliding", tok, messages, after, {i: ("drop", 0) for i in dropped})
    if plan.tokens_after <= target:
        return plan
    return replace(plan, problem=(
        f"with every older turn dropped the prompt is still {plan.tokens_after:,} tokens, over the "
        f"{target:,}-token target (the system prompt, pinned messages, summaries and the newest turn stay); "
        "middle truncation of the long messages left, or hybrid, might reach it"))
