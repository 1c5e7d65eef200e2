"""The scripted sessions the UI tests run on answer the same ChatSession protocol as the real Session.

`FakeSession` leaves compression out (it has no tokenizer to plan with); `TuningFakeSession`
adds it with core's own strategies, and has every member.
"""

from __future__ import annotations

import pytest

from app.core.config.settings import Settings
from app.core.session.protocol import ChatSession
from app.core.session.session import Session
from fake_session import FakeSession
from fake_tuning import TuningFakeSession
from fakes.protocol_check import missing_members, parameter_mismatches


@pytest.mark.parametrize("cls", [Session, FakeSession, TuningFakeSession])
def test_every_session_has_the_protocols_methods_with_its_parameters(cls):
    assert parameter_mismatches(ChatSession, cls) == []


def test_the_tuning_fake_has_every_member_and_the_plain_one_all_but_compression():
    assert missing_members(ChatSession, TuningFakeSession, TuningFakeSession(Settings(n_ctx=2048))) == []
    assert missing_members(ChatSession, FakeSession, FakeSession(Settings(n_ctx=2048))) == [
        "apply_compression", "preview_compression", "undo_compression"]


def test_the_real_session_has_every_member(tmp_path):
    session = Session(Settings(n_ctx=2048), tmp_path / "unloaded.gguf", record_growth=False)
    try:
        assert missing_members(ChatSession, Session, session) == []
    finally:
        session.memory.stop()
