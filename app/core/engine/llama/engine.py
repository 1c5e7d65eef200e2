"""The one owner of `llama_cpp.Llama`, behind the `Engine` protocol: load, tokenize, sync the KV cache, decode.

Every method runs in the single engine thread; only `cancel` events cross threads.
"""

from __future__ import annotations

import codecs
import contextlib
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.core.engine.cache_reuse import exact_plan, shift_plan
from app.core.engine.capabilities import BackendInfo, EngineCapabilities
from app.core.engine.chat_format import ChatFormatter
from app.core.engine.gguf_file import check_gguf
from app.core.engine.llama import log as llama_log
from app.core.engine.llama.gil_calls import holding_gil
from app.core.engine.llama.greedy import ArgmaxSampler
from app.core.engine.llama.loader import close_llama, open_llama
from app.core.engine.llama.memory_check import check_memory
from app.core.engine.llama.model_info import read_model_info
from app.core.engine.llama.one_token import OneTokenBatch
from app.core.engine.llama.sampling import build_sampler, greedy_alone
from app.core.engine.load_options import LoadOptions, ProgressFn, aligned_n_ctx, default_threads
from app.core.engine.model_info import ModelInfo
from app.core.engine.protocol import PrefillProgressFn
from app.core.engine.results import BackendReport, GenerationResult, Step, SyncResult
from app.core.engine.sampling import SamplingParams
from app.core.engine.special_split import BLOCK_CHARS, blocks, most_frequent, safe_marker
from app.core.errors import ContextFullError, ModelLoadError, UsageError
from app.core.events import StopReason
from app.core.telemetry.kv_cache import CACHE_TYPES, parse_logged_kv_bytes

if TYPE_CHECKING:
    from llama_cpp import Llama

IN_PROCESS = "llama.cpp in process"
LLAMA_CAPABILITIES = EngineCapabilities(
    can_save_state=True, can_shift_cache=True, counts_tokens_locally=True, can_change_n_ctx=True,
)


NO_GPU_BUILD = ("n_gpu_layers {n} has no effect: this llama-cpp-python was built without GPU support, so every "
                "layer runs on the CPU. Reinstall it with CMAKE_ARGS=\"-DGGML_CUDA=on\" (or -DGGML_METAL=on)")


def gpu_offload_supported() -> bool:
    """Whether this llama.cpp build can put layers on a GPU (CUDA, Metal, Vulkan...)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


class LlamaEngine:
    """The `Engine` protocol on an in-process `llama_cpp.Llama`."""

    capabilities = LLAMA_CAPABILITIES

    def __init__(self) -> None:
        self._llm: Llama | None = None
        self.info: ModelInfo | None = None
        self.options: LoadOptions | None = None
        self.formatter: ChatFormatter | None = None
        self.warnings: list[str] = []
        self.logged_kv_bytes: int | None = None
        self.load_seconds = 0.0
        self._pieces: dict[int, bytes] = {}
        self._specials: dict[str, bool] | None = None  # special tokens' texts, and whether each takes lstrip
        self._kept: _KeptCache | None = None
        self._one_token: OneTokenBatch | None = None
        self.backend = BackendInfo(IN_PROCESS, "")

    # ----- loading

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def load(self, options: LoadOptions, progress: ProgressFn | None = None) -> ModelInfo:
        report = progress or (lambda stage, fraction: None)
        report("checking the model file", 0.05)
        file_bytes = check_gguf(options.path)
        llama_log.attach()
        check_memory(options.path, file_bytes, aligned_n_ctx(options.n_ctx), options.type_k, options.type_v,
                     options.n_gpu_layers != 0 and gpu_offload_supported())
        self.close()
        report("loading weights", 0.15)
        start = time.perf_counter()
        mark = llama_log.mark()
        llm = open_llama(
            options.path,
            n_ctx=aligned_n_ctx(options.n_ctx),
            n_batch=options.n_batch,
            n_ubatch=options.n_batch,
            n_threads=options.n_threads or default_threads(),
            n_threads_batch=options.n_threads,  # as llama.cpp's own tools: a thread count set is the prompt's too
            type_k=CACHE_TYPES[options.type_k],
            type_v=CACHE_TYPES[options.type_v],
            flash_attn=options.flash_attn,
            n_gpu_layers=options.n_gpu_layers,
            verbose=True,  # verbose=False swaps fds 1 and 2, which blanks a running TUI
        )
        llm.verbose = False
        self._llm = llm
        self.options = options
        self.backend = BackendInfo(IN_PROCESS, str(options.path))
        self.load_seconds = time.perf_counter() - start
        report("reading model metadata", 0.9)
        offloads = options.n_gpu_layers != 0 and gpu_offload_supported()
        self.info = replace(read_model_info(llm, options.path, file_bytes),
                            n_gpu_layers=options.n_gpu_layers if offloads else 0)
        self.logged_kv_bytes = parse_logged_kv_bytes(llama_log.text_since(mark))
        self._pieces = {}
        self._specials = None
        self.warnings = []
        self.formatter = ChatFormatter(
            self.info.chat_template,
            bos_text=self._special_text(llm.token_bos()),
            eos_text=self._special_text(llm.token_eos()),
        )
        if self.formatter.warning:
            self.warnings.append(self.formatter.warning)
        if options.n_gpu_layers != 0 and not offloads:
            self.warnings.append(NO_GPU_BUILD.format(n=options.n_gpu_layers))
        report("ready", 1.0)
        return self.info

    def close(self) -> None:
        if self._llm is not None:
            close_llama(self._llm)
            self._llm = None
            self.info = None

    def _special_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm._model.token_to_piece(token, special=True).rstrip(b"\0").decode("utf-8", "replace")

    @property
    def llm(self) -> Llama:
        if self._llm is None:
            raise RuntimeError("no model is loaded")
        return self._llm

    @property
    def chat(self) -> ChatFormatter:
        """The formatter of the model loaded last."""
        if self.formatter is None:
            raise RuntimeError("no model is loaded")
        return self.formatter

    @property
    def n_ctx(self) -> int:
        return self.llm.n_ctx()

    def fingerprint(self) -> dict:
        from app.core.snapshots.fingerprint import model_fingerprint

        if self.options is None:
            raise RuntimeError("no model is loaded")
        return model_fingerprint(self.options.path)

    def watch(self, sink) -> None:
        """An in-process model has no state beyond what the session's own trackers read."""

    def last_report(self) -> BackendReport | None:
        return None

    @property
    def n_tokens(self) -> int:
        """Tokens currently held in the KV cache."""
        return self.llm.n_tokens

    def cached_ids(self) -> list[int]:
        llm = self.llm
        return llm.input_ids[: llm.n_tokens].tolist()

    # ----- text and tokens

    def tokenize(self, text: str, add_bos: bool = False, special: bool = True) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8", "replace"), add_bos=add_bos, special=special)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text, special=False))

    def render(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str:
        return self.chat.render(messages, add_generation_prompt)

    def prompt_ids(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> list[int]:
        return self.rendered_ids(self.render(messages, add_generation_prompt))

    def rendered_ids(self, text: str) -> list[int]:
        """The ids of a prompt `render` produced, with BOS added when the template leaves it out."""
        llm = self.llm
        wants_bos = llm._model.add_bos_token() and llm.token_bos() >= 0
        bos_text = self.chat.bos_text
        add_bos = wants_bos and not (bos_text and text.startswith(bos_text))
        marker = self._block_marker(text) if len(text) > 2 * BLOCK_CHARS else None
        if marker is None or (add_bos and llm._model.add_eos_token()):  # an EOS would land after the first block
            return self.tokenize(text, add_bos=add_bos)
        ids: list[int] = []
        for i, block in enumerate(blocks(text, marker)):
            ids.extend(self.tokenize(block, add_bos=add_bos and i == 0))
        return ids

    def _block_marker(self, text: str) -> str | None:
        """The special token to cut a long text before: the most frequent in its head, when that is safe."""
        if self._specials is None:
            import llama_cpp

            vocab = self.llm._model.vocab
            special = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED \
                | llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN
            self._specials = {}
            for token in range(llama_cpp.llama_vocab_n_tokens(vocab)):
                attr = llama_cpp.llama_vocab_get_attr(vocab, token)
                if attr & special:
                    spelled = llama_cpp.llama_vocab_get_text(vocab, token).decode("utf-8", "replace")
                    self._specials[spelled] = bool(attr & llama_cpp.LLAMA_TOKEN_ATTR_LSTRIP)
        marker = most_frequent(text[:BLOCK_CHARS], self._specials)
        if marker is None or not safe_marker(marker, self._specials[marker], self._specials):
            return None
        return marker

    def starts_with_special(self, ids: Sequence[int], text: str) -> bool:
        """True when `text`, tokenized as `ids`, begins with a whole control token like `<|im_start|>`."""
        import llama_cpp

        if not ids:
            return False
        vocab = self.llm._model.vocab
        if not llama_cpp.llama_vocab_is_control(vocab, ids[0]):
            return False
        spelled = llama_cpp.llama_vocab_get_text(vocab, ids[0])
        return bool(spelled) and text.startswith(spelled.decode("utf-8", "replace"))

    def piece(self, token: int) -> bytes:
        cached = self._pieces.get(token)
        if cached is None:
            import ctypes

            import llama_cpp

            buf = ctypes.create_string_buffer(64)
            n = llama_cpp.llama_token_to_piece(self.llm._model.vocab, token, buf, 64, 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = llama_cpp.llama_token_to_piece(self.llm._model.vocab, token, buf, -n, 0, False)
            cached = buf.raw[:n]
            self._pieces[token] = cached
        return cached

    def detokenize(self, ids: Sequence[int]) -> str:
        return b"".join(self.piece(t) for t in ids).decode("utf-8", "replace")

    def is_eog(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token))

    # ----- the KV cache

    def sync(
        self,
        ids: Sequence[int],
        cancel: threading.Event | None = None,
        progress: PrefillProgressFn | None = None,
        shift: bool = False,
    ) -> SyncResult:
        """Make the KV cache hold exactly `ids`: keep the common prefix, evaluate the rest.

        With `shift`, cached tokens that follow a dropped range are moved down instead of evaluated again.
        """
        llm = self.llm
        start = time.perf_counter()
        ids = list(ids)
        if not ids:
            raise UsageError("nothing to evaluate: the prompt is empty")
        if len(ids) > self.n_ctx:
            raise ContextFullError(f"the prompt needs {len(ids)} tokens but the context holds {self.n_ctx}")
        cached = self.cached_ids()
        plan = exact_plan(cached, ids)
        note = None
        if shift:
            shifted = shift_plan(cached, ids, plan)
            note = self.shift_blocker() if shifted.shifted else None
            if shifted.shifted and note is None:
                plan = shifted
        keep = plan.prefix
        if plan.shifted or keep < llm.n_tokens:
            if self._kept is not None and self._kept.blob is None:
                self._kept.blob = self.state_bytes()
            if plan.shifted:
                self.trim(plan.tail_from + plan.shifted)
                self._drop(keep, plan.tail_from)
                keep = plan.kept
            elif not llm._ctx.kv_cache_seq_rm(0, keep, -1):
                self.reset()
                keep = 0
            llm.n_tokens = keep
        rest = ids[keep:]
        step = llm.n_batch
        done = 0
        for i in range(0, len(rest), step):
            if cancel is not None and cancel.is_set():
                return SyncResult(keep - plan.shifted, done, time.perf_counter() - start, cancelled=True,
                                  shifted=plan.shifted, dropped=plan.dropped, shift_note=note)
            chunk = rest[i : i + step]
            self._decode(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, len(rest))
        return SyncResult(keep - plan.shifted, done, time.perf_counter() - start,
                          shifted=plan.shifted, dropped=plan.dropped, shift_note=note)

    def shift_blocker(self) -> str | None:
        """Why the cache cannot be shifted now, or None when it can."""
        import llama_cpp

        memory = self.llm._ctx.memory
        if memory is None or not llama_cpp.llama_memory_can_shift(memory):
            return "llama.cpp cannot shift this model's KV cache (recurrent or sliding-window attention)"
        if self.llm.n_tokens and llama_cpp.llama_memory_seq_pos_min(memory, 0) > 0:
            return "the cache no longer holds the oldest tokens (sliding-window attention)"
        return None

    def shift_out(self, ranges: Sequence[tuple[int, int]]) -> int:
        """Remove the cached positions in `ranges` and move what follows each down; returns the tokens removed."""
        blocker = self.shift_blocker()
        if blocker is not None:
            raise UsageError(blocker)
        removed = 0
        for begin, end in sorted(ranges, reverse=True):
            end = min(end, self.llm.n_tokens)
            if begin < end:
                self._drop(begin, end)
                removed += end - begin
        return removed

    def _drop(self, begin: int, end: int) -> None:
        """Remove cached positions [begin, end) and move the cells after them down to close the gap."""
        llm = self.llm
        n = llm.n_tokens
        if not llm._ctx.kv_cache_seq_rm(0, begin, end):
            raise UsageError("llama.cpp refused to remove a range from the middle of the KV cache")
        llm._ctx.kv_cache_seq_shift(0, end, -1, begin - end)
        llm.input_ids[begin : n - (end - begin)] = llm.input_ids[end:n]
        llm.n_tokens = n - (end - begin)

    def _decode(self, tokens: Sequence[int]) -> None:
        """Run `tokens` (at most n_batch) through the model after what the cache holds."""
        llm = self.llm
        n_past = llm.n_tokens
        if len(tokens) == 1:
            if self._one_token is None:
                self._one_token = OneTokenBatch()
            token = tokens[0]
            self._one_token.decode(llm._ctx.ctx, token, n_past)
            llm.input_ids[n_past] = token
            llm.n_tokens = n_past + 1
            return
        llm._batch.set_batch(batch=tokens, n_past=n_past, logits_all=False)
        llm._ctx.decode(llm._batch)
        llm.input_ids[n_past : n_past + len(tokens)] = tokens
        llm.n_tokens = n_past + len(tokens)

    def reset(self) -> None:
        llm = self.llm
        llm.reset()
        llm._ctx.kv_cache_clear()

    def trim(self, n: int) -> int:
        """Drop the cached tokens from position `n` on; returns how many tokens the cache keeps."""
        llm = self.llm
        if n >= llm.n_tokens:
            return llm.n_tokens
        if not llm._ctx.kv_cache_seq_rm(0, n, -1):
            self.reset()
            return 0
        llm.n_tokens = n
        return n

    @contextlib.contextmanager
    def cache_kept(self) -> Iterator[None]:
        """Work that is not the conversation runs inside; afterwards the cache holds what it held before.

        Tokens the work only adds are trimmed back; the first time the work would cut into the
        cached tokens, the sequence state is saved and loaded back at the end (SmolLM2, 3,000
        tokens: 66 MiB, 0.07 s each way, where re-reading them took 54 s on a busy machine).
        """
        if self._kept is not None:
            yield
            return
        kept = self._kept = _KeptCache(self.cached_ids())
        try:
            yield
        finally:
            self._kept = None
            if kept.blob is not None:
                try:
                    self.load_state_bytes(kept.blob, kept.ids)
                except ModelLoadError:
                    self.reset()
            else:
                self.trim(len(kept.ids))

    # ----- decoding

    def generate(
        self,
        params: SamplingParams,
        cancel: threading.Event | None = None,
        result: GenerationResult | None = None,
        on_full: Callable[[], bool] | None = None,
    ) -> Generator[Step, None, GenerationResult]:
        """Sample after the synced prompt, one token at a time; `result` gets the stop reason.

        When the cache is full, `on_full` may make room (it returns whether it did) and the reply goes on.
        """
        llm = self.llm
        out = result if result is not None else GenerationResult()
        sampler = build_sampler(params, llm.n_vocab())
        ctx = llm._ctx
        vocab = llm._model.vocab
        n_ctx = self.n_ctx
        decoder = TokenTextDecoder(self)
        sample = ArgmaxSampler(llm.n_vocab()) if greedy_alone(params) else holding_gil("llama_sampler_sample")
        is_eog = holding_gil("llama_vocab_is_eog")
        perf = time.perf_counter
        chain = sampler.sampler
        text_parts = out.parts
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    out.reason = StopReason.CANCELLED
                    break
                if len(out.token_ids) >= params.max_tokens:
                    out.reason = StopReason.MAX_TOKENS
                    break
                if llm.n_tokens >= n_ctx and (on_full is None or not on_full()):
                    out.reason = StopReason.CONTEXT_FULL
                    break
                token = sample(chain, ctx.ctx, -1)
                t = perf()
                if is_eog(vocab, token):
                    out.reason = StopReason.EOG
                    break
                text = decoder.feed(token)
                out.token_ids.append(token)
                text_parts.append(text)
                yield Step(token, text, t)
                if len(out.token_ids) < params.max_tokens:
                    if llm.n_tokens >= n_ctx and (on_full is None or not on_full()):
                        on_full = None
                    if llm.n_tokens < n_ctx:
                        self._decode((token,))
        finally:
            tail = decoder.flush()
            if tail:
                text_parts.append(tail)
            out.text = "".join(text_parts)
            sampler.close()
        return out

    # ----- KV state (snapshots)

    def state_bytes(self) -> bytes:
        import ctypes

        import llama_cpp

        ctx = self.llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
        return ctypes.string_at(buf, written)

    def load_state_bytes(self, blob: bytes, ids: Sequence[int]) -> int:
        """Load a saved sequence state holding `ids`; returns how many of them the state really held."""
        import ctypes

        import llama_cpp

        llm = self.llm
        n_vocab = llm.n_vocab()
        if any(not 0 <= t < n_vocab for t in ids):
            raise ModelLoadError(f"its token ids go beyond the model's vocabulary of {n_vocab:,}")
        self.reset()
        buf = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
        read = llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buf, len(blob), 0)
        if read == 0:
            self.reset()
            raise ModelLoadError("llama.cpp refused the saved KV state")
        held = llama_cpp.llama_memory_seq_pos_max(llama_cpp.llama_get_memory(llm._ctx.ctx), 0) + 1
        ids = list(ids)[: max(0, held)]
        llm.input_ids[: len(ids)] = ids
        llm.n_tokens = held
        return self.trim(len(ids))


@dataclass
class _KeptCache:
    """The cache's tokens when work that is not the conversation began, and its state once saved."""

    ids: list[int]
    blob: bytes | None = None


class TokenTextDecoder:
    """Token ids in, text out, holding back the bytes of a character split across tokens."""

    def __init__(self, engine: LlamaEngine) -> None:
        self._piece = engine.piece
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, token: int) -> str:
        return self._decoder.decode(self._piece(token))

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)

