"""What every compression strategy returns: a plan (a preview) and what it does to each message.

Nothing changes until a plan is applied. A plan that falls short of its target, or that was
refused (a summary that says nothing), carries a one-line `problem` that names the strategy
that would work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.conversations.conversation import Message
from app.core.engine.sync_costs import SyncCosts


@dataclass(frozen=True)
class PlanItem:
    """What a strategy does to one message of the old history."""

    index: int
    role: str
    action: str  # keep | drop | cut | summarize
    tokens_before: int
    tokens_after: int
    preview: str


@dataclass(frozen=True)
class CompressionPlan:
    strategy: str
    before: tuple[Message, ...]
    after: tuple[Message, ...]
    items: tuple[PlanItem, ...]
    tokens_before: int
    tokens_after: int
    summary_tokens: int = 0  # tokens read and written by the model to make summaries
    problem: str | None = None  # why the plan does not reach its target, or was refused
    costs: SyncCosts | None = None  # what syncing the KV cache to `after` would cost, each way

    @property
    def saved(self) -> int:
        return self.tokens_before - self.tokens_after

    @property
    def changed(self) -> bool:
        return self.after != self.before

    def describe(self) -> str:
        counts = {a: sum(1 for i in self.items if i.action == a) for a in ("drop", "cut", "summarize")}
        done = ", ".join(f"{n} {a if a != 'summarize' else 'summarized'}{'ped' if a == 'drop' else ''}"
                         for a, n in counts.items() if n)
        return f"{self.strategy}: {done or 'nothing to do'}; {self.tokens_before} -> {self.tokens_after} tokens"


class Tokenizer:
    """What a strategy needs from the engine: token counts of text and of a whole prompt."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def content_ids(self, text: str) -> list[int]:
        return self.engine.tokenize(text, special=False)

    def text(self, ids: Sequence[int]) -> str:
        return self.engine.detokenize(ids)

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return len(self.engine.prompt_ids([m.as_chat() for m in messages]))


def is_protected(message: Message, index: int) -> bool:
    """The system prompt, pinned messages and earlier summaries are never dropped or cut."""
    return message.pinned or message.summary or (index == 0 and message.role == "system")


def newest_prompt(messages: Sequence[Message]) -> int | None:
    """The position of the newest user message: no strategy cuts or drops it."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user":
            return i
    return None


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def build_plan(strategy: str, tok: Tokenizer, before: Sequence[Message], after: Sequence[Message],
               actions: dict[int, tuple[str, int]], summary_tokens: int = 0,
               problem: str | None = None) -> CompressionPlan:
    items = []
    for i, m in enumerate(before):
        action, tokens_after = actions.get(i, ("keep", m.tokens))
        items.append(PlanItem(i, m.role, action, m.tokens, tokens_after, _preview(m.content)))
    return CompressionPlan(
        strategy, tuple(before), tuple(after), tuple(items),
        tok.prompt_tokens(before), tok.prompt_tokens(after), summary_tokens, problem,
    )


def unchanged(strategy: str, tok: Tokenizer, messages: Sequence[Message], problem: str | None = None,
              summary_tokens: int = 0) -> CompressionPlan:
    return build_plan(strategy, tok, messages, messages, {}, summary_tokens, problem)
