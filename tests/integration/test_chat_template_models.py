"""Models whose GGUF has no chat template, or one that does not parse: they load, and say so."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.core.engine.llama.engine import LlamaEngine
from app.core.engine.load_options import LoadOptions
from fixtures.gguf_copy import copy_with_metadata

TEMPLATE_KEY = "tokenizer.chat_template"
BROKEN_TEMPLATE = "{% for message in messages %}{{ message['content'] }"


@pytest.fixture(scope="module")
def no_template_model(model_path, tmp_path_factory):
    return copy_with_metadata(model_path, tmp_path_factory.mktemp("models") / "plain.gguf", TEMPLATE_KEY, None)


@pytest.fixture(scope="module")
def broken_template_model(model_path, tmp_path_factory):
    return copy_with_metadata(model_path, tmp_path_factory.mktemp("models") / "broken.gguf", TEMPLATE_KEY,
                              BROKEN_TEMPLATE)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))


def test_a_template_that_does_not_parse_loads_with_the_plain_format(broken_template_model, log_file):
    engine = LlamaEngine()
    try:
        info = engine.load(LoadOptions(path=broken_template_model, n_ctx=512, n_batch=64))
        assert info.chat_template == BROKEN_TEMPLATE
        assert engine.formatter.uses_fallback
        assert engine.warnings == ["the model's chat template does not parse (line 1: unexpected '}'): "
                                   "using a plain 'role: text' format"]
        assert engine.render([{"role": "user", "content": "hi"}]) == "user: hi\n\nassistant:"
    finally:
        engine.close()


def test_run_says_on_stderr_that_the_model_has_no_template(no_template_model):
    proc = run_cli("run", "--model", str(no_template_model), "--prompt", "Hello", "--max-tokens", "4",
                   "--temperature", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "contextwatch: warning: this model has no chat template: using a plain 'role: text' format\n"
    assert "Stop reason:" in proc.stdout
    assert "contextwatch:" not in proc.stdout


def test_run_json_carries_the_warnings(broken_template_model):
    proc = run_cli("run", "--model", str(broken_template_model), "--prompt", "Hello", "--max-tokens", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["warnings"]) == 1 and "chat template does not parse" in report["warnings"][0]
    assert proc.stderr == f"contextwatch: warning: {report['warnings'][0]}\n"


@pytest.mark.model
def test_run_on_the_bundled_model_has_no_warnings():
    proc = run_cli("run", "--prompt", "Hello", "--max-tokens", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["warnings"] == []
    assert proc.stderr == ""
