"""ServerEngine against an imitation of llama-server over httpx.MockTransport: streams, garbage, failures."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from app.core.engine.load_options import LoadOptions
from app.core.engine.sampling import SamplingParams
from app.core.engine.server.client import ServerClient
from app.core.engine.server.engine import ServerEngine
from app.core.engine.server.options import ServerOptions
from app.core.errors import ContextFullError, NotAModelServer, ServerAuthError
from app.core.events import StopReason
from app.core.session.reconcile import reconcile

URL = "http://llama.test:8080"
SLOTS_501 = {"error": {"code": 501, "message": "This server does not support slots action. Start it with "
                       "`--slot-save-path`", "type": "not_supported_error"}}
SYNC_FINAL = {"stop": True, "tokens_evaluated": 3, "timings": {"cache_n": 0, "prompt_n": 3}}
GOOD = [("a", 5), ("b", 6), ("c", 7)]


def token_line(text: str, token: int) -> str:
    return "data: " + json.dumps({"content": text, "tokens": [token], "stop": False})


def final_line(stop_type: str, generated: int) -> str:
    return "data: " + json.dumps({"content": "", "tokens": [], "stop": True, "stop_type": stop_type,
                                  "tokens_evaluated": 3, "tokens_predicted": generated,
                                  "timings": {"cache_n": 3, "prompt_n": 0, "predicted_n": generated,
                                              "predicted_per_second": 50.0}})


def sse(lines: list[str]) -> httpx.Response:
    body = "".join(f"{line}\n\n" for line in lines).encode()
    return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})


def messy_stream(stop_type: str) -> list[str]:
    (t1, i1), (t2, i2), (t3, i3) = GOOD
    return [token_line(t1, i1), "data: {not json", token_line(t2, i2), "data: [1,2]", ": keep-alive",
            "bogus: x", token_line(t3, i3), final_line(stop_type, 3)]


class BrokenStream(httpx.SyncByteStream):
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def __iter__(self):
        for line in self.lines:
            yield f"{line}\n\n".encode()
        raise httpx.ReadError("connection reset by peer")


def llama_server(generation=None, props=None, completion=None):
    requests: list[tuple[str, str, dict]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content) if request.content else {}
        requests.append((request.method, path, body))
        if request.method == "GET" and path == "/health":
            return httpx.Response(200, json={"status": "ok"})
        if request.method == "GET" and path == "/props":
            if props is not None:
                return props(request)
            return httpx.Response(200, json={"default_generation_settings": {"n_ctx": 512}, "total_slots": 1,
                                             "model_path": "/m/tiny.gguf", "build_info": "b1"})
        if request.method == "GET" and path == "/slots":
            return httpx.Response(200, json=[{"id": 0, "n_ctx": 512, "is_processing": False}])
        if request.method == "GET" and path == "/metrics":
            return httpx.Response(404, text="File Not Found")
        if request.method == "GET" and path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "tiny.gguf", "meta": {"n_vocab": 100,
                                                                                   "n_ctx_train": 1024}}]})
        if request.method == "POST" and path.startswith("/slots/"):
            return httpx.Response(501, json=SLOTS_501)
        if request.method == "POST" and path == "/completion":
            if completion is not None:
                return completion(request, body)
            if body.get("n_predict") == 0:
                return sse(["data: " + json.dumps(SYNC_FINAL)])
            return generation(body)
        return httpx.Response(404, text="File Not Found")

    return handler, requests


def loaded_engine(handler, options: ServerOptions | None = None) -> ServerEngine:
    engine = ServerEngine(options or ServerOptions(URL), transport=httpx.MockTransport(handler))
    engine.load(LoadOptions(path=Path(), n_ctx=512))
    return engine


def run(engine: ServerEngine, params: SamplingParams):
    gen = engine.generate(params)
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            return steps, stop.value


def test_load_reads_the_llama_server_facts():
    handler, _ = llama_server(generation=lambda body: sse(messy_stream("eos")))
    engine = loaded_engine(handler)
    assert engine.llama_server
    assert engine.n_ctx == 512
    assert engine.info.name == "tiny.gguf"
    assert engine.info.n_vocab == 100 and engine.info.n_ctx_train == 1024
    assert engine.backend.exact_counts


def test_a_server_without_slot_save_path_cannot_save_state():
    handler, requests = llama_server(generation=lambda body: sse(messy_stream("eos")))
    engine = loaded_engine(handler)
    assert engine.capabilities.can_save_state is False
    unavailable = dict(engine.backend.unavailable)
    assert "kv state" in unavailable and "--slot-save-path" in unavailable["kv state"]
    assert "metrics" in unavailable
    assert any(method == "POST" and path == "/slots/0" for method, path, _ in requests)


def test_sync_reads_the_prompt_into_the_slot():
    handler, requests = llama_server(generation=lambda body: sse(messy_stream("eos")))
    engine = loaded_engine(handler)
    result = engine.sync([1, 2, 3])
    assert (result.reused, result.evaluated) == (0, 3)
    assert engine.cached_ids() == [1, 2, 3]
    body = [b for m, p, b in requests if p == "/completion"][-1]
    assert body["prompt"] == [1, 2, 3] and body["n_predict"] == 0 and body["id_slot"] == 0
    assert engine.last_report().prompt_tokens == 3 and engine.last_report().malformed_lines == 0


def test_good_tokens_arrive_in_order_and_garbage_lines_are_counted():
    handler, requests = llama_server(generation=lambda body: sse(messy_stream("eos")))
    engine = loaded_engine(handler)
    engine.sync([1, 2, 3])
    steps, result = run(engine, SamplingParams(temperature=0, max_tokens=8))
    assert [(s.text, s.token_id) for s in steps] == GOOD
    assert result.token_ids == [5, 6, 7]
    assert result.text == "abc"
    assert result.reason is StopReason.EOG
    body = [b for m, p, b in requests if p == "/completion"][-1]
    assert body["prompt"] == [1, 2, 3] and body["n_predict"] == 8 and body["temperature"] == 0
    report = engine.last_report()
    assert report.malformed_lines == 3
    assert report.prompt_tokens == 3 and report.generated == 3
    assert engine.cached_ids() == [1, 2, 3, 5, 6, 7]
    assert reconcile(3, report, engine.n_ctx, exact=True) == (
        "3 malformed event line(s) from the server were skipped",)


def test_a_limit_stop_at_max_tokens_is_max_tokens():
    handler, _ = llama_server(generation=lambda body: sse(messy_stream("limit")))
    engine = loaded_engine(handler)
    engine.sync([1, 2, 3])
    steps, result = run(engine, SamplingParams(temperature=0, max_tokens=3))
    assert [s.text for s in steps] == ["a", "b", "c"]
    assert result.reason is StopReason.MAX_TOKENS
    assert engine.last_report().malformed_lines == 3


def test_a_stream_that_breaks_keeps_the_partial_reply_and_names_the_server():
    lines = [token_line("Hel", 11), token_line("lo", 12)]
    handler, _ = llama_server(generation=lambda body: httpx.Response(
        200, headers={"Content-Type": "text/event-stream"}, stream=BrokenStream(lines)))
    engine = loaded_engine(handler)
    engine.sync([1, 2, 3])
    steps, result = run(engine, SamplingParams(temperature=0, max_tokens=8))
    assert [s.text for s in steps] == ["Hel", "lo"]
    assert result.reason is StopReason.SERVER_LOST
    assert result.text == "Hello"
    assert result.token_ids == [11, 12]
    problem = engine.last_report().problem
    assert problem is not None and URL in problem and "closed the connection" in problem
    assert engine.cached_ids() == [1, 2, 3, 11]  # a cut reply: the last token may never have been read back


def unauthorized(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"error": {"code": 401, "message": "Invalid API Key",
                                               "type": "authentication_error"}})


def test_a_401_tells_the_client_to_set_api_key_env():
    handler, _ = llama_server(props=unauthorized)
    client = ServerClient(ServerOptions(URL), transport=httpx.MockTransport(handler))
    with pytest.raises(ServerAuthError, match="api_key_env") as err:
        client.get("/props")
    assert "401" in str(err.value)


def test_a_401_with_a_key_names_its_variable_and_not_the_key(monkeypatch):
    monkeypatch.setenv("CW_TEST_KEY", "sekrit-123")
    seen = []

    def props(request):
        seen.append(request.headers.get("Authorization"))
        return unauthorized(request)

    handler, _ = llama_server(props=props)
    client = ServerClient(ServerOptions(URL, api_key_env="CW_TEST_KEY"), transport=httpx.MockTransport(handler))
    with pytest.raises(ServerAuthError, match=r"\$CW_TEST_KEY") as err:
        client.get("/props")
    assert "sekrit-123" not in str(err.value)
    assert seen == ["Bearer sekrit-123"]


def test_a_401_from_props_on_load_is_an_auth_error_naming_api_key_env():
    handler, _ = llama_server(generation=lambda body: sse(messy_stream("eos")), props=unauthorized)
    engine = ServerEngine(ServerOptions(URL), transport=httpx.MockTransport(handler))
    with pytest.raises(ServerAuthError, match="api_key_env"):
        engine.load(LoadOptions(path=Path(), n_ctx=512))


def test_a_401_on_load_with_a_key_names_its_variable_and_not_the_key(monkeypatch):
    monkeypatch.setenv("CW_TEST_KEY", "sekrit-123")
    handler, _ = llama_server(generation=lambda body: sse(messy_stream("eos")), props=unauthorized)
    engine = ServerEngine(ServerOptions(URL, api_key_env="CW_TEST_KEY"), transport=httpx.MockTransport(handler))
    with pytest.raises(ServerAuthError, match=r"\$CW_TEST_KEY") as err:
        engine.load(LoadOptions(path=Path(), n_ctx=512))
    assert "sekrit-123" not in str(err.value)


def test_a_server_answering_html_everywhere_is_not_a_model_server():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html><body>Welcome to nginx!</body></html>",
                              headers={"Content-Type": "text/html"})

    engine = ServerEngine(ServerOptions(URL), transport=httpx.MockTransport(handler))
    with pytest.raises(NotAModelServer, match="is this a model server"):
        engine.load(LoadOptions(path=Path(), n_ctx=512))
    assert not engine.loaded


def test_a_prompt_over_the_servers_context_is_context_full_with_its_numbers():
    def completion(request, body):
        return httpx.Response(400, json={"error": {"code": 400, "type": "exceed_context_size_error",
                                                   "n_prompt_tokens": 600, "n_ctx": 512,
                                                   "message": "the request exceeds the available context size"}})

    handler, _ = llama_server(completion=completion)
    engine = loaded_engine(handler)
    with pytest.raises(ContextFullError) as err:
        engine.sync([1, 2, 3])
    assert "600" in str(err.value) and "512" in str(err.value)
    assert engine.cached_ids() == []


def loading_for(handler, times: int | None):
    """/health answers 503 (the model is loading) `times` times, or always when None."""
    seen = {"health": 0}

    def wrapped(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health" and (times is None or seen["health"] < times):
            seen["health"] += 1
            return httpx.Response(503, json={"error": {"code": 503, "message": "Loading model"}})
        return handler(request)

    return wrapped, seen


def test_a_server_still_loading_its_model_is_waited_for():
    handler, _ = llama_server(generation=lambda body: sse(messy_stream("eos")))
    wrapped, seen = loading_for(handler, 2)
    engine = loaded_engine(wrapped)
    assert seen["health"] == 2 and engine.n_ctx == 512


def test_a_server_that_keeps_loading_past_the_timeout_says_so():
    from app.core.errors import ServerError

    handler, _ = llama_server(generation=lambda body: sse(messy_stream("eos")))
    wrapped, _ = loading_for(handler, None)
    with pytest.raises(ServerError, match="still loading its model"):
        loaded_engine(wrapped, ServerOptions(URL, timeout=0.3))
