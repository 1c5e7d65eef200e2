"""Switching the session's model with the conversation kept, on the real SmolLM2 and copies of it."""

from __future__ import annotations

import pytest

from app.core.config.settings import Settings
from app.core.errors import ModelLoadError, UsageError
from app.core.session.reload import preview_reload, reload
from app.core.session.session import Session
from fixtures.gguf_copy import copy_with_metadata


@pytest.fixture
def session(model_path, log_file):
    s = Session(Settings(n_ctx=1024, temperature=0.0, max_tokens=12), model_path, record_growth=False)
    s.load()
    s.submit("My favourite colour is green. Remember it.")
    yield s
    s.close()


def test_another_model_takes_over_the_conversation(session, model_path, tmp_path):
    other = copy_with_metadata(model_path, tmp_path / "other.gguf", "general.name", "Other")
    messages = [m.content for m in session.conversation.messages]
    assert preview_reload(session, 1024, model_path=other) is None
    outcome = reload(session, 1024, model_path=other)
    assert session.model_path == other and session.engine.info.name == "Other"
    assert outcome.after.model == "Other" and outcome.before.model != "Other"
    assert [m.content for m in session.conversation.messages] == messages
    assert outcome.reevaluated == len(session.engine.cached_ids()) > 0
    result = session.submit("What is my favourite colour?")
    assert result.sync.reused == outcome.reevaluated  # the re-read conversation is the new model's cache


def test_a_model_that_fails_to_load_brings_the_old_one_back(session, model_path, tmp_path):
    head = tmp_path / "head-only.gguf"
    with open(model_path, "rb") as fh:
        head.write_bytes(fh.read(8 << 20))  # a valid header, but the weights are missing
    messages = [m.content for m in session.conversation.messages]
    name = session.engine.info.name
    with pytest.raises((ModelLoadError, UsageError)):
        reload(session, 1024, model_path=head)
    assert session.model_path == model_path and session.engine.info.name == name
    assert [m.content for m in session.conversation.messages] == messages
    assert session.submit("And again?").generated_tokens > 0


def test_a_file_that_is_not_a_model_is_refused_before_anything_is_unloaded(session, tmp_path):
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    engine_before = session.engine.llm
    with pytest.raises(UsageError, match="bad magic"):
        preview_reload(session, 1024, model_path=text)
    with pytest.raises(UsageError, match="bad magic"):
        reload(session, 1024, model_path=text)
    assert session.engine.llm is engine_before
