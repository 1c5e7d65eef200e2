"""Command line: the dashboard by default, and headless subcommands for scripts."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from app import __version__
from app.commands.arg_types import n_ctx_arg, ranged, slot_arg
from app.core.errors import ContextWatchError


class Parser(argparse.ArgumentParser):
    """Bad flags get one line on stderr (and exit 2), not the whole usage text."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


COMMAND_MODULES = ("run", "models", "snapshots", "growth", "sweep")


def _model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH",
                   help="GGUF file to load (default: config.toml, then the bundled SmolLM2, "
                        "then the models `contextwatch models` finds)")
    p.add_argument("--n-ctx", type=n_ctx_arg, metavar="N|auto", help="context size to allocate")
    p.add_argument("--n-gpu-layers", type=ranged("n_gpu_layers"), metavar="N",
                   help="layers to offload to the GPU: 0 none (the default), -1 all "
                        "(needs a llama-cpp-python built with CUDA or Metal)")
    p.add_argument("--profile", metavar="PATH", help="a context profiles JSON file instead of the shipped one")
    p.add_argument("--server", metavar="URL",
                   help="a model server instead of a local file: llama-server or any OpenAI-compatible one "
                        "(default: [server] url in config.toml)")
    p.add_argument("--slot", type=slot_arg, metavar="N", help="the llama-server slot to use (default: 0)")
    p.add_argument("--verbose", action="store_true", help="also print llama.cpp's log to stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="contextwatch", description="Watch and steer a local LLM's context window.")
    parser.add_argument("--version", action="version", version=f"contextwatch {__version__}")
    _model_flags(parser)
    parser.add_argument("--theme", metavar="NAME", help="colour theme (see themes/)")
    parser.add_argument("--new", action="store_true",
                        help="start a new conversation instead of offering the last one (it stays in the list)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for module in COMMAND_MODULES:
        importlib.import_module(f"app.commands.{module}").add_parser(sub, _model_flags)
    return parser


CLOSED_PIPE_EXIT = 128 + 13  # what a shell reports for a program stopped by SIGPIPE


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # whatever we (or SQLite, or llama.cpp) create is private: files 0600, folders 0700
    try:
        code = _dispatch(argv)
        if sys.stdout is not None:  # None when started with standard output closed (`>&-`)
            sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _stop_writing()


def _dispatch(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command:
            return args.handler(args)
        return open_dashboard(args)
    except ContextWatchError as err:
        print(f"contextwatch: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("contextwatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except Exception as err:
        return _unexpected(args, err)


def _unexpected(args: argparse.Namespace, err: Exception) -> int:
    """The one line for a failure nobody foresaw; `--verbose` adds the traceback."""
    command = " ".join(filter(None, ("contextwatch", args.command, getattr(args, "action", None),
                                     getattr(args, "growth_action", None))))
    if getattr(args, "verbose", False):
        traceback.print_exc()
    where = f" ({err.filename})" if isinstance(err, OSError) and err.filename else ""
    detail = (err.strerror if isinstance(err, OSError) and err.strerror else str(err)).splitlines()
    text = f"{type(err).__name__}: {detail[0]}" if detail else type(err).__name__
    hint = "" if getattr(args, "verbose", False) else " (contextwatch --verbose shows the traceback)"
    print(f"{command}: error: {text}{where}{hint}", file=sys.stderr)
    return 1


def _stop_writing() -> int:
    """Standard output was closed early (`| head`): end quietly, and let the exit flush go nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return CLOSED_PIPE_EXIT


def open_dashboard(args: argparse.Namespace) -> int:
    from app.commands.common import prepare_choice
    from app.core.config.model_locator import FIRST
    from app.core.config.preflight import check_before_start

    settings, choice, server = prepare_choice(args, theme=args.theme)
    if choice is not None and choice.how != FIRST:
        check_before_start(settings, choice.path)  # a model picked in the dashboard is checked as it loads
    from app.ui.app import run_app

    sys.setswitchinterval(0.001)  # the engine thread gets the GIL back quickly after each llama.cpp call

    return run_app(settings, choice.path if choice else None, new=args.new, server=server, choice=choice)
