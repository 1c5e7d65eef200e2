"""Summaries are checked before they are offered, never carry `[...]`, and a new one takes in the earlier one."""

from __future__ import annotations

from dataclasses import replace

import app.core.compression.policy as policy_module
from app.core import events as ev
from app.core.compression.strategies import MIDDLE_MARKER, SUMMARY_PREFIX, Tokenizer, compress
from app.core.compression.summarizer import ModelSummarizer
from app.core.compression.summary_text import prose_words
from app.core.config.settings import Settings
from app.core.conversations.conversation import Message
from app.core.engine.prompt_tokens import PromptTokens
from app.core.session.session import Session

BARE_HEADING = "## Summary\n\n```\n```"
WRITTEN = "The user asked about rivers and towns; the assistant named each river and the town it passes."


def bare_heading(_prefix, _old):
    """A summarizer that writes what a small model sometimes does: a heading and an empty code fence."""
    return BARE_HEADING, 13


def rivers(turns: int, start: int = 0) -> list[Message]:
    messages = []
    for i in range(start, start + turns):
        messages.append(Message("user", f"Question {i}: what do you know about river number {i}? " * 3))
        messages.append(Message("assistant", f"River {i} is long and flows to the sea past town {i}. " * 4))
    return messages


def costed(engine, messages: list[Message]) -> list[Message]:
    _, counts = PromptTokens(engine).build(messages, False)
    return [replace(m, tokens=n) for m, n in zip(messages, counts)]


class ReadingSummarizer(ModelSummarizer):
    """The real summarizer, keeping every text it gave the model to read."""

    def __init__(self, engine) -> None:
        super().__init__(engine)
        self.read: list[str] = []

    def _summarize_once(self, prefix, text):
        self.read.append(text)
        return super()._summarize_once(prefix, text)


def test_a_near_empty_summary_is_refused_and_nothing_changes(engine):
    tok = Tokenizer(engine)
    messages = costed(engine, [Message("system", "Be brief.", pinned=True)] + rivers(5))
    for strategy in ("summarize", "hybrid"):
        plan = compress(strategy, tok, messages, 200, bare_heading, keep_turns=1)
        assert not plan.changed and plan.after == plan.before
        assert plan.problem.startswith("refused: the summary the model wrote is near-empty (")
        assert "\n" not in plan.problem
        assert plan.summary_tokens == 13, "the model's work is still reported"


def test_a_summary_of_a_summary_is_one_message(engine):
    tok = Tokenizer(engine)
    messages = costed(engine, [Message("system", "Be brief.", pinned=True)] + rivers(4))
    first = compress("summarize", tok, messages, 200, lambda p, o: (WRITTEN, 30), keep_turns=1)
    grown = costed(engine, list(first.after) + rivers(3, start=4))
    seen = []

    def summarizer(prefix, old):
        seen.append(list(old))
        return WRITTEN + " Later they compared rivers 4 to 6.", 40

    second = compress("summarize", tok, grown, 200, summarizer, keep_turns=1)
    summaries = [m for m in second.after if m.summary]
    assert len(summaries) == 1 and summaries[0].content.endswith("compared rivers 4 to 6.")
    assert second.after[1] is summaries[0], "in the earlier summary's place, after the system prompt"
    assert seen[0][0].id == first.after[1].id, "the earlier summary is read with the turns it is merged with"
    assert second.items[1].action == "summarize"
    assert second.after[0] == grown[0] and second.after[-2:] == tuple(grown[-2:])


def test_a_real_summary_passes_the_check_and_takes_in_the_earlier_one(engine):
    tok = Tokenizer(engine)
    earlier = Message("system", SUMMARY_PREFIX + "The user asked about rivers 0 and 1.", summary=True)
    cut = Message("assistant", "River 2 starts in the hills." + MIDDLE_MARKER + "It ends in the sea past town 2.")
    messages = costed(engine, [Message("system", "Be brief.", pinned=True), earlier] + rivers(3, start=2)
                      + [Message("user", "Which river is longest?"), cut])
    summarizer = ReadingSummarizer(engine)
    plan = compress("summarize", tok, messages, 200, summarizer, keep_turns=1)
    assert plan.problem is None and plan.changed
    summaries = [m for m in plan.after if m.summary]
    assert len(summaries) == 1 and summaries[0] is not earlier
    assert summarizer.read[0].startswith("summary so far: The user asked about rivers 0 and 1.")
    assert not any("[...]" in text for text in summarizer.read)
    assert "[...]" not in summaries[0].content
    assert len(prose_words(summaries[0].content)) >= 6
    assert plan.tokens_after < plan.tokens_before


def test_a_paragraph_longer_than_the_model_can_read_is_split_not_cut(engine):
    summarizer = ModelSummarizer(engine)
    prefix = [Message("system", "Be brief.")]
    room = summarizer._room(prefix)
    sentences = "user: " + " ".join(f"Sentence {i} is about the river and its town." for i in range(300))
    run_on = "assistant: " + " ".join(f"word{i}" for i in range(1500))
    text = sentences + "\n\n" + run_on
    assert summarizer.tok.content_ids(sentences).__len__() > room
    assert summarizer.tok.content_ids(run_on).__len__() > room
    chunks = summarizer._chunks(prefix, text)
    assert len(chunks) >= 4
    for chunk in chunks:
        assert "[...]" not in chunk
        assert len(summarizer.tok.content_ids(chunk)) <= room
    joined = "".join("".join(chunks).replace("user (continued): ", "").replace("assistant (continued): ", "").split())
    assert joined == "".join(text.split()), "every word is read, in order"
    assert chunks[1].startswith("user (continued): Sentence"), "a split message keeps its speaker"


def test_auto_compression_falls_back_when_the_summary_is_refused(model_path, log_file, monkeypatch):
    monkeypatch.setattr(policy_module, "ModelSummarizer", lambda engine, cancel=None: bare_heading)
    events = []
    settings = Settings(n_ctx=1024, temperature=0.0, max_tokens=8, auto_compress=True,
                        compress_strategy="summarize", compress_trigger=50, reply_reserve=128)
    session = Session(settings, model_path, sink=events.append)
    session.load()
    try:
        session.load_history(rivers(5))
        result = session.submit("One more question about the rivers, please.")
        assert result.reply
        assert session.stats.compressions == 1 and session.stats.last.strategy == "sliding"
        assert not any(m.summary for m in session.conversation.messages), "the bare heading was never applied"
        notices = [e.message for e in events if isinstance(e, ev.Notice)]
        assert any(n.startswith("proactive compression with summarize: refused") and "near-empty" in n
                   for n in notices)
    finally:
        session.close()
