"""Parsing a sweep's flags into points, and what run_sweep does before any model loads."""

from __future__ import annotations

import threading

import pytest

from app.core.errors import UsageError
from app.core.sweep.run import (
    SweepPoint,
    build_points,
    over_train_warning,
    parse_cache_types,
    parse_fill,
    parse_sizes,
    rate,
    run_sweep,
    sweep_points,
)


def test_sizes_are_sorted_and_deduplicated():
    assert parse_sizes("2048, 512,1024,512") == [512, 1024, 2048]
    assert parse_sizes("256") == [256]


@pytest.mark.parametrize(
    "text, words",
    [
        ("0", "positive integer, got 0"),
        ("-512", "positive integer, got -512"),
        ("1.5", "positive integer, got '1.5'"),
        ("abc", "positive integer, got 'abc'"),
        ("512,,1024", "empty size"),
        ("", "empty size"),
        ("1000", "not a multiple of 256 (llama.cpp would pad it to 1024); use 768 or 1024"),
        ("100", "use 256"),
    ],
)
def test_bad_sizes_are_refused_with_the_reason(text, words):
    with pytest.raises(UsageError) as err:
        parse_sizes(text)
    assert words in str(err.value)


def test_cache_types_name_both_k_and_v_or_each():
    assert parse_cache_types("f16,q8_0") == [("f16", "f16"), ("q8_0", "q8_0")]
    assert parse_cache_types(" Q8_0/f16 , f16,f16/f16") == [("q8_0", "f16"), ("f16", "f16")]


@pytest.mark.parametrize(
    "text, words",
    [
        ("q9", "unknown KV cache type 'q9'; valid types: f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, bf16"),
        ("q8_0/xx", "unknown KV cache type 'xx'"),
        ("/f16", "unknown KV cache type ''"),
        ("f16,", "empty cache type"),
    ],
)
def test_unknown_cache_types_list_the_valid_ones(text, words):
    with pytest.raises(UsageError) as err:
        parse_cache_types(text)
    assert words in str(err.value)


@pytest.mark.parametrize("value", ["0", "1", "-0.2", "1.5", "nan", "x", None])
def test_fill_is_strictly_between_zero_and_one(value):
    with pytest.raises(UsageError, match="fill must"):
        parse_fill(value)


def test_fill_accepts_a_fraction():
    assert parse_fill("0.5") == 0.5
    assert parse_fill(0.9) == 0.9


def test_a_quantized_v_cache_turns_flash_attention_on():
    points = build_points([512, 1024], [("f16", "f16"), ("q8_0", "q8_0"), ("q8_0", "f16")])
    assert [(p.n_ctx, p.type_k, p.type_v, p.flash_attn) for p in points] == [
        (512, "f16", "f16", False), (1024, "f16", "f16", False),
        (512, "q8_0", "q8_0", True), (1024, "q8_0", "q8_0", True),
        (512, "q8_0", "f16", False), (1024, "q8_0", "f16", False),
    ]
    assert all(p.flash_attn for p in build_points([512], [("f16", "f16")], flash_attn=True))
    assert sweep_points("1024,512", "q4_0")[0] == SweepPoint(512, "q4_0", "q4_0", True)


def test_a_point_checks_what_a_load_would():
    with pytest.raises(UsageError, match="needs flash attention"):
        SweepPoint(512, "f16", "q8_0", flash_attn=False)
    with pytest.raises(UsageError, match="multiple of 256"):
        SweepPoint(300)
    with pytest.raises(UsageError, match="unknown KV cache type"):
        SweepPoint(512, "f8")
    assert SweepPoint(512, "q8_0", "q8_0", True).label == "n_ctx 512 q8_0/q8_0 FA"


def test_sizes_above_the_training_context_get_a_warning():
    assert over_train_warning(8192, 8192) is None
    assert "above the model's training context (8192)" in over_train_warning(16384, 8192)
    assert over_train_warning(16384, 0) is None


def test_rate_needs_tokens_and_time():
    assert rate(10, 2.0) == 5.0
    assert rate(0, 2.0) is None
    assert rate(10, 0.0) is None


def test_a_cancelled_sweep_loads_nothing(tmp_path):
    cancel = threading.Event()
    cancel.set()
    calls = []
    missing = tmp_path / "never-opened.gguf"
    assert run_sweep(missing, [SweepPoint(512)], 0.5, lambda *a: calls.append(a), cancel) == []
    assert calls == []


def test_run_sweep_checks_the_fill_first(tmp_path):
    with pytest.raises(UsageError, match="fill must"):
        run_sweep(tmp_path / "m.gguf", [SweepPoint(512)], 1.0)
