"""Applying a previewed compression plan to the conversation it was made for."""

from __future__ import annotations

from app.core.compression.plan import CompressionPlan
from app.core.conversations.conversation import Checkpoint, Conversation
from app.core.errors import UsageError


def apply_plan(conversation: Conversation, plan: CompressionPlan) -> Checkpoint:
    """Replace the history by the plan's; the checkpoint returned lets it be undone.

    Refused when the history changed since the preview, or when the plan changes nothing.
    """
    if tuple(conversation.messages) != plan.before:
        raise UsageError("the history changed since this preview: preview again")
    if not plan.changed:
        raise UsageError(f"{plan.strategy} has nothing to compress here")
    conversation.apply_compression(plan.strategy, plan.after, plan.tokens_before, plan.tokens_after)
    return conversation.checkpoints[-1]
