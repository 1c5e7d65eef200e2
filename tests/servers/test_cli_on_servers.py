"""`contextwatch run --server` as a script calls it, against both real servers."""

from __future__ import annotations

import json

from test_server_failures import run_cli


def test_run_json_on_llama_server_carries_the_servers_numbers(llama_server):
    proc = run_cli("run", "--server", llama_server.url, "--slot", "1", "--prompt", "Hello", "--max-tokens", "8",
                   "--temperature", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    backend, tokens = report["backend"], report["tokens"]
    assert backend["kind"].startswith("llama-server") and backend["where"] == llama_server.url
    server = backend["server"]
    assert server["slot"] == 1 and server["prompt_tokens"] == server["our_prompt_tokens"] == tokens["prompt"]
    assert server["cache_n"] + server["prompt_n"] == tokens["prompt"] and server["alerts"] == []
    assert report["context"]["n_ctx"] == 2048 and 1 <= tokens["generated"] <= 8
    assert "sweep" in backend["unavailable"]


def test_run_text_on_an_openai_server_marks_its_counts_as_the_servers(openai_server):
    proc = run_cli("run", "--server", openai_server.url, "--n-ctx", "2048", "--prompt", "Hello", "--max-tokens", "8",
                   "--temperature", "0")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"Server: openai-compatible at {openai_server.url}" in out
    assert "Counts before a turn are estimates" in out and "KV cache reuse: not reported by the server" in out
    assert "KV Cache: not available for a server" in out
    assert "estimates until the server counts the prompt" in proc.stderr


def test_sweep_and_model_with_a_server_are_refused_in_one_line(llama_server):
    sweep = run_cli("sweep", "--server", llama_server.url, "--n-ctx", "512")
    assert sweep.returncode == 2 and "sweep is not available for a server" in sweep.stderr
    both = run_cli("run", "--server", llama_server.url, "--model", "x.gguf", "--prompt", "hi")
    assert both.returncode == 2 and "give --model or --server, not both" in both.stderr
