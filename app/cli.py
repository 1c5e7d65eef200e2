"""Command line: the dashboard by default, and headless subcommands for scripts."""

from __future__ import annotations

import argparse
import sys

from app import __version__
from app.core.compression import STRATEGIES
from app.core.errors import ContextWatchError


def n_ctx_arg(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer or 'auto', got {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {n}")
    return n


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {n}")
    return n


def percent_arg(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 100, got {value!r}") from None
    if not 0 < x <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return x


def _model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="GGUF file to load (default: config.toml, then the bundled SmolLM2)")
    p.add_argument("--n-ctx", type=n_ctx_arg, metavar="N|auto", help="context size to allocate")
    p.add_argument("--profile", metavar="PATH", help="a context profiles JSON file instead of the shipped one")
    p.add_argument("--verbose", action="store_true", help="also print llama.cpp's log to stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contextwatch", description="Watch and steer a local LLM's context window.")
    parser.add_argument("--version", action="version", version=f"contextwatch {__version__}")
    _model_flags(parser)
    parser.add_argument("--theme", metavar="NAME", help="colour theme (see themes/)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="answer one prompt headless and print the report")
    _model_flags(run)
    run.add_argument("--prompt", required=True, metavar="TEXT", help="the prompt; '-' reads standard input")
    run.add_argument("--max-tokens", type=positive_int, default=None, metavar="N")
    run.add_argument("--warn-threshold", type=percent_arg, default=None, metavar="PCT")
    run.add_argument("--system", metavar="TEXT", help="system prompt")
    run.add_argument("--temperature", type=float, default=None, metavar="T")
    run.add_argument("--seed", type=int, default=None, metavar="S")
    run.add_argument("--history", metavar="FILE.json", help="continue this conversation (a JSON list of role/content)")
    run.add_argument("--compress", choices=STRATEGIES, metavar="STRATEGY",
                     help="compress the history first: " + "|".join(STRATEGIES))
    run.add_argument("--auto-compress", action="store_true",
                     help="compress on its own when the next prompt would pass the trigger")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            from app.commands.run import run_command

            return run_command(args)
        return open_dashboard(args)
    except ContextWatchError as err:
        print(f"contextwatch: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("contextwatch: interrupted", file=sys.stderr)
        return 130


def open_dashboard(args: argparse.Namespace) -> int:
    from app.commands.common import prepare

    settings, model_path = prepare(args, theme=args.theme)
    from app.ui.app import run_app

    return run_app(settings, model_path)
