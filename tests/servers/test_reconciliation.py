"""Our count of each turn's prompt against the server's own, on both servers, over a 10-turn chat."""

from __future__ import annotations

import httpx
import pytest

from app.core.errors import ContextFullError
from app.core.events import BackendReported, Notice
from server_sessions import server_session

QUESTIONS = ["Hi!", "What is a cat?", "And a dog?", "Which is bigger?", "Name a colour.", "Why?",
             "Say it in French.", "Count to three.", "Thanks!", "Bye."]


def test_ten_turns_on_llama_server_our_count_is_the_servers(llama_server):
    events: list = []
    session = server_session(llama_server.url, events)
    try:
        for question in QUESTIONS:
            result = session.submit(question)
            reported = [e for e in events if isinstance(e, BackendReported)][-1]
            assert reported.report.prompt_tokens == result.prompt_tokens == reported.our_prompt_tokens
            assert reported.alerts == ()
            assert result.sync.reused + result.sync.evaluated == result.prompt_tokens
        assert not [e for e in events if isinstance(e, Notice) and e.severity != "information"]
        turns = [e for e in events if isinstance(e, BackendReported)]
        assert len(turns) == 10 and all(t.report.cached > 0 for t in turns[1:])
    finally:
        session.close()


def test_ten_turns_on_an_openai_server_the_count_is_the_servers_own(openai_server):
    """Before a turn the count is an estimate; the turn's count is what the server says it read."""
    session = server_session(openai_server.url)
    try:
        assert not session.engine.backend.exact_counts
        for question in QUESTIONS:
            result = session.submit(question)
            chat = session.conversation.as_chat()[:-1]  # the prompt of that turn
            usage = httpx.post(openai_server.url + "/v1/chat/completions", timeout=120,
                               json={"messages": chat, "max_tokens": 1, "temperature": 0}).json()["usage"]
            assert result.prompt_tokens == usage["prompt_tokens"]
    finally:
        session.close()


def test_a_prompt_larger_than_the_servers_real_context_is_caught(model_path, tmp_path):
    """The OpenAI server does not say its n_ctx: ours says 2,048, it runs 512, and its refusal is an overflow."""
    from fixtures.servers import start_openai_server

    server = start_openai_server(model_path, tmp_path, n_ctx=512)
    session = server_session(server.url)
    try:
        assert session.engine.n_ctx == 2048
        with pytest.raises(ContextFullError, match=r"holds 512"):
            session.submit("tell me a story " * 150)
        assert [m.role for m in session.conversation.messages] == ["system"]
    finally:
        session.close()
        server.stop()


def test_llama_servers_own_overflow_error_carries_its_numbers(start_server):
    from app.core.engine.server.client import ServerClient
    from app.core.engine.server.options import ServerOptions

    server = start_server(n_ctx=256, metrics=False)
    client = ServerClient(ServerOptions(server.url))
    try:
        with pytest.raises(ContextFullError, match=r"holds 256 \(exceed_context_size_error\)"):
            client.post("/v1/chat/completions", {"messages": [{"role": "user", "content": "word " * 400}]})
    finally:
        client.close()


def test_after_an_edit_an_openai_server_counts_the_edited_conversation(openai_server):
    session = server_session(openai_server.url)
    try:
        session.submit("What is a cat?")
        session.submit("And a dog?")
        session.delete_message(1)
        chat = session.conversation.as_chat()
        usage = httpx.post(openai_server.url + "/v1/chat/completions", timeout=120,
                           json={"messages": chat, "max_tokens": 1, "temperature": 0}).json()["usage"]
        assert session.engine.last_report().prompt_tokens == usage["prompt_tokens"]
    finally:
        session.close()
