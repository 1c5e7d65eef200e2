"""When and how a session compresses its history: the reply reserve, the trigger, the target and undo.

Compression runs before a request that would pass the trigger (proactive) or not fit at all
(emergency); its report is recorded once the cache has been synced to the shorter history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core import events as ev
from app.core.compression.apply import apply_plan
from app.core.compression.stats import STEP_JOIN, CompressionReport, CompressionStats, Contribution
from app.core.compression.strategies import STRATEGIES, SUMMARIZING, CompressionPlan, Tokenizer, compress
from app.core.compression.summarizer import ModelSummarizer
from app.core.conversations.conversation import Checkpoint
from app.core.engine.results import SyncResult
from app.core.errors import Cancelled, ContextFullError, ContextWatchError, UsageError, require_model

if TYPE_CHECKING:
    from app.core.session.session import Session

MIN_REPLY_TOKENS = 16  # a prompt fits when this much room is left for the reply (the whole reserve, if smaller)
MAX_RESERVE_SHARE = 4  # the reply reserve takes at most 1/4 of n_ctx


def reply_reserve(reserve_setting: int, n_ctx: int) -> int:
    """The tokens kept free for the reply at this context size."""
    return min(reserve_setting, n_ctx // MAX_RESERVE_SHARE)


class CompressionPolicy:
    """The session's compression state: what it saved so far, and the report waiting for the next sync."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.stats = CompressionStats()
        self.contributions: list[tuple[Checkpoint, Contribution]] = []
        self.pending_report: tuple[str, str, int, int] | None = None  # strategy, reason, tokens before, after

    @property
    def reserve(self) -> int:
        session = self.session
        return reply_reserve(session.settings.reply_reserve, session.engine.n_ctx)

    def target(self, emergency: bool) -> int:
        session = self.session
        target = int(require_model(session.usage).snapshot().effective * session.settings.compress_target / 100)
        if emergency:
            target = min(target, session.engine.n_ctx - self.reserve)
        return target

    def preview(self, strategy: str, index: int | None = None,
                target: int | None = None, protect_last: bool = False) -> CompressionPlan:
        """What `strategy` would do now; summaries are written by the model here, once."""
        session = self.session
        if strategy not in STRATEGIES:
            raise UsageError(f"unknown compression strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
        session._refresh_costs()
        session._cancel.clear()
        return self.plan(strategy, index, target, protect_last)

    def plan(self, strategy: str, index: int | None, target: int | None, protect_last: bool) -> CompressionPlan:
        """A plan, summarized under the cancel flag as it stands: Esc during a turn reaches the summary.

        A summary is written on the model's cache, which holds the conversation: the cache comes
        back as it was, whether the plan is applied, cancelled or fails.
        """
        session = self.session
        with session.engine.cache_kept():
            plan = compress(
                strategy, Tokenizer(session.engine), session.conversation.messages,
                self.target(emergency=False) if target is None else target,
                ModelSummarizer(session.engine, session._cancel), session.settings.keep_last_turns, index, protect_last,
            )
        shared = dict(session.engine.backend.unavailable).get("summary slot")
        report = session.engine.last_report()
        if shared and plan.summary_tokens and report is not None and report.evaluated:
            session.sink(ev.Notice(f"{shared}: {report.evaluated:,} tokens re-read after the summary", "warning"))
        return plan

    def apply(self, plan: CompressionPlan, reason: str = "manual", sync: bool = True) -> SyncResult | None:
        session = self.session
        checkpoint = apply_plan(session.conversation, plan)
        self.contributions.append((checkpoint, self.stats.add(plan.saved, plan.summary_tokens)))
        pending = self.pending_report
        if pending is None:
            self.pending_report = (plan.strategy, reason, plan.tokens_before, plan.tokens_after)
        else:  # a second strategy in the same turn: one report names both steps
            self.pending_report = (pending[0] + STEP_JOIN + plan.strategy, reason, pending[2], plan.tokens_after)
        result = session.resync() if sync else None
        session.sink(ev.Notice(f"{reason} compression, {plan.describe()}"))
        return result

    def undo(self) -> SyncResult:
        session = self.session
        checkpoints = session.conversation.checkpoints
        if checkpoints:
            need = len(session.engine.prompt_ids([m.as_chat() for m in checkpoints[-1].messages]))
            if need > session.engine.n_ctx:
                raise ContextFullError(
                    f"undoing {checkpoints[-1].strategy} would need {need:,} tokens but the context holds "
                    f"{session.engine.n_ctx:,}: load the model with a larger n_ctx first; the history stays compressed"
                )
        checkpoint = session.conversation.undo_compression()
        self.take_back(checkpoint)
        result = session.resync()
        session.sink(ev.Notice(f"undid {checkpoint.strategy}: "
                               f"the history is back to {checkpoint.tokens_before} tokens"))
        return result

    def take_back(self, checkpoint: Checkpoint) -> None:
        """Undo what counting this compression added; one restored from a file was not counted here."""
        for i in range(len(self.contributions) - 1, -1, -1):
            if self.contributions[i][0] == checkpoint:
                self.stats.take_back(self.contributions.pop(i)[1])
                self.pending_report = None
                return

    def record(self, sync: SyncResult) -> None:
        if self.pending_report is None:
            return
        strategy, reason, before, after = self.pending_report
        self.pending_report = None
        self.stats.last = CompressionReport(strategy, reason, before, after, sync.reused, sync.evaluated, sync.seconds,
                                            sync.shifted)

    def make_room(self, ids: list[int]) -> list[int]:
        """Compress before the request when it would pass the trigger, or not fit at all."""
        session = self.session
        n_ctx = session.engine.n_ctx
        effective = require_model(session.usage).snapshot().effective
        need = len(ids) + self.reserve
        emergency = need > n_ctx
        proactive = session.settings.auto_compress and len(ids) > effective * session.settings.compress_trigger / 100
        if not (emergency or proactive):
            return ids
        self.check_prompt_alone_fits()
        session._autosave()  # the question is kept before compression work that a quit may cut short
        reason = "emergency" if emergency else "proactive"
        target = self.target(emergency)
        strategies = [session.settings.compress_strategy] if session.settings.auto_compress else []
        strategies += [s for s in ("sliding", "middle") if s not in strategies]
        session.sink(ev.CompressionStarted(reason, strategies[0]))
        for strategy in strategies:
            try:
                plan = self.plan(strategy, None, target, protect_last=True)
            except Cancelled:
                raise
            except ContextWatchError as err:
                if strategy not in SUMMARIZING:
                    raise
                session.sink(ev.Notice(f"{reason} compression: {strategy} could not run ({err}); "
                                       "falling back to the next strategy", "warning"))
                continue
            if plan.changed:
                self.apply(plan, reason, sync=False)
            elif plan.problem:
                session.sink(ev.Notice(f"{reason} compression with {strategy}: {plan.problem}", "warning"))
            ids = session._refresh_costs(add_generation_prompt=True)
            if len(ids) + self.reserve <= n_ctx and (emergency or len(ids) <= target or strategy != strategies[0]):
                break
        fits = len(ids) + min(self.reserve, MIN_REPLY_TOKENS) <= n_ctx
        if emergency and fits:
            self.stats.overflows_prevented += 1
        if not fits:
            raise ContextFullError(
                f"the conversation needs {len(ids)} tokens but the context holds {n_ctx}, "
                "even after compression; shorten the prompt or start a new session"
            )
        return ids

    def check_prompt_alone_fits(self) -> None:
        """Compression shortens the history, never the new prompt: refuse before changing anything."""
        session = self.session
        messages = session.conversation.messages
        kept = [m for i, m in enumerate(messages[:-1]) if m.pinned or (i == 0 and m.role == "system")]
        ids = session.engine.prompt_ids([m.as_chat() for m in kept + [messages[-1]]])
        n_ctx = session.engine.n_ctx
        if len(ids) + min(self.reserve, MIN_REPLY_TOKENS) > n_ctx:
            raise ContextFullError(
                f"the prompt needs {len(ids)} tokens with the system prompt and pinned messages, "
                f"but the context holds {n_ctx}; shorten the prompt or load a larger n_ctx"
            )
