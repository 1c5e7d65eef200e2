from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.core.config.profiles import ContextProfile, ModelProfile
from app.core.errors import UsageError
from app.core.telemetry import autosize, gpu
from app.core.telemetry.autosize import AutoSize, MiB, choose_n_ctx, free_memory_bytes

# SmolLM2-135M's shape: 30 layers x 3 KV heads x 64 dims, 22.5 KiB of f16 KV per token.
SHAPE = dict(n_layer=30, n_head_kv=3, head_dim_k=64, head_dim_v=64)
WEIGHTS = 100 * MiB

PROFILE_16K = ModelProfile(
    id="test16k",
    description="up to 16K",
    match_name=(),
    match_basename=(),
    match_architecture=(),
    n_ctx_train=None,
    context_profiles=(
        ContextProfile(2048, 1740, "2K", 1, "Minimal"),
        ContextProfile(4096, 3481, "4K", 1, "Minimal"),
        ContextProfile(8192, 6963, "8K", 2, "Basic"),
        ContextProfile(16384, 13926, "16K", 3, "Standard"),
    ),
)


def choose(free_mib: float, n_ctx_train: int | None = 16384, **kw) -> AutoSize:
    return choose_n_ctx(
        PROFILE_16K,
        **SHAPE,
        weights_bytes=WEIGHTS,
        free_bytes=int(free_mib * MiB),
        n_ctx_train=n_ctx_train,
        **kw,
    )


def test_fits_8k_not_16k_picks_4k() -> None:
    # needs: 8K = 100 + 180 + 512 = 792 MiB, 16K = 100 + 360 + 512 = 972 MiB
    assert choose(800) == AutoSize(
        n_ctx=4096,
        size_label="4K",
        kv_bytes=90 * MiB,
        free_bytes=800 * MiB,
        reason="4K: 90.00 MiB KV, 800.00 MiB free; one below 8K, the largest that fits",
    )


def test_fits_everything_picks_one_below_largest() -> None:
    result = choose(8192)
    assert (result.n_ctx, result.kv_bytes) == (8192, 180 * MiB)
    assert result.reason == "8K: 180.00 MiB KV, 8.0 GiB free; one below 16K, the largest that fits"


def test_fit_boundary_is_inclusive() -> None:
    assert choose(792).n_ctx == 4096
    assert choose_n_ctx(
        PROFILE_16K, **SHAPE, weights_bytes=WEIGHTS, free_bytes=792 * MiB - 1, n_ctx_train=None
    ).n_ctx == 2048


def test_only_smallest_fits() -> None:
    # needs: 2K = 657 MiB, 4K = 702 MiB
    result = choose(680)
    assert (result.n_ctx, result.size_label) == (2048, "2K")
    assert result.reason == "2K: 45.00 MiB KV, 680.00 MiB free; only the smallest size fits"


def test_capped_by_n_ctx_train() -> None:
    result = choose(10240, n_ctx_train=8192)
    assert (result.n_ctx, result.kv_bytes) == (4096, 90 * MiB)
    assert result.reason == (
        "4K: 90.00 MiB KV, 10.0 GiB free; one below 8K, the largest that fits; "
        "capped by n_ctx_train 8192"
    )


def test_n_ctx_train_below_every_profile_size() -> None:
    result = choose(10240, n_ctx_train=1000)
    assert (result.n_ctx, result.size_label, result.kv_bytes) == (768, "768", 768 * 23040)
    assert result.reason.endswith("; capped by n_ctx_train 1000")


def test_quantized_cache_changes_the_kv_bytes() -> None:
    # q8_0: 192 values per row -> 6 blocks x 34 bytes = 204 bytes, for K and for V;
    # 16K then needs 100 + 191.25 + 512 = 803.25 MiB: it fits, so 8K is chosen
    result = choose(810, type_k="q8_0", type_v="q8_0")
    assert (result.n_ctx, result.kv_bytes) == (8192, 30 * 8192 * 408)


def test_compute_overhead_and_safety_count() -> None:
    # with 50% overhead: 8K needs 100 + 270 + 512 = 882 MiB > 800, 4K needs 747 MiB
    assert choose(800, compute_overhead_fraction=0.5).n_ctx == 2048
    # no safety buffer: 16K needs 460 MiB
    assert choose(500, safety_bytes=0).n_ctx == 8192


def test_nothing_fits() -> None:
    with pytest.raises(UsageError) as err:
        choose(600)
    assert str(err.value) == (
        "not enough memory for any context size: 600.00 MiB free, the smallest (2K) needs "
        "657.00 MiB (weights 100.00 MiB, KV 45.00 MiB, safety 512.00 MiB)"
    )


def test_free_memory_uses_vram_when_offloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    monkeypatch.setattr(gpu, "gpu_free_bytes", lambda: 3 * 1024 * MiB)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=5 * MiB))
    assert free_memory_bytes(offloaded=True) == 3 * 1024 * MiB
    assert free_memory_bytes(offloaded=False) == 5 * MiB


def test_free_memory_falls_back_to_ram_without_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    monkeypatch.setattr(gpu, "gpu_free_bytes", lambda: None)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=7 * MiB))
    assert free_memory_bytes(offloaded=True) == 7 * MiB


def test_default_safety_is_512_mib() -> None:
    assert autosize.DEFAULT_SAFETY_BYTES == 512 * MiB
