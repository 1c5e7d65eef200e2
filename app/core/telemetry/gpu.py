"""GPU memory through NVML (module `pynvml` from the `nvidia-ml-py` distribution).

Nothing here raises: a machine without NVML, a driver or a device is the "no GPU" state.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

OK = "ok"
NO_GPU = "no GPU"


@dataclass(frozen=True)
class GpuSample:
    index: int
    name: str
    used_bytes: int
    total_bytes: int
    process_used_bytes: int | None

    @property
    def percent(self) -> float:
        return self.used_bytes / self.total_bytes * 100.0 if self.total_bytes > 0 else 0.0

    @property
    def free_bytes(self) -> int:
        return max(self.total_bytes - self.used_bytes, 0)


def _import_pynvml() -> Any:
    import pynvml

    return pynvml


def _reason(err: BaseException) -> str:
    text = str(err).strip()
    return text or type(err).__name__


def _no_gpu(reason: str) -> str:
    return f"{NO_GPU}: {reason}"


class NvmlReader:
    """Initialises NVML on the first read and keeps it until `close()`.

    A failed import or `nvmlInit` is remembered, so later reads cost nothing.
    """

    def __init__(self, nvml: Any = None, *, importer: Callable[[], Any] = _import_pynvml) -> None:
        self._nvml = nvml
        self._importer = importer
        self._ready = False
        self._failure: str | None = None
        self._lock = threading.Lock()

    def _init(self) -> None:
        if self._nvml is None:
            try:
                self._nvml = self._importer()
            except ImportError as err:
                self._failure = _no_gpu(f"pynvml not installed ({_reason(err)})")
                return
        try:
            self._nvml.nvmlInit()
        except Exception as err:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
            self._failure = _no_gpu(_reason(err))
            return
        self._ready = True

    def read(self) -> tuple[tuple[GpuSample, ...], str]:
        with self._lock:
            if not self._ready and self._failure is None:
                self._init()
            if self._failure is not None:
                return (), self._failure
            try:
                samples = self._read_devices()
            except Exception as err:
                return (), _no_gpu(_reason(err))
            if not samples:
                return (), _no_gpu("no devices found")
            return samples, OK

    def _read_devices(self) -> tuple[GpuSample, ...]:
        nvml = self._nvml
        pid = os.getpid()
        samples = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            name = nvml.nvmlDeviceGetName(handle)
            if isinstance(name, bytes):
                name = name.decode("utf-8", "replace")
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            samples.append(
                GpuSample(
                    index=index,
                    name=str(name),
                    used_bytes=int(memory.used),
                    total_bytes=int(memory.total),
                    process_used_bytes=self._process_bytes(handle, pid),
                )
            )
        return tuple(samples)

    def _process_bytes(self, handle: Any, pid: int) -> int | None:
        """This process's VRAM on one device; None when the driver does not report it."""
        try:
            processes = self._nvml.nvmlDeviceGetComputeRunningProcesses(handle)
        except Exception:
            return None
        for process in processes or ():
            if getattr(process, "pid", None) == pid:
                used = getattr(process, "usedGpuMemory", None)
                return int(used) if used is not None else None
        return None

    def close(self) -> None:
        with self._lock:
            if self._ready:
                try:
                    self._nvml.nvmlShutdown()
                except Exception:
                    pass
            self._ready = False
            self._failure = None


_shared: NvmlReader | None = None
_shared_lock = threading.Lock()


def shared_reader() -> NvmlReader:
    """The process-wide reader, so NVML is initialised once."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = NvmlReader()
        return _shared


def read_gpus(
    nvml: Any = None, *, importer: Callable[[], Any] | None = None
) -> tuple[tuple[GpuSample, ...], str]:
    """(samples, state); state is "ok" or "no GPU: <reason>". Injected modules get their own reader."""
    if nvml is None and importer is None:
        return shared_reader().read()
    reader = NvmlReader(nvml, importer=importer or _import_pynvml)
    try:
        return reader.read()
    finally:
        reader.close()


def gpu_free_bytes(nvml: Any = None) -> int | None:
    samples, _state = read_gpus(nvml)
    if not samples:
        return None
    return sum(sample.free_bytes for sample in samples)
