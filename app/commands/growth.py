"""`contextwatch growth` (which turns grew the context most), `growth import` and `stats`."""

from __future__ import annotations

import argparse
import json

from app.commands.arg_types import ranged
from app.core.formatting import DASH, fmt_int
from app.core.growth.claude_import import import_claude_logs
from app.core.growth.format import (
    fmt_average,
    fmt_context_change,
    fmt_growth,
    fmt_growth_pct,
    fmt_when,
    prompt_excerpt,
)
from app.core.growth.records import SORTS, GrowthRow, SessionInfo
from app.core.growth.store import GrowthStore


def add_parser(sub, model_flags) -> None:
    growth = sub.add_parser(
        "growth",
        help="the turns that grew the context most; `growth import` reads other tools' logs",
        usage="%(prog)s [--limit N] [--min-growth T] [--session ID] [--sort KEY] [--json]\n"
        "       %(prog)s import PATH... [--json]",
    )
    growth.add_argument("--limit", type=ranged("limit"), default=10, metavar="N", help="show at most N turns (10)")
    growth.add_argument("--min-growth", type=ranged("min_growth"), default=0, metavar="T",
                        help="only turns that grew by T tokens or more (0)")
    growth.add_argument("--session", metavar="ID", help="one session: its number or the other tool's session id")
    growth.add_argument("--sort", choices=tuple(SORTS), default="growth", help="order of the list (growth)")
    growth.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    growth.set_defaults(handler=growth_command)
    actions = growth.add_subparsers(dest="growth_action", metavar="ACTION")
    imp = actions.add_parser("import", help="read Claude Code session logs (*.jsonl files or folders)")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object")
    imp.set_defaults(handler=import_command)

    stats = sub.add_parser("stats", help="context growth statistics of one session or of all")
    stats.add_argument("--session", metavar="ID", help="one session: its number or the other tool's session id")
    stats.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    stats.set_defaults(handler=stats_command)


def growth_command(args: argparse.Namespace) -> int:
    with GrowthStore() as store:
        session_id = store.find_session(args.session) if args.session else None
        rows = store.top_growth(limit=args.limit, min_growth=args.min_growth, session_id=session_id, sort=args.sort)
    if args.json:
        print(json.dumps({"sort": args.sort, "session_id": session_id, "turns": [r.to_dict() for r in rows]},
                         indent=2, ensure_ascii=False, allow_nan=False))
    elif not rows:
        print("No turns recorded yet" if args.min_growth <= 0 and session_id is None else "No turns match")
    else:
        print(_table(("SESSION", "TURN", "TIME", "PROMPT", "CONTEXT", "GROWTH", "GROWTH %", "SHIFTED", "FULL SHIFTS"),
                     [_growth_cells(r) for r in rows], right=(0, 1, 4, 5, 6, 7, 8)))
    return 0


def _growth_cells(row: GrowthRow) -> tuple[str, ...]:
    return (
        str(row.session_id), str(row.turn_index), fmt_when(row.time), prompt_excerpt(row.prompt),
        fmt_context_change(row.context_before, row.context_after), fmt_growth(row.growth),
        fmt_growth_pct(row.growth_pct), fmt_int(row.shifted), fmt_int(row.context_shifts),
    )


def import_command(args: argparse.Namespace) -> int:
    with GrowthStore() as store:
        report = import_claude_logs(store, args.paths)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, allow_nan=False))
        return 0
    lines = [
        ("Files read", report.files),
        ("Sessions", report.sessions),
        ("Entries imported", report.imported),
        ("Duplicates skipped", report.duplicates),
        ("Malformed lines skipped", report.malformed),
    ]
    if report.merged:
        lines.append(("Lines merged into their reply", report.merged))
    if report.empty:
        lines.append(("Entries without tokens skipped", report.empty))
    width = max(len(label) for label, _ in lines) + 2
    print("\n".join(f"{label + ':':<{width}}{fmt_int(n)}" for label, n in lines))
    return 0


def stats_command(args: argparse.Namespace) -> int:
    with GrowthStore() as store:
        session_id = store.find_session(args.session) if args.session else None
        stats = store.session_stats(session_id)
        sessions = [store.session(session_id)] if session_id is not None else store.sessions()
    if args.json:
        print(json.dumps({"stats": stats.to_dict(), "sessions": [s.to_dict() for s in sessions]},
                         indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    title = f"session {session_id}" if session_id is not None else f"all sessions ({len(sessions)})"
    rows = [
        ("Turns", fmt_int(stats.turns)),
        ("Average growth", fmt_average(stats.average_growth)),
        ("Largest growth", fmt_growth(stats.largest_growth)),
        ("Total growth", fmt_growth(stats.total_growth)),
        ("Peak context", fmt_int(stats.peak_context)),
    ]
    print(f"Context growth, {title}")
    print("\n".join(f"  {label:<16}{value}" for label, value in rows))
    if sessions:
        print()
        print(_table(("ID", "SOURCE", "SESSION", "MODEL", "N_CTX", "STARTED", "TURNS", "PEAK"),
                     [_session_cells(s) for s in sessions], right=(0, 4, 6, 7)))
    return 0


def _session_cells(info: SessionInfo) -> tuple[str, ...]:
    return (
        str(info.id), info.source, prompt_excerpt(info.external_id or "", 24) if info.external_id else DASH,
        info.model or DASH, fmt_int(info.n_ctx) if info.n_ctx else DASH, fmt_when(info.started),
        fmt_int(info.turns), fmt_int(info.peak_context),
    )


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]

    def line(cells: tuple[str, ...]) -> str:
        parts = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])
