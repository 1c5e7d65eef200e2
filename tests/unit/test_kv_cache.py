import pytest

from app.core.errors import UsageError
from app.core.telemetry.kv_cache import (
    CACHE_TYPES,
    KVCacheInfo,
    KVCacheModel,
    kv_bytes,
    parse_cache_type,
    parse_logged_kv_bytes,
)

MIB = 1024 * 1024
SMOL = dict(n_layer=30, n_head_kv=3, head_dim_k=64, head_dim_v=64)


def test_smollm2_f16():
    assert kv_bytes(n_ctx=4096, **SMOL) == 94_371_840
    assert kv_bytes(n_ctx=4096, **SMOL) == 90 * MIB
    assert kv_bytes(n_ctx=2048, **SMOL) == 47_185_920


def test_smollm2_q8_0_k_cache():
    # 30 * n_ctx * (3*64*34/32 + 3*64*2) = 30 * n_ctx * (204 + 384)
    assert kv_bytes(n_ctx=4096, type_k="q8_0", **SMOL) == 72_253_440
    assert kv_bytes(n_ctx=2048, type_k="q8_0", **SMOL) == 36_126_720


@pytest.mark.parametrize(
    ("type_name", "row_bytes"),
    [
        ("f32", 768),
        ("f16", 384),
        ("bf16", 384),
        ("q8_0", 204),
        ("q4_0", 108),
        ("q4_1", 120),
        ("q5_0", 132),
        ("q5_1", 144),
    ],
)
def test_row_bytes_per_type(type_name, row_bytes):
    assert kv_bytes(n_ctx=1, type_k=type_name, type_v=type_name, **SMOL) == 30 * 2 * row_bytes


def test_cache_type_ids():
    assert CACHE_TYPES == {
        "f32": 0,
        "f16": 1,
        "q4_0": 2,
        "q4_1": 3,
        "q5_0": 6,
        "q5_1": 7,
        "q8_0": 8,
        "bf16": 30,
    }
    assert parse_cache_type(" Q8_0 ") == "q8_0"


def test_unknown_type_lists_valid_ones():
    with pytest.raises(UsageError) as err:
        kv_bytes(n_ctx=4096, type_v="q3_k", **SMOL)
    message = str(err.value)
    assert "'q3_k'" in message
    for name in CACHE_TYPES:
        assert name in message
    with pytest.raises(UsageError):
        parse_cache_type("int8")


def test_quantized_rows_must_fit_blocks():
    with pytest.raises(UsageError):
        kv_bytes(n_layer=1, n_ctx=16, n_head_kv=1, head_dim_k=48, head_dim_v=48, type_k="q4_0")


LOG_CURRENT = """\
llama_model_loader: loaded meta data with 33 key-value pairs and 272 tensors from smollm2.gguf
load_tensors:   CPU_Mapped model buffer size =    98.07 MiB
llama_context: constructing llama_context
llama_context: n_ctx         = 4096
llama_kv_cache:        CPU KV buffer size =    90.00 MiB
llama_kv_cache: size =   90.00 MiB (  4096 cells,  30 layers,  1/1 seqs), K (f16):   45.00 MiB, V (f16):   45.00 MiB
llama_context:        CPU compute buffer size =   100.51 MiB
"""


def test_parse_current_log():
    assert parse_logged_kv_bytes(LOG_CURRENT) == 94_371_840


def test_parse_several_devices_are_summed():
    log = """\
llama_context: constructing llama_context
llama_kv_cache_unified:      CUDA0 KV buffer size =    60.00 MiB
llama_kv_cache_unified:        CPU KV buffer size =    30.00 MiB
llama_context:      CUDA0 compute buffer size =   100.00 MiB
"""
    assert parse_logged_kv_bytes(log) == 90 * MIB


def test_parse_last_of_several_loads_with_gib():
    log = (
        LOG_CURRENT
        + """\
llama_model_loader: loaded meta data with 29 key-value pairs and 291 tensors from llama-8b.gguf
llama_context: constructing llama_context
llama_kv_cache:      CUDA0 KV buffer size =     1.50 GiB
llama_kv_cache:        CPU KV buffer size =   512.00 KiB
"""
    )
    assert parse_logged_kv_bytes(log) == 1_610_612_736 + 524_288


def test_parse_load_that_failed_before_allocating_keeps_previous():
    log = LOG_CURRENT + "llama_model_loader: loaded meta data with 3 key-value pairs\n"
    assert parse_logged_kv_bytes(log) == 94_371_840


def test_parse_old_build_self_size_not_double_counted():
    log = """\
llama_model_loader: loaded meta data with 26 key-value pairs and 291 tensors from old.gguf
llama_new_context_with_model: n_ctx      = 2048
llama_kv_cache_init:        CPU KV buffer size =    45.00 MiB
llama_new_context_with_model: KV self size  =   45.00 MiB, K (f16):   22.50 MiB, V (f16):   22.50 MiB
"""
    assert parse_logged_kv_bytes(log) == 47_185_920


def test_parse_self_size_only():
    log = "llama_new_context_with_model: KV self size  =  256.00 MiB, K (f16): 128.00 MiB\n"
    assert parse_logged_kv_bytes(log) == 256 * MIB


def test_parse_rounds_to_whole_bytes():
    log = "llama_kv_cache: CPU KV buffer size = 0.33 MiB\n"
    assert parse_logged_kv_bytes(log) == 346_030  # 0.33 * 1048576 = 346030.08


def test_parse_without_kv_lines():
    assert parse_logged_kv_bytes("") is None
    assert parse_logged_kv_bytes("llama_context: CPU compute buffer size = 10.00 MiB\n") is None


def test_model_info():
    model = KVCacheModel(30, 4096, 3, 64, 64, "f16", "f16", logged_bytes=94_371_840)
    info = model.info(1000)
    assert info == KVCacheInfo(
        allocated_bytes=94_371_840,
        logged_bytes=94_371_840,
        bytes_per_token=23_040.0,
        in_use_bytes=23_040_000,
        n_tokens=1000,
        n_ctx=4096,
        type_k="f16",
        type_v="f16",
    )
    assert info.agrees is True


def test_model_info_agreement():
    model = KVCacheModel(30, 4096, 3, 64, 64)
    assert model.info(0).agrees is None
    assert model.info(0).in_use_bytes == 0
    near = KVCacheModel(30, 4096, 3, 64, 64, logged_bytes=94_371_840 + 900_000)
    assert near.info(10).agrees is True
    far = KVCacheModel(30, 4096, 3, 64, 64, logged_bytes=94_371_840 + 1_000_000)
    assert far.info(10).agrees is False


def test_model_q8_k():
    info = KVCacheModel(30, 2048, 3, 64, 64, type_k="q8_0").info(2048)
    assert info.allocated_bytes == 36_126_720
    assert info.bytes_per_token == 17_640.0
    assert info.in_use_bytes == 36_126_720
