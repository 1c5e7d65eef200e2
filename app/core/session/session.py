"""One chat session: the engine, the conversation and every tracker, driven one turn at a time.

All methods except `cancel` and `dashboard` run in the single engine thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import events as ev
from app.core.compression.policy import CompressionPolicy
from app.core.compression.stats import CompressionStats
from app.core.compression.strategies import CompressionPlan
from app.core.config.profiles import load_profiles, resolve_context
from app.core.config.settings import DEFAULT_N_CTX, Settings, check_settings
from app.core.config.settings import change_settings as checked_change
from app.core.conversations.autosave import Autosave
from app.core.conversations.conversation import Conversation, Message
from app.core.conversations.outcomes import ConversationOpened
from app.core.conversations.prompt_text import clean_prompt
from app.core.conversations.store import has_messages
from app.core.engine.llama.engine import LlamaEngine
from app.core.engine.load_options import CTX_ALIGN, LoadOptions
from app.core.engine.prompt_tokens import PromptTokens
from app.core.engine.protocol import Engine
from app.core.engine.results import GenerationResult, SyncResult
from app.core.engine.sampling import SamplingParams
from app.core.engine.sync_costs import MIN_RATE_TOKENS, SyncCosts, sync_costs
from app.core.errors import Cancelled, ContextFullError, ServerError, UsageError, require_model
from app.core.growth.recorder import GrowthRecorder
from app.core.session.dashboard import budget_breakdown, dashboard_update, history_event
from app.core.session.full_context import FullContext
from app.core.session.reconcile import reconcile
from app.core.snapshots.outcomes import SnapshotRestored, SnapshotSaved
from app.core.snapshots.service import SnapshotService
from app.core.telemetry.kv_cache import KVCacheInfo, KVCacheModel
from app.core.telemetry.latency import LatencyStats, LatencyTracker
from app.core.telemetry.memory import LevelThresholds, MemoryMonitor, MemorySnapshot
from app.core.telemetry.turn_trends import TurnTrends
from app.core.telemetry.usage import ContextUsage, UsageTracker, validate_threshold

if TYPE_CHECKING:
    from app.core.growth.store import GrowthStore

DASHBOARD_INTERVAL = 0.05  # seconds between dashboards while a reply streams: the UI's frame rate
COUNT_PROGRESS_FROM = 500  # messages: a history this long reports how far its token costs have got
COUNT_PROGRESS_STEPS = 20


@dataclass(frozen=True)
class TurnResult:
    reply: str
    reason: ev.StopReason
    prompt_tokens: int
    generated_tokens: int
    sync: SyncResult
    usage: ContextUsage
    latency: LatencyStats
    memory: MemorySnapshot
    kv: KVCacheInfo
    threshold_crossed: bool
    seconds: float
    context_after: int = 0  # tokens in the context after the reply: fewer than prompt + reply after a shift
    shifts: tuple[tuple[int, int], ...] = ()  # (reply tokens so far, tokens dropped) each time a full context made room

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.generated_tokens


@dataclass
class Session:
    settings: Settings
    model_path: Path | None  # None for a model on a server: the engine knows where it is
    sink: ev.EventSink = ev.discard
    engine: Engine = field(default_factory=LlamaEngine)
    autosave: Autosave | None = None
    record_growth: bool = True

    def __post_init__(self) -> None:
        check_settings(self.settings)
        validate_threshold(self.settings.warn_threshold, "warn_threshold")
        self.sampling()
        self.conversation = Conversation.with_system(self.settings.system_prompt)
        self.latency = LatencyTracker(self.settings.latency_window)
        thresholds = LevelThresholds(
            warning=self.settings.memory_warning,
            critical=self.settings.memory_critical,
            emergency=self.settings.memory_emergency,
            hysteresis=self.settings.memory_hysteresis,
        )
        self.memory = MemoryMonitor(
            interval=self.settings.memory_interval,
            thresholds=thresholds,
            on_level_change=self.sink,
        )
        self.book = load_profiles(Path(self.settings.profile) if self.settings.profile else None)
        self.usage: UsageTracker | None = None
        self.kv: KVCacheModel | None = None
        self.prompt: PromptTokens | None = None
        self.auto_reason: str | None = None
        self._cancel = threading.Event()
        self._quitting = False  # the app is closing: a reply cut short is kept, marked so
        self.deleted: tuple[int, Message] | None = None  # the last deleted message and its place, for undo
        self.compression = CompressionPolicy(self)
        self.snapshots = SnapshotService(self)
        self.growth_recorder = GrowthRecorder(lambda event: self.sink(event), enabled=self.record_growth)
        self._autosaved = False
        self._prompt_len = 0
        self.context_by_turn: list[tuple[int, int]] = []  # (turn, tokens in the context after it), for the charts
        self.trends = TurnTrends()
        self._generated = 0
        self._tokens_seen = 0
        self.last_backend_report: ev.BackendReported | None = None
        self._prefill_measured = (0, 0.0)  # (tokens, seconds) of the syncs that evaluated enough to say

    # ----- model

    def load(self, n_ctx: int | None = None) -> None:
        settings = self.settings
        requested = n_ctx if n_ctx is not None else settings.n_ctx

        def progress(stage: str, fraction: float) -> None:
            self.sink(ev.LoadProgress(stage, fraction))

        if requested == "auto":
            requested = self._auto_n_ctx(progress) if self.engine.capabilities.can_change_n_ctx else DEFAULT_N_CTX
        options = LoadOptions.from_settings(settings, self.model_path or Path(), requested)
        info = self.engine.load(options, progress)
        n_ctx_real = self.engine.n_ctx
        model_profile, matched = self.book.match(info.name, info.basename, info.architecture)
        context = resolve_context(self.book, model_profile, n_ctx_real)
        self.usage = UsageTracker(context, model_profile.id, matched, n_ctx_real, settings.warn_threshold)
        self.kv = KVCacheModel(
            info.n_layer, n_ctx_real, info.n_head_kv, info.head_dim_k, info.head_dim_v,
            settings.type_k, settings.type_v, logged_bytes=self.engine.logged_kv_bytes,
        )
        self.prompt = PromptTokens(self.engine)
        warnings = list(self.engine.warnings)
        if not matched:
            warnings.append(f"{info.name} is not in the profiles file: using its default entry")
        if info.n_ctx_train and n_ctx_real > info.n_ctx_train:
            warnings.append(f"n_ctx {n_ctx_real} is above what {info.name} was trained on ({info.n_ctx_train})")
        self.growth_recorder.open(info.name, n_ctx_real)
        self.memory.set_baseline()
        if not self.memory.running:
            self.memory.start()
        self.engine.watch(self.sink)
        self._refresh_costs()
        self.sink(self._history_event())
        self.sink(ev.ModelLoaded(info, n_ctx_real, self.engine.load_seconds, tuple(warnings), self.engine.backend))
        for warning in warnings:
            self.sink(ev.Notice(warning, "warning"))
        self.sink(self.dashboard())

    def _auto_n_ctx(self, progress) -> int:
        from app.core.telemetry.autosize import choose_n_ctx, free_memory_bytes

        probe = self.engine.load(LoadOptions(path=self.model_path or Path(), n_ctx=CTX_ALIGN), progress)
        model_profile, _ = self.book.match(probe.name, probe.basename, probe.architecture)
        self.engine.close()
        chosen = choose_n_ctx(
            model_profile,
            n_layer=probe.n_layer, n_head_kv=probe.n_head_kv,
            head_dim_k=probe.head_dim_k, head_dim_v=probe.head_dim_v,
            type_k=self.settings.type_k, type_v=self.settings.type_v,
            weights_bytes=probe.weights_bytes,
            free_bytes=free_memory_bytes(self.settings.n_gpu_layers != 0),
            n_ctx_train=probe.n_ctx_train,
        )
        self.auto_reason = chosen.reason
        self.sink(ev.Notice(f"auto n_ctx {chosen.reason}"))
        return chosen.n_ctx

    def close(self) -> None:
        self.memory.stop()
        self.growth_recorder.close()
        if self.autosave is not None and self._autosaved:
            self.autosave.mark_finished()  # only the conversation this session has open: a crashed one stays unfinished
        self.engine.close()

    def change_settings(self, values: dict) -> Settings:
        """New settings from the next turn on (each turn samples with `self.sampling()`).

        A new system prompt replaces the conversation's at once; the KV cache is left as it is,
        and the next sync keeps only the tokens before the first one that changed.
        """
        changed = checked_change(self, values)
        length = len(self.conversation)
        if "system_prompt" in values and self.conversation.set_system_prompt(changed.system_prompt):
            if len(self.conversation) != length:
                self.deleted = None  # its place no longer points where it was
            if self.prompt is not None:
                self._refresh_costs()
            self.sink(self._history_event())
            if self.usage is not None:
                self.sink(self.dashboard())
            self._autosave()
        return changed

    # ----- numbers

    def dashboard(self) -> ev.DashboardUpdate:
        trigger = self.settings.compress_trigger if self.settings.auto_compress else None
        return dashboard_update(require_model(self.usage), self.latency, self.memory, require_model(self.kv),
                                self.engine.n_tokens, self.stats, self.context_by_turn, self.trends, trigger)

    def _history_event(self) -> ev.HistoryChanged:
        return history_event(self.conversation, self.deleted is not None, self.autosave)

    def _refresh_costs(self, add_generation_prompt: bool = False) -> list[int]:
        """Per-message prompt costs, the prompt's token ids, and the usage breakdown."""
        prompt, usage = require_model(self.prompt), require_model(self.usage)
        ids, counts = prompt.build(self.conversation.messages, add_generation_prompt, self._count_progress)
        self.conversation.set_tokens(counts)
        self._prompt_len = len(ids)
        self._generated = 0
        usage.set_prompt(budget_breakdown(self.conversation.messages, len(ids)))
        usage.set_used(len(ids))
        return ids

    def _count_progress(self, done: int, total: int) -> None:
        if total >= COUNT_PROGRESS_FROM and (done == total or done % (total // COUNT_PROGRESS_STEPS) == 0):
            self.sink(ev.CountProgress(done, total))

    # ----- turns

    def cancel(self, quitting: bool = False) -> None:
        if quitting:
            self._quitting = True
        self._cancel.set()

    def submit(self, text: str, sampling: SamplingParams | None = None) -> TurnResult:
        text = clean_prompt(text)
        self.conversation.append("user", text)
        try:
            return self._turn(sampling, new_question=True)
        except (ContextFullError, Cancelled):
            if not self._quitting:
                self.conversation.truncate(len(self.conversation) - 1)
                self._autosave()
            self._refresh_costs()
            raise

    def regenerate(self, index: int, sampling: SamplingParams | None = None) -> TurnResult:
        """Drop message `index` (an assistant reply) and everything after it, then answer again."""
        messages = self.conversation.messages
        if not 0 <= index < len(messages):
            raise UsageError(f"no message at position {index}")
        keep = index if messages[index].role == "assistant" else index + 1
        if keep == 0 or messages[keep - 1].role != "user":
            raise UsageError("regenerate needs a user message before the reply")
        before = tuple(messages)
        self.conversation.truncate(keep)
        try:
            return self._turn(sampling)
        except (ContextFullError, Cancelled):
            self.conversation.replace_all(before)
            self._autosave()
            self._refresh_costs()
            raise

    def load_history(self, messages: list[Message], keep_system: bool = True) -> None:
        """Continue a saved conversation; its own system prompt wins unless `keep_system` is False."""
        current = self.conversation.messages[:1] if self.conversation.system_prompt is not None else []
        if messages and messages[0].role == "system" and keep_system:
            current = []
        self.conversation.replace_all(current + list(messages))
        self._refresh_costs()
        self.sink(self._history_event())

    def edit_message(self, index: int, text: str) -> SyncResult:
        self.conversation.edit(index, clean_prompt(text))
        return self.resync()

    def delete_message(self, index: int) -> SyncResult:
        self.deleted = (index, self.conversation.delete(index))
        return self.resync()

    def undo_delete(self) -> SyncResult:
        """Put the last deleted message back at its place."""
        if self.deleted is None:
            raise UsageError("there is no deleted message to bring back")
        index, message = self.deleted
        self.conversation.insert(min(index, len(self.conversation)), message)
        self.deleted = None
        return self.resync()

    def toggle_pin(self, index: int) -> bool:
        pinned = self.conversation.toggle_pin(index)
        self.sink(self._history_event())
        self._autosave()
        return pinned

    def resync(self) -> SyncResult:
        """Bring the KV cache in line with an edited history, without generating."""
        ids = self._refresh_costs()
        self._cancel.clear()
        self.sink(self._history_event())
        self.sink(self.dashboard())
        result = self.engine.sync(ids, self._cancel, self._prefill_progress, shift=self.shifting)
        self._sync_done(result)
        self.compression.record(result)
        self.sink(self.dashboard())
        self._autosave()
        return result

    @property
    def prefill_rate(self) -> float | None:
        """Tokens/s over the syncs that evaluated enough to say; None before the first."""
        tokens, seconds = self._prefill_measured
        return tokens / seconds if seconds else None

    @property
    def shifting(self) -> bool:
        """Whether syncs may move cached tokens down instead of evaluating them again (kv_shift)."""
        return self.settings.kv_shift == "auto" and self.engine.capabilities.can_shift_cache

    def _sync_done(self, result: SyncResult) -> None:
        if result.evaluated >= MIN_RATE_TOKENS and result.seconds > 0 and not result.cancelled:
            tokens, seconds = self._prefill_measured
            self._prefill_measured = (tokens + result.evaluated, seconds + result.seconds)
        self.sink(ev.SyncDone(result.reused, result.evaluated, result.seconds, result.shifted, result.dropped,
                              result.shift_note))
        if result.shift_note:
            self.sink(ev.Notice(f"KV shift not used ({result.shift_note}): "
                                f"{result.evaluated:,} tokens evaluated again", "warning"))

    def _prefill_progress(self, done: int, total: int, after: str = "") -> None:
        self.sink(ev.PrefillProgress(done, total, after))

    def sampling(self) -> SamplingParams:
        return SamplingParams.from_settings(self.settings)

    def _turn(self, sampling: SamplingParams | None, new_question: bool = False) -> TurnResult:
        """One reply; for a `new_question`, cancelled before any reply, the question leaves the history."""
        params = sampling or self.sampling()
        t_submit = time.perf_counter()
        self._cancel.clear()
        context_before = self._prompt_len
        ids = self._refresh_costs(add_generation_prompt=True)
        ids = self.compression.make_room(ids)
        pending = self.compression.pending_report
        compression = pending[0] if pending else None
        if compression is not None:
            self._autosave()
        self.sink(self._history_event())
        self.latency.start_turn(t_submit)
        crossed = False
        reread = f"{pending[1]} compression" if pending else ""
        sync = self.engine.sync(ids, self._cancel, partial(self._prefill_progress, after=reread), shift=self.shifting)
        n_prompt = self._counted_by_backend(len(ids))
        self._sync_done(sync)
        self.compression.record(sync)
        full = FullContext(self, len(ids))
        self.latency.prefill_done(sync.evaluated, time.perf_counter())
        outcome = GenerationResult(reason=ev.StopReason.CANCELLED)
        if not sync.cancelled:
            prev_t = time.perf_counter()
            last_dashboard = 0.0
            for step in self.engine.generate(params, self._cancel, outcome, full.hook()):
                self._generated += 1
                used = self._prompt_len + self._generated
                self.latency.on_token(step.t)
                self.memory.note_tokens(self._tokens_seen + used)
                crossing = require_model(self.usage).on_token(used)
                if crossing is not None:
                    crossed = crossed or crossing.rising
                    self.sink(crossing)
                self.sink(ev.TokenEvent(step.token_id, step.text, self._generated, step.t - prev_t, used, step.t))
                if step.t - last_dashboard >= DASHBOARD_INTERVAL:
                    self.sink(self.dashboard())
                    last_dashboard = step.t
                prev_t = step.t
                if self.autosave is not None and self.autosave.due():
                    self._autosave(in_flight="".join(outcome.parts))
        self.latency.end_turn(time.perf_counter())
        if full.refused and outcome.reason is ev.StopReason.CONTEXT_FULL:
            self.sink(ev.Notice(full.refused, "warning"))
        self._tokens_seen += sync.evaluated + self._generated
        if outcome.text:
            latency = self.latency.snapshot()
            metrics = {
                "prompt_tokens": n_prompt, "generated_tokens": len(outcome.token_ids),
                "reused": sync.reused, "evaluated": sync.evaluated,
                "ttft_ms": latency.ttft_ms, "decode_tps": latency.decode_tps,
                "context_after": self._prompt_len + len(outcome.token_ids), "stop_reason": outcome.reason.value,
                **({"shifted": sync.shifted} if sync.shifted else {}), **full.metrics(),
            }
            if self._quitting and outcome.reason is ev.StopReason.CANCELLED:
                metrics["cut_off"] = "quit"
            elif outcome.reason is ev.StopReason.SERVER_LOST:
                metrics["cut_off"] = "server"
            self.conversation.append("assistant", outcome.text, metrics=metrics)
        self.sink(ev.GenerationDone(outcome.reason, len(outcome.token_ids), outcome.text))
        self._reconcile(len(ids))
        generated = len(outcome.token_ids)
        dash = self.dashboard()
        result = TurnResult(
            reply=outcome.text, reason=outcome.reason, prompt_tokens=n_prompt, generated_tokens=generated,
            sync=sync, usage=dash.usage, latency=dash.latency, memory=self.memory.sample_now(),
            kv=dash.kv, threshold_crossed=crossed, seconds=time.perf_counter() - t_submit,
            context_after=self._prompt_len + generated, shifts=tuple(full.shifts),
        )
        unsent = new_question and outcome.reason is ev.StopReason.CANCELLED and not outcome.text and not self._quitting
        if unsent:
            self.conversation.truncate(len(self.conversation) - 1)
        self._after_turn(None if unsent else partial(self.trends.record, context_before, reused=sync.kept,
                                                     evaluated=sync.evaluated,
                                                     grew=new_question and compression is None))
        self._record_growth(context_before, result, compression)
        self.sink(ev.TurnFinished(
            outcome.reason, n_prompt, generated, sync.reused, sync.evaluated,
            None if dash.latency.ttft_ms is None else dash.latency.ttft_ms / 1000, dash.latency.decode_tps,
            sync.shifted,
        ))
        return result

    def _counted_by_backend(self, ours: int) -> int:
        """Where our count is an estimate, the server's own count of the prompt replaces it once it has one."""
        report = self.engine.last_report()
        if self.engine.backend.exact_counts or report is None or report.prompt_tokens is None:
            return ours
        self._prompt_len = report.prompt_tokens
        require_model(self.usage).set_used(report.prompt_tokens)
        return report.prompt_tokens

    def _reconcile(self, our_prompt: int) -> None:
        report = self.engine.last_report()
        if report is None:
            return
        alerts = reconcile(our_prompt, report, self.engine.n_ctx, self.engine.backend.exact_counts)
        self.last_backend_report = ev.BackendReported(report, our_prompt, self.engine.n_ctx, alerts)
        self.sink(self.last_backend_report)
        for alert in alerts:
            self.sink(ev.Notice(alert, "warning"))
        if report.problem:
            self.sink(ev.Notice(f"{report.problem}: the partial reply is kept", "error"))

    def _after_turn(self, record_trend: Callable[..., None] | None) -> None:
        """Count the finished reply into the history's costs without touching the KV cache.

        `record_trend` gets the context after the turn, once the reply is counted.
        """
        self._autosave()
        try:
            self._refresh_costs()
        except ServerError as err:  # the reply is kept; a server that went away counts it when it is back
            self.sink(ev.Notice(f"the reply is kept, but its tokens are not counted yet: {err}", "warning"))
        used = require_model(self.usage).snapshot().used
        self.context_by_turn.append((len(self.context_by_turn) + 1, used))
        if record_trend is not None:
            record_trend(after=used)
        self.sink(self._history_event())
        self.sink(self.dashboard())

    # ----- compression

    @property
    def stats(self) -> CompressionStats:
        return self.compression.stats

    @property
    def reserve(self) -> int:
        return self.compression.reserve

    def preview_compression(self, strategy: str, index: int | None = None,
                            target: int | None = None, protect_last: bool = False) -> CompressionPlan:
        """What `strategy` would do now; summaries are written by the model here, once."""
        plan = self.compression.preview(strategy, index, target, protect_last)
        return replace(plan, costs=self.sync_costs(plan.after)) if plan.changed else plan

    def sync_costs(self, messages: Sequence[Message]) -> SyncCosts:
        """What syncing the cache to `messages` would cost each way (shift, exact), at the measured prefill rate."""
        ids = self.engine.prompt_ids([m.as_chat() for m in messages], add_generation_prompt=False)
        return sync_costs(self.engine, ids, self.prefill_rate, self.shifting)

    def preview_edit(self, index: int, text: str | None) -> SyncCosts:
        """The cost of replacing message `index` by `text`, or of deleting it when `text` is None; nothing changes."""
        messages = list(self.conversation.messages)
        if not 0 <= index < len(messages):
            raise UsageError(f"no message at position {index}")
        if text is None:
            del messages[index]
        else:
            messages[index] = replace(messages[index], content=clean_prompt(text))
        return self.sync_costs(messages)

    def apply_compression(self, plan: CompressionPlan, reason: str = "manual", sync: bool = True) -> SyncResult | None:
        return self.compression.apply(plan, reason, sync)

    def undo_compression(self) -> SyncResult:
        return self.compression.undo()

    # ----- snapshots and autosave

    def _autosave(self, in_flight: str | None = None) -> None:
        if self.autosave is None:
            return
        try:
            self.autosave.save(self.conversation, self.engine.backend.where, self.engine.n_ctx, in_flight)
            self._autosaved = True
        except OSError as err:
            self.sink(ev.Notice(f"autosave failed: {err.strerror or err}", "error"))

    def resume(self, conversation: Conversation, in_flight: str = "") -> None:
        """Continue an autosaved session; a reply cut off by a crash is kept as it was, marked so."""
        self.conversation = conversation
        self.deleted = None
        if in_flight:
            self.conversation.append("assistant", in_flight, metrics={"cut_off": "crash"})
        self.resync()

    # ----- kept conversations

    def _keeper(self) -> Autosave:
        if self.autosave is None:
            raise UsageError("this session does not keep conversations")
        return self.autosave

    def _keep_current(self, origin: str | None = None) -> None:
        """Save the current conversation as it is; what comes next is written to a file of its own."""
        if has_messages(self.conversation):
            self._autosave()
        if self.autosave is not None:
            self.autosave.start_new(origin)
        self.deleted = None

    def open_conversation(self, conversation_id: str) -> ConversationOpened:
        """Replace the conversation with a kept one and bring the KV cache in line with it."""
        record = self._keeper().store.load(conversation_id)  # a bad file changes nothing
        self._keep_current()
        self._keeper().adopt(record)
        self.resume(record.conversation, record.in_flight or "")
        return ConversationOpened(record.id, record.title, record.message_count)

    def new_conversation(self) -> SyncResult:
        self._keep_current()
        self.conversation = Conversation.with_system(self.settings.system_prompt)
        return self.resync()

    def snapshot_manifest(self, name: str) -> dict:
        return self.snapshots.manifest(name)

    def save_snapshot(self, name: str, store=None) -> SnapshotSaved:
        """Save the conversation, with the KV state only when the cache holds the conversation's tokens."""
        return self.snapshots.save(name, store)

    def restore_snapshot(self, name: str, store=None) -> SnapshotRestored:
        """Restore the conversation; load the KV state when model and n_ctx match, else re-evaluate."""
        return self.snapshots.restore(name, store)

    # ----- growth history

    @property
    def growth(self) -> GrowthStore | None:
        return self.growth_recorder.store

    @property
    def growth_session(self) -> int | None:
        return self.growth_recorder.session_id

    def _record_growth(self, context_before: int, result: TurnResult, compression: str | None) -> None:
        user = self.conversation.last_index("user")
        prompt = self.conversation.messages[user].content if user is not None else ""
        self.growth_recorder.record(prompt, require_model(self.engine.info).name, self.engine.n_ctx, context_before, result,
                                    compression)
