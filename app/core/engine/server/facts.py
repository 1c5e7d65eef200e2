"""What a model server says about itself, read once when the dashboard connects."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from app.core.engine.server.client import ServerClient
from app.core.errors import NotAModelServer, ServerAuthError, ServerError

LLAMA_SERVER = "llama-server"
OPENAI = "openai-compatible"
LOADING_POLL = 0.25


@dataclass
class ServerFacts:
    kind: str
    model_id: str
    model_path: str = ""
    n_ctx: int | None = None  # what the server claims for a request (per slot)
    n_ctx_source: str = ""
    slot_n_ctx: dict[int, int] = field(default_factory=dict)  # each slot's context, from /slots
    total_slots: int = 1
    chat_template: str | None = None
    build_info: str = ""
    has_slots: bool = False  # /slots answers (llama-server without --no-slots)
    has_metrics: bool = False  # /metrics answers (llama-server --metrics)
    tokenize_path: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # n_ctx_train, n_params, size, n_vocab when the server says
    unavailable: dict[str, str] = field(default_factory=dict)  # feature -> why it is not available here

    @property
    def label(self) -> str:
        return f"{self.kind} {self.build_info}".strip()


def wait_until_ready(client: ServerClient, deadline: float, progress=None) -> None:
    """/health until it says ok; 503 means the server is still loading its model. Servers without /health pass."""
    while True:
        try:
            client.get("/health")
            return
        except NotAModelServer:
            return  # no /health: an OpenAI-compatible server that does not have one
        except ServerError as err:
            if err.status != 503:
                raise
            if time.monotonic() > deadline:
                raise ServerError(f"the server at {client.options.base_url} is still loading its model "
                                  "(HTTP 503 for longer than [server] timeout)") from None
            if progress is not None:
                progress("waiting for the server to load its model", 0.1)
            time.sleep(LOADING_POLL)


def read_facts(client: ServerClient, fallback_n_ctx: int) -> ServerFacts:
    """Detect the kind of server and read its context size, slots and model; NotAModelServer when it is neither."""
    props = _try_get(client, "/props")
    if isinstance(props, dict) and isinstance(props.get("default_generation_settings"), dict):
        return _llama_server(client, props)
    models = _try_get(client, "/v1/models")
    if isinstance(models, dict) and isinstance(models.get("data"), list) and models["data"]:
        return _openai(client, models["data"][0], fallback_n_ctx)
    raise NotAModelServer(f"{client.options.base_url} answers, but neither as llama-server (/props) nor as an "
                          "OpenAI-compatible server (/v1/models): is this a model server?")


def _try_get(client: ServerClient, path: str) -> Any:
    try:
        return client.get(path)
    except NotAModelServer:
        return None
    except ServerAuthError:
        raise
    except ServerError as err:
        if err.status is not None:  # it answered, with an error: it has no such endpoint to speak of
            return None
        raise


def _llama_server(client: ServerClient, props: dict) -> ServerFacts:
    settings = props["default_generation_settings"]
    path = str(props.get("model_path") or "")
    facts = ServerFacts(
        kind=LLAMA_SERVER,
        model_id=PurePath(str(props.get("model_alias") or path or "model")).name,
        model_path=path,
        n_ctx=_int(settings.get("n_ctx")),
        n_ctx_source="/props",
        total_slots=_int(props.get("total_slots")) or 1,
        chat_template=props.get("chat_template") if isinstance(props.get("chat_template"), str) else None,
        build_info=str(props.get("build_info") or ""),
        tokenize_path="/tokenize",
    )
    slots = _try_get(client, "/slots")
    if isinstance(slots, list):
        facts.has_slots = True
        facts.slot_n_ctx = {int(s["id"]): int(s["n_ctx"]) for s in slots
                            if isinstance(s, dict) and _int(s.get("id")) is not None and _int(s.get("n_ctx"))}
    else:
        facts.unavailable["slots"] = "the server runs without its /slots endpoint (--no-slots)"
    try:
        client.get_text("/metrics")
        facts.has_metrics = True
    except ServerError:
        facts.unavailable["metrics"] = "the server runs without --metrics"
    models = _try_get(client, "/v1/models")
    if isinstance(models, dict) and isinstance(models.get("data"), list) and models["data"]:
        meta = models["data"][0].get("meta")
        if isinstance(meta, dict):
            facts.meta = {k: v for k, v in meta.items() if isinstance(v, int) and not isinstance(v, bool)}
    return facts


def _openai(client: ServerClient, model: dict, fallback_n_ctx: int) -> ServerFacts:
    model_id = str(model.get("id") or "model")
    facts = ServerFacts(kind=OPENAI, model_id=model_id, model_path=model_id)
    for key in ("max_model_len", "context_length", "max_context_length"):
        if _int(model.get(key)):
            facts.n_ctx, facts.n_ctx_source = _int(model.get(key)), f"/v1/models {key}"
            break
    else:
        facts.n_ctx, facts.n_ctx_source = fallback_n_ctx, "your n_ctx setting (the server does not say)"
    try:
        client.post("/extras/tokenize", {"input": "probe"})
        facts.tokenize_path = "/extras/tokenize"
    except ServerError:
        facts.unavailable["tokenizer"] = "the server has no tokenize endpoint: counts before a turn are estimates"
    facts.unavailable["template"] = "the server does not show its chat template: prompts are framed plainly for counting"
    facts.unavailable["slots"] = "an OpenAI-compatible server has no slots"
    facts.unavailable["metrics"] = "an OpenAI-compatible server has no llama.cpp metrics"
    facts.unavailable["kv state"] = "an OpenAI-compatible server cannot save or restore its cache"
    return facts


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
