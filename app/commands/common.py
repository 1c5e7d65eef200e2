"""Set-up every command shares: settings from config.toml, CLI flags on top, the model, the log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.core.config.model_locator import FIRST, ModelChoice, choose_model
from app.core.config.paths import data_dir, llama_log_path
from app.core.config.settings import DEFAULT_N_CTX, Settings, check_settings, load_settings
from app.core.engine.llama import log as llama_log
from app.core.engine.server.options import ServerOptions
from app.core.errors import UsageError


def prepare(args: argparse.Namespace, **overrides) -> tuple[Settings, Path | None, ServerOptions | None]:
    """Settings, and where the model is: a file (the path) or a server (its options, and no path).

    When several models were found and none was named, the first is used and stderr says which.
    """
    settings, choice, server = prepare_choice(args, **overrides)
    if choice is not None and choice.how == FIRST:
        print(f"contextwatch: note: {first_of_several(choice)}", file=sys.stderr)
    return settings, choice.path if choice is not None else None, server


def first_of_several(choice: ModelChoice) -> str:
    return (f"{len(choice.found)} models found and none chosen: using {choice.found[0].name} "
            f"({choice.path}). Pick one with --model PATH or model = \"PATH\" in config.toml; "
            "`contextwatch models` lists them")


def prepare_choice(args: argparse.Namespace, **overrides) -> tuple[Settings, ModelChoice | None, ServerOptions | None]:
    """As `prepare`, with how the model was chosen."""
    settings = load_settings().with_overrides(
        n_ctx=getattr(args, "n_ctx", None),
        profile=getattr(args, "profile", None),
        n_gpu_layers=getattr(args, "n_gpu_layers", None),
        **overrides,
    )
    check_settings(settings)
    server = ServerOptions.from_table(settings.server, getattr(args, "server", None), getattr(args, "slot", None))
    if server is not None and getattr(args, "model", None):
        raise UsageError("give --model or --server, not both: a server has its model loaded already")
    choice = None
    if server is None:
        n_ctx = settings.n_ctx if isinstance(settings.n_ctx, int) else DEFAULT_N_CTX
        choice = choose_model(getattr(args, "model", None), settings.model, n_ctx=n_ctx)
    try:
        llama_log.open_log(llama_log_path(), echo=getattr(args, "verbose", False))
    except OSError as err:
        raise UsageError(f"the data folder {data_dir(create=False)} cannot be written: {err.strerror or err}") from None
    return settings, choice, server
