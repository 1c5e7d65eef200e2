"""`contextwatch run`: answer one prompt, stream it to stdout, print the report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.arg_types import argv_text, percent_arg, ranged
from app.commands.common import prepare
from app.commands.notices import NoticeLines
from app.commands.progress_line import ProgressLine
from app.core.compression.compress_before import compress_before_prompt
from app.core.compression.strategies import STRATEGIES
from app.core.config.settings import KV_SHIFT_CHOICES, ON_FULL_CHOICES
from app.core.conversations.history_file import load_history
from app.core.engine.choose import engine_for
from app.core.errors import UsageError
from app.core.events import Notice, TokenEvent
from app.core.session.report import build_report, format_report
from app.core.session.session import Session
from app.core.snapshots.store import SnapshotStore, check_name


def add_parser(sub, model_flags) -> None:
    run = sub.add_parser("run", help="answer one prompt headless and print the report")
    model_flags(run)
    run.add_argument("--prompt", type=argv_text, required=True, metavar="TEXT", help="the prompt; '-' reads standard input")
    run.add_argument("--max-tokens", type=ranged("max_tokens"), default=None, metavar="N")
    run.add_argument("--warn-threshold", type=percent_arg, default=None, metavar="PCT")
    run.add_argument("--system", type=argv_text, metavar="TEXT", help="system prompt")
    run.add_argument("--temperature", type=ranged("temperature"), default=None, metavar="T")
    run.add_argument("--seed", type=ranged("seed"), default=None, metavar="S")
    run.add_argument("--history", metavar="FILE.json", help="continue this conversation (a JSON list of role/content)")
    run.add_argument("--compress", choices=STRATEGIES, metavar="STRATEGY",
                     help="compress the history first: " + "|".join(STRATEGIES))
    run.add_argument("--auto-compress", action="store_true",
                     help="compress on its own when the next prompt would pass the trigger")
    run.add_argument("--kv-shift", choices=KV_SHIFT_CHOICES, default=None,
                     help="auto: move kept KV cache tokens after a dropped range down; off: evaluate them again exactly")
    run.add_argument("--on-full", choices=ON_FULL_CHOICES, default=None,
                     help="a reply that fills the context: stop, shift the cache, or compress the history and go on")
    run.add_argument("--save-snapshot", metavar="NAME", help="save the session (KV cache included) afterwards")
    run.add_argument("--resume", metavar="NAME", help="restore this snapshot and continue it")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    run.set_defaults(handler=run_command)


def read_prompt(value: str) -> str:
    """The prompt as text; bytes that are not UTF-8, from standard input or the command line, become U+FFFD."""
    if value != "-":
        return argv_text(value)
    return sys.stdin.buffer.read().decode("utf-8", "replace")


def run_command(args: argparse.Namespace) -> int:
    notices = NoticeLines()
    try:
        return _answer(args, notices)
    finally:
        notices.flush()


def _answer(args: argparse.Namespace, notices: NoticeLines) -> int:
    if args.save_snapshot is not None:
        check_name(args.save_snapshot)
    if args.resume is not None:
        check_name(args.resume)
    prompt = read_prompt(args.prompt)
    settings, model_path, server = prepare(
        args,
        max_tokens=args.max_tokens,
        warn_threshold=args.warn_threshold,
        system_prompt=args.system,
        temperature=args.temperature,
        seed=args.seed,
        auto_compress=args.auto_compress,
        kv_shift=args.kv_shift,
        on_full=args.on_full,
    )
    if not prompt.strip():
        raise UsageError("the prompt is empty")

    progress = ProgressLine()

    def sink(event: object) -> None:
        notices(event)
        progress(event)
        if not args.json and isinstance(event, TokenEvent):
            sys.stdout.write(event.text)
            sys.stdout.flush()

    history = load_history(Path(args.history)) if args.history else None
    if args.resume is not None:
        SnapshotStore().read_manifest(args.resume)  # a damaged snapshot is refused before the model loads
    session = Session(settings, model_path, sink=sink, engine=engine_for(server))
    try:
        session.load()
        restored = session.restore_snapshot(args.resume) if args.resume else None
        if history:
            session.load_history(history, keep_system=args.system is None)
        if args.compress:
            note = compress_before_prompt(session, args.compress, prompt)
            if note:
                notices(Notice(note, "warning"))
        result = session.submit(prompt)
        report = build_report(session, result)
        if restored is not None:
            report["restored"] = restored.to_json()
        if args.save_snapshot:
            report["snapshot"] = session.save_snapshot(args.save_snapshot).to_json()
    finally:
        session.close()
    report["warnings"] = list(notices.messages)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print("\n")
        print(format_report(report))
        if restored is not None:
            print(restored.message[:1].upper() + restored.message[1:])
        if args.save_snapshot:
            snap = report["snapshot"]
            kept = f"{snap['tokens']:,} tokens" if snap["kv_saved"] else f"without its KV state: {snap['reason']}"
            print(f"Snapshot: saved {snap['name']} ({kept})")
    return 0
