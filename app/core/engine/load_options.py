"""What an engine is asked to load: the model file, the context size and the KV cache's types."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import UsageError
from app.core.limits import check_value
from app.core.telemetry.kv_cache import parse_cache_type

if TYPE_CHECKING:
    from app.core.config.settings import Settings

CTX_ALIGN = 256  # llama.cpp pads n_ctx up to a multiple of this
ProgressFn = Callable[[str, float], None]  # (stage, fraction done) while a model loads


@dataclass(frozen=True)
class LoadOptions:
    path: Path
    n_ctx: int = 4096
    n_batch: int = 512
    n_threads: int | None = None
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: bool = False
    n_gpu_layers: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.n_ctx, bool) or not isinstance(self.n_ctx, int) or self.n_ctx <= 0:
            raise UsageError(f"n_ctx must be a positive integer, got {self.n_ctx!r}")
        check_value("n_ctx", self.n_ctx)
        check_value("n_batch", self.n_batch)
        if self.n_threads is not None:
            check_value("n_threads", self.n_threads)
        check_value("n_gpu_layers", self.n_gpu_layers)
        parse_cache_type(self.type_k)
        parse_cache_type(self.type_v)
        if self.type_v not in ("f16", "f32", "bf16") and not self.flash_attn:
            raise UsageError(f"a quantized V cache ({self.type_v}) needs flash attention on")

    @classmethod
    def from_settings(cls, settings: Settings, path: Path, n_ctx: int, **changes: Any) -> LoadOptions:
        """The load these settings ask for at `n_ctx`; `changes` replace single fields (a reload's new types)."""
        fields: dict[str, Any] = dict(
            path=path, n_ctx=n_ctx, n_batch=settings.n_batch, n_threads=settings.n_threads,
            type_k=settings.type_k, type_v=settings.type_v, flash_attn=settings.flash_attn,
            n_gpu_layers=settings.n_gpu_layers,
        )
        fields.update(changes)
        return cls(**fields)


def aligned_n_ctx(n_ctx: int) -> int:
    """The n_ctx llama.cpp really allocates for a request of `n_ctx`."""
    return -(-n_ctx // CTX_ALIGN) * CTX_ALIGN


def default_threads() -> int:
    """Half the logical cores (llama-cpp-python's own default): one core stays free for the UI."""
    return max(1, (os.cpu_count() or 2) // 2)
