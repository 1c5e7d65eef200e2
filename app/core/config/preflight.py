"""What the dashboard can refuse before it opens: one line and exit code 2 instead of a dead screen."""

from __future__ import annotations

from pathlib import Path

from app.core.engine.llama import log as llama_log
from app.core.engine.llama.engine import CTX_ALIGN, LoadOptions
from app.core.engine.gguf_file import check_gguf
from app.core.telemetry.memory_check import check_memory
from app.core.config.settings import Settings


def check_before_start(settings: Settings, model_path: Path) -> None:
    """The model file, the cache types and an n_ctx that cannot fit in memory; raises UsageError."""
    file_bytes = check_gguf(model_path)
    n_ctx = None if settings.n_ctx == "auto" else settings.n_ctx
    LoadOptions(
        path=model_path, n_ctx=n_ctx or CTX_ALIGN, n_batch=settings.n_batch, type_k=settings.type_k,
        type_v=settings.type_v, flash_attn=settings.flash_attn, n_gpu_layers=settings.n_gpu_layers,
    )
    if n_ctx is not None:
        llama_log.attach()
        aligned = -(-n_ctx // CTX_ALIGN) * CTX_ALIGN
        check_memory(model_path, file_bytes, aligned, settings.type_k, settings.type_v, settings.n_gpu_layers > 0)
