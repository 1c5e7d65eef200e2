"""The AMX weight buffers that crash llama.cpp are left out only on CPUs that have AMX."""

from app.core.engine.llama.weight_buffers import cpu_flags, extra_buffers_safe, model_params_for_this_cpu


def test_cpu_flags_are_read_from_the_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 amx_tile amx_int8\nbugs\t\t: spectre\n")
    assert {"avx2", "amx_tile"} <= cpu_flags(info)


def test_an_unreadable_cpuinfo_has_no_flags(tmp_path):
    assert cpu_flags(tmp_path / "missing") == set()


def test_only_amx_makes_extra_buffers_unsafe():
    assert extra_buffers_safe({"avx2", "avx512f"})
    assert not extra_buffers_safe({"avx2", "amx_tile"})


def test_the_default_parameters_come_back_after_the_block():
    from llama_cpp import llama_cpp as lib

    before = lib.llama_model_default_params
    with model_params_for_this_cpu():
        inside = lib.llama_model_default_params()
        assert inside.use_extra_bufts == extra_buffers_safe()
    assert lib.llama_model_default_params is before
