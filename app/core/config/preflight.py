"""What the dashboard can refuse before it opens: one line and exit code 2 instead of a dead screen."""

from __future__ import annotations

from pathlib import Path

from app.core.config.settings import Settings
from app.core.engine.gguf_file import check_gguf
from app.core.engine.llama import log as llama_log
from app.core.engine.llama.engine import gpu_offload_supported
from app.core.engine.llama.memory_check import check_memory
from app.core.engine.load_options import CTX_ALIGN, LoadOptions, aligned_n_ctx


def check_before_start(settings: Settings, model_path: Path) -> None:
    """The model file, the cache types and an n_ctx that cannot fit in memory; raises UsageError."""
    file_bytes = check_gguf(model_path)
    n_ctx = None if settings.n_ctx == "auto" else settings.n_ctx
    LoadOptions.from_settings(settings, model_path, n_ctx or CTX_ALIGN)
    if n_ctx is not None:
        llama_log.attach()
        check_memory(model_path, file_bytes, aligned_n_ctx(n_ctx), settings.type_k, settings.type_v,
                     settings.n_gpu_layers != 0 and gpu_offload_supported())
