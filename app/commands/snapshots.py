"""`contextwatch snapshots list|show|delete|export`: saved sessions, from scripts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from app.core.config.settings import write_private
from app.core.conversations.transcript import to_json, to_markdown
from app.core.errors import UsageError
from app.core.formatting import fmt_bytes, fmt_int
from app.core.snapshots.store import SnapshotStore, info_of


def add_parser(sub, model_flags) -> None:
    p = sub.add_parser("snapshots", help="list, show, delete or export saved sessions")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("list", help="every snapshot, newest first")
    ls.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one snapshot's details")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    delete = actions.add_parser("delete", help="delete a snapshot")
    delete.add_argument("name")
    export = actions.add_parser("export", help="a transcript with per-turn metrics")
    export.add_argument("name")
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    p.set_defaults(handler=snapshots_command)


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def _kv_state(info) -> str:
    if info.kv_reason is not None:
        return f"none, because {info.kv_reason}: a restore re-evaluates the conversation"
    return fmt_bytes(info.bytes)


def _open_store() -> SnapshotStore:
    try:
        return SnapshotStore()
    except FileExistsError as err:
        raise UsageError(f"{err.filename} is a file where the snapshots folder should be") from None
    except OSError as err:
        raise UsageError(f"the snapshots folder {err.filename or ''} cannot be used: {err.strerror or err}") from None


def snapshots_command(args: argparse.Namespace) -> int:
    store = _open_store()
    if args.action == "list":
        listing = store.listing()
        infos = listing.infos
        for damaged in listing.damaged:
            print(f"contextwatch: warning: {damaged.file_name} is damaged: {damaged.reason}", file=sys.stderr)
        if args.json:
            print(json.dumps([vars(i) for i in infos], indent=2, allow_nan=False))
        elif not infos:
            print(f"no snapshots in {store.folder}")
        else:
            print(f"{'NAME':<28} {'SAVED':<16} {'MODEL':<28} {'TOKENS':>8} {'SIZE':>11}")
            for i in infos:
                print(f"{i.name:<28} {_when(i.created):<16} {i.model_name[:28]:<28} {fmt_int(i.tokens):>8} "
                      f"{fmt_bytes(i.bytes):>11}")
        return 0
    if args.action == "show":
        manifest = store.read_manifest(args.name)
        info = info_of(manifest)
        if args.json:
            summary = {k: v for k, v in manifest.items() if k not in ("conversation", "kv")}
            summary["kv"] = {k: v for k, v in manifest["kv"].items() if k != "token_ids"}
            summary["messages"] = info.messages
            summary["checkpoints"] = len(manifest["conversation"].get("checkpoints", []))
            print(json.dumps(summary, indent=2, allow_nan=False))
        else:
            print(f"Name: {info.name}\nSaved: {_when(info.created)}\nModel: {info.model_name} "
                  f"({manifest['model'].get('path')})\nn_ctx: {info.n_ctx}\nTokens in KV state: {fmt_int(info.tokens)}\n"
                  f"KV state: {_kv_state(info)}\nMessages: {info.messages}\n"
                  f"Compression checkpoints: {len(manifest['conversation'].get('checkpoints', []))}")
        return 0
    if args.action == "delete":
        store.delete(args.name)
        print(f"deleted {args.name}", file=sys.stderr)
        return 0
    manifest = store.read_manifest(args.name)
    text = to_markdown(manifest) if args.format == "md" else to_json(manifest)
    if args.output:
        out = Path(args.output)
        if out.is_dir():
            raise UsageError(f"{out} is a directory")
        try:
            write_private(out, text.encode("utf-8", "replace"))
        except OSError as err:
            raise UsageError(f"cannot write the export to {out}: {err.strerror or err}") from None
    else:
        sys.stdout.write(text)
    return 0
