"""Chat settings changed mid-session reach a model server: the next request carries the new sampling
and the new system prompt (llama-server's token prompt, or an OpenAI-compatible server's messages)."""

from __future__ import annotations

from contextlib import closing

import pytest

from app.core.config.settings import Settings
from app.core.session import commands as cmd
from server_sessions import server_session

OLD = "You are a helpful assistant."
NEW = "You are a ship's cook. Answer with one short sentence about soup."
CHANGES = {"system_prompt": NEW, "temperature": 0.0, "top_k": 7, "top_p": 0.5, "min_p": 0.2, "repeat_penalty": 1.3,
           "seed": 11, "max_tokens": 9}


@pytest.mark.parametrize("kind", ["llama_server", "openai_server"])
def test_changed_settings_go_out_with_the_next_request(request, kind):
    server = request.getfixturevalue(kind)
    settings = Settings(temperature=0.8, max_tokens=12, n_ctx=2048, auto_compress=False)
    with closing(server_session(server.url, settings=settings)) as session:
        engine = session.engine
        sent = []
        build = engine._generation_request
        engine._generation_request = lambda *args: sent.append(build(*args)) or sent[-1]

        session.submit("Name a colour.")
        assert sent[-1][1]["temperature"] == 0.8 and "seed" not in sent[-1][1]

        cmd.ChangeChatSettings.of(**CHANGES).run(session)
        result = session.submit("Name a fruit.")
        path, body = sent[-1]
        for key in ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed"):
            assert body[key] == CHANGES[key], key
        assert result.generated_tokens <= 9
        if engine.llama_server:
            assert path == "/completion" and body["n_predict"] <= 9
            prompt = engine.detokenize(body["prompt"])
        else:
            assert path == "/v1/chat/completions" and body["max_tokens"] <= 9
            assert body["messages"][0] == {"role": "system", "content": NEW}
            prompt = " ".join(m["content"] for m in body["messages"])
        assert NEW in prompt and OLD not in prompt
