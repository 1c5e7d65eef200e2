"""The engine seam: everything a session, compression, snapshots, reload and the sweep need from a model.

`app.core.engine.llama.LlamaEngine` implements it in process with llama-cpp-python. Every
method runs in the single engine thread; only the `cancel` events cross threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from app.core.engine.capabilities import BackendInfo, EngineCapabilities
from app.core.engine.load_options import LoadOptions, ProgressFn
from app.core.engine.model_info import ModelInfo
from app.core.engine.results import BackendReport, GenerationResult, Step, SyncResult
from app.core.engine.sampling import SamplingParams

PrefillProgressFn = Callable[[int, int], None]  # (tokens evaluated, tokens to evaluate)


@runtime_checkable
class Engine(Protocol):
    capabilities: EngineCapabilities
    backend: BackendInfo

    # ----- load and model facts

    info: ModelInfo | None
    warnings: list[str]  # what the load found worth telling (a missing chat template)
    load_seconds: float

    @property
    def loaded(self) -> bool: ...

    def load(self, options: LoadOptions, progress: ProgressFn | None = None) -> ModelInfo: ...

    def close(self) -> None: ...

    @property
    def n_ctx(self) -> int: ...

    def fingerprint(self) -> dict:
        """The model's identity for snapshots: {"path", "size", "sha256"} (sha256 None where it cannot be read)."""
        ...

    def watch(self, sink: Callable[[object], None]) -> None:
        """Start reporting the backend's own state to `sink` (a server's slots and metrics); stopped by close."""
        ...

    def last_report(self) -> BackendReport | None:
        """What the backend itself reported about the last sync or generation; None in process."""
        ...

    # ----- text and tokens

    def tokenize(self, text: str, add_bos: bool = False, special: bool = True) -> list[int]: ...

    def count_tokens(self, text: str) -> int: ...

    def detokenize(self, ids: Sequence[int]) -> str: ...

    def starts_with_special(self, ids: Sequence[int], text: str) -> bool:
        """True when `text`, tokenized as `ids`, begins with a whole control token."""
        ...

    # ----- the chat template

    def render(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str: ...

    def rendered_ids(self, text: str) -> list[int]:
        """The ids of a prompt `render` produced, BOS included when the model wants one."""
        ...

    def prompt_ids(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> list[int]: ...

    # ----- the KV cache

    def cached_ids(self) -> list[int]: ...

    def sync(self, ids: Sequence[int], cancel: threading.Event | None = None,
             progress: PrefillProgressFn | None = None, shift: bool = False) -> SyncResult:
        """Make the cache hold exactly `ids`: keep the common prefix, evaluate the rest in chunks.

        With `shift` (only when capabilities.can_shift_cache), cached tokens that follow a dropped
        range are moved down instead of evaluated again; the result says why when they were not.
        """
        ...

    def shift_blocker(self) -> str | None:
        """Why the cache cannot be shifted now, or None when it can."""
        ...

    def shift_out(self, ranges: Sequence[tuple[int, int]]) -> int:
        """Remove the cached positions in `ranges`, moving what follows each down; returns the tokens removed."""
        ...

    def reset(self) -> None: ...

    def trim(self, n: int) -> int:
        """Drop the cached tokens from position `n` on; returns how many the cache keeps."""
        ...

    def cache_kept(self) -> AbstractContextManager[None]:
        """Work inside it may change the cache; afterwards the cache holds what it held before."""
        ...

    # ----- generation

    def generate(self, params: SamplingParams, cancel: threading.Event | None = None,
                 result: GenerationResult | None = None, on_full: Callable[[], bool] | None = None) -> Iterator[Step]:
        """Sample after the synced prompt, one timed token at a time; `result` gets the stop reason.

        A full cache calls `on_full`, which may make room (and says whether it did) for the reply to go on.
        """
        ...

    # ----- KV state (snapshots; only when capabilities.can_save_state)

    def state_bytes(self) -> bytes: ...

    def load_state_bytes(self, blob: bytes, ids: Sequence[int]) -> int:
        """Load a saved state holding `ids`; returns how many of them it really held."""
        ...

    # ----- KV memory facts: allocated for n_ctx cells, in use for n_tokens, and as the backend logged it

    @property
    def n_tokens(self) -> int: ...

    logged_kv_bytes: int | None
