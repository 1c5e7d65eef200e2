"""The chat settings as the dialog reads them, checked as config.toml is, and the system prompt swap."""

from __future__ import annotations

import argparse

import pytest

from app.commands.arg_types import ranged
from app.core.config.chat_settings import SAMPLING_FIELDS, WHOLE, field_text, read_chat_settings
from app.core.config.settings import Settings, load_settings
from app.core.conversations.conversation import Conversation, Message
from app.core.errors import UsageError

GOOD = {"temperature": "0.2", "top_k": "40", "top_p": "0.9", "min_p": "0.05", "repeat_penalty": "1.1", "seed": "",
        "max_tokens": "128"}


def test_good_fields_become_settings_values_and_a_blank_seed_is_random():
    read = read_chat_settings(Settings(), "Be brief.\x00", GOOD)
    assert read.ok
    assert read.values == {"system_prompt": "Be brief.", "temperature": 0.2, "top_k": 40, "top_p": 0.9, "min_p": 0.05,
                           "repeat_penalty": 1.1, "seed": None, "max_tokens": 128}
    assert read_chat_settings(Settings(), " \n", GOOD).values["system_prompt"] == ""
    assert read_chat_settings(Settings(), "", dict(GOOD, seed=" 7 ")).values["seed"] == 7


@pytest.mark.parametrize("name, text, in_toml", [
    ("temperature", "nan", True), ("temperature", "-1", True), ("temperature", "1e400", True), ("top_p", "0", True),
    ("min_p", "1.5", True), ("repeat_penalty", "0", True), ("seed", "-2", True), ("max_tokens", "0", True),
    ("top_k", "4.5", False), ("max_tokens", "", False),
])
def test_a_bad_field_gets_the_words_config_toml_and_the_command_line_use(tmp_path, name, text, in_toml):
    read = read_chat_settings(Settings(), "", dict(GOOD, **{name: text}))
    assert list(read.problems) == [name]
    with pytest.raises(argparse.ArgumentTypeError) as flag:
        ranged(name)(text)
    assert read.problems[name] == str(flag.value)
    if in_toml:
        config = tmp_path / "config.toml"
        value = int(text) if name in ("seed", "max_tokens") else float(text)
        config.write_text(f"{name} = {value!r}\n")
        with pytest.raises(UsageError) as loaded:
            load_settings(config)
        assert str(loaded.value) == f"{config}: {name} {read.problems[name]}"


def test_every_field_is_checked_at_once():
    bad = {name: "x" for name in SAMPLING_FIELDS}
    assert set(read_chat_settings(Settings(), "", bad).problems) == set(SAMPLING_FIELDS)


def test_the_whole_settings_are_checked_too():
    read = read_chat_settings(Settings(compress_strategy="nonsense"), "", GOOD)
    assert not read.ok and "compress_strategy" in read.problems[WHOLE]


def test_fields_show_the_settings():
    s = Settings(temperature=0.0, seed=None, top_p=0.95)
    assert (field_text(s, "temperature"), field_text(s, "seed"), field_text(s, "top_p")) == ("0", "", "0.95")


def test_a_new_system_prompt_replaces_message_0_and_the_checkpoints_copy():
    conv = Conversation.with_system("old")
    conv.append("user", "hi")
    conv.apply_compression("sliding", [conv.messages[0], Message("system", "summary", summary=True)], 10, 5)
    assert conv.set_system_prompt("new")
    assert [(m.role, m.content) for m in conv.messages] == [("system", "new"), ("system", "summary")]
    assert conv.messages[0].pinned
    assert [m.content for m in conv.checkpoints[0].messages] == ["new", "hi"]
    assert not conv.set_system_prompt("new"), "the same prompt changes nothing"

    conv.undo_compression()
    assert conv.system_prompt == "new", "an undo does not bring the old prompt back"
    assert conv.set_system_prompt("")
    assert [m.content for m in conv.messages] == ["hi"]


def test_a_system_prompt_goes_before_a_summary_when_there_was_none():
    conv = Conversation([Message("system", "summary", summary=True), Message("user", "hi")])
    assert conv.system_prompt is None
    assert conv.set_system_prompt("rules")
    assert [m.content for m in conv.messages] == ["rules", "summary", "hi"]
    assert not conv.set_system_prompt("rules")


def test_the_session_swaps_its_system_prompt_and_says_so(tmp_path):
    from app.core.events import HistoryChanged
    from app.core.session import commands as cmd
    from app.core.session.session import Session

    events = []
    session = Session(Settings(n_ctx=2048), tmp_path / "unloaded.gguf", sink=events.append, record_growth=False)
    try:
        session.conversation.append("user", "hi")
        session.deleted = (1, Message("user", "gone"))
        changed = cmd.ChangeChatSettings.of(temperature=0.0, system_prompt="rules").run(session)
        assert changed.temperature == 0.0 and session.sampling().greedy
        assert [m.content for m in session.conversation.messages] == ["rules", "hi"]
        assert isinstance(events[-1], HistoryChanged) and events[-1].messages[0].content == "rules"
        assert session.deleted is not None, "the history kept its shape: the undo still fits"

        cmd.ChangeChatSettings.of(system_prompt="").run(session)
        assert [m.content for m in session.conversation.messages] == ["hi"]
        assert session.deleted is None, "a message fewer at the top: the undo's place is gone"

        with pytest.raises(UsageError, match="top_p"):
            cmd.ChangeChatSettings.of(top_p=0.0, system_prompt="other").run(session)
        assert session.settings.top_p == 0.95 and session.conversation.system_prompt is None
    finally:
        session.memory.stop()
