"""A sweep's results as text: the table both the CLI and the screen show, CSV, JSON, warnings."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from app.core.formatting import DASH, fmt_bytes, fmt_ms
from app.core.sweep.run import SweepResult

COLUMNS: tuple[str, ...] = (
    "n_ctx", "K/V", "FA", "Load", "KV computed", "KV logged", "RSS loaded", "RSS filled",
    "Filled", "Prefill tok/s", "TTFT", "Decode tok/s",
)


def fmt_rate(x: float | None) -> str:
    return DASH if x is None else f"{x:,.1f}"


def _logged(result: SweepResult) -> str:
    if result.kv_bytes_logged is None:
        return DASH
    mark = "" if result.kv_agrees else " (differs)"
    return fmt_bytes(result.kv_bytes_logged) + mark


def table_row(result: SweepResult) -> tuple[str, ...]:
    return (
        f"{result.n_ctx:,}",
        f"{result.type_k}/{result.type_v}",
        "on" if result.flash_attn else "off",
        f"{result.load_seconds:.2f} s",
        fmt_bytes(result.kv_bytes_computed),
        _logged(result),
        fmt_bytes(result.rss_after_load_bytes),
        fmt_bytes(result.rss_after_fill_bytes),
        f"{result.fill_tokens:,}",
        fmt_rate(result.prefill_tps),
        fmt_ms(result.ttft_ms),
        fmt_rate(result.decode_tps),
    )


def table_rows(results: Sequence[SweepResult]) -> list[tuple[str, ...]]:
    return [table_row(r) for r in results]


def format_table(results: Sequence[SweepResult]) -> str:
    """A plain text table with right-aligned columns."""
    rows = [COLUMNS, *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def csv_header() -> list[str]:
    return SweepResult.field_names()


def csv_row(result: SweepResult) -> list[str]:
    """Raw values, as JSON has them: empty for unknown, true/false for booleans."""
    row = []
    for value in result.to_json().values():
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        else:
            row.append(str(value))
    return row


def to_csv(results: Sequence[SweepResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_header())
    writer.writerows(csv_row(r) for r in results)
    return out.getvalue()


def to_json_text(results: Sequence[SweepResult]) -> str:
    return json.dumps([r.to_json() for r in results], indent=2, allow_nan=False)


def result_warnings(results: Sequence[SweepResult]) -> list[str]:
    """What the table alone would not say: a logged KV size that differs, or none logged."""
    notes = []
    for r in results:
        label = f"n_ctx {r.n_ctx} {r.type_k}/{r.type_v}"
        if r.kv_bytes_logged is None:
            notes.append(f"{label}: llama.cpp's log gave no KV buffer size to check against")
        elif not r.kv_agrees:
            notes.append(
                f"{label}: KV computed {fmt_bytes(r.kv_bytes_computed)} but llama.cpp logged "
                f"{fmt_bytes(r.kv_bytes_logged)}"
            )
        if r.decode_tokens < 2:
            notes.append(f"{label}: the model stopped after {r.decode_tokens} token(s); no decode rate")
    return notes
