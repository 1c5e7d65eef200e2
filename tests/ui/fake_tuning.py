"""The fake session plus compression, for Pilot tests of the compression and reload UI.

Plans come from core's own strategies; tokens are words (a message costs its words plus
4, as in `FakeSession`), and the "model" writes a fixed summary.
"""

from __future__ import annotations

from dataclasses import replace

from app.core import events as ev
from app.core.compression.apply import apply_plan
from app.core.compression.stats import CompressionReport
from app.core.compression.strategies import compress
from app.core.config.settings import Settings
from app.ui.app import ContextWatchApp
from fake_session import FakeSession, InlineRunner, first_change

SUMMARY = "The user asked about context windows and the assistant explained the KV cache."
SUMMARY_COST = 57
WORDS = ("the context window holds every token of the prompt and the reply so a long chat "
         "fills it turn by turn until the oldest turns must go").split()


class WordTokenizer:
    """Token ids are word positions in a growing vocabulary; a prompt costs what `FakeSession.cost` says."""

    def __init__(self, session: TuningFakeSession) -> None:
        self.session = session

    def content_ids(self, text: str) -> list[int]:
        vocab = self.session.vocab
        ids = []
        for word in text.split():
            if word not in vocab:
                vocab[word] = len(vocab)
            ids.append(vocab[word])
        return ids

    def text(self, ids) -> str:
        words = {i: w for w, i in self.session.vocab.items()}
        return " ".join(words[i] for i in ids)

    def prompt_tokens(self, messages) -> int:
        return sum(self.session.cost(m.content) for m in messages)


class TuningFakeSession(FakeSession):
    def __init__(self, *args, target: int = 120, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.vocab: dict[str, int] = {}
        self.target = target

    def seed(self, turns: int, words: int = 30) -> None:
        """Append `turns` question/answer pairs of about `words` words each, as if they had been chatted."""
        for t in range(turns):
            text = " ".join(WORDS[(t + i) % len(WORDS)] for i in range(words))
            self.conversation.append("user", f"Question {t + 1}: {text}")
            self.conversation.append("assistant", f"Answer {t + 1}: {text} {text}")
        self.resync(changed_from=1)

    def _summarize(self, _prefix, _messages) -> tuple[str, int]:
        return SUMMARY, SUMMARY_COST

    def preview_compression(self, strategy: str, index: int | None = None, target: int | None = None,
                            protect_last: bool = False):
        self.calls.append(f"preview:{strategy}:{index}")
        self._set_tokens()
        plan = compress(strategy, WordTokenizer(self), self.conversation.messages,
                        self.target if target is None else target, self._summarize,
                        self.settings.keep_last_turns, index, protect_last)
        return replace(plan, costs=self.costs_of(plan.before, plan.after)) if plan.changed else plan

    def apply_compression(self, plan, reason: str = "manual", sync: bool = True):
        self.calls.append(f"apply:{plan.strategy}")
        apply_plan(self.conversation, plan)
        self.stats.add(plan.saved, plan.summary_tokens)
        self.sink(ev.Notice(f"{reason} compression, {plan.describe()}"))
        result = self.resync(changed_from=first_change(plan.before, plan.after))
        self.stats.last = CompressionReport(plan.strategy, reason, plan.tokens_before, plan.tokens_after,
                                            result.reused, result.evaluated, result.seconds, result.shifted)
        self.sink(self.dashboard())
        return result

    def undo_compression(self):
        self.calls.append("undo")
        current = tuple(self.conversation.messages)
        checkpoint = self.conversation.undo_compression()
        self.sink(ev.Notice(f"undid {checkpoint.strategy}"))
        return self.resync(changed_from=first_change(current, checkpoint.messages))


def tuning_app(settings: Settings | None = None, runner=InlineRunner, **options) -> ContextWatchApp:
    settings = settings or Settings(n_ctx=2048)
    return ContextWatchApp(settings, lambda sink: TuningFakeSession(settings, sink, **options), runner)
