"""`contextwatch sweep`: load the model at several context sizes and cache types, measure each."""

from __future__ import annotations

import argparse
import sys

from app.commands.common import prepare
from app.commands.sweep_progress import SweepProgress
from app.core.errors import UsageError
from app.core.sweep.charts import sweep_charts
from app.core.sweep.report import format_table, result_warnings, to_csv, to_json_text
from app.core.sweep.run import DECODE_TOKENS, parse_fill, run_sweep, sweep_points

CACHE_HELP = (
    "KV cache types to compare, comma-separated (default f16). A name sets both K and V; "
    "write K/V to set them apart, e.g. q8_0/f16. A quantized V cache needs flash attention, "
    "so those points run with it on; the table's FA column says which did"
)


def add_parser(sub, model_flags) -> None:
    p = sub.add_parser(
        "sweep",
        help="measure memory and speed at several context sizes",
        description="For each context size and cache type: load the model, fill the context with prose "
        f"to --fill, ask a short question and decode up to {DECODE_TOKENS} greedy tokens. Reports load time, "
        "RSS, KV bytes (computed and as llama.cpp logs them), prefill and decode tokens/s and the time to "
        "the first token at that fill. Progress (a bar with the time left, on a terminal) goes to stderr; results to stdout.",
    )
    p.add_argument("--model", metavar="PATH", help="GGUF file to load (default: config.toml, then the bundled SmolLM2)")
    p.add_argument("--server", metavar="URL", help="refused: a sweep loads the model itself, which a server does not allow")
    p.add_argument("--n-ctx", dest="sizes", required=True, metavar="N,N,...",
                   help="context sizes, multiples of 256, e.g. 512,1024,2048,4096")
    p.add_argument("--fill", default="0.5", metavar="F", help="fraction of each context to fill, 0 < F < 1 (default 0.5)")
    p.add_argument("--cache-type", dest="cache_types", default="f16", metavar="T,T,...", help=CACHE_HELP)
    p.add_argument("--flash-attn", action="store_true", help="flash attention on for every point")
    p.add_argument("--verbose", action="store_true", help="also print llama.cpp's log to stderr")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON list of results and nothing else")
    out.add_argument("--csv", action="store_true", help="print CSV (a header, then one row per point) and nothing else")
    p.set_defaults(handler=sweep_command)


def sweep_command(args: argparse.Namespace) -> int:
    points = sweep_points(args.sizes, args.cache_types, args.flash_attn)
    fill = parse_fill(args.fill)
    settings, model_path, server = prepare(args)
    if server is not None or model_path is None:
        raise UsageError("sweep is not available for a server: it loads the model at many context sizes, "
                         "which only a local model allows")
    progress = SweepProgress()
    try:
        results = run_sweep(model_path, points, fill, progress, n_batch=settings.n_batch,
                            n_threads=settings.n_threads, on_warning=progress.note)
    finally:
        progress.end()
    for text in result_warnings(results):
        progress.note(text)
    if args.json:
        print(to_json_text(results))
    elif args.csv:
        sys.stdout.write(to_csv(results))
    else:
        print(f"{model_path.name}: each context filled to {fill:.0%} with prose, "
              f"then a question and up to {DECODE_TOKENS} greedy tokens\n")
        print(format_table(results))
        for chart in sweep_charts(results):
            print()
            print(chart)
    return 0
