"""Set-up every command shares: settings from config.toml, CLI flags on top, the model, the log."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.core.config.model_locator import find_model
from app.core.config.paths import data_dir, llama_log_path
from app.core.config.settings import Settings, check_settings, load_settings
from app.core.engine.llama import log as llama_log
from app.core.engine.server.options import ServerOptions
from app.core.errors import UsageError


def prepare(args: argparse.Namespace, **overrides) -> tuple[Settings, Path | None, ServerOptions | None]:
    """Settings, and where the model is: a file (the path) or a server (its options, and no path)."""
    settings = load_settings().with_overrides(
        n_ctx=getattr(args, "n_ctx", None),
        profile=getattr(args, "profile", None),
        **overrides,
    )
    check_settings(settings)
    server = ServerOptions.from_table(settings.server, getattr(args, "server", None), getattr(args, "slot", None))
    if server is not None and getattr(args, "model", None):
        raise UsageError("give --model or --server, not both: a server has its model loaded already")
    model_path = None if server is not None else find_model(getattr(args, "model", None), settings.model)
    try:
        llama_log.open_log(llama_log_path(), echo=getattr(args, "verbose", False))
    except OSError as err:
        raise UsageError(f"the data folder {data_dir(create=False)} cannot be written: {err.strerror or err}") from None
    return settings, model_path, server
