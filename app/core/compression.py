"""Compression strategies: turn a history into a shorter one, counted with the real tokenizer.

Every strategy returns a `CompressionPlan` (a preview): what happens to each message and the
prompt's tokens before and after. Nothing changes until the plan is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

from app.core.conversation import Message
from app.core.errors import UsageError

STRATEGIES = ("head", "tail", "middle", "sliding", "summarize", "hybrid")
TRUNCATIONS = ("head", "tail", "middle")
SUMMARIZING = ("summarize", "hybrid")
MIDDLE_MARKER = "\n[...]\n"
MIN_KEPT_TOKENS = 8
SUMMARY_PREFIX = "Summary of the earlier conversation:\n"


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


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _plan(strategy: str, tok: Tokenizer, before: Sequence[Message], after: Sequence[Message],
          actions: dict[int, tuple[str, int]], summary_tokens: int = 0) -> CompressionPlan:
    items = []
    for i, m in enumerate(before):
        action, tokens_after = actions.get(i, ("keep", m.tokens))
        items.append(PlanItem(i, m.role, action, m.tokens, tokens_after, _preview(m.content)))
    return CompressionPlan(
        strategy, tuple(before), tuple(after), tuple(items),
        tok.prompt_tokens(before), tok.prompt_tokens(after), summary_tokens,
    )


# ----- truncation of one oversized message


def largest_message(messages: Sequence[Message]) -> int | None:
    candidates = [(m.tokens, i) for i, m in enumerate(messages) if not is_protected(m, i)]
    return max(candidates)[1] if candidates else None


def cut_text(tok: Tokenizer, text: str, keep: int, mode: str) -> str:
    ids = tok.content_ids(text)
    if keep >= len(ids):
        return text
    if mode == "head":
        return tok.text(ids[:keep]).rstrip() + " [...]"
    if mode == "tail":
        return "[...] " + tok.text(ids[len(ids) - keep :]).lstrip()
    marker = len(tok.content_ids(MIDDLE_MARKER))
    room = max(2, keep - marker)
    head, tail = room - room // 2, room // 2
    return tok.text(ids[:head]).rstrip() + MIDDLE_MARKER + tok.text(ids[len(ids) - tail :]).lstrip()


def truncate(tok: Tokenizer, messages: Sequence[Message], target: int, mode: str,
             index: int | None = None, protect_last: bool = False) -> CompressionPlan:
    """Cut one message (the largest unprotected one unless `index` is given) so the prompt fits `target`."""
    if mode not in TRUNCATIONS:
        raise UsageError(f"unknown truncation {mode!r}: expected one of {', '.join(TRUNCATIONS)}")
    if index is None:
        index = largest_message(messages[:-1] if protect_last else messages)
    if index is None:
        return _plan(mode, tok, messages, messages, {})
    message = messages[index]
    content_len = len(tok.content_ids(message.content))
    excess = tok.prompt_tokens(messages) - target
    keep = max(MIN_KEPT_TOKENS, content_len - max(excess, 0))
    after = list(messages)
    for _ in range(4):  # re-tokenizing the cut text can shift a few tokens: converge on the target
        after[index] = replace(message, content=cut_text(tok, message.content, keep, mode))
        over = tok.prompt_tokens(after) - target
        if over <= 0 or keep <= MIN_KEPT_TOKENS:
            break
        keep = max(MIN_KEPT_TOKENS, keep - over)
    if after[index].content == message.content:
        return _plan(mode, tok, messages, messages, {})
    cut_tokens = message.tokens - (content_len - len(tok.content_ids(after[index].content)))
    return _plan(mode, tok, messages, after, {index: ("cut", cut_tokens)})


# ----- sliding window


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
    return _plan("sliding", tok, messages, after, {i: ("drop", 0) for i in dropped})


# ----- summarization

Summarizer = Callable[[Sequence[Message], Sequence[Message]], tuple[str, int]]
"""(prefix to keep, messages to summarize) -> (summary text, tokens the model read and wrote)."""


def transcript(messages: Sequence[Message]) -> str:
    return "\n\n".join(f"{m.role}: {m.content}" for m in messages)


def _split_old_recent(messages: Sequence[Message], keep_turns: int) -> tuple[list[int], list[int], list[int]]:
    """Indices of the protected head, the old part to summarize, and the recent turns kept verbatim."""
    protected = [i for i, m in enumerate(messages) if is_protected(m, i)]
    rest = [i for i in range(len(messages)) if i not in protected]
    user_positions = [i for i in rest if messages[i].role == "user"]
    start_recent = user_positions[-keep_turns] if keep_turns and len(user_positions) >= keep_turns else (
        rest[-1] if rest else len(messages))
    old = [i for i in rest if i < start_recent]
    recent = [i for i in rest if i >= start_recent]
    return protected, old, recent


def summarize(tok: Tokenizer, messages: Sequence[Message], summarizer: Summarizer,
              keep_turns: int = 1, strategy: str = "summarize") -> CompressionPlan:
    """Older turns become one summary message (a checkpoint); the last `keep_turns` turns stay."""
    protected, old, recent = _split_old_recent(messages, keep_turns)
    if not old:
        return _plan(strategy, tok, messages, messages, {})
    prefix = [messages[i] for i in protected]
    text, spent = summarizer(prefix, [messages[i] for i in old])
    summary = Message("system", SUMMARY_PREFIX + text.strip(), summary=True)
    after = prefix + [summary] + [messages[i] for i in recent]
    actions = {i: ("summarize", 0) for i in old}
    plan = _plan(strategy, tok, messages, after, actions, spent)
    return plan


def hybrid(tok: Tokenizer, messages: Sequence[Message], summarizer: Summarizer, target: int,
           keep_turns: int = 2) -> CompressionPlan:
    """A summary of the old part plus the last `keep_turns` turns verbatim; cut further if still too long."""
    plan = summarize(tok, messages, summarizer, keep_turns, strategy="hybrid")
    if plan.tokens_after <= target:
        return plan
    recut = truncate(tok, plan.after, target, "middle", protect_last=True)
    actions = {i.index: (i.action, i.tokens_after) for i in plan.items if i.action != "keep"}
    # map the cut message of the new history back onto the old one
    cut_new = {i.index for i in recut.items if i.action == "cut"}
    for new_index in cut_new:
        cut_message = plan.after[new_index]
        for old_index, m in enumerate(messages):
            if m.id == cut_message.id:
                actions[old_index] = ("cut", recut.items[new_index].tokens_after)
    return _plan("hybrid", tok, messages, recut.after, actions, plan.summary_tokens)


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
