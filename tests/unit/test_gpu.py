import os
from types import SimpleNamespace

import pytest

from app.core.telemetry.gpu import GpuSample, NvmlReader, gpu_free_bytes, read_gpus

GIB = 1024**3


class NVMLError(Exception):
    pass


class NVMLError_LibraryNotFound(NVMLError):
    def __str__(self):
        return "NVML Shared Library Not Found"


class NVMLError_NotSupported(NVMLError):
    def __str__(self):
        return "Not Supported"


class FakeNvml:
    """The slice of the pynvml API the reader uses, over a list of fake devices."""

    NVMLError = NVMLError

    def __init__(self, devices, init_error=None, fail_on=None):
        self.devices = devices
        self.init_error = init_error
        self.fail_on = fail_on or set()
        self.init_calls = 0
        self.shutdown_calls = 0

    def _maybe_fail(self, name):
        if name in self.fail_on:
            raise NVMLError_NotSupported()

    def nvmlInit(self):
        self.init_calls += 1
        if self.init_error is not None:
            raise self.init_error

    def nvmlShutdown(self):
        self.shutdown_calls += 1

    def nvmlDeviceGetCount(self):
        self._maybe_fail("count")
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index):
        self._maybe_fail("handle")
        return self.devices[index]

    def nvmlDeviceGetName(self, handle):
        self._maybe_fail("name")
        return handle["name"]

    def nvmlDeviceGetMemoryInfo(self, handle):
        self._maybe_fail("memory")
        return SimpleNamespace(
            total=handle["total"], used=handle["used"], free=handle["total"] - handle["used"]
        )

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        self._maybe_fail("processes")
        return [SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in handle["procs"]]


def two_gpus():
    return [
        {
            "name": b"NVIDIA GeForce RTX 3090",
            "total": 24 * GIB,
            "used": 6 * GIB,
            "procs": [(1, 100), (os.getpid(), 512 * 1024**2)],
        },
        {"name": "Tesla T4", "total": 16 * GIB, "used": 12 * GIB, "procs": [(1, 4 * GIB)]},
    ]


def test_two_gpus_with_this_process_on_one():
    samples, state = read_gpus(FakeNvml(two_gpus()))
    assert state == "ok"
    assert samples == (
        GpuSample(0, "NVIDIA GeForce RTX 3090", 6 * GIB, 24 * GIB, 512 * 1024**2),
        GpuSample(1, "Tesla T4", 12 * GIB, 16 * GIB, None),
    )
    assert samples[0].percent == 25.0
    assert samples[1].percent == 75.0
    assert gpu_free_bytes(FakeNvml(two_gpus())) == (18 + 4) * GIB


def test_one_gpu_process_memory_not_reported():
    device = {"name": "A100", "total": 40 * GIB, "used": 1 * GIB, "procs": [(os.getpid(), None)]}
    samples, state = read_gpus(FakeNvml([device]))
    assert state == "ok"
    assert samples[0].process_used_bytes is None


def test_process_query_unsupported_keeps_the_gpu():
    samples, state = read_gpus(FakeNvml(two_gpus(), fail_on={"processes"}))
    assert state == "ok"
    assert [s.process_used_bytes for s in samples] == [None, None]


def test_pynvml_missing():
    def importer():
        raise ImportError("No module named 'pynvml'")

    samples, state = read_gpus(importer=importer)
    assert samples == ()
    assert state == "no GPU: pynvml not installed (No module named 'pynvml')"


def test_init_raising_nvml_error():
    fake = FakeNvml(two_gpus(), init_error=NVMLError_LibraryNotFound())
    samples, state = read_gpus(fake)
    assert samples == ()
    assert state == "no GPU: NVML Shared Library Not Found"
    assert gpu_free_bytes(fake) is None


@pytest.mark.parametrize("call", ["count", "handle", "name", "memory"])
def test_per_device_error_is_no_gpu(call):
    samples, state = read_gpus(FakeNvml(two_gpus(), fail_on={call}))
    assert samples == ()
    assert state == "no GPU: Not Supported"


def test_zero_devices():
    assert read_gpus(FakeNvml([])) == ((), "no GPU: no devices found")


def test_reader_initialises_once_and_closes():
    fake = FakeNvml(two_gpus())
    reader = NvmlReader(fake)
    for _ in range(3):
        samples, state = reader.read()
        assert state == "ok" and len(samples) == 2
    assert fake.init_calls == 1
    reader.close()
    assert fake.shutdown_calls == 1


def test_failed_init_is_not_retried():
    fake = FakeNvml([], init_error=NVMLError_LibraryNotFound())
    reader = NvmlReader(fake)
    reader.read()
    reader.read()
    assert fake.init_calls == 1


def test_zero_total_percent():
    assert GpuSample(0, "x", 0, 0, None).percent == 0.0


def test_real_call_on_this_machine_does_not_raise():
    samples, state = read_gpus()
    assert state == "ok" or state.startswith("no GPU")
    if state != "ok":
        assert samples == ()
        assert gpu_free_bytes() is None
