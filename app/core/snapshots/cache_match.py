"""Whether the KV cache holds a conversation: what a snapshot may keep, and what a restore must give back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.engine.results import common_prefix


@dataclass(frozen=True)
class SnapshotCache:
    """The cached tokens a snapshot keeps (`keep`), or why it keeps none (`reason`)."""

    keep: int
    reason: str | None = None


def snapshot_cache(cached: Sequence[int], conversation: Sequence[int], last_message_at: int) -> SnapshotCache:
    """What of the cache a snapshot of `conversation` (its prompt ids) may keep.

    The cache may stop short of the conversation, or part from it inside the last message (a
    reply whose sampled tokens the tokenizer spells another way, or a question taken back): the
    common prefix is kept. A cache that parts from it earlier holds other work, and none is kept.
    """
    if not cached:
        return SnapshotCache(0, "the KV cache is empty")
    shared = common_prefix(cached, conversation)
    if shared == 0:
        return SnapshotCache(0, f"the KV cache holds {len(cached):,} tokens, none of them this conversation's")
    if shared == len(cached) or shared >= last_message_at:
        return SnapshotCache(shared)
    return SnapshotCache(0, f"the KV cache holds {len(cached):,} tokens and from token {shared:,} on "
                            "they are not this conversation's")


def promised_reuse(state_tokens: int, conversation_tokens: int) -> int:
    """What the next sync must reuse after loading a state of `state_tokens`: one token is always re-read for its logits."""
    return min(state_tokens, conversation_tokens - 1)


def shortfall_reason(promised: int, reused: int, held: int, listed: int) -> str:
    """Why a loaded KV state gave back fewer tokens than its manifest promised."""
    if held < listed:
        return f"its KV state held {held:,} of the {listed:,} tokens its manifest lists"
    return (f"its KV state matches only {reused:,} of the {promised:,} tokens it promised: "
            "its token ids are not this conversation's")
