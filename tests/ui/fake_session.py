"""A scripted stand-in for `app.core.session.session.Session`: same methods, fixed numbers, no model.

It emits the same event sequence a real turn does, so snapshots of the UI are deterministic.
`InlineRunner` runs each command at once on the calling thread, like `EngineRunner` would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from app.core import events as ev
from app.core.compression.stats import CompressionStats
from app.core.config.settings import Settings, change_settings
from app.core.conversations.conversation import Conversation
from app.core.conversations.outcomes import ConversationOpened
from app.core.engine.capabilities import BackendInfo, EngineCapabilities
from app.core.engine.model_info import ModelInfo
from app.core.engine.results import SyncResult
from app.core.engine.sync_costs import SyncCosts, WayCost
from app.core.errors import ContextWatchError
from app.core.session.engine_state import Activity
from app.core.session.runner import CommandFinished, run_one
from app.core.snapshots.outcomes import SnapshotRestored, SnapshotSaved
from app.core.snapshots.store import SnapshotStore, check_name
from app.core.telemetry.chart_series import ChartSeries
from app.core.telemetry.kv_cache import KVCacheInfo
from app.core.telemetry.latency import LatencyStats
from app.core.telemetry.memory import MemoryLevel, MemorySnapshot
from app.core.telemetry.turn_trends import TurnTrends
from app.core.telemetry.usage import BudgetBreakdown, ContextUsage

MIB = 1024 * 1024
N_CTX = 2048
EFFECTIVE = 1740
KV_PER_TOKEN = 23040
REPLY = (
    "The context window is the **working memory** of the model. Every token of the "
    "prompt and of the reply takes a slot in the KV cache, and once it is full the "
    "oldest turns must be summarised or dropped.\n\n- system prompt\n- history\n- reply"
)

INFO = ModelInfo(
    path="/models/SmolLM2-135M-Instruct.Q4_1.gguf", file_bytes=98 * MIB, name="SmolLM2 135M Instruct",
    basename="SmolLM2", architecture="llama", description="llama 135M Q4_1", n_params=134_515_008,
    weights_bytes=92 * MIB, n_ctx_train=8192, n_layer=30, n_head=9, n_head_kv=3, n_embd=576,
    head_dim_k=64, head_dim_v=64, n_vocab=49152, chat_template="{{ messages }}",
)


def reply_tokens(text: str = REPLY) -> list[str]:
    """Split a reply into word-sized pieces, the way a tokenizer roughly would."""
    pieces, word = [], ""
    for ch in text:
        word += ch
        if ch in " \n":
            pieces.append(word)
            word = ""
    if word:
        pieces.append(word)
    return pieces


PREFILL_TPS = 812.0  # the prefill rate `latency_stats` reports once a turn ran


def first_change(old, new) -> int:
    for i, (a, b) in enumerate(zip(old, new)):
        if a.content != b.content or a.role != b.role:
            return i
    return min(len(old), len(new))


def common_tail(old, new) -> int:
    """How many messages at the end of `old` and `new` are the same."""
    n = 0
    while n < min(len(old), len(new)) and (old[-1 - n].role, old[-1 - n].content) == (new[-1 - n].role, new[-1 - n].content):
        n += 1
    return n


@dataclass(frozen=True)
class FakeTurn:
    reply: str
    reason: ev.StopReason


@dataclass
class FakeLatency:
    recent: list[float] = field(default_factory=list)


@dataclass
class FakeMemory:
    history: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class FakeEngine:
    info: ModelInfo | None = None
    n_ctx: int = N_CTX
    capabilities = EngineCapabilities(can_save_state=True, can_shift_cache=False, counts_tokens_locally=True,
                                      can_change_n_ctx=True)
    backend = BackendInfo("scripted", "/models/fake.gguf")


class FakeSession:
    """Scripted session. `pause_after` stops a turn after that many tokens (a frozen mid-turn)."""

    def __init__(self, settings: Settings | None = None, sink: ev.EventSink = ev.discard,
                 *, reply: str = REPLY, pause_after: int | None = None, fail_load: str | None = None,
                 token_delay: float = 0.0, load_gate=None, autosave=None,
                 compress_in_turn: str | None = None, shift_blocker: str | None = None,
                 reply_metrics: dict | None = None) -> None:
        self.settings = settings or Settings(n_ctx=N_CTX)
        self.sink = sink
        self.model_path = None  # a scripted model has no file
        self.conversation = Conversation.with_system(self.settings.system_prompt)
        self.engine = FakeEngine()
        self.latency = FakeLatency()
        self.memory = FakeMemory()
        self.reply = reply
        self.pause_after = pause_after
        self.fail_load = fail_load
        self.token_delay = token_delay
        self.load_gate = load_gate  # a threading.Event the load waits on after ModelLoaded
        self.compress_in_turn = compress_in_turn  # "emergency": each turn compresses, then re-reads the history
        self.shift_blocker = shift_blocker  # why this scripted cache cannot shift; None: it can
        self.reply_metrics = reply_metrics or {}  # more metrics each reply keeps, e.g. a full-context shift
        self.level = MemoryLevel.NORMAL
        self.level_percent = 41.5
        self.cancelled = False
        self.used = 0
        self.in_flight = 0
        self.turns = 0
        self.context_by_turn: list[tuple[int, int]] = []
        self.trends = TurnTrends()
        self.cached_tokens = 0
        self.extra_user = 0  # tokens `fill_context` adds, counted as user text
        self.calls: list[str] = []
        self.stats = CompressionStats()
        self.autosave = autosave  # an app.core.conversations.autosave.Autosave on the test's data folder, when given
        self.deleted = None
        self.quitting = False

    # ----- numbers

    @staticmethod
    def cost(content: str) -> int:
        return len(content.split()) + 4

    def _prompt_tokens(self) -> int:
        return sum(self.cost(m.content) for m in self.conversation.messages)

    def _set_tokens(self) -> None:
        self.conversation.set_tokens([self.cost(m.content) for m in self.conversation.messages])

    def usage(self) -> ContextUsage:
        parts = {"system": 0, "summaries": 0, "user": 0, "assistant": 0}
        for m in self.conversation.messages:
            parts["summaries" if m.summary else m.role] += self.cost(m.content)
        parts["user"] += self.extra_user
        used = min(self.used, N_CTX)
        percent = 100.0 * used / EFFECTIVE
        return ContextUsage(
            used=used, overflow=self.used - used, n_ctx=N_CTX, effective=EFFECTIVE, percent=percent,
            available=max(0, EFFECTIVE - used), reserve=N_CTX - EFFECTIVE, tier=1,
            tier_name="Minimal", size_label="2K", profile_id="smollm2", profile_matched=True,
            threshold=self.settings.warn_threshold, over_threshold=percent >= self.settings.warn_threshold,
            breakdown=BudgetBreakdown(in_flight=self.in_flight, **parts),
        )

    def latency_stats(self) -> LatencyStats:
        recent = tuple(self.latency.recent)
        return LatencyStats(
            ttft_ms=112.4 if recent else None, prefill_tps=812.0 if recent else None,
            last_ms=recent[-1] if recent else None, rolling_avg_ms=11.8 if recent else None, window=20,
            trend_ms_per_100=1.6 if len(recent) > 1 else None, decode_tps=84.7 if len(recent) > 1 else None,
            n_tokens=len(recent), recent_ms=recent, session_turns=self.turns,
            session_avg_ttft_ms=110.0 if self.turns else None, session_decode_tps=83.9 if self.turns else None,
        )

    def memory_snapshot(self) -> MemorySnapshot:
        rss = 190 * MIB + self.used * 4096
        return MemorySnapshot(
            rss_bytes=rss, peak_rss_bytes=rss + 2 * MIB, baseline_rss_bytes=185 * MIB,
            growth_bytes=rss - 185 * MIB, growth_per_100_tokens=400_000.0, growth_per_token=4000.0,
            ram_percent=self.level_percent, ram_used_bytes=int(16 * 1024 * MIB * self.level_percent / 100),
            ram_total_bytes=16 * 1024 * MIB, gpus=(), gpu_state="no GPU: NVML Shared Library Not Found",
            level=self.level, level_percent=self.level_percent, t=ev.now(),
        )

    def kv_info(self) -> KVCacheInfo:
        return KVCacheInfo(
            allocated_bytes=N_CTX * KV_PER_TOKEN, logged_bytes=N_CTX * KV_PER_TOKEN,
            bytes_per_token=float(KV_PER_TOKEN), in_use_bytes=min(self.used, N_CTX) * KV_PER_TOKEN,
            n_tokens=min(self.used, N_CTX), n_ctx=N_CTX, type_k="f16", type_v="f16",
        )

    def dashboard(self) -> ev.DashboardUpdate:
        hits = self.trends.cache_hits()
        return ev.DashboardUpdate(self.usage(), self.latency_stats(), self.memory_snapshot(), self.kv_info(),
                                  compression=replace(self.stats),
                                  charts=ChartSeries(tuple(self.latency.recent), tuple(self.memory.history),
                                                     tuple(self.context_by_turn), hits.by_turn if hits else ()),
                                  forecast=self.trends.forecast(self.used, EFFECTIVE, int(EFFECTIVE * 0.75)),
                                  cache_hits=hits)

    def _history_event(self) -> ev.HistoryChanged:
        keeper = self.autosave
        return ev.HistoryChanged(tuple(self.conversation.messages), tuple(self.conversation.checkpoints),
                                 self.deleted is not None,
                                 kept_in=keeper.store.folder if keeper is not None else None,
                                 conversation_id=keeper.current_id if keeper is not None else None)

    # ----- the Session interface

    def load(self, n_ctx: int | None = None) -> None:
        self.calls.append("load")
        for stage, fraction in (("reading the GGUF header", 0.1), ("loading weights", 0.6), ("allocating the KV cache", 0.9)):
            self.sink(ev.LoadProgress(stage, fraction))
        if self.fail_load:
            raise ContextWatchError(self.fail_load)
        self.engine.info = INFO
        self._set_tokens()
        self.used = self._prompt_tokens()
        self.sink(self._history_event())
        self.sink(ev.ModelLoaded(INFO, N_CTX, 0.42, ()))
        if self.load_gate is not None:
            self.load_gate.wait(10)
        self.sink(self.dashboard())

    def change_settings(self, values: dict) -> Settings:
        self.calls.append("settings:" + ",".join(sorted(values)))
        changed = change_settings(self, values)
        if "system_prompt" in values and self.conversation.set_system_prompt(changed.system_prompt):
            self._set_tokens()
            self.sink(self._history_event())
            self._autosave()
        return changed

    def submit(self, text: str, sampling=None):
        self.calls.append(f"submit:{text}")
        self.conversation.append("user", text)
        return self._turn(new_question=True)

    def regenerate(self, index: int, sampling=None):
        self.calls.append(f"regenerate:{index}")
        messages = self.conversation.messages
        keep = index if messages[index].role == "assistant" else index + 1
        self.conversation.truncate(keep)
        return self._turn()

    def _turn(self, new_question: bool = False):
        self.cancelled = False
        before = self.used  # the context before the question was added
        self._set_tokens()
        self._autosave()
        self.sink(self._history_event())
        prompt = self._prompt_tokens() + 3
        reused = min(self.cached_tokens, prompt - 1)
        if self.compress_in_turn:
            reused = min(reused, 4)
            self.sink(ev.CompressionStarted(self.compress_in_turn, "sliding"))
            self.sink(ev.Notice(f"{self.compress_in_turn} compression, sliding window: 2 messages dropped"))
            self._prefill(prompt - reused, f"{self.compress_in_turn} compression")
        self.sink(ev.SyncDone(reused, prompt - reused, 0.05))
        self.used, self.in_flight = prompt, 0
        self.latency.recent = []
        pieces = reply_tokens(self.reply)
        text = ""
        reason = ev.StopReason.EOG
        for i, piece in enumerate(pieces, 1):
            if self.pause_after is not None and i > self.pause_after:
                return None  # frozen mid-turn, as a snapshot sees it
            if self.cancelled:
                reason = ev.StopReason.CANCELLED
                break
            if self.token_delay:
                time.sleep(self.token_delay)
            text += piece
            self.used += 1
            self.in_flight += 1
            self.latency.recent.append(9.0 + (i * 7 % 11) * 0.6)
            self.memory.history.append((self.used, 190 * MIB + self.used * 4096))
            self.sink(ev.TokenEvent(i, piece, i, 0.01, self.used))
            self.sink(self.dashboard())
        if text:
            metrics = {"generated_tokens": len(self.latency.recent), "stop_reason": reason.value,  # as Session keeps them
                       **self.reply_metrics}
            if self.quitting:
                metrics["cut_off"] = "quit"
            self.conversation.append("assistant", text, metrics=metrics)
        elif reason is ev.StopReason.CANCELLED and new_question:
            self.conversation.truncate(len(self.conversation) - 1)
        self.sink(ev.GenerationDone(reason, len(self.latency.recent), text))
        self.turns += 1
        self.in_flight = 0
        self._set_tokens()
        self.used = self._prompt_tokens()
        self.cached_tokens = self.used
        self.context_by_turn.append((self.turns, self.used))
        self.trends.record(before, self.used, reused, prompt - reused, grew=new_question and not self.compress_in_turn)
        self.sink(self._history_event())
        self.sink(self.dashboard())
        self._autosave()
        self.sink(ev.TurnFinished(reason, prompt, len(self.latency.recent), reused, prompt - reused, 0.1124, 84.7))
        return FakeTurn(text, reason)

    def edit_message(self, index: int, text: str) -> SyncResult:
        self.calls.append(f"edit:{index}")
        self.conversation.edit(index, text)
        return self.resync(changed_from=index)

    def delete_message(self, index: int) -> SyncResult:
        self.calls.append(f"delete:{index}")
        self.deleted = (index, self.conversation.delete(index))
        return self.resync(changed_from=index)

    def undo_delete(self) -> SyncResult:
        self.calls.append("undo_delete")
        index, message = self.deleted
        self.conversation.insert(index, message)
        self.deleted = None
        return self.resync(changed_from=index)

    def preview_edit(self, index: int, text: str | None) -> SyncCosts:
        self.calls.append(f"preview_edit:{index}")
        after = list(self.conversation.messages)
        if text is None:
            del after[index]
        else:
            after[index] = replace(after[index], content=text)
        return self.costs_of(self.conversation.messages, after)

    def costs_of(self, before, after) -> SyncCosts:
        """Scripted costs, counted in messages: the unchanged start stays, an unchanged end can shift down."""
        changed = first_change(before, after)
        tail = min(common_tail(before, after), len(after) - changed, len(before) - changed)
        exact = max(1, sum(self.cost(m.content) for m in after[changed:]))
        moved = sum(self.cost(m.content) for m in after[len(after) - tail:])
        note = self.shift_blocker
        if note is None and not moved:
            note = "the edited message's new tokens come before the rest, so the rest is read again"
        shifting = self.settings.kv_shift == "auto" and self.shift_blocker is None and moved > 0
        shift_tokens = max(1, exact - moved) if self.shift_blocker is None else exact
        kept = 0 if self.shift_blocker else sum(self.cost(m.content) for m in after) - shift_tokens
        rate = PREFILL_TPS if self.turns else None

        def seconds(tokens: int) -> float | None:
            return None if rate is None else tokens / rate

        return SyncCosts((
            WayCost("shift", shift_tokens, seconds(shift_tokens), kept, shifting, note),
            WayCost("exact", exact, seconds(exact), sum(self.cost(m.content) for m in after[:changed]), not shifting),
        ), rate)

    def toggle_pin(self, index: int) -> bool:
        self.calls.append(f"pin:{index}")
        pinned = self.conversation.toggle_pin(index)
        self._set_tokens()
        self.sink(self._history_event())
        return pinned

    def resync(self, changed_from: int = 0) -> SyncResult:
        self._set_tokens()
        messages = self.conversation.messages
        reused = sum(self.cost(m.content) for m in messages[:changed_from])
        total = self._prompt_tokens()
        self.used = total
        self.cached_tokens = total
        result = SyncResult(reused, total - reused, 0.03)
        self._prefill(result.evaluated)
        self.sink(ev.SyncDone(result.reused, result.evaluated, result.seconds))
        self.sink(self._history_event())
        self.sink(self.dashboard())
        self._autosave()
        return result

    def _prefill(self, total: int, after: str = "") -> None:
        """Progress in two chunks, as the engine reports each batch it evaluates."""
        for done in sorted({(total + 1) // 2, total} - {0}):
            self.sink(ev.PrefillProgress(done, total, after))

    def cancel(self, quitting: bool = False) -> None:
        self.cancelled = True
        self.quitting = self.quitting or quitting

    def close(self) -> None:
        self.calls.append("close")
        if self.autosave is not None:
            self.autosave.mark_finished()

    # ----- snapshots, autosave and growth: real files, a stand-in KV state

    def open_growth(self, store, session_id: int) -> None:
        """Say the turns go to `store` as `session_id`, as the real session does once loaded; the test records them."""
        self.sink(ev.GrowthOpened(store.path, session_id))

    def snapshot_manifest(self, name: str) -> dict:
        return {
            "name": name, "created": time.time(),
            "model": {"path": INFO.path, "size": INFO.file_bytes, "sha256": "fake", "name": INFO.name},
            "n_ctx": N_CTX, "cache": {"type_k": "f16", "type_v": "f16"}, "sampling": {},
            "conversation": self.conversation.state_json(), "metrics": {"turns": self.turns},
            "kv": {"n_tokens": self.used, "token_ids": list(range(self.used))},
        }

    def save_snapshot(self, name: str, store=None) -> SnapshotSaved:
        self.calls.append(f"save_snapshot:{name}")
        manifest = self.snapshot_manifest(check_name(name))
        blob = bytes(16 * self.used)
        (store or SnapshotStore()).save(manifest, blob)
        self.sink(ev.Notice(f"saved snapshot {name}: {self.used:,} tokens"))
        return SnapshotSaved(name, self.used, len(blob), 0.01, True, None)

    def restore_snapshot(self, name: str, store=None) -> SnapshotRestored:
        self.calls.append(f"restore_snapshot:{name}")
        manifest, _blob = (store or SnapshotStore()).load(name)
        self.conversation = Conversation.from_state_json(manifest["conversation"], f"snapshot {name!r}")
        self._set_tokens()
        self.used = self.cached_tokens = manifest["kv"]["n_tokens"]
        message = f"restored {self.used:,} tokens in 0.01 s from the KV state"
        self.sink(ev.Notice(message))
        self.sink(self._history_event())
        self.sink(self.dashboard())
        return SnapshotRestored(name, True, self.used, self.used - 1, 1, 0.01, message)

    def resume(self, conversation: Conversation, in_flight: str = "") -> None:
        self.calls.append("resume")
        self.conversation = conversation
        if in_flight:
            self.conversation.append("assistant", in_flight, metrics={"cut_off": "crash"})
        self.resync()

    # ----- kept conversations, in the real store

    def _autosave(self) -> None:
        if self.autosave is not None:
            self.autosave.save(self.conversation, INFO.path, N_CTX)

    def _keep_current(self) -> None:
        self._autosave()
        if self.autosave is not None:
            self.autosave.start_new()
        self.deleted = None

    def open_conversation(self, conversation_id: str) -> ConversationOpened:
        self.calls.append(f"open:{conversation_id}")
        record = self.autosave.store.load(conversation_id)
        self._keep_current()
        self.autosave.adopt(record)
        self.resume(record.conversation, record.in_flight or "")
        return ConversationOpened(record.id, record.title, record.message_count)

    def new_conversation(self) -> SyncResult:
        self.calls.append("new_conversation")
        self._keep_current()
        self.conversation = Conversation.with_system(self.settings.system_prompt)
        return self.resync()

    # ----- scripted alerts

    def set_memory_level(self, level: MemoryLevel, percent: float) -> None:
        old = self.level
        self.level, self.level_percent = level, percent
        self.sink(ev.MemoryLevelChanged(old, level, percent))
        self.sink(self.dashboard())

    def fill_context(self, used: int) -> None:
        before = self.usage()
        self.extra_user = max(0, used - self._prompt_tokens())
        self.used = used
        after = self.usage()
        if after.over_threshold != before.over_threshold:
            self.sink(ev.ThresholdCrossed(after.percent, after.threshold, after.over_threshold))
        self.sink(self.dashboard())


class InlineRunner:
    """Runs each command immediately on the calling thread, emitting what EngineRunner emits.

    A turn the fake freezes mid-reply (it returns None) never finishes: the runner stays busy.
    """

    def __init__(self, session, sink: ev.EventSink) -> None:
        self.session = session
        self._sink = sink
        self.busy = False
        self.started = False
        self.stopped = False

    def start(self) -> None:
        self.started = True

    def run(self, command) -> None:
        self.busy = True

        def sink(event: object) -> None:
            frozen = (isinstance(event, CommandFinished) and event.ok and event.result is None
                      and command.activity is Activity.GENERATING)
            if not frozen:
                self.busy = not isinstance(event, CommandFinished)
                self._sink(event)

        run_one(command, self.session, sink)

    def cancel(self) -> None:
        self.session.cancel()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped = True
        self.session.close()


__all__ = ["FakeSession", "InlineRunner"]
