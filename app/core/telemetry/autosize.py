"""Pick `n_ctx` for a session from free memory: one tier below the largest that fits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.config.profiles import ModelProfile, size_label
from app.core.errors import UsageError
from app.core.formatting import fmt_bytes
from app.core.telemetry.kv_cache import kv_bytes

MiB = 1024**2
DEFAULT_SAFETY_BYTES = 512 * MiB
N_CTX_STEP = 256


@dataclass(frozen=True)
class AutoSize:
    n_ctx: int
    size_label: str
    kv_bytes: int
    free_bytes: int
    reason: str


def _candidates(model_profile: ModelProfile, n_ctx_train: int | None) -> tuple[list[int], bool]:
    """The profile's sizes up to `n_ctx_train`, and whether any were cut off."""
    sizes = list(model_profile.sizes)
    if not n_ctx_train or n_ctx_train <= 0:
        return sizes, False
    kept = [s for s in sizes if s <= n_ctx_train]
    if not kept:
        kept = [max(N_CTX_STEP, n_ctx_train // N_CTX_STEP * N_CTX_STEP)]
    return kept, kept[-1] != sizes[-1]


def _label(model_profile: ModelProfile, size: int) -> str:
    profile = model_profile.profile_for(size)
    return profile.size_label if profile else size_label(size)


def choose_n_ctx(
    model_profile: ModelProfile,
    *,
    n_layer: int,
    n_head_kv: int,
    head_dim_k: int,
    head_dim_v: int,
    type_k: str = "f16",
    type_v: str = "f16",
    weights_bytes: int,
    free_bytes: int,
    n_ctx_train: int | None,
    safety_bytes: int = DEFAULT_SAFETY_BYTES,
    compute_overhead_fraction: float = 0.0,
) -> AutoSize:
    """A size fits when weights + KV * (1 + compute_overhead_fraction) + safety <= free.

    Of the profile's sizes capped by `n_ctx_train`, the one just below the largest that
    fits is chosen (the smallest when only the smallest fits), leaving headroom for the
    rest of the session. Raises UsageError when even the smallest does not fit.
    """
    if compute_overhead_fraction < 0:
        raise UsageError(f"compute_overhead_fraction must be >= 0, got {compute_overhead_fraction}")
    candidates, capped = _candidates(model_profile, n_ctx_train)

    def kv(size: int) -> int:
        return kv_bytes(n_layer, size, n_head_kv, head_dim_k, head_dim_v, type_k, type_v)

    def need(size: int) -> int:
        return weights_bytes + math.ceil(kv(size) * (1 + compute_overhead_fraction)) + safety_bytes

    fitting = [s for s in candidates if need(s) <= free_bytes]
    if not fitting:
        smallest = candidates[0]
        raise UsageError(
            f"not enough memory for any context size: {fmt_bytes(free_bytes)} free, the smallest "
            f"({_label(model_profile, smallest)}) needs {fmt_bytes(need(smallest))} "
            f"(weights {fmt_bytes(weights_bytes)}, KV {fmt_bytes(kv(smallest))}, "
            f"safety {fmt_bytes(safety_bytes)})"
        )
    largest = fitting[-1]
    index = candidates.index(largest)
    chosen = candidates[index - 1] if index > 0 else largest
    label = _label(model_profile, chosen)
    chosen_kv = kv(chosen)
    notes = [f"{label}: {fmt_bytes(chosen_kv)} KV, {fmt_bytes(free_bytes)} free"]
    if chosen != largest:
        notes.append(f"one below {_label(model_profile, largest)}, the largest that fits")
    elif len(candidates) > 1:
        notes.append("only the smallest size fits")
    if capped:
        notes.append(f"capped by n_ctx_train {n_ctx_train}")
    return AutoSize(
        n_ctx=chosen,
        size_label=label,
        kv_bytes=chosen_kv,
        free_bytes=free_bytes,
        reason="; ".join(notes),
    )


def free_memory_bytes(offloaded: bool) -> int:
    """Free VRAM when the model is offloaded and a GPU is readable, else available RAM."""
    if offloaded:
        from app.core.telemetry import gpu

        vram = gpu.gpu_free_bytes()
        if vram is not None:
            return vram
    import psutil

    return int(psutil.virtual_memory().available)
