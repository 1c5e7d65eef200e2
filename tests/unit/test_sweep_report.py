"""A sweep's results as a table, CSV, JSON and charts, from fabricated figures."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from app.core.sweep.charts import legend, memory_spec, render, speed_spec, sweep_charts
from app.core.sweep.report import COLUMNS, format_table, result_warnings, table_rows, to_csv, to_json_text
from app.core.sweep.run import SweepResult

MIB = 1024 * 1024


def result(n_ctx: int, **changes) -> SweepResult:
    base = SweepResult(
        n_ctx=n_ctx, type_k="f16", type_v="f16", flash_attn=False, n_ctx_train=8192, load_seconds=0.25,
        kv_bytes_computed=n_ctx * 23040, kv_bytes_logged=n_ctx * 23040, kv_agrees=True,
        rss_before_load_bytes=50 * MIB, rss_after_load_bytes=160 * MIB, rss_after_fill_bytes=170 * MIB,
        fill=0.5, fill_tokens=n_ctx // 2, prefill_seconds=2.0, prefill_tps=n_ctx / 4, question_tokens=37,
        ttft_ms=450.0, decode_tokens=32, decode_tps=40.0,
    )
    return dataclasses.replace(base, **changes)


def test_table_rows_are_formatted_in_core():
    rows = table_rows([result(4096), result(512, kv_bytes_logged=None, kv_agrees=None, decode_tps=None)])
    assert len(rows[0]) == len(COLUMNS)
    assert rows[0] == ("4,096", "f16/f16", "off", "0.25 s", "90.00 MiB", "90.00 MiB", "160.00 MiB",
                       "170.00 MiB", "2,048", "1,024.0", "450.0 ms", "40.0")
    assert rows[1][5] == "—" and rows[1][11] == "—"
    text = format_table([result(512), result(1024)])
    assert text.splitlines()[0].split()[:3] == ["n_ctx", "K/V", "FA"]
    assert len(text.splitlines()) == 4


def test_json_and_csv_carry_every_field():
    results = [result(512), result(1024, kv_bytes_logged=None, kv_agrees=None, flash_attn=True)]
    names = [f.name for f in dataclasses.fields(SweepResult)]
    data = json.loads(to_json_text(results))
    assert [list(item) for item in data] == [names, names]
    assert data[1]["kv_bytes_logged"] is None and data[1]["flash_attn"] is True
    rows = list(csv.reader(io.StringIO(to_csv(results))))
    assert rows[0] == names
    assert len(rows) == 3
    row = dict(zip(rows[0], rows[2]))
    assert row["kv_bytes_logged"] == "" and row["flash_attn"] == "true" and row["n_ctx"] == "1024"


def test_warnings_name_a_disagreement_and_a_missing_rate():
    notes = result_warnings([
        result(512),
        result(1024, kv_bytes_logged=30 * MIB, kv_agrees=False),
        result(2048, kv_bytes_logged=None, kv_agrees=None, decode_tokens=1, decode_tps=None),
    ])
    assert len(notes) == 3
    assert "n_ctx 1024 f16/f16: KV computed 22.50 MiB but llama.cpp logged 30.00 MiB" in notes[0]
    assert "no KV buffer size" in notes[1]
    assert "stopped after 1 token" in notes[2]


def test_chart_series_per_cache_type_on_a_log2_axis():
    results = [result(n) for n in (1024, 512)] + [
        result(n, type_k="q8_0", type_v="q8_0", flash_attn=True, kv_bytes_computed=n * 12240)
        for n in (512, 1024)
    ]
    memory = memory_spec(results)
    assert [s.label for s in memory.series] == ["KV f16/f16", "RSS filled f16/f16", "KV q8_0/q8_0", "RSS filled q8_0/q8_0"]
    assert memory.series[0].xs == (9.0, 10.0)
    assert memory.series[0].ys == (11.25, 22.5)
    assert memory.tick_labels == ("512", "1K")
    speed = speed_spec([result(512, decode_tps=None), result(1024)])
    assert [(s.label, s.xs) for s in speed.series] == [("prefill f16/f16", (9.0, 10.0)), ("decode f16/f16", (10.0,))]


def test_charts_render_as_plain_text_of_the_asked_size():
    memory, speed = sweep_charts([result(n) for n in (512, 1024, 2048)], width=60, height=12)
    for chart, title in ((memory, "Memory against n_ctx"), (speed, "Speed against n_ctx")):
        assert title in chart
        assert "\x1b[" not in chart
        assert max(len(line) for line in chart.splitlines()) <= 60
        assert "512" in chart and "2K" in chart
    assert memory.splitlines()[-1] == "• KV f16/f16   + RSS filled f16/f16"
    assert render(speed_spec([result(512, prefill_tps=None, decode_tps=None)])) == "Speed against n_ctx: no data"


def test_the_legend_wraps_to_the_width():
    spec = memory_spec([result(512), result(512, type_k="q4_0", type_v="q4_0")])
    assert legend(spec, 40).splitlines() == [
        "• KV f16/f16   + RSS filled f16/f16", "x KV q4_0/q4_0   * RSS filled q4_0/q4_0",
    ]
