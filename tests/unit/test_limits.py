"""Every number is range-checked where it enters: the same checks for config, flags, dialogs and core."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.config.settings import Settings, check_settings
from app.core.conversations.transcript import to_json
from app.core.engine.load_options import LoadOptions
from app.core.engine.sampling import SamplingParams
from app.core.errors import UsageError
from app.core.limits import SETTING_RANGES, check_value
from app.core.telemetry.memory import MemoryMonitor

BAD = [
    ("n_threads", 100_000), ("n_threads", 0), ("n_batch", 0), ("n_batch", 10**9), ("memory_interval", 1e300),
    ("memory_interval", 0.0), ("temperature", math.nan), ("temperature", math.inf), ("top_p", math.nan),
    ("min_p", -0.1), ("repeat_penalty", 0.0), ("seed", 2**64), ("max_tokens", 0), ("top_k", 10**30),
    ("n_ctx", 10**12), ("latency_window", 0), ("n_gpu_layers", -2),
]


@pytest.mark.parametrize("name, value", BAD)
def test_out_of_range_settings_are_refused_naming_them(name, value):
    with pytest.raises(UsageError, match=f"^{name} must be"):
        check_settings(replace(Settings(), **{name: value}))


def test_the_defaults_are_in_range():
    check_settings(Settings())
    for name in SETTING_RANGES:
        assert hasattr(Settings(), name), name


def test_booleans_and_strings_are_not_numbers():
    with pytest.raises(UsageError, match="got True"):
        check_value("top_k", True)
    with pytest.raises(UsageError, match="got '5'"):
        check_value("top_k", "5")


def test_core_objects_check_their_own_numbers():
    with pytest.raises(UsageError, match="n_threads must be a whole number between 1 and 512, got 100000"):
        LoadOptions(path=Path("m.gguf"), n_threads=100_000)
    with pytest.raises(UsageError, match="n_batch"):
        LoadOptions(path=Path("m.gguf"), n_batch=10**9)
    with pytest.raises(UsageError, match="temperature must be between 0 and 100, got nan"):
        SamplingParams(temperature=math.nan)
    with pytest.raises(UsageError, match="seed"):
        SamplingParams(seed=2**64)
    with pytest.raises(UsageError, match="memory_interval must be between 0.01 and 60"):
        MemoryMonitor(interval=1e300)


def test_the_settings_dialogs_go_through_the_same_checks():
    from app.core.config.settings import change_settings

    class FakeSession:
        settings = Settings()

    with pytest.raises(UsageError, match="temperature"):
        change_settings(FakeSession(), {"temperature": math.inf})
    assert FakeSession.settings == Settings()


def test_json_writers_refuse_what_is_not_json():
    manifest = {"name": "x", "conversation": {"messages": []}, "sampling": {"temperature": 0.7}}
    assert json.loads(to_json(manifest))["sampling"] == {"temperature": 0.7}
    with pytest.raises(ValueError):
        to_json(dict(manifest, sampling={"temperature": math.nan}))
