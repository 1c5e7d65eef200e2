"""llama-server's /metrics text read into {name: value}."""

from __future__ import annotations

from app.core.engine.server.metrics import parse_metrics

METRICS = """\
# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 30
# HELP llamacpp:prompt_seconds_total Prompt process time
# TYPE llamacpp:prompt_seconds_total counter
llamacpp:prompt_seconds_total 0.125
# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total 12
# HELP llamacpp:prompt_tokens_seconds Average prompt throughput in tokens/s.
# TYPE llamacpp:prompt_tokens_seconds gauge
llamacpp:prompt_tokens_seconds 240
# HELP llamacpp:predicted_tokens_seconds Average generation throughput in tokens/s.
# TYPE llamacpp:predicted_tokens_seconds gauge
llamacpp:predicted_tokens_seconds NaN
# HELP llamacpp:kv_cache_usage_ratio KV-cache usage. 1 means 100 percent usage.
# TYPE llamacpp:kv_cache_usage_ratio gauge
llamacpp:kv_cache_usage_ratio +Inf
# HELP llamacpp:requests_processing Number of requests processing.
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 1
llamacpp:requests_deferred -Inf
# HELP llamacpp:n_tokens_max Largest observed n_tokens.
# TYPE llamacpp:n_tokens_max counter
llamacpp:n_tokens_max 80
llamacpp:foo{a="b"} 2
llamacpp:decode_total 7 1700000000000
llamacpp:broken
llamacpp:garbled twelve
# HELP process_cpu_seconds_total Total user and system CPU time.
process_cpu_seconds_total 4.5
go_goroutines 12
 llamacpp:indented 9
"""


def test_llamacpp_metrics_are_read_without_their_prefix():
    values = parse_metrics(METRICS)
    assert values["prompt_tokens_total"] == 30
    assert values["n_tokens_max"] == 80
    assert values["prompt_seconds_total"] == 0.125
    assert values["tokens_predicted_total"] == 12
    assert values["prompt_tokens_seconds"] == 240
    assert values["requests_processing"] == 1


def test_a_labelled_metric_is_read_under_its_bare_name():
    assert parse_metrics(METRICS)["foo"] == 2


def test_a_timestamp_after_the_value_is_ignored():
    assert parse_metrics(METRICS)["decode_total"] == 7


def test_nan_and_infinities_are_dropped():
    values = parse_metrics(METRICS)
    assert "predicted_tokens_seconds" not in values
    assert "kv_cache_usage_ratio" not in values
    assert "requests_deferred" not in values


def test_lines_without_a_number_are_dropped():
    values = parse_metrics(METRICS)
    assert "broken" not in values
    assert "garbled" not in values


def test_comments_and_other_exporters_are_ignored():
    values = parse_metrics(METRICS)
    assert not any(name.startswith(("#", "process_", "go_", "llamacpp")) for name in values)
    assert set(values) == {"prompt_tokens_total", "prompt_seconds_total", "tokens_predicted_total",
                           "prompt_tokens_seconds", "requests_processing", "n_tokens_max", "foo", "decode_total"}


def test_empty_and_html_text_give_nothing():
    assert parse_metrics("") == {}
    assert parse_metrics("<html><body>Not Found</body></html>") == {}


def test_values_are_floats():
    assert all(isinstance(v, float) for v in parse_metrics(METRICS).values())
