"""The context-size sweep: load the model at each setting, fill the context with prose, measure.

Each point gets an engine of its own, closed before the next one, so a sweep never
touches the engine a session is using. The caller installs the llama.cpp log first
(`llama_log.install`), or the logged KV size is unknown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from app.core.config.settings import DEFAULT_SYSTEM_PROMPT
from app.core.engine.llama.engine import LlamaEngine
from app.core.engine.load_options import CTX_ALIGN, LoadOptions
from app.core.engine.protocol import Engine
from app.core.engine.results import GenerationResult
from app.core.engine.sampling import SamplingParams
from app.core.errors import UsageError
from app.core.limits import check_value
from app.core.sweep.text import filler_ids, question_messages
from app.core.telemetry.kv_cache import KVCacheModel, parse_cache_type
from app.core.telemetry.memory import MemoryMonitor

DECODE_TOKENS = 32
STAGES = ("load", "prefill", "decode")
UNQUANTIZED = ("f32", "f16", "bf16")

ProgressFn = Callable[[int, int, str], None]
WarnFn = Callable[[str], None]


@dataclass(frozen=True)
class SweepPoint:
    n_ctx: int
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: bool = False

    def __post_init__(self) -> None:
        check_value("n_ctx", self.n_ctx)
        check_size(self.n_ctx)
        self.load_options(Path("model.gguf"))  # the same checks a load makes, before any load

    @property
    def label(self) -> str:
        fa = " FA" if self.flash_attn else ""
        return f"n_ctx {self.n_ctx} {self.type_k}/{self.type_v}{fa}"

    def load_options(self, path: Path, n_batch: int = 512, n_threads: int | None = None) -> LoadOptions:
        return LoadOptions(
            path=path, n_ctx=self.n_ctx, n_batch=n_batch, n_threads=n_threads,
            type_k=self.type_k, type_v=self.type_v, flash_attn=self.flash_attn,
        )


@dataclass(frozen=True)
class SweepResult:
    """One point's measurements; sizes in bytes, times in seconds or ms as each name says.

    `fill_tokens` is the prose in the cache (what `fill` asked for, less room kept for the
    question when it would not fit); `prefill_tps` is its evaluation rate. `ttft_ms` runs
    from appending the question turn (`question_tokens`) to that cache until the first
    reply token; `decode_tps` is the rate of the greedy tokens after the first. RSS is the
    whole process's, so it includes anything else the process holds.
    """

    n_ctx: int
    type_k: str
    type_v: str
    flash_attn: bool
    n_ctx_train: int
    load_seconds: float
    kv_bytes_computed: int
    kv_bytes_logged: int | None
    kv_agrees: bool | None
    rss_before_load_bytes: int
    rss_after_load_bytes: int
    rss_after_fill_bytes: int
    fill: float
    fill_tokens: int
    prefill_seconds: float
    prefill_tps: float | None
    question_tokens: int
    ttft_ms: float | None
    decode_tokens: int
    decode_tps: float | None

    def to_json(self) -> dict:
        """A JSON-ready dict with every field."""
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def check_size(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise UsageError(f"n_ctx must be a positive integer, got {n!r}")
    if n % CTX_ALIGN:
        low, high = n // CTX_ALIGN * CTX_ALIGN, -(-n // CTX_ALIGN) * CTX_ALIGN
        nearest = f"{low} or {high}" if low else str(high)
        raise UsageError(
            f"n_ctx {n} is not a multiple of {CTX_ALIGN} (llama.cpp would pad it to {high}); use {nearest}"
        )
    return n


def parse_sizes(text: str) -> list[int]:
    """'512,1024,2048' -> [512, 1024, 2048]: multiples of 256, duplicates dropped, ascending."""
    sizes: set[int] = set()
    for part in str(text).split(","):
        item = part.strip()
        if not item:
            raise UsageError(f"empty size in {text!r}: give sizes like 512,1024,2048")
        try:
            n = int(item)
        except ValueError:
            raise UsageError(f"n_ctx must be a positive integer, got {item!r}") from None
        sizes.add(check_size(n))
    return sorted(sizes)


def parse_cache_types(text: str) -> list[tuple[str, str]]:
    """'f16,q8_0' -> [('f16', 'f16'), ('q8_0', 'q8_0')]; 'q8_0/f16' sets K and V apart."""
    pairs: list[tuple[str, str]] = []
    for part in str(text).split(","):
        item = part.strip()
        if not item:
            raise UsageError(f"empty cache type in {text!r}: give types like f16,q8_0")
        k, _, v = item.partition("/")
        pair = (parse_cache_type(k), parse_cache_type(v or k))
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def parse_fill(value: float | str) -> float:
    try:
        fill = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"fill must be a number between 0 and 1, got {value!r}") from None
    if not 0 < fill < 1:
        raise UsageError(f"fill must be between 0 and 1 (exclusive), got {value}")
    return fill


def build_points(sizes: Sequence[int], cache_types: Sequence[tuple[str, str]], flash_attn: bool = False) -> list[SweepPoint]:
    """Every size for every cache pair; a quantized V cache turns flash attention on (llama.cpp needs it)."""
    return [
        SweepPoint(n, k, v, flash_attn or v not in UNQUANTIZED)
        for k, v in cache_types
        for n in sizes
    ]


def sweep_points(sizes: str, cache_types: str = "f16", flash_attn: bool = False) -> list[SweepPoint]:
    """The points of a sweep from the text a user typed, e.g. ('512,1024', 'f16,q8_0')."""
    return build_points(parse_sizes(sizes), parse_cache_types(cache_types), flash_attn)


def over_train_warning(n_ctx: int, n_ctx_train: int) -> str | None:
    if n_ctx_train > 0 and n_ctx > n_ctx_train:
        return (
            f"n_ctx {n_ctx} is above the model's training context ({n_ctx_train}): "
            "memory and speed are measured, but replies past that length degrade"
        )
    return None


def run_sweep(
    model_path: Path,
    points: Sequence[SweepPoint],
    fill: float,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    *,
    n_batch: int = 512,
    n_threads: int | None = None,
    decode_tokens: int = DECODE_TOKENS,
    on_warning: WarnFn | None = None,
    new_engine: Callable[[], Engine] = LlamaEngine,
) -> list[SweepResult]:
    """Measure every point in turn, each on a fresh engine; on cancel, the points finished so far.

    `progress(done, total, label)` counts stages: load, prefill and decode for each point.
    """
    sweep = _Sweep(Path(model_path), parse_fill(fill), n_batch, n_threads, decode_tokens, cancel,
                   on_warning or (lambda text: None))
    report = progress or (lambda done, total, label: None)
    total = len(points) * len(STAGES)
    results: list[SweepResult] = []
    for i, point in enumerate(points):
        if sweep.cancelled:
            break
        first = i * len(STAGES)

        def stage(j: int, what: str, point: SweepPoint = point, first: int = first) -> None:
            report(first + j, total, f"{point.label}: {what}")

        engine = new_engine()
        try:
            result = sweep.measure(engine, point, stage)
        finally:
            engine.close()
        if result is None:
            break
        results.append(result)
        stage(len(STAGES), "done")
    return results


class _Sweep:
    def __init__(self, path, fill, n_batch, n_threads, decode_tokens, cancel, warn) -> None:
        self.path = path
        self.fill = fill
        self.n_batch = n_batch
        self.n_threads = n_threads
        self.decode_tokens = decode_tokens
        self.cancel = cancel
        self.warn = warn
        self.memory = MemoryMonitor()

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def rss(self) -> int:
        return self.memory.sample_now().rss_bytes

    def measure(self, engine: Engine, point: SweepPoint, stage: Callable[[int, str], None]) -> SweepResult | None:
        stage(0, "loading")
        rss_before = self.rss()
        info = engine.load(point.load_options(self.path, self.n_batch, self.n_threads))
        rss_loaded = self.rss()
        if (text := over_train_warning(point.n_ctx, info.n_ctx_train)) is not None:
            self.warn(text)
        kv = KVCacheModel(info.n_layer, engine.n_ctx, info.n_head_kv, info.head_dim_k, info.head_dim_v,
                          point.type_k, point.type_v, engine.logged_kv_bytes).info(0)
        prefix = engine.tokenize("", add_bos=True)
        question = engine.prompt_ids(question_messages(DEFAULT_SYSTEM_PROMPT))
        if prefix and question[: len(prefix)] == prefix:
            question = question[len(prefix):]  # the BOS belongs at the start of the prose
        ids = self.fill_ids(engine, prefix, len(question))
        engine.sync(ids[:1])  # the first decode of a context sets up its buffers: keep that out of the timings
        engine.reset()
        stage(1, f"prefill {len(ids)} tokens")
        prefill = engine.sync(ids, self.cancel)
        if prefill.cancelled:
            return None
        stage(2, f"decode up to {self.decode_tokens} tokens")
        ttft_ms, n_decoded, decode_tps = self.decode(engine, ids + question)
        if self.cancelled:
            return None
        return SweepResult(
            n_ctx=engine.n_ctx, type_k=point.type_k, type_v=point.type_v, flash_attn=point.flash_attn,
            n_ctx_train=info.n_ctx_train, load_seconds=engine.load_seconds,
            kv_bytes_computed=kv.allocated_bytes, kv_bytes_logged=kv.logged_bytes, kv_agrees=kv.agrees,
            rss_before_load_bytes=rss_before, rss_after_load_bytes=rss_loaded, rss_after_fill_bytes=self.rss(),
            fill=self.fill, fill_tokens=len(ids), prefill_seconds=prefill.seconds,
            prefill_tps=rate(prefill.evaluated, prefill.seconds), question_tokens=len(question),
            ttft_ms=ttft_ms, decode_tokens=n_decoded, decode_tps=decode_tps,
        )

    def fill_ids(self, engine: Engine, prefix: list[int], n_question: int) -> list[int]:
        """`fill` of the window in prose, leaving room for the question and one reply token."""
        n_ctx = engine.n_ctx
        target = min(round(self.fill * n_ctx), n_ctx - n_question - 1)
        if target <= len(prefix):
            raise UsageError(
                f"n_ctx {n_ctx} leaves no room for text and a {n_question}-token question; use a larger size"
            )
        return prefix + filler_ids(lambda text: engine.tokenize(text, special=False), target - len(prefix))

    def decode(self, engine: Engine, ids: list[int]) -> tuple[float | None, int, float | None]:
        """Evaluate the question, then greedy tokens: (TTFT ms, tokens, tokens/s after the first)."""
        budget = max(1, min(self.decode_tokens, engine.n_ctx - len(ids)))
        start = time.perf_counter()
        engine.sync(ids, self.cancel)
        params = SamplingParams(temperature=0.0, max_tokens=budget)
        stamps = [step.t for step in engine.generate(params, self.cancel, GenerationResult())]
        if not stamps:
            return None, 0, None
        ttft_ms = (stamps[0] - start) * 1000.0
        return ttft_ms, len(stamps), rate(len(stamps) - 1, stamps[-1] - stamps[0])


def rate(n: int, seconds: float) -> float | None:
    return n / seconds if n > 0 and seconds > 0 else None
