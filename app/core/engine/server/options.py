"""Where the server is and how to talk to it: `--server URL`, `--slot N` and config.toml's `[server]` table."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import UsageError

ENV_NAME = re.compile(r"_*[A-Za-z][A-Za-z0-9_]*")
SERVER_KEYS = {"url": str, "slot": int, "api_key_env": str, "timeout": float, "connect_timeout": float, "retries": int}


@dataclass(frozen=True)
class ServerOptions:
    url: str
    slot: int | None = None  # llama-server's slot for the conversation; None lets the engine pick slot 0
    api_key_env: str | None = None  # the name of the environment variable holding the key, never the key
    timeout: float = 60.0  # seconds without a byte from the server before a request counts as stalled
    connect_timeout: float = 5.0
    retries: int = 2  # connection attempts repeated before the server counts as unreachable

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"the server address must be an http:// or https:// URL, got {self.url!r}")
        try:
            _ = parts.port
        except ValueError:
            raise UsageError(f"the server address has a port that is not a port number: {self.url!r}") from None
        if parts.query or parts.fragment:
            raise UsageError(f"the server address takes no query or fragment: {self.url!r}")
        if self.slot is not None and (not isinstance(self.slot, int) or isinstance(self.slot, bool)
                                      or not 0 <= self.slot <= 1023):
            raise UsageError(f"the slot must be a whole number between 0 and 1023, got {self.slot!r}")
        for name in ("timeout", "connect_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 < value <= 3600:
                raise UsageError(f"server {name} must be above 0 and at most 3600 seconds, got {value!r}")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or not 0 <= self.retries <= 10:
            raise UsageError(f"server retries must be a whole number between 0 and 10, got {self.retries!r}")
        if self.api_key_env is not None and not ENV_NAME.fullmatch(self.api_key_env):
            raise UsageError(f"api_key_env names an environment variable, got {self.api_key_env!r}")

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")

    def api_key(self) -> str | None:
        """The key, read from the environment when a request is made; None when none is configured."""
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise UsageError(f"api_key_env names {self.api_key_env}, but that environment variable is not set")
        return key

    @classmethod
    def from_table(cls, table: dict[str, Any], url: str | None = None, slot: int | None = None) -> ServerOptions | None:
        """Options from config.toml's `[server]` table with the CLI's `--server`/`--slot` on top; None for no server."""
        values = {k: v for k, v in table.items()}
        if url is not None:
            values["url"] = url
        if slot is not None:
            values["slot"] = slot
        if not values.get("url"):
            if slot is not None:
                raise UsageError("--slot needs a server: give --server URL or [server] url in config.toml")
            return None
        return cls(**values)


def check_server_table(where: str, table: Any) -> None:
    """config.toml's `[server]` table: known keys of the right types (ranges are checked when it is used)."""
    if not isinstance(table, dict):
        raise UsageError(f"{where}: [server] must be a table (url, slot, api_key_env, timeout, connect_timeout, retries)")
    for key, value in table.items():
        expected = SERVER_KEYS.get(key)
        if expected is None:
            raise UsageError(f"{where}: unknown setting {key!r} in [server]")
        types = (int, float) if expected is float else (expected,)
        if isinstance(value, bool) or not isinstance(value, types):
            raise UsageError(f"{where}: [server] {key} must be {expected.__name__}, got {value!r}")
        if key == "api_key_env" and isinstance(value, str) and ("=" in value or len(value) > 200):
            raise UsageError(f"{where}: [server] api_key_env is the name of an environment variable, not the key")
