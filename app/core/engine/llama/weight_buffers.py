"""Which weight buffers llama.cpp may use on this CPU, where llama-cpp-python has no argument for it.

llama.cpp repacks weights into "extra" buffer types for faster CPU kernels. On CPUs with
Intel AMX, the AMX buffers of the llama.cpp vendored by llama-cpp-python 0.3.36 crash the
process (SIGSEGV in `ggml_backend_amx_mul_mat`) on the first batch of more than one token;
seen on a Xeon reporting `amx_tile`. There the extra buffers are left out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: Path = CPUINFO) -> set[str]:
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def extra_buffers_safe(flags: set[str] | None = None) -> bool:
    return "amx_tile" not in (cpu_flags() if flags is None else flags)


@contextlib.contextmanager
def model_params_for_this_cpu() -> Iterator[None]:
    """While a `Llama` is built inside this block, its model parameters suit this CPU."""
    if extra_buffers_safe():
        yield
        return
    from llama_cpp import llama_cpp as lib

    default = lib.llama_model_default_params

    def without_extra_buffers():
        params = default()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = without_extra_buffers
    try:
        yield
    finally:
        lib.llama_model_default_params = default
