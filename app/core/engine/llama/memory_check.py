"""Refuse an n_ctx whose KV cache cannot fit in memory, before llama.cpp tries to allocate it."""

from __future__ import annotations

from pathlib import Path

import psutil

from app.core.engine.gguf_file import read_metadata_header
from app.core.errors import UsageError
from app.core.formatting import fmt_bytes
from app.core.telemetry.kv_cache import kv_bytes


def kv_estimate(meta: dict, n_ctx: int, type_k: str, type_v: str) -> int | None:
    arch = meta.get("general.architecture")
    try:
        n_layer = int(meta[f"{arch}.block_count"])
        n_head = int(meta[f"{arch}.attention.head_count"])
        n_head_kv = int(meta.get(f"{arch}.attention.head_count_kv", n_head))
        head_dim = int(meta[f"{arch}.embedding_length"]) // n_head
        head_k = int(meta.get(f"{arch}.attention.key_length", head_dim))
        head_v = int(meta.get(f"{arch}.attention.value_length", head_dim))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None  # per-layer head counts and the like: let llama.cpp decide
    return kv_bytes(n_layer, n_ctx, n_head_kv, head_k, head_v, type_k, type_v)


def check_memory(path: Path, file_bytes: int, n_ctx: int, type_k: str, type_v: str, offloaded: bool) -> int | None:
    """The KV bytes this n_ctx needs; UsageError when it plainly cannot fit in free RAM."""
    needed = kv_estimate(read_metadata_header(path), n_ctx, type_k, type_v)
    if needed is None or offloaded:
        return needed
    free = psutil.virtual_memory().available + psutil.swap_memory().free
    if needed + file_bytes > free:
        raise UsageError(
            f"n_ctx {n_ctx} needs {fmt_bytes(needed)} of KV cache beside {fmt_bytes(file_bytes)} of weights, "
            f"but only {fmt_bytes(free)} of memory is free; choose a smaller n_ctx, or auto"
        )
    return needed
