"""KV cache size: computed from the model's shape, and read back from llama.cpp's log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.errors import UsageError

# ggml type ids, as llama.cpp expects them for type_k / type_v.
CACHE_TYPES: dict[str, int] = {
    "f32": 0,
    "f16": 1,
    "q4_0": 2,
    "q4_1": 3,
    "q5_0": 6,
    "q5_1": 7,
    "q8_0": 8,
    "bf16": 30,
}

# (elements per block, bytes per block)
_BLOCKS: dict[str, tuple[int, int]] = {
    "f32": (1, 4),
    "f16": (1, 2),
    "bf16": (1, 2),
    "q8_0": (32, 34),
    "q4_0": (32, 18),
    "q4_1": (32, 20),
    "q5_0": (32, 22),
    "q5_1": (32, 24),
}


def parse_cache_type(name: str) -> str:
    key = str(name).strip().lower()
    if key not in CACHE_TYPES:
        raise UsageError(
            f"unknown KV cache type {name!r}; valid types: {', '.join(CACHE_TYPES)}"
        )
    return key


def _row_bytes(n_head_kv: int, head_dim: int, type_name: str) -> int:
    block_elems, block_bytes = _BLOCKS[parse_cache_type(type_name)]
    elems = n_head_kv * head_dim
    if elems % block_elems:
        raise UsageError(
            f"KV cache type {type_name} needs rows of a multiple of {block_elems} values, "
            f"this model has {elems}"
        )
    return elems // block_elems * block_bytes


def kv_bytes(
    n_layer: int,
    n_ctx: int,
    n_head_kv: int,
    head_dim_k: int,
    head_dim_v: int,
    type_k: str = "f16",
    type_v: str = "f16",
) -> int:
    for label, value in (
        ("n_layer", n_layer),
        ("n_ctx", n_ctx),
        ("n_head_kv", n_head_kv),
        ("head_dim_k", head_dim_k),
        ("head_dim_v", head_dim_v),
    ):
        if value < 0:
            raise UsageError(f"{label} must be >= 0, got {value}")
    row = _row_bytes(n_head_kv, head_dim_k, type_k) + _row_bytes(n_head_kv, head_dim_v, type_v)
    return n_layer * n_ctx * row


_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
_SIZE = r"=\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB)\b"
_BUFFER_RE = re.compile(r"KV buffer size\s*" + _SIZE)
_SELF_RE = re.compile(r"KV self size\s*" + _SIZE)
_NEW_CONTEXT_RE = re.compile(
    r"llama_context: constructing llama_context"
    r"|llama_model_loader: loaded meta data"
    r"|llama_new_context_with_model: n_ctx\s*="
)


def parse_logged_kv_bytes(log_text: str) -> int | None:
    """The KV bytes of the last context the log shows being created, or None.

    The log is cut into segments at each model load or context construction. Within a
    segment, every `... KV buffer size = X` line (one per device) is summed; older builds
    that only print `KV self size = X` use that. The last segment holding either wins, so
    a later load that failed before allocating does not hide the working one.
    """
    segments: list[tuple[float | None, float | None]] = []
    buffers: float | None = None
    self_size: float | None = None
    for line in log_text.splitlines():
        if _NEW_CONTEXT_RE.search(line):
            segments.append((buffers, self_size))
            buffers, self_size = None, None
        if match := _BUFFER_RE.search(line):
            buffers = (buffers or 0.0) + float(match.group(1)) * _UNITS[match.group(2)]
        elif match := _SELF_RE.search(line):
            self_size = float(match.group(1)) * _UNITS[match.group(2)]
    segments.append((buffers, self_size))
    for buffers, self_size in reversed(segments):
        total = buffers if buffers is not None else self_size
        if total is not None:
            return int(round(total))
    return None


@dataclass(frozen=True)
class KVCacheInfo:
    allocated_bytes: int
    logged_bytes: int | None
    bytes_per_token: float
    in_use_bytes: int
    n_tokens: int
    n_ctx: int
    type_k: str
    type_v: str

    @property
    def agrees(self) -> bool | None:
        """Whether llama.cpp's own figure is within 1% of ours; None without a log line."""
        if self.logged_bytes is None:
            return None
        return abs(self.logged_bytes - self.allocated_bytes) <= 0.01 * self.allocated_bytes


class KVCacheModel:
    """One context's KV cache shape; `info()` is cheap enough to call per token."""

    def __init__(
        self,
        n_layer: int,
        n_ctx: int,
        n_head_kv: int,
        head_dim_k: int,
        head_dim_v: int,
        type_k: str = "f16",
        type_v: str = "f16",
        logged_bytes: int | None = None,
    ) -> None:
        self.n_layer = n_layer
        self.n_ctx = n_ctx
        self.n_head_kv = n_head_kv
        self.head_dim_k = head_dim_k
        self.head_dim_v = head_dim_v
        self.type_k = parse_cache_type(type_k)
        self.type_v = parse_cache_type(type_v)
        self.logged_bytes = logged_bytes
        self.allocated_bytes = kv_bytes(
            n_layer, n_ctx, n_head_kv, head_dim_k, head_dim_v, self.type_k, self.type_v
        )
        self.bytes_per_token = self.allocated_bytes / n_ctx if n_ctx > 0 else 0.0

    def info(self, n_tokens: int) -> KVCacheInfo:
        n_tokens = min(max(n_tokens, 0), self.n_ctx)
        return KVCacheInfo(
            allocated_bytes=self.allocated_bytes,
            logged_bytes=self.logged_bytes,
            bytes_per_token=self.bytes_per_token,
            in_use_bytes=int(self.bytes_per_token * n_tokens),
            n_tokens=n_tokens,
            n_ctx=self.n_ctx,
            type_k=self.type_k,
            type_v=self.type_v,
        )
