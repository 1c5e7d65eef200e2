"""Head, tail and middle truncation: the longest messages are cut, as many as the target needs.

A cut keeps a message's head, its tail, or both ends around a `[...]` marker, and its role
and pin. The system prompt, pinned messages, summaries and the newest prompt are never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.core.compression.plan import CompressionPlan, Tokenizer, build_plan, is_protected, newest_prompt, unchanged
from app.core.compression.sliding_window import sliding_window
from app.core.conversations.conversation import Message
from app.core.errors import UsageError

TRUNCATIONS = ("head", "tail", "middle")
MIDDLE_MARKER = "\n[...]\n"
HEAD_MARKER = " [...]"
TAIL_MARKER = "[...] "
MIN_KEPT_TOKENS = 8
CONVERGE_STEPS = 4  # re-tokenizing a cut text can shift a few tokens: a few passes land on the target


def cut_text(tok: Tokenizer, text: str, keep: int, mode: str) -> str:
    ids = tok.content_ids(text)
    if keep >= len(ids):
        return text
    if mode == "head":
        return tok.text(ids[:keep]).rstrip() + HEAD_MARKER
    if mode == "tail":
        return TAIL_MARKER + tok.text(ids[len(ids) - keep :]).lstrip()
    marker = len(tok.content_ids(MIDDLE_MARKER))
    room = max(2, keep - marker)
    head, tail = room - room // 2, room // 2
    return tok.text(ids[:head]).rstrip() + MIDDLE_MARKER + tok.text(ids[len(ids) - tail :]).lstrip()


def cuttable(messages: Sequence[Message], protect_last: bool = False) -> list[int]:
    """Positions a truncation may cut: not protected, not the newest prompt, not the last message with `protect_last`."""
    spared = {newest_prompt(messages)}
    if protect_last:
        spared.add(len(messages) - 1)
    return [i for i, m in enumerate(messages) if not is_protected(m, i) and i not in spared]


def _cut_one(tok: Tokenizer, after: list[Message], index: int, length: int, total: int, target: int,
             mode: str) -> int | None:
    """Cut `after[index]` (`length` content tokens) by what the prompt is over `target`.

    Returns the prompt's new length, or None (and leaves `after` alone) when a cut saves nothing.
    """
    message = after[index]
    keep = max(MIN_KEPT_TOKENS, length - (total - target))
    trial = list(after)
    new_total = total
    for _ in range(CONVERGE_STEPS):
        trial[index] = replace(message, content=cut_text(tok, message.content, keep, mode))
        new_total = tok.prompt_tokens(trial)
        over = new_total - target
        if over <= 0 or keep <= MIN_KEPT_TOKENS:
            break
        keep = max(MIN_KEPT_TOKENS, keep - over)
    if new_total >= total:
        return None
    after[index] = trial[index]
    return new_total


def _messages(n: int) -> str:
    return f"{n} message" + ("" if n == 1 else "s")


def what_would_work(tok: Tokenizer, messages: Sequence[Message], target: int) -> str:
    sliding = sliding_window(tok, messages, target)
    if sliding.tokens_after <= target:
        return "sliding (drops the oldest turns) or summarize would reach it"
    return (f"sliding cannot reach it either: the system prompt, pinned messages and the newest turn alone take "
            f"{sliding.tokens_after:,} tokens; unpin a message or load a larger n_ctx")


def truncate(tok: Tokenizer, messages: Sequence[Message], target: int, mode: str,
             index: int | None = None, protect_last: bool = False) -> CompressionPlan:
    """Cut the longest messages, one after another, until the prompt fits `target`.

    `index` (a message the user picked) is cut first; the longest others follow if the target needs them.
    """
    if mode not in TRUNCATIONS:
        raise UsageError(f"unknown truncation {mode!r}: expected one of {', '.join(TRUNCATIONS)}")
    total = tok.prompt_tokens(messages)
    if total <= target:
        return unchanged(mode, tok, messages)
    allowed = cuttable(messages, protect_last)
    lengths = {i: len(tok.content_ids(messages[i].content)) for i in allowed}
    order = sorted(allowed, key=lambda i: (-lengths[i], i))
    if index in lengths:
        order.remove(index)
        order.insert(0, index)
    marker = len(tok.content_ids({"head": HEAD_MARKER, "tail": TAIL_MARKER}.get(mode, MIDDLE_MARKER)))
    after = list(messages)
    actions: dict[int, tuple[str, int]] = {}
    for i in order:
        if total <= target:
            break
        if lengths[i] <= MIN_KEPT_TOKENS + marker and i != index:
            break  # the rest are shorter still: a cut would not save a token
        new_total = _cut_one(tok, after, i, lengths[i], total, target, mode)
        if new_total is None:
            continue
        total = new_total
        actions[i] = ("cut", messages[i].tokens - (lengths[i] - len(tok.content_ids(after[i].content))))
    plan = build_plan(mode, tok, messages, after, actions)
    if plan.tokens_after <= target:
        return plan
    if actions:
        short = (f"with {_messages(len(actions))} cut the prompt is still {plan.tokens_after:,} tokens, over the "
                 f"{target:,}-token target: the rest are too short to cut")
    elif lengths:
        short = (f"no message is long enough to cut (the longest that may be cut has {max(lengths.values())} tokens) "
                 f"to reach the {target:,}-token target")
    else:
        short = (f"there is nothing it may cut (the system prompt, pinned messages, summaries and the newest "
                 f"prompt stay) to reach the {target:,}-token target")
    return replace(plan, problem=f"{short}; {what_would_work(tok, messages, target)}")
