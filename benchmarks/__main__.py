"""Run every benchmark and rewrite benchmarks/RESULTS.md: python -m benchmarks [--quick]."""

from __future__ import annotations

import argparse
import importlib
import sys

SUITE = (
    ("bench_decode", "decode speed and TTFT against raw llama-cpp-python"),
    ("bench_multiturn", "turn 10 TTFT against create_chat_completion"),
    ("bench_tui", "the dashboard: decode, responsiveness, first frame, memory"),
    ("bench_compression", "the next turn after a sliding window or a deleted message: KV shift, exact, from scratch"),
    ("bench_shift_quality", "the next 64 greedy tokens after a sliding window: KV shift against exact"),
    ("bench_restore", "snapshot restore against re-evaluation"),
    ("bench_history_size", "token costs of a long history: linear in its length"),
    ("bench_server", "decode on llama-server: against a bare client, the dashboard against headless"),
    ("bench_decode_server", "headless decode against llama-server's own and raw llama-cpp-python, 1 thread"),
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer runs per side")
    parser.add_argument("--only", nargs="*", metavar="NAME", help="run only these (e.g. bench_decode)")
    args = parser.parse_args(argv)
    failed = []
    for name, what in SUITE:
        if args.only and name not in args.only:
            continue
        print(f"== {name}: {what}", file=sys.stderr, flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        try:
            module.main(["--runs", "3"] if args.quick else [])
        except Exception as err:  # one failing benchmark must not hide the others' results
            print(f"{name} failed: {type(err).__name__}: {err}", file=sys.stderr)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
