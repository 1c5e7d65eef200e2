"""config.toml: read with tomllib, written with tomli-w, validated with messages that name the key."""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import tomli_w

from app.core.config.paths import config_dir, ensure_private_dir
from app.core.errors import UsageError
from app.core.files.bounded_read import read_capped
from app.core.limits import check_value, check_values

CONFIG_NAME = "config.toml"
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."
DEFAULT_N_CTX = 4096
KV_SHIFT_CHOICES = ("auto", "off")
ON_FULL_CHOICES = ("stop", "shift", "compress")


@dataclass(frozen=True)
class Settings:
    model: str | None = None
    n_ctx: int | Literal["auto"] = DEFAULT_N_CTX
    n_batch: int = 512
    n_threads: int | None = None
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: bool = False
    n_gpu_layers: int = 0
    theme: str = "contextwatch-dark"
    profile: str | None = None
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    warn_threshold: float = 80.0
    latency_window: int = 20
    memory_warning: float = 70.0
    memory_critical: float = 85.0
    memory_emergency: float = 95.0
    memory_hysteresis: float = 3.0
    memory_interval: float = 0.25
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    seed: int | None = None
    max_tokens: int = 512
    auto_compress: bool = True
    compress_strategy: str = "hybrid"
    compress_trigger: float = 75.0
    compress_target: float = 50.0
    reply_reserve: int = 256
    keep_last_turns: int = 2
    kv_shift: str = "auto"  # "auto": move kept cache tokens after a dropped range; "off": evaluate them again
    on_full: str = "stop"  # a reply that fills the context: "stop", "shift" the cache, or "compress" and go on
    keys: dict[str, str] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)  # config.toml's [server]: url, slot, api_key_env, timeouts

    def with_overrides(self, **changes: Any) -> Settings:
        """Apply CLI flags: a value of None means the flag was not given."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_FIELDS = {f.name: f for f in fields(Settings)}


def check_settings(settings: Settings, where: str = "") -> None:
    """Refuse any number out of its range, then a compression policy that cannot work."""
    check_values(asdict(settings), where)
    check_compression(settings)


def change_settings(session: Any, values: dict):
    """Runs in the engine thread: the session's settings with `values` changed. Returns them."""
    changed = replace(session.settings, **values)
    check_settings(changed)
    session.settings = changed
    return changed


def check_compression(settings: Settings) -> None:
    """Refuse a compression policy that cannot work, naming the setting (config, flags or dialog)."""
    from app.core.compression.strategies import STRATEGIES

    if settings.compress_strategy not in STRATEGIES:
        raise UsageError(
            f"compress_strategy must be one of {', '.join(STRATEGIES)}, got {settings.compress_strategy!r}"
        )
    for key in ("compress_trigger", "compress_target", "reply_reserve", "keep_last_turns"):
        check_value(key, getattr(settings, key))
    for key, allowed in (("kv_shift", KV_SHIFT_CHOICES), ("on_full", ON_FULL_CHOICES)):
        if getattr(settings, key) not in allowed:
            raise UsageError(f"{key} must be one of {', '.join(allowed)}, got {getattr(settings, key)!r}")


def config_path() -> Path:
    return config_dir() / CONFIG_NAME


def check_type(path: Path | str, key: str, value: Any) -> None:
    """Refuse a value of the wrong type for `key`, naming `path` (config.toml, or the dialog)."""
    default = getattr(Settings(), key)
    expected: tuple[type, ...]
    if key == "n_ctx":
        if isinstance(value, str) and value == "auto":
            return
        expected = (int,)
    elif key in ("model", "profile"):
        expected = (str,)
    elif key in ("n_threads", "seed"):
        expected = (int,)
    elif key == "keys":
        if not isinstance(value, dict):
            raise UsageError(f"{path}: [keys] must be a table of binding ids and key names")
        return  # a value that is not a key is the dashboard's to report: the rest of the keymap applies
    elif key == "server":
        from app.core.engine.server.options import check_server_table

        check_server_table(str(path), value)
        return
    elif isinstance(default, bool):
        expected = (bool,)
    elif isinstance(default, float):
        expected = (int, float)
    else:
        expected = (type(default),)
    wanted = "a number" if float in expected else expected[0].__name__
    if isinstance(value, bool) and bool not in expected:
        raise UsageError(f"{path}: {key} must be {wanted}, got a boolean")
    if not isinstance(value, expected):
        raise UsageError(f"{path}: {key} must be {wanted}, got {type(value).__name__} {value!r}")
    if key in ("model", "profile") and isinstance(value, str) and "\x00" in value:
        raise UsageError(f"{path}: {key} is a path and cannot hold a NUL character")


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(read_capped(path).decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:
        raise UsageError(f"{path}: not valid TOML: nested too deeply") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None
    for key, value in data.items():
        if key not in _FIELDS:
            raise UsageError(f"{path}: unknown setting {key!r}")
        check_type(path, key, value)
    if "n_ctx" in data and isinstance(data["n_ctx"], int) and data["n_ctx"] <= 0:
        raise UsageError(f"{path}: n_ctx must be a positive integer or \"auto\"")
    check_values(data, f"{path}: ")
    values: dict[str, Any] = {k: (float(v) if isinstance(getattr(Settings(), k), float) else v) for k, v in data.items()}
    settings = Settings(**values)
    try:
        check_compression(settings)
    except UsageError as err:
        raise UsageError(f"{path}: {err}") from None
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    path = path or config_path()
    data = {k: v for k, v in asdict(settings).items() if v is not None and v != getattr(Settings(), k)}
    write_private(path, tomli_w.dumps(data).encode("utf-8"))
    return path


def save_defaults(**values: Any) -> Path:
    """config.toml as it is on disk with `values` changed; raises UsageError if it does not load."""
    return save_settings(replace(load_settings(), **values))


def write_private(path: Path, data: bytes) -> None:
    """Write atomically (temp file, fsync, rename) with mode 0600."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
