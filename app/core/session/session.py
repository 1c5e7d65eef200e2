"""One chat session: the engine, the conversation and every tracker, driven one turn at a time.

All methods except `cancel` and `dashboard` run in the single engine thread.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.core import events as ev
from app.core.compression.apply import apply_plan
from app.core.compression.strategies import STRATEGIES, SUMMARIZING, CompressionPlan, Tokenizer, compress
from app.core.conversations.autosave import Autosave
from app.core.snapshots.outcomes import SnapshotRestored, SnapshotSaved
from app.core.snapshots.cache_match import SnapshotCache, promised_reuse, shortfall_reason, snapshot_cache
from app.core.compression.stats import STEP_JOIN, CompressionReport, CompressionStats, Contribution
from app.core.conversations.conversation import Checkpoint, Conversation, Message
from app.core.conversations.outcomes import ConversationOpened
from app.core.conversations.store import has_messages
from app.core.engine.llama.engine import Engine, LoadOptions, SyncResult
from app.core.errors import Cancelled, ContextFullError, ContextWatchError, ModelLoadError, UsageError
from app.core.telemetry.chart_series import ChartSeries
from app.core.telemetry.kv_cache import KVCacheInfo, KVCacheModel
from app.core.telemetry.latency import LatencyStats, LatencyTracker
from app.core.telemetry.memory import LevelThresholds, MemoryMonitor, MemorySnapshot
from app.core.config.profiles import load_profiles, resolve_context
from app.core.conversations.prompt_text import clean_prompt
from app.core.engine.llama.sampling import SamplingParams
from app.core.config.settings import Settings, check_settings
from app.core.compression.summarizer import ModelSummarizer
from app.core.engine.prompt_tokens import PromptTokens
from app.core.telemetry.usage import BudgetBreakdown, ContextUsage, UsageTracker, validate_threshold


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

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.generated_tokens


@dataclass
class Session:
    settings: Settings
    model_path: Path
    sink: ev.EventSink = ev.discard
    engine: Engine = field(default_factory=Engine)
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
        self.stats = CompressionStats()
        self._contributions: list[tuple[Checkpoint, Contribution]] = []
        self.growth = None
        self.growth_session: int | None = None
        self._autosaved = False
        self._pending_report: tuple[str, str, int, int] | None = None
        self._prompt_len = 0
        self._generated = 0
        self._tokens_seen = 0

    # ----- model

    def load(self, n_ctx: int | None = None) -> None:
        settings = self.settings
        requested = n_ctx if n_ctx is not None else settings.n_ctx

        def progress(stage: str, fraction: float) -> None:
            self.sink(ev.LoadProgress(stage, fraction))

        if requested == "auto":
            requested = self._auto_n_ctx(progress)
        options = LoadOptions(
            path=self.model_path,
            n_ctx=requested,
            n_batch=settings.n_batch,
            n_threads=settings.n_threads,
            type_k=settings.type_k,
            type_v=settings.type_v,
            flash_attn=settings.flash_attn,
            n_gpu_layers=settings.n_gpu_layers,
        )
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
        if n_ctx_real > info.n_ctx_train:
            warnings.append(f"n_ctx {n_ctx_real} is above what {info.name} was trained on ({info.n_ctx_train})")
        self._open_growth(info.name, n_ctx_real)
        self.memory.set_baseline()
        if not self.memory.running:
            self.memory.start()
        self._refresh_costs()
        self.sink(self._history_event())
        self.sink(ev.ModelLoaded(info, n_ctx_real, self.engine.load_seconds, tuple(warnings)))
        for warning in warnings:
            self.sink(ev.Notice(warning, "warning"))
        self.sink(self.dashboard())

    def _auto_n_ctx(self, progress) -> int:
        from app.core.telemetry.autosize import choose_n_ctx, free_memory_bytes

        probe = self.engine.load(LoadOptions(path=self.model_path, n_ctx=256), progress)
        model_profile, _ = self.book.match(probe.name, probe.basename, probe.architecture)
        self.engine.close()
        chosen = choose_n_ctx(
            model_profile,
            n_layer=probe.n_layer, n_head_kv=probe.n_head_kv,
            head_dim_k=probe.head_dim_k, head_dim_v=probe.head_dim_v,
            type_k=self.settings.type_k, type_v=self.settings.type_v,
            weights_bytes=probe.weights_bytes,
            free_bytes=free_memory_bytes(self.settings.n_gpu_layers > 0),
            n_ctx_train=probe.n_ctx_train,
        )
        self.auto_reason = chosen.reason
        self.sink(ev.Notice(f"auto n_ctx {chosen.reason}"))
        return chosen.n_ctx

    def close(self) -> None:
        self.memory.stop()
        if self.growth is not None:
            self.growth.close()
        if self.autosave is not None and self._autosaved:
            self.autosave.mark_finished()  # only the conversation this session has open: a crashed one stays unfinished
        self.engine.close()

    # ----- numbers

    def dashboard(self) -> ev.DashboardUpdate:
        return ev.DashboardUpdate(
            usage=self.usage.snapshot(),
            latency=self.latency.snapshot(),
            memory=self.memory.latest(),
            kv=self.kv.info(self.engine.n_tokens),  # what the cache holds, not what the prompt will need
            compression=replace(self.stats),
            charts=ChartSeries(tuple(self.latency.turn_latencies_ms()), tuple(self.memory.rss_history())),
        )

    def _history_event(self) -> ev.HistoryChanged:
        return ev.HistoryChanged(tuple(self.conversation.messages), tuple(self.conversation.checkpoints),
                                 self.deleted is not None)

    def _refresh_costs(self, add_generation_prompt: bool = False) -> list[int]:
        """Per-message prompt costs, the prompt's token ids, and the usage breakdown."""
        ids, counts = self.prompt.build(self.conversation.messages, add_generation_prompt, self._count_progress)
        self.conversation.set_tokens(counts)
        self._prompt_len = len(ids)
        self._generated = 0
        self.usage.set_prompt(self._breakdown(len(ids)))
        self.usage.set_used(len(ids))
        return ids

    def _count_progress(self, done: int, total: int) -> None:
        if total >= COUNT_PROGRESS_FROM and (done == total or done % (total // COUNT_PROGRESS_STEPS) == 0):
            self.sink(ev.CountProgress(done, total))

    def _breakdown(self, prompt_len: int) -> BudgetBreakdown:
        parts = {"system": 0, "summaries": 0, "user": 0, "assistant": 0}
        for m in self.conversation.messages:
            key = "summaries" if m.summary else m.role
            parts[key] += m.tokens
        parts["assistant"] += max(0, prompt_len - sum(parts.values()))  # the reply's header
        return BudgetBreakdown(**parts)

    # ----- turns

    def cancel(self, quitting: bool = False) -> None:
        if quitting:
            self._quitting = True
        self._cancel.set()

    def submit(self, text: str, sampling: SamplingParams | None = None) -> TurnResult:
        text = clean_prompt(text)
        self.conversation.append("user", text)
        try:
            return self._turn(sampling, unsend_unanswered=True)
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
        result = self.engine.sync(ids, self._cancel, self._prefill_progress)
        self.sink(ev.SyncDone(result.reused, result.evaluated, result.seconds))
        self._record_compression(result)
        self.sink(self.dashboard())
        self._autosave()
        return result

    def _prefill_progress(self, done: int, total: int, after: str = "") -> None:
        self.sink(ev.PrefillProgress(done, total, after))

    def sampling(self) -> SamplingParams:
        s = self.settings
        return SamplingParams(
            temperature=s.temperature, top_k=s.top_k, top_p=s.top_p, min_p=s.min_p,
            repeat_penalty=s.repeat_penalty, seed=s.seed, max_tokens=s.max_tokens,
        )

    def _turn(self, sampling: SamplingParams | None, unsend_unanswered: bool = False) -> TurnResult:
        """One reply; with `unsend_unanswered`, a new question cancelled before any reply leaves the history."""
        from app.core.engine.llama.engine import GenerationResult

        params = sampling or self.sampling()
        t_submit = time.perf_counter()
        self._cancel.clear()
        context_before = self._prompt_len
        ids = self._refresh_costs(add_generation_prompt=True)
        ids = self._make_room(ids)
        compression = self._pending_report[0] if self._pending_report else None
        if compression is not None:
            self._autosave()
        self.sink(self._history_event())
        self.latency.start_turn(t_submit)
        crossed = False
        reread = f"{self._pending_report[1]} compression" if self._pending_report else ""
        sync = self.engine.sync(ids, self._cancel, partial(self._prefill_progress, after=reread))
        self.sink(ev.SyncDone(sync.reused, sync.evaluated, sync.seconds))
        self._record_compression(sync)
        self.latency.prefill_done(sync.evaluated, time.perf_counter())
        outcome = GenerationResult(reason=ev.StopReason.CANCELLED)
        if not sync.cancelled:
            prev_t = time.perf_counter()
            last_dashboard = 0.0
            for step in self.engine.generate(params, self._cancel, outcome):
                self._generated += 1
                used = self._prompt_len + self._generated
                self.latency.on_token(step.t)
                self.memory.note_tokens(self._tokens_seen + used)
                crossing = self.usage.on_token(used)
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
        self._tokens_seen += sync.evaluated + self._generated
        if outcome.text:
            latency = self.latency.snapshot()
            metrics = {
                "prompt_tokens": len(ids), "generated_tokens": len(outcome.token_ids),
                "reused": sync.reused, "evaluated": sync.evaluated,
                "ttft_ms": latency.ttft_ms, "decode_tps": latency.decode_tps,
                "context_after": len(ids) + len(outcome.token_ids), "stop_reason": outcome.reason.value,
            }
            if self._quitting and outcome.reason is ev.StopReason.CANCELLED:
                metrics["cut_off"] = "quit"
            self.conversation.append("assistant", outcome.text, metrics=metrics)
        self.sink(ev.GenerationDone(outcome.reason, len(outcome.token_ids), outcome.text))
        generated = len(outcome.token_ids)
        dash = self.dashboard()
        result = TurnResult(
            reply=outcome.text, reason=outcome.reason, prompt_tokens=len(ids), generated_tokens=generated,
            sync=sync, usage=dash.usage, latency=dash.latency, memory=self.memory.sample_now(),
            kv=dash.kv, threshold_crossed=crossed, seconds=time.perf_counter() - t_submit,
        )
        if unsend_unanswered and outcome.reason is ev.StopReason.CANCELLED and not outcome.text and not self._quitting:
            self.conversation.truncate(len(self.conversation) - 1)
        self._after_turn()
        self._record_growth(context_before, result, compression)
        self.sink(ev.TurnFinished(
            outcome.reason, len(ids), generated, sync.reused, sync.evaluated,
            None if dash.latency.ttft_ms is None else dash.latency.ttft_ms / 1000, dash.latency.decode_tps,
        ))
        return result

    def _after_turn(self) -> None:
        """Count the finished reply into the history's costs without touching the KV cache."""
        self._autosave()
        self._refresh_costs()
        self.sink(self._history_event())
        self.sink(self.dashboard())

    # ----- compression

    @property
    def reserve(self) -> int:
        return min(self.settings.reply_reserve, self.engine.n_ctx // 4)

    def _target(self, emergency: bool) -> int:
        target = int(self.usage.snapshot().effective * self.settings.compress_target / 100)
        if emergency:
            target = min(target, self.engine.n_ctx - self.reserve)
        return target

    def preview_compression(self, strategy: str, index: int | None = None,
                            target: int | None = None, protect_last: bool = False) -> CompressionPlan:
        """What `strategy` would do now; summaries are written by the model here, once."""
        if strategy not in STRATEGIES:
            raise UsageError(f"unknown compression strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
        self._refresh_costs()
        self._cancel.clear()
        return self._plan(strategy, index, target, protect_last)

    def _plan(self, strategy: str, index: int | None, target: int | None, protect_last: bool) -> CompressionPlan:
        """A plan, summarized under the cancel flag as it stands: Esc during a turn reaches the summary.

        A summary is written on the model's cache, which holds the conversation: the cache comes
        back as it was, whether the plan is applied, cancelled or fails.
        """
        with self.engine.cache_kept():
            return compress(
                strategy, Tokenizer(self.engine), self.conversation.messages,
                self._target(emergency=False) if target is None else target,
                ModelSummarizer(self.engine, self._cancel), self.settings.keep_last_turns, index, protect_last,
            )

    def apply_compression(self, plan: CompressionPlan, reason: str = "manual", sync: bool = True) -> SyncResult | None:
        checkpoint = apply_plan(self.conversation, plan)
        self._contributions.append((checkpoint, self.stats.add(plan.saved, plan.summary_tokens)))
        pending = self._pending_report
        if pending is None:
            self._pending_report = (plan.strategy, reason, plan.tokens_before, plan.tokens_after)
        else:  # a second strategy in the same turn: one report names both steps
            self._pending_report = (pending[0] + STEP_JOIN + plan.strategy, reason, pending[2], plan.tokens_after)
        result = self.resync() if sync else None
        self.sink(ev.Notice(f"{reason} compression, {plan.describe()}"))
        return result

    def undo_compression(self) -> SyncResult:
        checkpoints = self.conversation.checkpoints
        if checkpoints:
            need = len(self.engine.prompt_ids([m.as_chat() for m in checkpoints[-1].messages]))
            if need > self.engine.n_ctx:
                raise ContextFullError(
                    f"undoing {checkpoints[-1].strategy} would need {need:,} tokens but the context holds "
                    f"{self.engine.n_ctx:,}: load the model with a larger n_ctx first; the history stays compressed"
                )
        checkpoint = self.conversation.undo_compression()
        self._take_back(checkpoint)
        result = self.resync()
        self.sink(ev.Notice(f"undid {checkpoint.strategy}: the history is back to {checkpoint.tokens_before} tokens"))
        return result

    def _take_back(self, checkpoint: Checkpoint) -> None:
        """Undo what counting this compression added; one restored from a file was not counted here."""
        for i in range(len(self._contributions) - 1, -1, -1):
            if self._contributions[i][0] == checkpoint:
                self.stats.take_back(self._contributions.pop(i)[1])
                self._pending_report = None
                return

    def _record_compression(self, sync: SyncResult) -> None:
        if self._pending_report is None:
            return
        strategy, reason, before, after = self._pending_report
        self._pending_report = None
        self.stats.last = CompressionReport(strategy, reason, before, after, sync.reused, sync.evaluated, sync.seconds)

    def _make_room(self, ids: list[int]) -> list[int]:
        """Compress before the request when it would pass the trigger, or not fit at all."""
        n_ctx = self.engine.n_ctx
        effective = self.usage.snapshot().effective
        need = len(ids) + self.reserve
        emergency = need > n_ctx
        proactive = self.settings.auto_compress and len(ids) > effective * self.settings.compress_trigger / 100
        if not (emergency or proactive):
            return ids
        self._check_prompt_alone_fits()
        self._autosave()  # the question is kept before compression work that a quit may cut short
        reason = "emergency" if emergency else "proactive"
        target = self._target(emergency)
        strategies = [self.settings.compress_strategy] if self.settings.auto_compress else []
        strategies += [s for s in ("sliding", "middle") if s not in strategies]
        self.sink(ev.CompressionStarted(reason, strategies[0]))
        for strategy in strategies:
            try:
                plan = self._plan(strategy, None, target, protect_last=True)
            except Cancelled:
                raise
            except ContextWatchError as err:
                if strategy not in SUMMARIZING:
                    raise
                self.sink(ev.Notice(f"{reason} compression: {strategy} could not run ({err}); "
                                    "falling back to the next strategy", "warning"))
                continue
            if plan.changed:
                self.apply_compression(plan, reason, sync=False)
            elif plan.problem:
                self.sink(ev.Notice(f"{reason} compression with {strategy}: {plan.problem}", "warning"))
            ids = self._refresh_costs(add_generation_prompt=True)
            if len(ids) + self.reserve <= n_ctx and (emergency or len(ids) <= target or strategy != strategies[0]):
                break
        fits = len(ids) + min(self.reserve, 16) <= n_ctx
        if emergency and fits:
            self.stats.overflows_prevented += 1
        if not fits:
            raise ContextFullError(
                f"the conversation needs {len(ids)} tokens but the context holds {n_ctx}, "
                "even after compression; shorten the prompt or start a new session"
            )
        return ids

    def _check_prompt_alone_fits(self) -> None:
        """Compression shortens the history, never the new prompt: refuse before changing anything."""
        messages = self.conversation.messages
        kept = [m for i, m in enumerate(messages[:-1]) if m.pinned or (i == 0 and m.role == "system")]
        ids = self.engine.prompt_ids([m.as_chat() for m in kept + [messages[-1]]])
        n_ctx = self.engine.n_ctx
        if len(ids) + min(self.reserve, 16) > n_ctx:
            raise ContextFullError(
                f"the prompt needs {len(ids)} tokens with the system prompt and pinned messages, "
                f"but the context holds {n_ctx}; shorten the prompt or load a larger n_ctx"
            )

    # ----- snapshots and autosave

    def _autosave(self, in_flight: str | None = None) -> None:
        if self.autosave is None:
            return
        try:
            self.autosave.save(self.conversation, str(self.model_path), self.engine.n_ctx, in_flight)
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
        self.autosave.adopt(record)
        self.resume(record.conversation, record.in_flight or "")
        return ConversationOpened(record.id, record.title, record.message_count)

    def new_conversation(self) -> SyncResult:
        self._keep_current()
        self.conversation = Conversation.with_system(self.settings.system_prompt)
        return self.resync()

    def snapshot_manifest(self, name: str) -> dict:
        from app.core.snapshots.fingerprint import model_fingerprint

        info = self.engine.info
        lat = self.latency.snapshot()
        return {
            "name": name, "created": time.time(),
            "model": dict(model_fingerprint(self.model_path), name=info.name, n_vocab=info.n_vocab),
            "n_ctx": self.engine.n_ctx,
            "cache": {"type_k": self.settings.type_k, "type_v": self.settings.type_v},
            "sampling": self.sampling().to_dict(),
            "conversation": self.conversation.state_json(),
            "metrics": {"turns": lat.session_turns, "avg_ttft_ms": lat.session_avg_ttft_ms,
                        "decode_tps": lat.session_decode_tps, "context_used": self.usage.snapshot().used,
                        "compression": self.stats.to_json()},
            "kv": {"n_tokens": self.engine.n_tokens, "token_ids": self.engine.cached_ids()},
        }

    def save_snapshot(self, name: str, store=None) -> SnapshotSaved:
        """Save the conversation, with the KV state only when the cache holds the conversation's tokens."""
        from app.core.snapshots.store import SnapshotStore, check_name

        store = store or SnapshotStore()
        check_name(name)
        start = time.perf_counter()
        kept = self._cache_for_snapshot()
        manifest = self.snapshot_manifest(name)
        blob = None
        if kept.reason is None:
            blob = self.engine.state_bytes()
        else:
            manifest["kv"] = {"n_tokens": 0, "token_ids": [], "reason": kept.reason}
        store.save(manifest, blob)
        seconds = time.perf_counter() - start
        tokens = manifest["kv"]["n_tokens"]
        if blob is not None:
            self.sink(ev.Notice(f"saved snapshot {name}: {tokens:,} tokens, "
                                f"{len(blob) / 1024 / 1024:.1f} MiB in {seconds:.2f} s"))
        else:
            self.sink(ev.Notice(f"saved snapshot {name} without its KV state because {kept.reason}: "
                                "a restore re-evaluates the conversation", "warning"))
        self.sink(self.dashboard())
        return SnapshotSaved(name, tokens, len(blob or b""), seconds, blob is not None, kept.reason)

    def _cache_for_snapshot(self) -> SnapshotCache:
        """What the cache holds of the conversation; cached tokens past that are dropped from it."""
        chat = self.conversation.as_chat()
        ids = self.engine.prompt_ids(chat, add_generation_prompt=False)
        last_at = len(self.engine.prompt_ids(chat[:-1], add_generation_prompt=False)) if len(chat) > 1 else 0
        kept = snapshot_cache(self.engine.cached_ids(), ids, last_at)
        if kept.reason is None and self.engine.trim(kept.keep) < kept.keep:
            return SnapshotCache(0, "the KV cache could not drop the tokens after the conversation's")
        return kept

    def restore_snapshot(self, name: str, store=None) -> SnapshotRestored:
        """Restore the conversation; load the KV state when model and n_ctx match, else re-evaluate.

        A loaded state is verified at once: the conversation is synced and must reuse every
        token the manifest promised, or the restore reports what was re-evaluated and why.
        """
        from app.core.snapshots.fingerprint import model_fingerprint, same_model
        from app.core.snapshots.store import SnapshotStore

        store = store or SnapshotStore()
        manifest, blob = store.load(name)
        conversation = Conversation.from_state_json(manifest["conversation"], f"snapshot {name!r}")
        fingerprint = model_fingerprint(self.model_path)
        reasons = []
        if blob is None:
            reasons.append(f"it was saved without a KV state ({manifest['kv']['reason']})")
        if not same_model(manifest["model"], fingerprint):
            reasons.append(f"it was saved with another model ({Path(manifest['model'].get('path', '?')).name})")
        if manifest["n_ctx"] != self.engine.n_ctx:
            reasons.append(f"it was saved at n_ctx {manifest['n_ctx']}, this session has {self.engine.n_ctx}")
        if manifest["cache"] != {"type_k": self.settings.type_k, "type_v": self.settings.type_v}:
            reasons.append("its KV cache types differ")
        start = time.perf_counter()
        self._keep_current(origin=f"snapshot {name}")
        self.conversation = conversation
        listed = manifest["kv"]["token_ids"]
        sync = None
        if not reasons:
            try:
                held = self.engine.load_state_bytes(blob, listed)
            except ModelLoadError as err:
                reasons.append(str(err))
            else:
                sync = self.resync()
                promised = promised_reuse(len(listed), self._prompt_len)
                if sync.reused < promised:
                    reasons.append(shortfall_reason(promised, sync.reused, held, len(listed)))
        if sync is None:
            self.engine.reset()
            sync = self.resync()
        seconds = time.perf_counter() - start
        if not reasons:
            more = f"; {sync.evaluated:,} more evaluated" if sync.evaluated > 1 else ""
            tokens, message = len(listed), f"restored {len(listed):,} tokens in {seconds:.2f} s from the KV state{more}"
        else:
            tokens, message = sync.evaluated, (f"restored the conversation of {name}; {sync.evaluated:,} tokens "
                                               f"re-evaluated in {seconds:.2f} s because " + " and ".join(reasons))
        result = SnapshotRestored(name, not reasons, tokens, sync.reused, sync.evaluated, seconds, message)
        self.sink(ev.Notice(result.message, "information" if not reasons else "warning"))
        self.sink(self._history_event())
        self.sink(self.dashboard())
        return result  # resync kept the restored conversation

    # ----- growth history

    def _open_growth(self, model: str, n_ctx: int) -> None:
        if not self.record_growth:
            return
        from app.core.growth.store import GrowthStore

        try:
            if self.growth is None:
                self.growth = GrowthStore()
            self.growth_session = self.growth.start_session(model, n_ctx)
        except (ContextWatchError, OSError) as err:
            self.growth = None
            self.sink(ev.Notice(f"turn history is off: {err}", "warning"))

    def _record_growth(self, context_before: int, result: TurnResult, compression: str | None) -> None:
        if self.growth is None or self.growth_session is None:
            return
        from app.core.growth.records import TurnRecord

        user = self.conversation.last_index("user")
        try:
            self.growth.record_turn(self.growth_session, TurnRecord(
                prompt=self.conversation.messages[user].content if user is not None else "",
                time=time.time(), model=self.engine.info.name, n_ctx=self.engine.n_ctx,
                input_tokens=result.prompt_tokens, output_tokens=result.generated_tokens,
                context_before=context_before, context_after=result.total_tokens,
                reused=result.sync.reused, evaluated=result.sync.evaluated,
                ttft_ms=result.latency.ttft_ms, tokens_per_s=result.latency.decode_tps, compression=compression,
            ))
        except (ContextWatchError, OSError) as err:
            self.sink(ev.Notice(f"could not record the turn: {err}", "warning"))
